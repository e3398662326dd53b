// Presentation viewer: the left and right arrow keys (and the Previous/Next links) change
// the page without reloading the whole document: the next page's HTML is fetched and the
// viewer swapped in place, the address updated, so every page keeps its deep link and the
// Back button works. The thumbnail strip scrolls to the current page; "Copy link" copies
// the page's address. Without JavaScript every link is an ordinary page load.
(function () {
  "use strict";

  function viewer() { return document.querySelector(".viewer"); }

  function centreStrip() {
    var strip = document.querySelector(".thumb-strip ol");
    var current = strip && strip.querySelector("li.current");
    if (!current) return;
    strip.scrollLeft = current.offsetLeft - strip.offsetLeft - (strip.clientWidth - current.offsetWidth) / 2;
  }

  function setUpCopy() {
    var button = document.querySelector(".copy-link");
    if (!button || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      // A browser may refuse (no permission, window not focused): say so, never stay silent.
      var status = document.querySelector(".copy-status");
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        status.textContent = button.getAttribute("data-copied");
      }, function () {
        status.textContent = button.getAttribute("data-copy-failed");
      });
    });
  }

  function show(url, push) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(".viewer");
        if (!fresh) throw new Error("no viewer");
        viewer().replaceWith(document.adoptNode(fresh));
        document.title = doc.title;
        if (push) history.pushState({ viewer: true }, "", url);
        centreStrip();
        setUpCopy();
      })
      .catch(function () { window.location.assign(url); });
  }

  function follow(link) {
    if (link) show(link.href, true);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName)) return;
    var link = null;
    if (event.key === "ArrowLeft") link = document.getElementById("prev-page");
    if (event.key === "ArrowRight") link = document.getElementById("next-page");
    if (link) {
      event.preventDefault();
      follow(link);
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#prev-page, #next-page, #prev-match, #next-match, .thumb-strip a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    follow(link);
  });

  window.addEventListener("popstate", function () { show(window.location.href, false); });
  history.replaceState({ viewer: true }, "", window.location.href);
  centreStrip();
  setUpCopy();
})();
