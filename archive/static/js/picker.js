// Bundles: a "Select all" button per event ticks (or clears) that event's items. Without
// JavaScript each item is ticked on its own.
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("[data-check-all]"), function (button) {
    var group = button.closest("fieldset");
    var boxes = Array.prototype.slice.call(group.querySelectorAll('input[type="checkbox"]'));
    function label() {
      var all = boxes.every(function (box) { return box.checked; });
      button.textContent = all ? "Clear this event" : "Select all of this event";
      return all;
    }
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      var check = !label();
      boxes.forEach(function (box) { box.checked = check; });
      label();
    });
    boxes.forEach(function (box) { box.addEventListener("change", label); });
    label();
  });
})();
