// Event page (staff): "Select all" per section, and a count of the selected items beside the
// form that changes or deletes them. Without JavaScript each item is ticked on its own.
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[form="bulk-form"]'));
  var count = form.querySelector(".selected-count");
  var groups = [];

  function allChecked(members) {
    return members.every(function (box) { return box.checked; });
  }

  function update() {
    var n = boxes.filter(function (box) { return box.checked; }).length;
    count.hidden = false;
    count.textContent = n === 1 ? "1 item selected." : n + " items selected.";
    groups.forEach(function (g) {
      g.button.textContent = (allChecked(g.members) ? "Clear the selection of " : "Select all ") + g.name;
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
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
