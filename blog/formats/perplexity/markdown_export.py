"""A Perplexity thread exported from its page as Markdown (Share → Export → Markdown).

The file opens with Perplexity's logo (`<img src="https://r2cdn.perplexity.ai/pplx-full-
logo-…">`); each question is an `# ` heading followed by the answer. An answer that cited
pages ends with `<div align="center">⁂</div>` (older files: `style="text-align:
center"`) and the footnotes it cited, `[^1]: https://…` or, in a thread of several
questions, `[^2_1]: …` for the second one; sources it consulted without citing sit in a
hidden `<span style="display:none">[^2_9]…</span>`. The next question follows a `---`.
Older files put a `---` between the question and its answer.

Decisions worth knowing:
- Questions are told apart where a footnote block ends and `---` then `# ` follows; in
  an answer without footnotes, a `---` line followed by an `# ` heading is taken for the
  next question (an answer's own top-level heading after a rule reads the same: there is
  nothing else to tell them by).
- Footnotes become the reply's sources list and its `[^N]` markers links to them; a
  footnote that names a file instead of an address (an upload it read) is kept as a file of
  the question, which the export does not hold.
"""

from __future__ import annotations

import re

from blog.formats.base import ImportedAttachment, ImportedConversation, ImportedTurn
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, safe_url, sources_block
from blog.formats.naming import title_from_turns
from blog.formats.perplexity.threads import SOURCE_KIND, SPEAKER
from blog.vocabulary import Role

_LOGO = re.compile(r"\A\s*<img\s[^>\n]*pplx-full-logo[^>\n]*>\s*", re.I)
_END_MARK = re.compile(r'^<div (?:align="center"|style="text-align: center")>⁂</div>\s*$', re.M)
_FOOTNOTE = re.compile(r"^\[\^([\w-]{1,12})\]:[ \t]*(.*)$", re.M)
_HIDDEN_CITES = re.compile(r'<span style="display:none">(?:\[\^[\w-]{1,12}\])*</span>')
_NEXT = re.compile(r"^---[ \t]*\n+(?=# )", re.M)
_MARKER = re.compile(r"\[\^([\w-]{1,12})\]")


def looks_like_perplexity_markdown(text: str) -> bool:
    """Whether a text file is Perplexity's Markdown export: its logo, or its mark of sources."""
    return bool(_LOGO.match(text)) or (bool(_END_MARK.search(text)) and "[^1" in text)


def parse_perplexity_markdown(text: str) -> ImportedConversation:
    """The thread's questions and answers, each answer ending with the pages it cited."""
    body = _LOGO.sub("", text.replace("\r\n", "\n"), count=1)
    turns: list[ImportedTurn] = []
    for part in _parts(body):
        turns.extend(_exchange(part))
    return ImportedConversation(title=title_from_turns(turns), turns=turns, source_kind=SOURCE_KIND)


def _parts(body: str) -> list[str]:
    """The text of each question with its answer."""
    rules = list(_NEXT.finditer(body))
    parts: list[str] = []
    start = next_rule = 0
    for mark in _END_MARK.finditer(body):
        if mark.start() < start:
            continue  # inside footnotes already taken
        # The footnotes end where the next question's rule starts (found in one pass).
        while next_rule < len(rules) and rules[next_rule].start() < mark.end():
            next_rule += 1
        rule = rules[next_rule] if next_rule < len(rules) else None
        end = rule.start() if rule else len(body)
        parts.extend(_split_unmarked(body[start:end]))
        start = rule.end() if rule else len(body)
    parts.extend(_split_unmarked(body[start:]))
    return [part for part in parts if part.strip()]


def _split_unmarked(text: str) -> list[str]:
    """A stretch with at most one footnote block, at its end: split at each rule + `# `."""
    if _END_MARK.search(text):
        head, mark, _ = text.partition(_END_MARK.search(text)[0])
        pieces = _NEXT.split(head)
        pieces[-1] += mark + text[len(head) + len(mark) :]
        return pieces
    return _NEXT.split(text)


def _exchange(part: str) -> list[ImportedTurn]:
    part = part.strip("\n")
    question, answer = "", part
    if part.startswith("# "):
        question, _, answer = part.partition("\n")
        question = question.removeprefix("# ").strip()
    answer = re.sub(r"\A\s*---[ \t]*\n", "", answer)  # older files: a rule after the question
    notes = {key: value.strip() for key, value in _FOOTNOTE.findall(answer)}
    answer = _FOOTNOTE.sub("", answer)
    answer = _END_MARK.sub("", answer)
    answer = as_written(_HIDDEN_CITES.sub("", answer))
    sources = [(url, url) for url in dict.fromkeys(safe_url(v) for v in notes.values()) if url]
    files = [
        ImportedAttachment(value, guess_type(value))
        for value in dict.fromkeys(notes.values())
        if value and not safe_url(value)
    ]

    def link(match: re.Match[str]) -> str:
        url = safe_url(notes.get(match[1]))
        number = match[1].rsplit("_", 1)[-1]
        if url:
            return f"[{number}]({url})"
        return f"[{number}]" if match[1] in notes else match[0]  # a file: named with the question

    answer = _MARKER.sub(link, answer)
    if sources:
        answer = "\n\n".join(piece for piece in (answer, sources_block(sources)) if piece)
    turns: list[ImportedTurn] = []
    if question or files:
        turns.append(ImportedTurn(Role.USER, question, attachments=files))
    if answer.strip():
        turns.append(ImportedTurn(Role.ASSISTANT, answer, speaker=SPEAKER))
    return turns
