// Editor keyboard help: Ctrl/Cmd+Enter saves the turn being edited, Escape cancels.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    const form = event.target.closest && event.target.closest(".turn-form");
    if (!form) { return; }
    // A fragment swapped in a moment ago may not be wired up by htmx yet: do it now,
    // so the key never falls back to a plain link or form.
    if (window.htmx && (event.key === "Enter" || event.key === "Escape")) { window.htmx.process(form); }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit(form.querySelector(".save-turn"));
    } else if (event.key === "Escape") {
      event.preventDefault();
      const cancel = form.querySelector(".cancel-turn");
      if (cancel) { cancel.click(); }
    }
  });
  // A turn opened for editing (or a new turn) takes the caret at the end of its text.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.elt;
    const textarea = target.querySelector && target.querySelector("textarea.turn-source");
    if (textarea) {
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    }
  });
})();

// Import list: filter by title and select every row still shown.
(function () {
  "use strict";
  const filter = document.querySelector(".import-filter");
  const selectAll = document.querySelector(".select-all");
  const rows = Array.from(document.querySelectorAll(".import-row"));
  if (filter) {
    filter.addEventListener("input", function () {
      const needle = filter.value.trim().toLowerCase();
      rows.forEach(function (row) { row.hidden = needle !== "" && !row.dataset.title.includes(needle); });
    });
  }
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      rows.forEach(function (row) {
        if (!row.hidden) { row.querySelector("input[type=checkbox]").checked = selectAll.checked; }
      });
    });
  }
})();

// Clicking a turn's text opens it for editing, as the Edit button does (links still work).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const body = event.target.closest && event.target.closest(".studio-turn:not(.is-editing) .turn__body");
    if (!body || event.target.closest("a, button, summary, input, select, textarea")) { return; }
    if (window.getSelection && String(window.getSelection()).length > 0) { return; }
    const edit = body.closest("article").querySelector(".edit-turn");
    if (edit) { edit.click(); }
  });
})();

// The dashboard's "select every post on this page" box (without JavaScript, the
// "Review all on this page" button does the same).
(function () {
  "use strict";
  function wire(root) {
    const box = root.querySelector && root.querySelector("input.select-page");
    if (!box) { return; }
    box.hidden = false;
    if (box.closest("label")) { box.closest("label").hidden = false; }
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll("input[name=post]").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.body.addEventListener("htmx:afterSwap", function () { wire(document); });
})();

// The editor keeps the author's place. A turn action swaps only the turns it changed; then the
// turn stays where it was on screen (a deleted turn's place goes to the one after it) and
// focus returns to the control that was used, or to the turn when that control is gone.
(function () {
  "use strict";
  let place = null;

  function turnOf(element) {
    return element && element.closest ? element.closest("article.studio-turn") : null;
  }

  function siblingTurn(turn) {
    for (const sibling of [turn.nextElementSibling, turn.previousElementSibling]) {
      if (sibling && sibling.matches("article.studio-turn")) { return sibling; }
    }
    return null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    const turn = turnOf(source);
    const target = event.detail.target;
    place = null;
    if (!turn || !target || !target.matches("article.studio-turn, #turns")) { return; }
    const leaving = source.getAttribute("hx-swap") === "delete";
    const anchor = leaving ? siblingTurn(turn) : turn;
    const active = document.activeElement;
    place = {
      id: anchor ? anchor.id : null,
      top: turn.getBoundingClientRect().top,
      active: active,
      key: !leaving && active && turn.contains(active) ? active.getAttribute("data-focus-key") : null,
      fromMenu: Boolean(active && active.closest && active.closest("details.turn-menu")),
    };
    // The menu has done its work: closed, it no longer pushes a new turn (Add turn after) down.
    const usedMenu = source.closest("details.turn-menu");
    if (usedMenu) { usedMenu.open = false; }
  });

  // htmx has swapped by now (swaps here are immediate); settling comes later.
  document.addEventListener("htmx:afterRequest", function () {
    const kept = place;
    place = null;
    const anchor = kept && kept.id ? document.getElementById(kept.id) : null;
    if (!anchor) { return; }
    window.scrollBy(0, anchor.getBoundingClientRect().top - kept.top);
    const active = document.activeElement;
    if (active && active.matches("textarea.turn-source")) {
      active.scrollIntoView({ block: "nearest" });
    } else if (!(kept.active && kept.active.isConnected)) {
      let control = kept.key && anchor.querySelector('[data-focus-key="' + kept.key + '"]');
      // The turn comes back with its menu closed. A control used from the menu is found in
      // it again (the menu reopened); one that moved into the menu (Mark reviewed becomes
      // Mark not reviewed) leaves focus on the menu's button, so nothing opens under the text.
      const menu = control && control.closest("details.turn-menu");
      if (menu && kept.fromMenu) {
        menu.open = true;
      } else if (menu) {
        control = menu.querySelector("summary");
      }
      (control || anchor).focus({ preventScroll: true });
    }
  });

  // A change the server refused or never got must not pass unnoticed.
  function notSaved(event) {
    const xhr = event.detail && event.detail.xhr;
    const reason = xhr && xhr.status ? "the server answered " + xhr.status : "the server could not be reached";
    let box = document.getElementById("studio-alert");
    if (!box) {
      box = document.createElement("p");
      box.id = "studio-alert";
      box.className = "flash flash--error studio-alert";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = "Not saved: " + reason + ". Reload the page to see the post as it is now.";
  }
  document.addEventListener("htmx:responseError", notSaved);
  document.addEventListener("htmx:sendError", notSaved);

  function goTo(element) {
    if (!element) { return; }
    element.scrollIntoView({ block: "start" });
    element.focus({ preventScroll: true });
  }

  // "Mark reviewed and go to the next": the server names the next unreviewed turn (or the
  // publish panel when none is left).
  document.addEventListener("studio:go-to", function (event) {
    goTo(document.getElementById(event.detail.id));
  });

  function nextUnreviewed(from) {
    const waiting = Array.from(document.querySelectorAll("article.studio-turn.needs-review"));
    const later = from ? waiting.filter(function (turn) {
      return from.compareDocumentPosition(turn) & Node.DOCUMENT_POSITION_FOLLOWING;
    }) : [];
    return later[0] || waiting[0] || null;
  }

  // Keys on a turn (never while typing): r marks it reviewed and moves on, n moves on.
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const element = event.target;
    if (!element.closest || element.closest("input, textarea, select, [contenteditable]")) { return; }
    const turn = turnOf(element);
    if (event.key === "r" && turn) {
      const button = turn.querySelector(".review-next");
      if (!button) { return; }
      event.preventDefault();
      if (window.htmx) { window.htmx.process(button.form); }
      button.click();
    } else if (event.key === "n" && document.getElementById("turns")) {
      event.preventDefault();
      goTo(nextUnreviewed(turn));
    }
  });
})();

// A turn's menu: Escape closes it with focus back on its button.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) { return; }
    const menu = event.target.closest("details.turn-menu[open]");
    if (!menu || event.target.closest(".turn-form")) { return; }
    menu.open = false;
    menu.querySelector("summary").focus();
  });
})();
