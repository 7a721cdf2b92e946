// An open turn editor survives a reload. While the author types, the text is kept in this
// browser (localStorage), keyed by post, turn and the turn's version; after a reload the turn's
// editor opens again with it and says so, with a Discard button. Saving or cancelling forgets it.
// The version kept with the text goes back into the form's hidden field, so a turn saved
// elsewhere meanwhile is refused by the server as stale, with both texts shown, as ever.
// Signing out forgets every kept text.
(function () {
  "use strict";
  const PREFIX = "colloquy:turn-draft:";
  const KEEP_DAYS = 30;
  let storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(PREFIX);
  } catch (error) {
    return; // storage is off (a private window, a policy): the editor works as before
  }

  function keyFor(post, turn, version) {
    return PREFIX + post + ":" + turn + ":" + version;
  }

  function partsOf(form) {
    const version = form.querySelector("input[name=version]");
    const article = form.closest("article.studio-turn");
    if (!form.dataset.postId || !article || !version) { return null; }
    return { post: form.dataset.postId, turn: article.dataset.turnId, version: version.value };
  }

  // Every kept draft: its key, post, turn and version, with the text and when it was typed.
  function kept() {
    const found = [];
    for (let index = 0; index < storage.length; index += 1) {
      const key = storage.key(index);
      if (!key || key.indexOf(PREFIX) !== 0) { continue; }
      const ids = key.slice(PREFIX.length).split(":");
      let value = null;
      try { value = JSON.parse(storage.getItem(key)); } catch (error) { value = null; }
      found.push({ key: key, post: ids[0], turn: ids[1], version: ids[2], value: value });
    }
    return found;
  }

  function forget(post, turn) {
    kept().forEach(function (draft) {
      if (draft.post === post && draft.turn === turn) { storage.removeItem(draft.key); }
    });
  }

  function keep(form, textarea) {
    const parts = partsOf(form);
    if (!parts) { return; }
    const key = keyFor(parts.post, parts.turn, parts.version);
    // Back to the saved text: nothing is unsaved any more.
    if (textarea.value === textarea.defaultValue) {
      storage.removeItem(key);
      return;
    }
    try {
      storage.setItem(key, JSON.stringify({ text: textarea.value, at: Date.now() }));
    } catch (error) {
      // Storage full: the editor still works; only the copy for a reload is missing.
    }
  }

  document.addEventListener("input", function (event) {
    const textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea.turn-source")) { return; }
    const form = textarea.closest("form.turn-form");
    if (form) { keep(form, textarea); }
  });

  // Cancel (the link, or Escape, which clicks it) forgets the text.
  document.addEventListener("click", function (event) {
    const cancel = event.target.closest && event.target.closest(".cancel-turn");
    const form = cancel && cancel.closest("form.turn-form");
    const parts = form && partsOf(form);
    if (parts) { forget(parts.post, parts.turn); }
  });

  // A save the server took forgets it; a refused one (409, 422) keeps it.
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    const xhr = event.detail.xhr;
    if (!form || !form.matches || !form.matches("form.turn-form") || !xhr) { return; }
    if (xhr.status >= 200 && xhr.status < 300 && form.dataset.postId) {
      const article = form.closest("article.studio-turn");
      forget(form.dataset.postId, article ? article.dataset.turnId : form.dataset.turnId);
    }
  });

  // Signing out from a studio page leaves no unsaved text behind in this browser.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.matches && form.matches("form[action$='/logout']")) {
      kept().forEach(function (draft) { storage.removeItem(draft.key); });
    }
  });

  function when(at) {
    const moment = new Date(at);
    const today = new Date().toDateString() === moment.toDateString();
    const time = moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return today ? time : moment.toLocaleDateString() + " " + time;
  }

  function restore(form, draft) {
    const textarea = form.querySelector("textarea.turn-source");
    const version = form.querySelector("input[name=version]");
    if (!textarea || !version || form.querySelector(".autosave-note")) { return; }
    if (form.dataset.postId !== draft.post) { return; }
    if (textarea.value === draft.value.text) {
      forget(draft.post, draft.turn); // it was saved after all
      return;
    }
    const saved = { text: textarea.value, version: version.value };
    textarea.value = draft.value.text;
    version.value = draft.version;
    const note = document.createElement("p");
    note.className = "flash autosave-note";
    note.setAttribute("role", "status");
    const stamp = document.createElement("time");
    stamp.dateTime = new Date(draft.value.at).toISOString();
    stamp.textContent = when(draft.value.at);
    note.append("Restored your unsaved text from ", stamp, ". ");
    if (draft.version !== saved.version) {
      note.append("This turn was saved again since (another tab?): Save shows both texts to choose from. ");
    }
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button--small autosave-discard";
    discard.textContent = "Discard";
    discard.addEventListener("click", function () {
      forget(draft.post, draft.turn);
      textarea.value = saved.text;
      version.value = saved.version;
      note.remove();
      textarea.dispatchEvent(new Event("input", { bubbles: true })); // the preview follows
      textarea.focus();
    });
    note.append(discard);
    textarea.parentNode.insertBefore(note, textarea);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Drafts waiting for their turn's editor to arrive (opened by clicking its Edit).
  const waiting = {};

  function restoreWaiting() {
    Object.keys(waiting).forEach(function (turn) {
      const article = document.getElementById("t" + turn);
      const form = article && article.querySelector("form.turn-form");
      if (form) {
        const draft = waiting[turn];
        delete waiting[turn];
        restore(form, draft);
      }
    });
  }

  function reopen() {
    const newest = {};
    const stale = Date.now() - KEEP_DAYS * 24 * 3600 * 1000;
    kept().forEach(function (draft) {
      if (!draft.value || typeof draft.value.text !== "string" || !(draft.value.at > stale)) {
        storage.removeItem(draft.key);
        return;
      }
      const best = newest[draft.turn];
      if (!best || draft.value.at > best.value.at) { newest[draft.turn] = draft; }
    });
    Object.keys(newest).forEach(function (turn) {
      const draft = newest[turn];
      const article = document.getElementById("t" + turn);
      if (!article || !article.matches("article.studio-turn")) { return; }
      const form = article.querySelector("form.turn-form");
      if (form) {
        if (form.dataset.postId === draft.post) { restore(form, draft); }
        return;
      }
      const edit = article.querySelector("a.edit-turn");
      if (!edit || !window.htmx) { return; }
      waiting[turn] = draft;
      window.htmx.process(edit);
      edit.click();
    });
  }

  document.addEventListener("htmx:afterSettle", restoreWaiting);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reopen);
  } else {
    reopen();
  }
})();
