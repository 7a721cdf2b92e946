"""Perplexity threads, as Perplexity's own thread API returns them and exporters save them.

Perplexity has no data export; tools that back up a library (perplexport and its forks)
save each thread as the JSON its page loads from `/rest/thread/<slug>`:
`{"status", "entries": [entry, …], "has_next_page", "next_cursor"}`, one entry per
question: `query_str` (the prompt), `display_model` / `user_selected_model`,
`thread_title`, `thread_url_slug`, `updated_datetime`, `attachments` (addresses of
uploads) and `blocks`, each named by its `intended_usage`:

- `ask_text`: `markdown_block.answer` is the reply (its chunks joined when no answer),
  its `[N]` markers made links to the N-th source;
- `sources_answer_mode` (`sources_mode_block.rows[].web_result`) and `web_results`
  (`web_result_block.web_results`): the pages, listed after the reply as its sources;
- `plan`, `pro_search_steps`, `reasoning_plan` (`plan_block`: goals and searches): the
  steps Perplexity showed folded, kept as a hidden reasoning turn; so is the `<think>…</think>`
  a reasoning model's answer opens with.

Older entries carry the reply in `text`, a JSON string: `{"answer", "web_results"}`, or a
list of steps whose `FINAL` step holds that object as a string. A block of any other kind
(images, videos, maps, shopping) is counted in a warning.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import re2

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, safe_url, sources_block, timestamp
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "perplexity"
SPEAKER = "Perplexity"
_CITATION = re.compile(r"\[(\d{1,3})\](?!\()")
# Perplexity links each heading of an answer to a follow-up search of it.
# RE2: linear where `re` retried the bracket's run from every `[` (quadratic on `a[a[…`).
_FOLLOW_UP = re2.compile(r"\[([^\]\n]*)\]\(pplx://[^)\s]*\)")
# A reasoning model's thinking, written by Perplexity at the start of the answer.
# Only whole blank lines after it go: the answer's first line may be indented (code).
_THINK = re.compile(r"\A\s*<think>(.*?)</think>(?:[ \t]*\n)*", re.DOTALL)
_PLAN_USAGES = {"plan", "pro_search_steps", "reasoning_plan"}
_SOURCE_USAGES = {"sources_answer_mode", "web_results"}
_QUIET_USAGES = {"ask_text", *_PLAN_USAGES, *_SOURCE_USAGES}


def parse_perplexity(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """Each saved Perplexity thread as a conversation."""
    for index, item in enumerate(items):
        where = f"Perplexity thread {index + 1}"
        entries = item.get("entries") if isinstance(item, dict) else None
        if not isinstance(entries, list):
            raise ImportFormatError("expected a thread with a list of 'entries'", where)
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not isinstance(entry.get("query_str"), str):
                raise ImportFormatError(f"entry {number} has no question ('query_str')", where)
        yield _conversation(entries)


def _conversation(entries: list[dict]) -> ImportedConversation:
    reader = _Reader()
    turns: list[ImportedTurn] = []
    for entry in entries:
        turns.extend(reader.turns(entry))
    first = entries[0] if entries else {}
    title = first.get("thread_title") if isinstance(first.get("thread_title"), str) else ""
    models = Counter(turn.model for turn in turns if turn.model)
    slug = first.get("thread_url_slug") or first.get("context_uuid")
    return ImportedConversation(
        title=title.strip() or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(slug) if slug else None,
        created_at=_when(first),
        updated_at=_when(entries[-1]) if entries else None,
        model=models.most_common(1)[0][0] if models else None,
        warnings=reader.warnings(),
    )


def _when(entry: dict) -> object:
    for key in ("entry_created_datetime", "updated_datetime", "entry_updated_datetime"):
        if (when := timestamp(entry.get(key))) is not None:
            return when
    return None


class _Reader:
    """Entries into turns, counting the blocks left out."""

    def __init__(self) -> None:
        self.left_out: Counter[str] = Counter()

    def turns(self, entry: dict) -> list[ImportedTurn]:
        created = _when(entry)
        model = _model(entry)
        blocks = [b for b in entry.get("blocks") or [] if isinstance(b, dict)]
        for block in blocks:
            usage = str(block.get("intended_usage") or "")
            if usage not in _QUIET_USAGES:
                self.left_out[usage or "unnamed"] += 1
        answer, sources = _answer(entry, blocks)
        files = [
            ImportedAttachment(name, guess_type(name))
            for url in entry.get("attachments") or []
            if isinstance(url, str) and (name := _file_name(url))
        ]
        prompt = as_written(entry["query_str"])
        turns = [ImportedTurn(Role.USER, prompt, created_at=created, attachments=files)]
        answer, thinking = _thinking(answer)
        if thinking:
            turns.append(
                ImportedTurn(
                    Role.REASONING,
                    thinking,
                    speaker=f"{SPEAKER} (thinking)",
                    model=model,
                    created_at=created,
                    hidden=True,
                )
            )
        steps = _plan(blocks)
        if steps:
            turns.append(
                ImportedTurn(
                    Role.REASONING,
                    steps,
                    speaker=f"{SPEAKER} (steps)",
                    created_at=created,
                    hidden=True,
                )
            )
        text = _linked(as_written(_FOLLOW_UP.sub(r"\1", answer)), sources)
        if sources:
            text = "\n\n".join(part for part in (text, sources_block(sources)) if part)
        if text:
            turns.append(
                ImportedTurn(Role.ASSISTANT, text, speaker=SPEAKER, model=model, created_at=created)
            )
        return turns

    def warnings(self) -> list[str]:
        return [
            f"{count} block{'s' if count > 1 else ''} of a kind this importer does not show "
            f'("{usage}") left out'
            for usage, count in sorted(self.left_out.items())
        ]


def _model(entry: dict) -> str | None:
    for key in ("display_model", "user_selected_model"):
        if isinstance(entry.get(key), str) and entry[key]:
            return entry[key]
    return None


def _answer(entry: dict, blocks: list[dict]) -> tuple[str, list[tuple[str, str]]]:
    """The reply's Markdown and the pages it cited, in citation order."""
    answer = ""
    results: list[object] = []
    for block in blocks:
        usage = block.get("intended_usage")
        if usage == "ask_text" and isinstance(block.get("markdown_block"), dict):
            markdown = block["markdown_block"]
            chunks = markdown.get("chunks") if isinstance(markdown.get("chunks"), list) else []
            answer = markdown.get("answer") if isinstance(markdown.get("answer"), str) else ""
            answer = answer or "".join(c for c in chunks if isinstance(c, str))
        elif usage == "sources_answer_mode" and isinstance(block.get("sources_mode_block"), dict):
            rows = block["sources_mode_block"].get("rows") or []
            results.extend(r.get("web_result") for r in rows if isinstance(r, dict))
        elif usage == "web_results" and isinstance(block.get("web_result_block"), dict):
            results.extend(block["web_result_block"].get("web_results") or [])
    if not answer and isinstance(entry.get("text"), str):
        answer, older = _older_text(entry["text"])
        results.extend(older)
    return answer, _sources(results)


def _thinking(answer: str) -> tuple[str, str]:
    """The answer without the thinking a reasoning model wrote before it, and that thinking."""
    match = _THINK.match(answer)
    if match is None:
        return answer, ""
    return answer[match.end() :], as_written(match[1])


def _older_text(text: str) -> tuple[str, list[object]]:
    """The answer and pages of an entry saved before blocks: `text` holds them as JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        return text, []
    if isinstance(value, list):
        final = next(
            (s for s in reversed(value) if isinstance(s, dict) and s.get("step_type") == "FINAL"),
            None,
        )
        content = final.get("content") if isinstance(final, dict) else None
        inner = content.get("answer") if isinstance(content, dict) else None
        try:
            value = json.loads(inner) if isinstance(inner, str) else {}
        except ValueError:
            return inner or "", []
    if not isinstance(value, dict):
        return "", []
    answer = value.get("answer") if isinstance(value.get("answer"), str) else ""
    results = value.get("web_results") if isinstance(value.get("web_results"), list) else []
    return answer, results


def _sources(results: list[object]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for result in results:
        if not isinstance(result, dict):
            continue
        url = safe_url(result.get("url"))
        name = result.get("name") or result.get("title")
        if url and all(url != known for _, known in found):
            found.append((name.strip() if isinstance(name, str) and name.strip() else url, url))
    return found


def _linked(text: str, sources: list[tuple[str, str]]) -> str:
    """`[N]` markers as links to the N-th source; a number with no source stays as it was."""

    def link(match: re.Match[str]) -> str:
        number = int(match[1])
        return f"[{number}]({sources[number - 1][1]})" if 0 < number <= len(sources) else match[0]

    return _CITATION.sub(link, text)


def _plan(blocks: list[dict]) -> str:
    """The goals and searches of a Pro search, as Perplexity listed them while it worked."""
    lines: list[str] = []
    for block in blocks:
        if block.get("intended_usage") not in _PLAN_USAGES:
            continue
        plan = block.get("plan_block") or block.get("reasoning_plan_block") or {}
        plan = plan if isinstance(plan, dict) else {}
        for goal in plan.get("goals") or []:
            if isinstance(goal, dict) and isinstance(goal.get("description"), str):
                lines.append(f"- {goal['description'].strip()}")
        for step in plan.get("steps") or []:
            search = step.get("search_web_content") if isinstance(step, dict) else None
            queries = search.get("queries") if isinstance(search, dict) else None
            for query in queries if isinstance(queries, list) else []:
                if isinstance(query, dict) and isinstance(query.get("query"), str):
                    lines.append(f"- Searched: {query['query'].strip()}")
    return "\n".join(dict.fromkeys(lines))


def _file_name(url: str) -> str:
    path = urlsplit(url).path if "://" in url else url
    return PurePosixPath(path).name or url
