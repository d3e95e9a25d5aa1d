// Small behaviours shared by every page. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  function dismissible(root) {
    root.querySelectorAll("[data-dismiss]").forEach(function (button) {
      button.addEventListener("click", function () {
        var toast = button.closest(".toast");
        if (toast) toast.remove();
      });
    });
  }

  // Ask before anything destructive or costly: <button data-confirm="Delete this?"> opens our
  // own dialog (base.html) with that question; data-confirm-yes names the button that goes
  // ahead, data-confirm-danger paints it red. Confirming clicks the button again, for real.
  var confirmed = null;
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (!target) return;
    if (confirmed === target) { confirmed = null; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(target.getAttribute("data-confirm"))) { confirmed = target; target.click(); }
      return;
    }
    var ok = dialog.querySelector("[data-confirm-ok]");
    dialog.querySelector("#confirm-dialog-text").textContent = target.getAttribute("data-confirm");
    ok.textContent = target.getAttribute("data-confirm-yes") || ok.getAttribute("data-default-label");
    ok.classList.toggle("danger", target.hasAttribute("data-confirm-danger"));
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "ok") { confirmed = target; target.click(); } else { target.focus(); }
    };
    dialog.showModal();
    // Deleting starts on "Cancel"; everything else on the action itself.
    (target.hasAttribute("data-confirm-danger") ? dialog.querySelector("[data-confirm-cancel]") : ok).focus();
  }, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest("#confirm-dialog [data-confirm-ok], #confirm-dialog [data-confirm-cancel]");
    if (!button) return;
    var dialog = document.getElementById("confirm-dialog");
    dialog.close(button.hasAttribute("data-confirm-ok") ? "ok" : "cancel");
  });

  // A table wider than the screen scrolls inside its box: keyboard users must be able to reach
  // that box to scroll it, and screen readers to name it (its caption).
  function scrollableTables(root) {
    var boxes = root.querySelectorAll ? root.querySelectorAll(".table-wrap") : [];
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var caption = box.querySelector("caption");
        box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    dismissible(document);
    scrollableTables(document);
  });
  document.addEventListener("htmx:load", function (event) {
    dismissible(event.target);
    scrollableTables(document);
  });
  window.addEventListener("resize", function () { scrollableTables(document); });

  // A failed htmx request must say so instead of silently doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 422) return; // a form with errors re-renders itself
    showToast(status === 403 ? "You are not allowed to do that." :
      "The server could not finish that (" + status + "). Nothing was lost; try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });

  function showToast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (kind || "info");
    toast.setAttribute("role", "status");
    var span = document.createElement("span");
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss message");
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(span);
    toast.appendChild(close);
    box.appendChild(toast);
  }
  window.actitoAdmin = { showToast: showToast };
})();

// --- imports ---
(function () {
  "use strict";

  // A form answered with 422 re-renders itself with its errors: let htmx swap it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Dropping a file anywhere on <form data-drop-file> puts it in the form's file input.
  function dropZoneOf(event) {
    return event.target.closest ? event.target.closest("[data-drop-file]") : null;
  }
  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var zone = dropZoneOf(event);
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = dropZoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", function (event) {
    var zone = dropZoneOf(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    var input = zone.querySelector("input[type=file]");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!input || !files || !files.length) return;
    input.files = files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    var chosen = zone.querySelector("[data-chosen-file]");
    if (chosen) chosen.textContent = files[0].name;
  });

  // Upload progress: <form data-upload-progress> holds a <progress class="upload-progress">.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("[data-upload-progress]") : null;
    if (!form || !event.detail.lengthComputable) return;
    var bar = form.querySelector(".upload-progress");
    var text = form.querySelector(".upload-progress-text");
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    if (bar) { bar.hidden = false; bar.value = percent; }
    if (text) {
      text.textContent = percent < 100 ? "Uploading… " + percent + "%" :
        "Uploaded. Reading the file…";
    }
  });
})();

// --- live status ---
// A fragment that polls itself carries data-live. The server tags each answer with an ETag and
// answers 304 (nothing to swap) while the status is unchanged; after three unchanged answers in
// a row the poll slows down step by step to once every 5 s, and goes back to every second as
// soon as something changes. State is kept per polled address: the element itself is replaced
// by every swap.
(function () {
  "use strict";
  var polls = {};
  var SLOWEST = 5000;

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.htmx) return;
    htmx.config.responseHandling = [{ code: "304", swap: false }].concat(
      htmx.config.responseHandling);
  });

  function pollOf(event) {
    var config = event.detail && event.detail.requestConfig;
    return config && config.verb === "get" ? polls[config.path] : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.target;
    if (event.detail.verb !== "get" || !elt.hasAttribute || !elt.hasAttribute("data-live")) return;
    var poll = polls[event.detail.path];
    if (!poll) poll = polls[event.detail.path] = { tag: "", version: "", unchanged: 0, last: 0 };
    if (poll.tag) event.detail.headers["If-None-Match"] = poll.tag;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var poll = pollOf(event);
    if (!poll || !poll.last) return;
    var every = Math.min(SLOWEST, 1000 * (1 + Math.floor(poll.unchanged / 3)));
    if (Date.now() - poll.last < every - 150) event.preventDefault();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var poll = pollOf(event);
    var xhr = event.detail.xhr;
    if (!poll || !xhr) return;
    poll.last = Date.now();
    var version = xhr.getResponseHeader("X-Live-Version") || "";
    if (xhr.status === 304 || (version && version === poll.version)) {
      poll.unchanged += 1;
    } else {
      poll.unchanged = 0;
    }
    if (xhr.status !== 304) {
      poll.tag = xhr.getResponseHeader("ETag") || "";
      poll.version = version;
    }
  });
})();

// --- progress in the tab's title ---
// While a page shows live work with data-progress, its tab says how far it is ("62 % · «Welcome»
// for 150"), so a marketer can follow it from another tab. The page's own title comes back when
// the work is done.
(function () {
  "use strict";
  var original = null;
  function update() {
    if (original === null) original = document.title;
    var live = document.querySelector("[data-live][data-progress], [data-live][data-progress-text]");
    if (!live) { document.title = original; return; }
    var progress = live.hasAttribute("data-progress") ?
      live.getAttribute("data-progress") + " %" : live.getAttribute("data-progress-text");
    document.title = progress + " · " + (live.getAttribute("data-title") || original);
  }
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
})();

// --- focus after live updates ---
// When an htmx update brings new content the person should go on with (the mapping after
// choosing a table, the check's results, a run's status, a looked-up profile), keyboard focus
// moves there: an element marked data-focus="<key>" that was not on the page before. Keys already
// seen never take focus again, so a status that polls does not pull focus back on every answer.
(function () {
  "use strict";
  var seen = {};
  function remember(root) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-focus]"), function (el) {
      seen[el.getAttribute("data-focus")] = true;
    });
  }
  document.addEventListener("DOMContentLoaded", remember);
  document.addEventListener("htmx:afterSettle", function () {
    var fresh = Array.prototype.filter.call(document.querySelectorAll("[data-focus]"), function (el) {
      return !seen[el.getAttribute("data-focus")];
    });
    remember();
    if (!fresh.length) return;
    var target = fresh[fresh.length - 1];
    if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: false });
  });
})();

// --- sortable tables ---
// <table class="sortable">: each column header becomes a button that sorts the rows shown, up
// then down (aria-sort says which). A cell's data-sort (an ISO date, a number) is used before
// its text; numbers sort as numbers.
(function () {
  "use strict";
  function key(cell) {
    if (!cell) return "";
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    var number = raw.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    return /^-?\d+(\.\d+)?$/.test(number) ? parseFloat(number) : raw.toLocaleLowerCase();
  }
  function sortBy(table, index, header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  function enhance(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.sortable") : [];
    Array.prototype.forEach.call(tables, function (table) {
      if (table.hasAttribute("data-sortable-ready") || !table.tHead || !table.tBodies.length) return;
      table.setAttribute("data-sortable-ready", "");
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
        if (th.hasAttribute("data-no-sort")) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort-button";
        while (th.firstChild) button.appendChild(th.firstChild);
        th.appendChild(button);
        button.addEventListener("click", function () { sortBy(table, index, th); });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
