// Search page: on a narrow screen the filters fold into one "Filters (n)" control, so that
// the search box and the first results come first. Without JavaScript they stay open.
(function () {
  "use strict";
  var panel = document.querySelector("details[data-fold-below]");
  if (!panel) return;
  var narrow = window.matchMedia("(max-width: " + panel.getAttribute("data-fold-below") + ")");
  function fold() { panel.open = !narrow.matches; }
  fold();
  narrow.addEventListener("change", fold);
})();
