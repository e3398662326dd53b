// Event photos: a thumbnail opens a lightbox (a modal dialog). Esc closes it, the left and
// right arrow keys move between photos, Tab stays inside it, and focus returns to the
// thumbnail it was opened from. Without JavaScript each thumbnail links to the large image.
(function () {
  "use strict";

  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-lightbox]"));
  if (!links.length) return;
  // The dialog's words, in the page's language (templates/events/detail.html).
  var M = JSON.parse(document.getElementById("lightbox-messages").textContent);

  var current = -1;
  var opener = null;

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function button(className, label, text) {
    var b = element("button", "lightbox-button " + className, text);
    b.type = "button";
    b.setAttribute("aria-label", label);
    return b;
  }

  var dialog = element("div", "lightbox");
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-modal", "true");
  dialog.setAttribute("aria-labelledby", "lightbox-title");
  dialog.hidden = true;
  var panel = element("div", "lightbox-panel");
  var bar = element("div", "lightbox-bar");
  var title = element("h2", "lightbox-title");
  title.id = "lightbox-title";
  var closeButton = button("lightbox-close", M.close, "×");
  bar.appendChild(title);
  bar.appendChild(closeButton);
  var figure = element("figure", "lightbox-figure");
  var image = element("img", "lightbox-image");
  var caption = element("figcaption", "lightbox-caption");
  var details = element("p", "lightbox-details");
  figure.appendChild(image);
  figure.appendChild(caption);
  figure.appendChild(details);
  var controls = element("div", "lightbox-controls");
  var prevButton = button("lightbox-prev", M.previousPhoto, "← " + M.previous);
  var nextButton = button("lightbox-next", M.nextPhoto, M.next + " →");
  var download = element("a", "button lightbox-download", M.download);
  download.setAttribute("download", "");
  controls.appendChild(prevButton);
  controls.appendChild(nextButton);
  controls.appendChild(download);
  panel.appendChild(bar);
  panel.appendChild(figure);
  panel.appendChild(controls);
  dialog.appendChild(panel);
  document.body.appendChild(dialog);

  function show(index) {
    current = (index + links.length) % links.length;
    var link = links[current];
    var thumb = link.querySelector("img");
    // Small originals are shown at their natural size, never stretched.
    image.removeAttribute("width");
    image.removeAttribute("height");
    var width = Number(link.getAttribute("data-width"));
    var height = Number(link.getAttribute("data-height"));
    if (width && height) {
      image.width = Math.min(width, 1600);
      image.height = Math.round(height * image.width / width);
    }
    image.src = link.href;
    image.alt = thumb ? thumb.alt : "";
    title.textContent = M.position.replace("{number}", current + 1).replace("{count}", links.length);
    caption.textContent = link.getAttribute("data-caption") || "";
    caption.hidden = !caption.textContent;
    details.textContent = link.getAttribute("data-details") || "";
    details.hidden = !details.textContent;
    var original = link.getAttribute("data-download");
    download.hidden = !original;
    if (original) download.href = original;
    var several = links.length > 1;
    prevButton.hidden = nextButton.hidden = !several;
  }

  function open(index) {
    opener = document.activeElement;
    show(index);
    dialog.hidden = false;
    document.documentElement.classList.add("lightbox-open");
    closeButton.focus();
  }

  function close() {
    dialog.hidden = true;
    image.removeAttribute("src");
    document.documentElement.classList.remove("lightbox-open");
    if (opener && opener.focus) opener.focus();
    opener = null;
  }

  function focusable() {
    return Array.prototype.filter.call(
      dialog.querySelectorAll("button, a[href]"),
      function (el) { return !el.hidden; }
    );
  }

  function trapTab(event) {
    var items = focusable();
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    } else if (!dialog.contains(document.activeElement)) {
      event.preventDefault();
      first.focus();
    }
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      open(index);
    });
  });
  closeButton.addEventListener("click", close);
  prevButton.addEventListener("click", function () { show(current - 1); });
  nextButton.addEventListener("click", function () { show(current + 1); });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) close();
  });
  document.addEventListener("keydown", function (event) {
    if (dialog.hidden) return;
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowLeft" && links.length > 1) {
      event.preventDefault();
      show(current - 1);
    } else if (event.key === "ArrowRight" && links.length > 1) {
      event.preventDefault();
      show(current + 1);
    } else if (event.key === "Tab") {
      trapTab(event);
    }
  });

  // /items/<id> of a photo lands on #photo-<id>: open that photo at once.
  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target) {
    var link = target.querySelector("a[data-lightbox]");
    if (link) {
      link.focus();
      open(links.indexOf(link));
    }
  }
})();
