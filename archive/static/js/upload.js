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
  var STATE_TEXT = {
    waiting: "Waiting to upload",
    checking: "Uploaded; the server is checking the file",
    queued: "Queued: waiting to be processed",
    processing: "Processing: extracting text and images"
  };

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
    var row = { el: document.createElement("li"), state: "", itemId: null, slug: null };
    row.el.className = "upload-row";
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    row.el.appendChild(label);
    if (withBar) {
      row.bar = document.createElement("progress");
      row.bar.max = 100;
      row.bar.value = 0;
      row.bar.setAttribute("aria-label", "Transfer of " + name);
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
    updateSummary();
  }

  function showItem(row, item) {
    if (item.state === "ready") {
      setState(row, "ready", ["Ready: ", { href: itemPage(item), text: item.title }]);
    } else if (item.state === "failed") {
      setState(row, "failed", "Failed: " + (item.error || "the file could not be processed"));
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
    var words = {
      waiting: "waiting to upload", uploading: "uploading", processing: "being processed", ready: "ready",
      duplicate: "already in the archive", failed: "not accepted or failed"
    };
    var parts = Object.keys(counts).filter(function (k) { return counts[k]; }).map(function (k) {
      return counts[k] + " " + words[k];
    });
    var total = rows.length + (rows.length === 1 ? " file: " : " files: ");
    summary.textContent = parts.length ? total + parts.join(", ") + "." : "";
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
        setState(row, "failed", "This item has been deleted.");
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
  var tooLarge = ": larger than the limit of " + form.getAttribute("data-max-mb") + " MB";
  var waiting = [];
  var active = 0;

  function enqueue(file, slug, fields) {
    var row = makeRow(file.name, true);
    row.file = file;
    row.slug = slug;
    row.fields = fields;
    if (file.size > maxBytes) {
      setState(row, "rejected", "Not accepted: " + file.name + tooLarge);
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
      setState(row, "uploading", "Uploading: " + percent + "%");
    });
    xhr.upload.addEventListener("load", function () {
      row.bar.value = 100;
      setState(row, "checking", STATE_TEXT.checking);
    });
    xhr.addEventListener("load", function () { answered(row, xhr); });
    xhr.addEventListener("error", function () {
      failed(row, "The connection failed; the file was not uploaded.");
    });
    xhr.addEventListener("loadend", function () {
      active -= 1;
      pump();
    });
    row.bar.value = 0;
    setState(row, "uploading", "Uploading: 0%");
    xhr.send(body);
  }

  function answered(row, xhr) {
    var data = {};
    try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
    if (xhr.status === 413) {
      setState(row, "rejected", "Not accepted: " + row.file.name + tooLarge);
      return;
    }
    if (xhr.status === 401) {
      failed(row, "Your session has ended: sign in again in another tab, then retry.");
      return;
    }
    var file = data.files && data.files[0];
    if (!file) {
      failed(row, data.error || "The server answered " + xhr.status + ".");
      return;
    }
    if (file.outcome === "accepted") {
      row.itemId = file.item.id;
      showItem(row, file.item);
      if (!FINAL[file.item.state]) watch(row);
    } else if (file.outcome === "duplicate") {
      var existing = file.duplicate_of;
      setState(row, "duplicate", [
        "Already in the archive: ", { href: itemPage(existing), text: existing.title }
      ]);
    } else {
      setState(row, "rejected", "Not accepted: " + (file.error || "unknown reason"));
    }
  }

  // A failure of the transfer itself (not of the file): offer to send it again.
  function failed(row, message) {
    setState(row, "error", message + " ");
    if (row.retry) return;
    row.retry = document.createElement("button");
    row.retry.type = "button";
    row.retry.className = "link-button";
    row.retry.textContent = "Retry";
    row.retry.setAttribute("aria-label", "Retry " + row.file.name);
    row.retry.addEventListener("click", function () {
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
  var chosen = [];

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
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + file.name);
      remove.addEventListener("click", function () {
        chosen.splice(index, 1);
        renderChosen();
        input.focus();
      });
      li.appendChild(remove);
      chosenList.appendChild(li);
    });
    chosenBox.hidden = chosen.length === 0;
    chosenSummary.textContent = chosen.length === 1 ? "1 file chosen:" : chosen.length + " files chosen:";
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
      say("Choose an event first.");
      eventSelect.focus();
      return;
    }
    if (!chosen.length) {
      say("Choose or drop at least one file.");
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
          return { error: "The event was not created (the server answered " + response.status + ")." };
        }).then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) throw new Error(result.data.error || "The event was not created.");
        var option = new Option(result.data.label, result.data.slug, true, true);
        eventSelect.add(option, 1);
        eventSelect.value = result.data.slug;
        newEvent.reset();
        newEvent.closest("details").open = false;
        say("");
        eventSelect.focus();
      }).catch(function (error) {
        newEventError.textContent = error.message || "The server could not be reached.";
        newEventError.hidden = false;
      });
    });
  }
})();
