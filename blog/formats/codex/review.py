"""Codex's `/review`: the request as the prompt a person made, the findings as the reply.

The review runs apart from the session (an isolated thread, later a sub-agent with its own
log), so the session's log holds only two events: `entered_review_mode`, whose payload is
the `ReviewRequest` (`{target: {type: uncommittedChanges | baseBranch | commit | custom,
...}, user_facing_hint?}`, or in older logs `{prompt, user_facing_hint}`), and
`exited_review_mode`, whose `review_output` is a `ReviewOutputEvent` (`findings` of
`{title, body, confidence_score, priority, code_location: {absolute_file_path,
line_range: {start, end}}}`, `overall_correctness`, `overall_explanation`,
`overall_confidence_score`) or null when the review was cut short.
"""

from __future__ import annotations

import re

from blog.formats.blocks import link_label

_PRIORITY_TAG = re.compile(r"\s*\[P(\d)\]\s*")


def review_request_text(request: dict) -> str:
    """What the person asked for: their own instructions, or the target they chose."""
    target = request.get("target") if isinstance(request.get("target"), dict) else {}
    if target.get("type") == "custom" and _text(target.get("instructions")):
        return _text(target.get("instructions"))
    hint = _text(request.get("user_facing_hint")) or _target_hint(target)
    prompt = _text(request.get("prompt"))
    # An older client sent a custom review's instructions as both prompt and hint.
    if hint and prompt and hint == prompt:
        return prompt
    if hint:
        return f"Review {hint}"
    return prompt or "Review"


def review_was_typed(request: dict) -> bool:
    """Whether the person wrote the review's instructions, rather than picking a target."""
    target = request.get("target") if isinstance(request.get("target"), dict) else {}
    if target:
        return target.get("type") == "custom"
    prompt = _text(request.get("prompt"))
    return bool(prompt) and prompt == _text(request.get("user_facing_hint"))


def _target_hint(target: dict) -> str:
    """The words Codex itself shows for a target (its `user_facing_hint`)."""
    kind = target.get("type")
    if kind == "uncommittedChanges":
        return "current changes"
    if kind == "baseBranch" and _text(target.get("branch")):
        return f"changes against '{_text(target.get('branch'))}'"
    if kind == "commit" and _text(target.get("sha")):
        short = _text(target.get("sha"))[:7]
        title = _text(target.get("title"))
        return f"commit {short}: {title}" if title else f"commit {short}"
    return ""


def review_findings_text(output: dict, cwd: str = "") -> str:
    """The review as Markdown: the verdict and explanation, then one list item a finding."""
    parts: list[str] = []
    verdict = _text(output.get("overall_correctness"))
    if verdict:
        parts.append(f"**Verdict:** {verdict}{_confidence(output.get('overall_confidence_score'))}")
    explanation = _text(output.get("overall_explanation"))
    if explanation:
        parts.append(explanation)
    findings = output.get("findings") if isinstance(output.get("findings"), list) else []
    items = [_finding(f, cwd) for f in findings if isinstance(f, dict)]
    if items:
        parts.append("\n\n".join(items))
    elif not explanation:
        parts.append("No findings.")
    return "\n\n".join(parts)


def _finding(finding: dict, cwd: str) -> str:
    raw = _text(finding.get("title"))
    # The reviewer is asked to open each title with its priority tag; it goes with the notes.
    tag = _PRIORITY_TAG.match(raw)
    priority = finding.get("priority")
    if tag and not _is_number(priority):
        priority = int(tag.group(1))
    head = f"- **{link_label(raw[tag.end() :] if tag else raw) or 'Finding'}**"
    where = _location(finding.get("code_location"), cwd)
    if where:
        head += f" — `{where}`"
    notes = [f"P{int(priority)}"] if _is_number(priority) else []
    score = finding.get("confidence_score")
    if _is_number(score):
        notes.append(f"confidence {round(score, 2):g}")
    if notes:
        head += f" ({', '.join(notes)})"
    body = _text(finding.get("body")).replace("\r\n", "\n").strip("\n")
    if not body:
        return head
    # Indented under the item, so a body's own paragraphs and code stay inside it.
    indented = "\n".join(f"  {line}" if line.strip() else "" for line in body.split("\n"))
    return f"{head}\n\n{indented}"


def _location(location: object, cwd: str) -> str:
    """`path:start-end`, the path relative to the session's folder when it lies inside it."""
    if isinstance(location, str):
        return location.replace("`", "'")
    if not isinstance(location, dict):
        return ""
    path = _text(location.get("absolute_file_path")) or _text(location.get("path"))
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        path = path[len(cwd.rstrip("/")) + 1 :]
    lines = location.get("line_range") if isinstance(location.get("line_range"), dict) else {}
    start, end = lines.get("start"), lines.get("end")
    if path and _is_number(start):
        span = f"{int(start)}" if not _is_number(end) or end == start else f"{start}-{end}"
        path = f"{path}:{span}"
    return path.replace("`", "'")


def _confidence(score: object) -> str:
    return f" (confidence {round(score, 2):g})" if _is_number(score) else ""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
