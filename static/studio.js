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
  // After an in-place swap, put focus on the new content so keyboard users keep their place.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.elt;
    const textarea = target.querySelector && target.querySelector("textarea.turn-source");
    if (textarea) {
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    } else if (target.matches && target.matches("article.studio-turn")) {
      target.focus();
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
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll("input[name=post]").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.body.addEventListener("htmx:afterSwap", function () { wire(document); });
})();
