// Upload page: drop or choose many files; each goes to the items API in a request of its own
// (so one failure never blocks the others) with a progress bar, then its processing state is
// polled until it is ready or failed. On the results page of an upload made without
// JavaScript, the same polling keeps the listed states current.
(function () {
  "use strict";

  var POLL_MS = 1500;
  var PARALLEL = 3;
  var LIST_ABOVE = 6; // more pending items than this in one event: poll the event's list
  var FINAL = { ready: true, failed: true };
  var DONE = { ready: true, failed: true, rejected: true, duplicate: true, error: true, deleted: true };
  var BAD = { failed: true, rejected: true, error: true };
  // The page's words (templates/upload/_messages.html), in its language.
  var M = JSON.parse(document.getElementById("upload-messages").textContent);
  var STATE_TEXT = {
    waiting: M.waiting,
    checking: M.checking,
    queued: M.queued,
    processing: M.processing
  };
  var plural = new Intl.PluralRules(document.documentElement.lang || "en");
  var SAMPLES = { one: "1", few: "3", many: "5", other: "5" };

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return values[key] !== undefined ? String(values[key]) : all;
    });
  }

  // "3 files", "3 файла": the catalogue's plural form for n's category, with n put in.
  function counted(kind, n) {
    var category = plural.select(n);
    var forms = M.counts[category] || M.counts.other;
    return forms[kind].replace(SAMPLES[category] || "5", String(n));
  }

  function isImage(name) {
    return !/\.pdf$/i.test(name);
  }

  var progress = document.getElementById("upload-progress");
  var list = document.getElementById("upload-list");
  var summary = document.getElementById("upload-summary");
  if (!progress || !list) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";
  var listUrl = progress.getAttribute("data-list-url");
  var itemUrl = progress.getAttribute("data-item-url");
  var rows = [];
  var watched = {};
  var pollTimer = null;

  // rows: one per file, with a progress bar and a state in words

  function makeRow(name, withBar) {
    var row = { el: document.createElement("li"), state: "", itemId: null, slug: null, name: name };
    row.el.className = "upload-row";
    row.icon = document.createElement("span");
    row.icon.className = "file-icon";
    row.icon.setAttribute("aria-hidden", "true");
    row.icon.textContent = isImage(name) ? "IMG" : "PDF";
    row.el.appendChild(row.icon);
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    row.el.appendChild(label);
    if (withBar) {
      row.bar = document.createElement("progress");
      row.bar.max = 100;
      row.bar.value = 0;
      row.bar.setAttribute("aria-label", fmt(M.transfer, { name: name }));
      row.el.appendChild(row.bar);
    }
    row.stateEl = document.createElement("span");
    row.stateEl.className = "upload-state";
    row.el.appendChild(row.stateEl);
    list.appendChild(row.el);
    rows.push(row);
    return row;
  }

  function existingRow(el) {
    var row = {
      el: el,
      name: (el.querySelector(".upload-name") || {}).textContent || "",
      icon: el.querySelector(".file-icon"),
      state: el.getAttribute("data-state"),
      itemId: el.getAttribute("data-item-id"),
      slug: el.getAttribute("data-event"),
      stateEl: el.querySelector(".upload-state")
    };
    rows.push(row);
    return row;
  }

  // The item's page in the browser (the API's links are for token holders).
  function itemPage(item) {
    return "/items/" + encodeURIComponent(item.id);
  }

  // `parts`: strings and {href, text} links, shown in order (never as HTML).
  function setState(row, state, parts) {
    row.state = state;
    row.el.setAttribute("data-state", state);
    row.stateEl.textContent = "";
    (Array.isArray(parts) ? parts : [parts]).forEach(function (part) {
      if (part && typeof part === "object") {
        var link = document.createElement("a");
        link.href = part.href;
        link.textContent = part.text;
        row.stateEl.appendChild(link);
      } else {
        row.stateEl.appendChild(document.createTextNode(part || ""));
      }
    });
    if (row.retry && state !== "error") {
      row.retry.remove();
      row.retry = null;
    }
    if (BAD[state]) {
      // A failed file shows no (full, blue) transfer bar, and can be put away.
      if (row.bar) { row.bar.remove(); row.bar = null; }
      addDismiss(row);
    }
    updateSummary();
  }

  function addDismiss(row) {
    if (row.dismiss) return;
    row.dismiss = document.createElement("button");
    row.dismiss.type = "button";
    row.dismiss.className = "link-button dismiss";
    row.dismiss.textContent = M.dismiss;
    row.dismiss.setAttribute("aria-label", fmt(M.dismissName, { name: row.name }));
    row.dismiss.addEventListener("click", function () {
      var next = row.el.nextElementSibling || row.el.previousElementSibling;
      rows.splice(rows.indexOf(row), 1);
      row.el.remove();
      updateSummary();
      var focusable = next && next.querySelector("button, a");
      (focusable || progress).focus();
    });
    row.el.appendChild(row.dismiss);
  }

  function showThumbnail(row, url) {
    if (!url || !row.icon) return;
    var img = document.createElement("img");
    img.className = "file-thumb";
    img.alt = "";
    img.src = url;
    row.icon.replaceWith(img);
    row.icon = img;
  }

  function showItem(row, item) {
    if (item.state === "ready") {
      setState(row, "ready", [M.ready + " ", { href: itemPage(item), text: item.title }]);
      showThumbnail(row, item.links.thumbnail);
    } else if (item.state === "failed") {
      setState(row, "failed", fmt(M.failed, { reason: item.error || M.failedUnknown }));
    } else {
      setState(row, item.state, STATE_TEXT[item.state] || item.state);
    }
  }

  function updateSummary() {
    if (!summary) return;
    var counts = { waiting: 0, uploading: 0, processing: 0, ready: 0, duplicate: 0, failed: 0 };
    var group = {
      waiting: "waiting", uploading: "uploading", checking: "uploading",
      queued: "processing", processing: "processing", ready: "ready",
      duplicate: "duplicate", failed: "failed", rejected: "failed", error: "failed"
    };
    rows.forEach(function (row) {
      if (group[row.state]) counts[group[row.state]] += 1;
    });
    var parts = Object.keys(counts).filter(function (k) { return counts[k]; }).map(function (k) {
      return counts[k] + " " + M.summary[k];
    });
    summary.textContent = parts.length ? counted("files", rows.length) + ": " + parts.join(", ") + "." : "";
    showDone();
  }

  // When every file is handled: say so, with a link to the event the files went to.
  function showDone() {
    var done = document.getElementById("upload-done");
    if (!done) return;
    var finished = rows.length && rows.every(function (row) { return DONE[row.state]; });
    done.hidden = !finished;
    if (!finished) return;
    done.textContent = M.allDone + " ";
    var slug = rows[rows.length - 1].slug;
    var form = document.getElementById("upload-form");
    if (slug && form) {
      var link = document.createElement("a");
      link.className = "button primary";
      link.href = form.getAttribute("data-event-url").replace("__slug__", encodeURIComponent(slug));
      link.textContent = M.toEvent;
      done.appendChild(link);
    }
  }

  // polling: one request per pending item, or per event when many are pending

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 404) return { gone: true };
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  function urlForItem(id) {
    return itemUrl.replace(/0$/, String(id));
  }

  function watch(row) {
    watched[row.itemId] = row;
    if (!pollTimer) pollTimer = window.setTimeout(poll, POLL_MS);
  }

  function applyItem(item) {
    var row = watched[item.id];
    if (!row) return;
    showItem(row, item);
    if (FINAL[item.state]) delete watched[item.id];
  }

  function pollOne(row) {
    return getJson(urlForItem(row.itemId)).then(function (item) {
      if (item.gone) {
        delete watched[row.itemId];
        setState(row, "failed", M.deleted);
      } else {
        applyItem(item);
      }
    });
  }

  function poll() {
    pollTimer = null;
    var bySlug = {};
    Object.keys(watched).forEach(function (id) {
      var row = watched[id];
      (bySlug[row.slug] = bySlug[row.slug] || []).push(row);
    });
    var requests = [];
    Object.keys(bySlug).forEach(function (slug) {
      var pending = bySlug[slug];
      if (pending.length > LIST_ABOVE) {
        var url = listUrl.replace("__slug__", encodeURIComponent(slug));
        requests.push(getJson(url).then(function (data) { (data.items || []).forEach(applyItem); }));
      } else {
        pending.forEach(function (row) { requests.push(pollOne(row)); });
      }
    });
    Promise.allSettled(requests).then(function () {
      if (Object.keys(watched).length) pollTimer = window.setTimeout(poll, POLL_MS);
    });
  }

  // the results page of an upload made without JavaScript
  Array.prototype.forEach.call(list.querySelectorAll("li[data-item-id]"), function (el) {
    var row = existingRow(el);
    if (!FINAL[row.state]) watch(row);
  });
  updateSummary();

  var form = document.getElementById("upload-form");
  if (!form) return;

  // transfers: at most PARALLEL at once, each with its own progress bar

  var uploadUrl = form.getAttribute("data-upload-url");
  var maxBytes = Number(form.getAttribute("data-max-bytes"));
  var waiting = [];
  var active = 0;

  function enqueue(file, slug, fields) {
    var row = makeRow(file.name, true);
    row.file = file;
    row.slug = slug;
    row.fields = fields;
    if (file.size > maxBytes) {
      setState(row, "rejected", fmt(M.rejected, { reason: fmt(M.tooLarge, { name: file.name }) }));
      return;
    }
    setState(row, "waiting", STATE_TEXT.waiting);
    waiting.push(row);
  }

  function pump() {
    while (active < PARALLEL && waiting.length) send(waiting.shift());
  }

  function send(row) {
    active += 1;
    var body = new FormData();
    Object.keys(row.fields).forEach(function (name) { body.append(name, row.fields[name]); });
    body.append("file", row.file, row.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl.replace("__slug__", encodeURIComponent(row.slug)));
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.floor((event.loaded / event.total) * 100);
      row.bar.value = percent;
      setState(row, "uploading", fmt(M.uploading, { percent: percent }));
    });
    xhr.upload.addEventListener("load", function () {
      row.bar.value = 100;
      setState(row, "checking", STATE_TEXT.checking);
    });
    xhr.addEventListener("load", function () { answered(row, xhr); });
    xhr.addEventListener("error", function () {
      failed(row, M.connection);
    });
    xhr.addEventListener("loadend", function () {
      active -= 1;
      pump();
    });
    if (!row.bar) {
      row.bar = document.createElement("progress");
      row.bar.max = 100;
      row.bar.setAttribute("aria-label", fmt(M.transfer, { name: row.name }));
      row.stateEl.before(row.bar);
    }
    row.bar.value = 0;
    setState(row, "uploading", fmt(M.uploading, { percent: 0 }));
    xhr.send(body);
  }

  function answered(row, xhr) {
    var data = {};
    try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
    if (xhr.status === 413) {
      setState(row, "rejected", fmt(M.rejected, { reason: fmt(M.tooLarge, { name: row.file.name }) }));
      return;
    }
    if (xhr.status === 401) {
      failed(row, M.signedOut);
      return;
    }
    var file = data.files && data.files[0];
    if (!file) {
      failed(row, data.error || fmt(M.serverAnswered, { status: xhr.status }));
      return;
    }
    if (file.outcome === "accepted") {
      row.itemId = file.item.id;
      showItem(row, file.item);
      if (!FINAL[file.item.state]) watch(row);
    } else if (file.outcome === "duplicate") {
      var existing = file.duplicate_of;
      setState(row, "duplicate", [M.duplicate + " ", { href: itemPage(existing), text: existing.title }]);
      if (existing.state === "ready") showThumbnail(row, existing.links.thumbnail);
    } else {
      setState(row, "rejected", fmt(M.rejected, { reason: file.error || M.unknownReason }));
    }
  }

  // A failure of the transfer itself (not of the file): offer to send it again.
  function failed(row, message) {
    setState(row, "error", message + " ");
    if (row.retry) return;
    row.retry = document.createElement("button");
    row.retry.type = "button";
    row.retry.className = "link-button";
    row.retry.textContent = M.retry;
    row.retry.setAttribute("aria-label", fmt(M.retryName, { name: row.file.name }));
    row.retry.addEventListener("click", function () {
      if (row.dismiss) { row.dismiss.remove(); row.dismiss = null; }
      setState(row, "waiting", STATE_TEXT.waiting);
      waiting.push(row);
      pump();
    });
    row.stateEl.after(row.retry);
  }

  window.addEventListener("beforeunload", function (event) {
    if (active || waiting.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // choosing files: the labelled file input, or dropping onto the zone

  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var chosenBox = document.getElementById("chosen");
  var chosenList = document.getElementById("chosen-list");
  var chosenSummary = document.getElementById("chosen-summary");
  var message = document.getElementById("upload-message");
  var eventSelect = document.getElementById("event");
  var chosenCount = document.getElementById("chosen-count");
  var chooseButton = document.querySelector(".choose-button");
  var chosen = [];
  input.classList.add("visually-hidden");
  chooseButton.hidden = false;
  renderChosen();

  function say(text) {
    message.textContent = text;
  }

  function renderChosen() {
    chosenList.textContent = "";
    chosen.forEach(function (file, index) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(file.name + " (" + sizeText(file.size) + ") "));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link-button";
      remove.textContent = M.remove;
      remove.setAttribute("aria-label", fmt(M.removeName, { name: file.name }));
      remove.addEventListener("click", function () {
        chosen.splice(index, 1);
        renderChosen();
        input.focus();
      });
      li.appendChild(remove);
      chosenList.appendChild(li);
    });
    chosenBox.hidden = chosen.length === 0;
    chosenSummary.textContent = chosen.length ? counted("chosen", chosen.length) + ":" : "";
    // The count replaces the browser's own "No file chosen" beside the button.
    chosenCount.textContent = chosen.length ? counted("chosen", chosen.length) : M.noFiles;
  }

  function sizeText(bytes) {
    if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files, function (file) { chosen.push(file); });
    renderChosen();
    say("");
  }

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";
  });

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });
  // A file dropped beside the zone must not replace the page.
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) { event.preventDefault(); });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!eventSelect.value) {
      say(M.chooseEvent);
      eventSelect.focus();
      return;
    }
    if (!chosen.length) {
      say(M.chooseFiles);
      input.focus();
      return;
    }
    say("");
    var fields = {};
    ["speakers", "organisation", "language", "visibility"].forEach(function (name) {
      fields[name] = form.elements[name].value;
    });
    if (chosen.length === 1) fields.title = form.elements.title.value;
    progress.hidden = false;
    chosen.forEach(function (file) { enqueue(file, eventSelect.value, fields); });
    chosen = [];
    renderChosen();
    pump();
    progress.focus(); // the person follows the files from here
  });

  // the quick "new event" form: create it, then offer it in the event list
  var newEvent = document.getElementById("new-event-form");
  var newEventError = document.getElementById("new-event-error");
  if (newEvent) {
    newEvent.addEventListener("submit", function (event) {
      event.preventDefault();
      newEventError.hidden = true;
      fetch(newEvent.action, {
        method: "POST",
        body: new FormData(newEvent),
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().catch(function () {
          return { error: fmt(M.eventNotCreatedStatus, { status: response.status }) };
        }).then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) throw new Error(result.data.error || M.eventNotCreated);
        var option = new Option(result.data.label, result.data.slug, true, true);
        eventSelect.add(option, 1);
        eventSelect.value = result.data.slug;
        newEvent.reset();
        newEvent.closest("details").open = false;
        say("");
        eventSelect.focus();
      }).catch(function (error) {
        newEventError.textContent = error.message || M.unreachable;
        newEventError.hidden = false;
      });
    });
  }
})();
