// Progressive enhancement for readers: copy buttons. Pages work fully without it.
(function () {
  "use strict";

  function flash(button, text) {
    const before = button.textContent;
    button.textContent = text;
    setTimeout(function () { button.textContent = before; }, 1500);
  }

  function copy(text, button) {
    if (!navigator.clipboard) { flash(button, "Copy not available"); return; }
    navigator.clipboard.writeText(text).then(
      function () { flash(button, "Copied"); },
      function () { flash(button, "Copy failed"); }
    );
  }

  document.querySelectorAll(".turn__body .highlight").forEach(function (block) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code");
    button.addEventListener("click", function () {
      const code = block.querySelector("code");
      copy(code ? code.innerText : block.innerText, button);
    });
    block.appendChild(button);
  });

  const source = document.querySelector('link[rel="alternate"][type="text/markdown"]');
  document.querySelectorAll("article.turn[id^='turn-']").forEach(function (turn) {
    if (!source) { return; }
    const header = turn.querySelector(".turn__header");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-turn";
    button.textContent = "Copy as Markdown";
    button.addEventListener("click", function () {
      const number = turn.id.replace("turn-", "");
      fetch(source.href + "?turn=" + encodeURIComponent(number), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (text) { copy(text, button); })
        .catch(function () { flash(button, "Copy failed"); });
    });
    header.appendChild(button);
  });
})();
