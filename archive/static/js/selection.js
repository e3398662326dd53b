// Event page (staff): "Select all" per section, and a bar that follows the selection: it
// appears (sticky at the bottom of the window) when something is ticked, says how many, and
// offers the changes and the deletion. Without JavaScript the form is always shown below.
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form) return;
  var bar = form.closest(".bulk");
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[form="bulk-form"]'));
  var count = form.querySelector(".selected-count");
  var clear = form.querySelector(".clear-selection");
  var plural = new Intl.PluralRules(document.documentElement.lang || "en");
  var samples = { one: "1", few: "3", many: "5", other: "5" };
  var groups = [];
  var hasErrors = !!form.querySelector(".error");

  function allChecked(members) {
    return members.every(function (box) { return box.checked; });
  }

  function countText(n) {
    var category = plural.select(n);
    var template = count.getAttribute("data-" + category) || count.getAttribute("data-other");
    return template.replace(samples[category] || "5", String(n));
  }

  function update() {
    var n = boxes.filter(function (box) { return box.checked; }).length;
    bar.classList.add("bulk-bar");
    bar.hidden = n === 0 && !hasErrors;
    count.hidden = false;
    count.textContent = countText(n);
    clear.hidden = false;
    groups.forEach(function (g) {
      g.button.textContent = g.button.getAttribute(allChecked(g.members) ? "data-clear-label" : "data-select-label");
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-select-all]"), function (button) {
    var name = button.getAttribute("data-select-all");
    var members = boxes.filter(function (box) { return box.getAttribute("data-group") === name; });
    groups.push({ button: button, name: name, members: members });
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      var check = !allChecked(members);
      members.forEach(function (box) { box.checked = check; });
      update();
    });
  });
  clear.addEventListener("click", function () {
    boxes.forEach(function (box) { box.checked = false; });
    update();
  });
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
