"""Model ids as readers know them: `text-davinci-002-render-sha` → "GPT-3.5". Pure.

Decisions worth knowing:
- Only something that looks like an id is renamed: a string with no spaces that the table
  or one of the family rules below recognises. Anything else (an unknown id, a name the
  author typed such as "Claude 3.5 Sonnet") comes back exactly as given, so a wrong guess
  is never printed.
- An id is read in steps: the provider's wrapping is taken off (a path such as `models/`
  or `openrouter/anthropic/`, OpenRouter's `:free` or `:beta`, Bedrock's `anthropic.` and
  `-v1:0`, Vertex's `@20240620`, an Ollama tag's `:`), then the table is asked, then trailing dates and release words
  (`-20241022`, `-2024-08-06`, `-0613`, `-002`, `-latest`, `-preview`, `-exp`) are taken
  off one at a time, asking the table after each, and last the family rules are tried.
  A preview or experimental release keeps that word in brackets: "Gemini 3 Pro (preview)".
- A family rule names a model only when it knows every word of the id; `gpt-4o-jawbone`
  stays as it is rather than become a half-true "GPT-4o", and a model built on another
  (`hermes-3-llama-3.1-70b`) is never named as the one it was built on.
- ChatGPT's modes are bare words (`auto`, `research`, `agent-mode`): named only when the
  id is that word alone, since `openrouter/auto` is another product.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Exact ids (lower case, provider wrapping removed) whose name no rule could work out:
# ChatGPT's internal slugs and names that changed between releases.
TABLE: dict[str, str] = {
    # ChatGPT's own slugs (conversations.json `model_slug`, `default_model_slug`)
    "text-davinci-002-render": "GPT-3.5",
    "text-davinci-002-render-sha": "GPT-3.5",
    "text-davinci-002-render-sha-mobile": "GPT-3.5",
    "text-davinci-002-render-paid": "GPT-3.5",
    "text-davinci-002-browse": "GPT-3.5 (browsing)",
    "text-davinci-002-plugins": "GPT-3.5 (plugins)",
    "gpt-4-mobile": "GPT-4",
    "gpt-4-browsing": "GPT-4 (browsing)",
    "gpt-4-plugins": "GPT-4 (plugins)",
    "gpt-4-code-interpreter": "GPT-4 (Code Interpreter)",
    "gpt-4-dalle": "GPT-4 (DALL·E)",
    "gpt-4-gizmo": "GPT-4 (custom GPT)",
    "gpt-4o-canmore": "GPT-4o (canvas)",
    "gpt-4-5": "GPT-4.5",
    "gpt-4.5o": "GPT-4.5",
    "gpt-5-t-mini": "GPT-5 Thinking mini",
    "gpt-5-a-t-mini": "GPT-5 Thinking mini",
    "gpt-5-auto-thinking": "GPT-5 Thinking",
    # OpenAI's API names
    "gpt-3.5-turbo": "GPT-3.5 Turbo",
    "gpt-35-turbo": "GPT-3.5 Turbo",  # Azure's spelling
    "text-davinci-003": "GPT-3.5 (text-davinci-003)",
    "gpt-4-1106": "GPT-4 Turbo",
    "gpt-4-0125": "GPT-4 Turbo",
    "gpt-4o": "GPT-4o",
    "gpt-4o-mini": "GPT-4o mini",
    "chatgpt-4o": "ChatGPT-4o",
    "o1-preview": "o1-preview",
    "o1-mini": "o1-mini",
    # Anthropic's names before the family rule's shape
    "claude-v1": "Claude 1",
    "claude-1": "Claude 1",
    "claude-1.3": "Claude 1.3",
    "claude-instant": "Claude Instant",
    "claude-instant-v1": "Claude Instant",
    "claude-instant-1": "Claude Instant",
    "claude-instant-1.2": "Claude Instant 1.2",
    "claude-v2": "Claude 2",
    "claude-2": "Claude 2",
    "claude-2.0": "Claude 2",
    "claude-v2:1": "Claude 2.1",
    "claude-2.1": "Claude 2.1",
    # Google's first names
    "gemini-pro": "Gemini 1.0 Pro",
    "gemini-pro-vision": "Gemini 1.0 Pro Vision",
    "gemini-ultra": "Gemini 1.0 Ultra",
    # DeepSeek's API names the model behind them
    "deepseek-chat": "DeepSeek-V3",
    "deepseek-reasoner": "DeepSeek-R1",
    "deepseek-coder": "DeepSeek-Coder",
    "deepseek-coder-v2": "DeepSeek-Coder-V2",
    "deepseek-chat-v3": "DeepSeek-V3",  # OpenRouter's names
    "deepseek-chat-v3.1": "DeepSeek-V3.1",
    # xAI
    "grok-beta": "Grok (beta)",
    "grok-vision-beta": "Grok Vision (beta)",
    "grok-code-fast-1": "Grok Code Fast 1",
    # grok.com's own ids, as a Grok export names the model of each reply: the mode picked
    # ("auto"), or a variant's internal name, which readers know by the model's.
    "grok-4-auto": "Grok 4 (Auto)",
    "grok-4-mini-thinking-tahoe": "Grok 4 mini Thinking",
    "grok-4-1-non-thinking-w-tool": "Grok 4.1",
    # Perplexity's post-trained DeepSeek-R1
    "r1-1776": "R1 1776",
}

# ChatGPT's modes, named by a bare word: only ever read as such when nothing wraps the word
# (OpenRouter's `openrouter/auto` is no ChatGPT).
CHATGPT_MODES: dict[str, str] = {
    "auto": "ChatGPT (Auto)",
    "research": "ChatGPT deep research",
    "agent-mode": "ChatGPT agent",
}

# How a word of an id is written in a name; a word missing here stops a family rule.
WORDS: dict[str, str] = {
    "mini": "mini",
    "nano": "nano",
    "pro": "Pro",
    "max": "Max",
    "plus": "Plus",
    "turbo": "Turbo",
    "instant": "Instant",
    "thinking": "Thinking",
    "chat": "Chat",
    "codex": "Codex",
    "spark": "Spark",
    "vision": "Vision",
    "audio": "Audio",
    "realtime": "Realtime",
    "search": "Search",
    "opus": "Opus",
    "sonnet": "Sonnet",
    "haiku": "Haiku",
    "flash": "Flash",
    "lite": "Lite",
    "flash-lite": "Flash-Lite",
    "ultra": "Ultra",
    "image": "Image",
    "live": "Live",
    "large": "Large",
    "medium": "Medium",
    "small": "Small",
    "tiny": "Tiny",
    "nemo": "NeMo",
    "mamba": "Mamba",
    "saba": "Saba",
    "scout": "Scout",
    "maverick": "Maverick",
    "coder": "Coder",
    "vl": "VL",
    "math": "Math",
    "omni": "Omni",
    "long": "Long",
    "terminus": "Terminus",
    "fast": "Fast",
    "heavy": "Heavy",
    "reasoning": "Reasoning",
    "non-reasoning": "Non-Reasoning",
    "instruct": "Instruct",
}
# Release words kept as a note after the name.
RELEASES = {"preview": "preview", "exp": "experimental", "beta": "beta"}
# Words that name a way of serving an open-weights model, not the model.
SERVING = frozenset({"instruct", "chat", "it", "hf", "fp8", "versatile", "instant", "turbo"})
# OpenRouter's variants of one model (`:free`, `:beta` self-moderated…): ways of serving it.
_ROUTER_VARIANT = re.compile(r":(?:free|beta|online|nitro|extended|floor|exacto)$")

_SPACE = re.compile(r"\s")
_CLOUD_PREFIX = re.compile(
    r"^(?:(?:us|eu|apac|global|jp|au|ca|us-gov)\.)?"
    r"(?:anthropic|meta|mistral|amazon|cohere|deepseek|qwen|openai|google)\."
)
_TRAILING = (
    re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4}|\d{3}|latest)$"),
    re.compile(r"(?:(?<=-preview)|(?<=-exp))-\d{2}-\d{2}$"),
)
_RELEASE = re.compile(r"-(preview|exp|beta)$")
_SIZE = re.compile(r"\d+(?:\.\d+)?[bm]|\d+x\d+b")
_ACTIVE = re.compile(r"a\d+b|\d+e")  # active parameters (A22B) or experts (128E)
_QUANTISED = re.compile(r"q\d\w*")
# A label, and an optional last part in brackets: "ChatGPT (gpt-4o)", "gpt-4o (reasoning)".
_SPEAKER = re.compile(r"(?P<head>.*?)(?: \((?P<inner>[^()]*)\))?", re.DOTALL)


def display_name(model_id: str) -> str:
    """The name readers know a model by, or `model_id` exactly as given if it is not an id."""
    return known_name(model_id) or model_id


def known_name(model_id: str) -> str | None:
    """The model's name when `model_id` is an id this module recognises, else None."""
    text = model_id.strip()
    if not text or _SPACE.search(text):
        return None
    if text in CHATGPT_MODES:
        return CHATGPT_MODES[text]
    key = _CLOUD_PREFIX.sub("", text.lower().rsplit("/", 1)[-1].split("@", 1)[0])
    if key in TABLE:
        return TABLE[key]
    if key.startswith("claude"):
        key = re.sub(r"-v\d+$", "", key)  # Vertex's and Bedrock's revision of one model
    key = _ROUTER_VARIANT.sub("", key)
    key = re.sub(r"-v\d+[:.]\d+$", "", key).replace(":", "-")
    notes: list[str] = []
    while True:
        if key in TABLE:
            return _with_notes(TABLE[key], notes)
        if release := _RELEASE.search(key):
            notes.insert(0, RELEASES[release.group(1)])
            key = key[: release.start()]
            continue
        shorter = key
        for pattern in _TRAILING:
            shorter = pattern.sub("", shorter)
        if shorter == key:
            break
        key = shorter
    for rule in FAMILY_RULES:
        if name := rule(key):
            return _with_notes(name, notes)
    return None


def speaker_name(speaker: str) -> str:
    """A speaker label with any model id in it named: "ChatGPT (gpt-4o)" → "ChatGPT (GPT-4o)"."""
    match = _SPEAKER.fullmatch(speaker)
    head, inner = match["head"], match["inner"]
    head = known_name(head) or head
    if inner is None:
        return head
    return f"{head} ({known_name(inner) or inner})"


def _with_notes(name: str, notes: list[str]) -> str:
    return f"{name} ({', '.join(notes)})" if notes else name


def _words(rest: str, *, serving: frozenset[str] = frozenset()) -> list[str] | None:
    """The words after a family's name, written as in names; None if one is unknown."""
    # Two words that are one word of a name, kept together while the rest is split.
    rest = rest.replace("flash-lite", "flash~lite").replace("non-reasoning", "non~reasoning")
    out: list[str] = []
    for word in filter(None, rest.split("-")):
        word = word.replace("~", "-")
        if word in serving or (serving and _QUANTISED.fullmatch(word)):
            continue
        if word in WORDS:
            out.append(WORDS[word])
        elif _SIZE.fullmatch(word) or re.fullmatch(r"\d+k", word):
            out.append(word.upper().replace("X", "x"))
        elif _ACTIVE.fullmatch(word) and out and _SIZE.fullmatch(out[-1].lower()):
            out[-1] += "-" + word.upper()
        elif re.fullmatch(r"\d{1,2}(?:\.\d+)?", word):  # a version, never a context length
            out.append(word)
        else:
            return None
    return out


def _version(major: str, minor: str | None) -> str:
    return f"{major}.{minor}" if minor else major


def _gpt(key: str) -> str | None:
    m = re.fullmatch(r"gpt-(\d)(?:[.-](\d))?(o?)((?:-[a-z0-9]+)*)", key)
    if not m or (words := _words(m[4])) is None:
        return None
    name = f"GPT-{_version(m[1], m[2])}{m[3]}"
    if "Codex" in words:  # OpenAI writes these with hyphens: "GPT-5.1-Codex-Max"
        at = words.index("Codex")
        return " ".join([name + "-" + "-".join(w.title() for w in words[at:]), *words[:at]])
    return " ".join([name, *words])


def _o_series(key: str) -> str | None:
    # OpenAI's reasoning models are called by their ids: "o3-mini", "o4-mini-high".
    words = r"(?:-(?:mini|pro|high|medium|low|deep-research))*"
    return key if re.fullmatch(r"o\d" + words, key) else None


def _claude(key: str) -> str | None:
    tiers = "opus|sonnet|haiku"
    m = re.fullmatch(rf"claude-(\d)(?:[.-](\d))?-({tiers})((?:-[a-z]+)*)", key)
    if m:
        words = _words(m[4])
        return (
            None
            if words is None
            else " ".join(["Claude", _version(m[1], m[2]), WORDS[m[3]], *words])
        )
    m = re.fullmatch(rf"claude-({tiers})-(\d)(?:[.-](\d))?((?:-[a-z]+)*)", key)
    if m:
        words = _words(m[4])
        return (
            None
            if words is None
            else " ".join(["Claude", WORDS[m[1]], _version(m[2], m[3]), *words])
        )
    return None


def _gemini(key: str) -> str | None:
    m = re.fullmatch(r"gemini-(\d(?:\.\d)?)((?:-[a-z0-9]+)*)", key)
    if m and (words := _words(m[2])):
        return " ".join(["Gemini", m[1], *words])
    m = re.fullmatch(r"gemini-(pro|flash)-(\d\.\d)((?:-[a-z0-9]+)*)", key)  # OpenRouter's order
    if m and (words := _words(m[3])) is not None:
        return " ".join(["Gemini", m[2], WORDS[m[1]], *words])
    return None


def _llama(key: str) -> str | None:
    m = re.fullmatch(r"(?:meta-)?llama-?(\d)(?:[.-](\d)(?![\d.]*b))?((?:-[a-z0-9._]+)*)", key)
    if not m or (words := _words(m[3], serving=SERVING)) is None:
        return None
    return " ".join(["Llama", _version(m[1], m[2]), *words])


def _mistral(key: str) -> str | None:
    names = "mistral|mixtral|codestral|pixtral|ministral|magistral|devstral|mathstral"
    m = re.fullmatch(rf"(?:open-)?({names})((?:-[a-z0-9._]+)*)", key)
    if not m or (words := _words(m[2], serving=SERVING)) is None:
        return None
    return " ".join([m[1].title(), *words])


def _deepseek(key: str) -> str | None:
    m = re.fullmatch(r"deepseek-(v\d(?:\.\d)?|r\d)((?:-[a-z0-9._]+)*)", key)
    if not m:
        return None
    name = f"DeepSeek-{m[1].upper()}"
    if m[2].startswith("-distill-"):  # "DeepSeek-R1-Distill-Qwen-32B", as DeepSeek names it
        tail = m[2].removeprefix("-distill-").split("-")
        if all(w in ("qwen", "llama") or _SIZE.fullmatch(w) or w[:1].isdigit() for w in tail):
            return "-".join(
                [name, "Distill", *(w.title() if w.isalpha() else w.upper() for w in tail)]
            )
        return None
    words = _words(m[2], serving=SERVING)
    return None if words is None else "-".join([name, *words])


def _qwen(key: str) -> str | None:
    # Qwen's own names join every part with hyphens: "Qwen3-235B-A22B", "Qwen2.5-VL-72B".
    m = re.fullmatch(r"(qwen|qwq|qvq)-?(\d(?:\.\d)?)?((?:-[a-z0-9._]+)*)", key)
    # "Qwen-Turbo" is a model of its own, not a way of serving one.
    if not m or (words := _words(m[3], serving=SERVING - {"turbo"})) is None:
        return None
    name = {"qwen": "Qwen", "qwq": "QwQ", "qvq": "QVQ"}[m[1]] + (m[2] or "")
    return "-".join([name, *words])


def _gemma(key: str) -> str | None:
    m = re.fullmatch(r"gemma-?(\d)(?:[.-](\d)(?![\d.]*b))?((?:-[a-z0-9._]+)*)", key)
    if not m or (words := _words(m[3], serving=SERVING)) is None:
        return None
    return " ".join(["Gemma", _version(m[1], m[2]), *words])


def _grok(key: str) -> str | None:
    m = re.fullmatch(r"grok-(\d)(?:[.-](\d))?((?:-[a-z]+)*)", key)
    if not m or (words := _words(m[3])) is None:
        return None
    return " ".join(["Grok", _version(m[1], m[2]), *words])


def _sonar(key: str) -> str | None:
    # Perplexity's API models: "sonar", "sonar-pro", "sonar-reasoning-pro", "sonar-deep-research".
    m = re.fullmatch(r"sonar((?:-(?:pro|reasoning|deep-research))*)", key)
    if not m:
        return None
    words = [
        w.replace("~", " ").title()
        for w in m[1].replace("deep-research", "deep~research").split("-")
        if w
    ]
    return " ".join(["Sonar", *words])


FAMILY_RULES: tuple[Callable[[str], str | None], ...] = (
    _gpt,
    _o_series,
    _claude,
    _gemini,
    _llama,
    _mistral,
    _deepseek,
    _qwen,
    _gemma,
    _grok,
    _sonar,
)
