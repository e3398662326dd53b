// Presentation viewer: left and right arrow keys go to the previous and next page.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    var link = null;
    if (event.key === "ArrowLeft") link = document.getElementById("prev-page");
    if (event.key === "ArrowRight") link = document.getElementById("next-page");
    if (link) {
      event.preventDefault();
      window.location.assign(link.href);
    }
  });
})();
