// Images in the turn editor: pick a file or drop it on the text, or replace an
// "Image not included" placeholder. The server re-encodes the image and answers with the
// Markdown to insert; the turn is saved (and rendered) by the usual Save.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(box, text, isError) {
    const status = box.querySelector(".image-upload__status");
    status.textContent = text;
    status.classList.toggle("is-error", Boolean(isError));
  }

  function changed(textarea) {
    // The live preview listens for input, as it does when the author types.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function upload(box, file, alt, place) {
    const textarea = document.getElementById(box.dataset.textarea);
    const data = new FormData();
    data.append("image", file);
    data.append("alt", alt || "");
    say(box, "Uploading " + file.name + "…", false);
    fetch(box.dataset.uploadUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: "The upload was refused (" + response.status + ")." };
      });
    }).then(function (answer) {
      if (answer.error || !answer.markdown) {
        say(box, answer.error || "The upload failed.", true);
        return;
      }
      place(textarea, answer.markdown);
      changed(textarea);
      say(box, answer.message, false);
    }).catch(function () {
      say(box, "The upload failed: the server could not be reached.", true);
    });
  }

  function insertAt(position) {
    return function (textarea, markdown) {
      const text = textarea.value;
      const at = Math.max(0, Math.min(position, text.length));
      const before = text.slice(0, at);
      const gap = before === "" || before.endsWith("\n\n") ? "" : (before.endsWith("\n") ? "\n" : "\n\n");
      textarea.value = before + gap + markdown + "\n\n" + text.slice(at).replace(/^\n+/, "");
      const caret = (before + gap + markdown).length;
      textarea.setSelectionRange(caret, caret);
    };
  }

  function replacing(input) {
    return function (textarea, markdown) {
      const placeholder = input.dataset.placeholder;
      if (textarea.value.indexOf(placeholder) === -1) {
        insertAt(textarea.selectionEnd)(textarea, markdown);
      } else {
        textarea.value = textarea.value.replace(placeholder, function () { return markdown; });
      }
      input.closest("li").remove();
    };
  }

  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches(".image-upload__file, .image-upload__replace")) { return; }
    const box = input.closest(".image-upload");
    const file = input.files && input.files[0];
    if (!box || !file) { return; }
    if (input.matches(".image-upload__replace")) {
      upload(box, file, input.dataset.alt, replacing(input));
    } else {
      const textarea = document.getElementById(box.dataset.textarea);
      upload(box, file, "", insertAt(textarea.selectionEnd));
    }
    input.value = "";
  });

  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1;
  }

  document.addEventListener("dragover", function (event) {
    if (event.target.matches && event.target.matches("textarea.turn-source") && carriesFiles(event)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  });

  document.addEventListener("drop", function (event) {
    const textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea.turn-source") || !carriesFiles(event)) { return; }
    const box = textarea.closest("form").querySelector(".image-upload");
    const file = event.dataTransfer.files[0];
    if (!box || !file) { return; }
    event.preventDefault();
    upload(box, file, "", insertAt(textarea.selectionEnd));
  });
})();
