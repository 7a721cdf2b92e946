"""The one reader of Markdown: CommonMark + GFM tokens → sanitised HTML, plain text, titles; pure.

Decisions worth knowing:
- One parser, markdown-it-py in CommonMark mode with the GFM extensions (tables, strikethrough,
  www./http autolinks, task lists) and footnotes. Raw HTML is shown as text; the only markup a
  turn can ask for are the fold blocks importers write (`<details class="reasoning">` …).
- Maths is read from the token stream, never by a regex over the source: `$…$` (pandoc's rule,
  so "$5 and $10" stays text), `$$…$$`, `\\(…\\)` and `\\[…\\]`. So code spans, fences and link
  titles can never hold maths, and one reading serves the HTML, the plain text and the title.
- MathML is generated while rendering and passes the same nh3 allowlist as everything else.
- A turn the parser cannot finish (too long, over its CPU time, or any error at all, including
  RecursionError) is shown as escaped text: a page never fails because of what a turn holds.
- Code is highlighted inside the same deadline. Some Pygments lexers are quadratic on some
  input (C# on many short lines took 8 s for 8 kB), so the lexer's tokens are checked against
  the clock and a block longer than MAX_HIGHLIGHT_CHARS is never highlighted; a block that
  runs short of time, and every block after it, is shown as plain escaped code.
"""

from __future__ import annotations

import html
import io
import re
import threading
from collections.abc import Iterable, Iterator

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from . import deadline
from .allowlist import LANGUAGE, sanitize
from .mathml import latex_to_mathml

MAX_CHARS = 200_000
# Measured CPU time: the 84 kB code-heavy reply of bench/render_bench.py takes 0.12 s, a
# 180 kB list of 6,000 items 0.9 s; "[" * 100000 (2.4 s) would take longer than its deadline.
TIMEOUT_SECONDS = 1.0
# Highlighting stops this share of the timeout before the deadline, leaving the rest of the
# turn time to render with its code plain.
HIGHLIGHT_RESERVE = 0.25
# Longer blocks are shown plain: a lexer's slowest regex rescans up to the end of the block.
MAX_HIGHLIGHT_CHARS = 50_000
TITLE_LENGTH = 72
MAX_NESTING = 40
# Letters, digits and the punctuation of plain sentences, and any character past ASCII that
# is not a space: text made only of these holds no Markdown but paragraphs (see
# `prose_paragraphs`, which also looks at where lines start and end).
_PROSE = re.compile(r"(?:[A-Za-z0-9 ,.?!;'\"()\n-]|[^\x00-\x7f\s])+")
_NOT_PROSE_STARTS = " -0123456789"

FOLD_CLASSES = ("reasoning", "tool-output", "long-turn")
FOLD_LINE = re.compile(
    r'^(?:<details class="(?P<css>[a-z-]{1,20})">)?(?:<summary>(?P<label>[^<>]{0,200})</summary>)?$'
)
FOLD_CLOSE = "</details>"
# Lines a prompt often starts with that say nothing about the conversation.
BOILERPLATE = re.compile(
    r"^(web search results|current date|instructions|query|context|system)\s*:", re.IGNORECASE
)
QUERY = re.compile(r"^query\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
ONLY_PUNCTUATION = re.compile(r"^[\s{}\[\]()<>,;:.\"'`|/\\*_=+-]*$")
# A line of data (JSON, a list literal) opens with a brace or bracket and ends like data,
# or is one quoted key and its value.
DATA_LINE = re.compile(r"^[{\[].*[{}\[\],]$|^[}\]]|^\"[^\"]*\"\s*:")
UNTITLED_NAMES = {"untitled", "untitled conversation", "new chat", "new conversation"}
# Markup that shows as written in a title: emphasis, code, links, headings, quotes, lists.
RAW_MARKDOWN = re.compile(r"\*\*|__|`|~~|\]\(|^#{1,6}\s|^>|^[-*+]\s")


class TooDeep(Exception):
    """Blocks nested deeper than the parser follows."""


# -- public API ---------------------------------------------------------------


def render_markdown(
    source: str, *, max_chars: int = MAX_CHARS, timeout: float = TIMEOUT_SECONDS
) -> str:
    """Render Markdown to sanitised HTML; oversized, too slow or unparseable input becomes escaped text."""
    if len(source) > max_chars:
        return escaped_text(source)
    env = {"highlight_reserve": timeout * HIGHLIGHT_RESERVE}
    try:
        return deadline.within(lambda: sanitize(_parser().render(source, env)).strip(), timeout)
    except Exception:  # DeadlineExceeded, RecursionError, or a parser bug: never a failed page
        return escaped_text(source)


def render_with_text(
    source: str, *, max_chars: int = MAX_CHARS, timeout: float = TIMEOUT_SECONDS
) -> tuple[str, str]:
    """`render_markdown` and `plain_text` of the source from one parse, which is most of the
    cost of either: what a turn stores, in about half the time of calling both."""
    if len(source) > max_chars:
        return escaped_text(source), "\n".join(_lines_of(source, []))
    paragraphs = prose_paragraphs(source)
    if paragraphs is not None:
        return _prose_html(paragraphs), "\n".join(" ".join(lines) for lines in paragraphs)
    return parsed_with_text(source, timeout=timeout)


def parsed_with_text(source: str, *, timeout: float = TIMEOUT_SECONDS) -> tuple[str, str]:
    """`render_with_text` through the parser, whatever the text holds."""
    env = {"highlight_reserve": timeout * HIGHLIGHT_RESERVE}
    parsed: list[Token] = []

    def work() -> str:
        parser = _parser()
        parsed.extend(parser.parse(source, env))
        return sanitize(parser.renderer.render(parsed, parser.options, env)).strip()

    try:
        rendered = deadline.within(work, timeout)
    except Exception:  # as render_markdown: never a failed page
        rendered = escaped_text(source)
    # Tokens of a parse that finished give the text even when rendering ran out of time, as
    # plain_text's own parse would; a parse cut short gives the source's lines, as there.
    return rendered, "\n".join(_lines_of(source, parsed))


def prose_paragraphs(source: str) -> list[list[str]] | None:
    """The lines of each paragraph, when the text can only be paragraphs of plain words
    (None when it might be anything else).

    Every other construct the parser reads (lists, headings, rules, code, tables, quotes,
    links and autolinks, emphasis, maths, entities, HTML, hard breaks) needs a character
    `_PROSE` leaves out, a line that starts with a space, digit or "-" or ends with a space,
    or a "www.": prose without them is rendered here, as the parser would render it (a
    property test holds the two to the same HTML and text), at a quarter of the cost.
    """
    if not _PROSE.fullmatch(source) or "www" in source.lower():
        return None
    paragraphs: list[list[str]] = []
    lines: list[str] = []
    for line in source.split("\n"):
        if not line:
            if lines:
                paragraphs.append(lines)
                lines = []
        elif line[0] in _NOT_PROSE_STARTS or line[-1] == " ":
            return None
        else:
            lines.append(line)
    if lines:
        paragraphs.append(lines)
    return paragraphs or None


def _prose_html(paragraphs: list[list[str]]) -> str:
    # The parser escapes text as html.escape does, and quotes as &quot; (no & < > get here).
    texts = (
        html.escape("\n".join(lines), quote=False).replace('"', "&quot;") for lines in paragraphs
    )
    return sanitize("".join(f"<p>{text}</p>\n" for text in texts)).strip()


def escaped_text(source: str) -> str:
    """The source shown as plain, escaped text: the safe fallback."""
    return f'<pre class="unrendered">{html.escape(source)}</pre>'


def plain_text(source: str, *, max_chars: int = MAX_CHARS) -> str:
    """The words a reader sees, without Markdown syntax; maths stays as its TeX source."""
    return "\n".join(_text_lines(source, max_chars=max_chars))


def word_count(source: str) -> int:
    """How many words a reader sees in the rendered turn."""
    return len(plain_text(source).split())


def math_spans(source: str) -> list[str]:
    """The TeX source of every formula in the text, in order."""
    tokens = _tokens(source)
    return [token.content for token in _walk(tokens) if token.type in MATH_TOKENS]


def auto_title(source: str, length: int = TITLE_LENGTH) -> str:
    """A title from a prompt: its first line of prose, skipping code and boilerplate, clipped."""
    lines = [line.strip() for line in _text_lines(source, as_written=True)]
    if lines and BOILERPLATE.match(lines[0]):
        # A prompt wrapped in a template (web search results…) is titled by its question.
        lines = [m["rest"] for line in lines if (m := QUERY.match(line))] or lines
    for line in lines:
        if DATA_LINE.search(line) or names_nothing(line):
            continue
        if len(line) <= length:
            return line
        cut = line[: length - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
        return cut + "…"
    return ""


def names_nothing(title: str) -> str:
    """Why a title (or a heading offered as one) says nothing at all ("" when it does)."""
    title = title.strip()
    if ONLY_PUNCTUATION.match(title):
        return "it is only punctuation or code fences"
    if title.lower() in UNTITLED_NAMES:
        return "it is the placeholder for a conversation without a title"
    if BOILERPLATE.match(title):
        return "it starts with the template the prompt was wrapped in"
    return ""


def title_problem(title: str) -> str:
    """Why a title looks machine-made rather than chosen ("" when it looks like a title)."""
    title = title.strip()
    if names_nothing(title):
        return names_nothing(title)
    if title.endswith(("…", "...")):
        return "it is a prompt cut off mid-sentence"
    if RAW_MARKDOWN.search(title):
        return "it contains Markdown markup that readers would see as written"
    return ""


# -- the parser ---------------------------------------------------------------

MATH_TOKENS = {"math_inline", "math_inline_double", "math_block", "math_display"}
_local = threading.local()


def _parser() -> MarkdownIt:
    # One parser per thread: linkify-it keeps the state of its last match on the instance.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _build_parser()
    return parser


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.options["maxNesting"] = MAX_NESTING
    md.enable(["table", "strikethrough"])
    md.use(gfm_autolink_plugin)
    _www_after_text(md)
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.inline.ruler.before("escape", "math_tex_delimiters", _tex_delimiters)
    md.block.ruler.before("paragraph", "fold", _fold_line, {"alt": ["paragraph"]})
    md.core.ruler.push("turn_rules", _adjust_tokens)
    _with_checks(md)
    md.add_render_rule("math_inline", _render_inline_math)
    md.add_render_rule("math_block", _render_display_math)
    for name in ("math_inline_double", "math_display"):
        md.add_render_rule(name, _render_display_math_in_text)
    md.add_render_rule("fence", _render_code)
    md.add_render_rule("code_block", _render_code)
    md.add_render_rule("fold", lambda renderer, tokens, idx, options, env: tokens[idx].content)
    return md


def _www_after_text(md: MarkdownIt) -> None:
    """Try the GFM `www.` autolink right after plain text, and keep a `w` that starts none as
    text at once.

    The plugin makes plain text stop at every `w` and tries its rule last, so each `w` of
    prose went through every inline rule: that doubled the parse of plain prose. No other
    inline rule starts at a `w`, so the tokens are the same (the GFM conformance tests say so).
    """
    ruler = md.inline.ruler
    www = next(rule.fn for rule in ruler.__rules__ if rule.name == "gfm_autolink_www")

    def www_or_letter(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != "w":
            return False
        if www(state, silent):
            return True
        if not silent:  # as the inline parser keeps a character no rule takes
            state.append_pending("w")
        state.pos += 1
        return True

    md.disable("gfm_autolink_www")
    ruler.after("text", "gfm_autolink_www_after_text", www_or_letter)


def _tex_delimiters(state: StateInline, silent: bool) -> bool:
    """`\\(x\\)` inline and `\\[x\\]` display maths, read before backslash escapes."""
    src, start = state.src, state.pos
    if src[start] != "\\" or start + 1 >= state.posMax or src[start + 1] not in "([":
        return False
    closing = "\\)" if src[start + 1] == "(" else "\\]"
    end = src.find(closing, start + 2, min(state.posMax, start + 2 + 4000))
    # A formula has a letter or digit somewhere; `\[\\\]` is escaped punctuation.
    if end == -1 or not any(c.isalnum() for c in src[start + 2 : end]):
        return False
    if not silent:
        token = state.push("math_inline" if closing == "\\)" else "math_display", "math", 0)
        token.content = src[start + 2 : end].strip()
        token.markup = src[start : start + 2]
    state.pos = end + 2
    return True


def _fold_line(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A line of the fold markup importers write around reasoning and tool output."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]].strip()
    if line == FOLD_CLOSE:
        markup = FOLD_CLOSE
    else:
        found = FOLD_LINE.match(line)
        if not line or not found or (found["css"] and found["css"] not in FOLD_CLASSES):
            return False
        markup = (f'<details class="{found["css"]}">' if found["css"] else "") + (
            f"<summary>{html.escape(html.unescape(found['label']))}</summary>"
            if found["label"] is not None
            else ""
        )
    if not silent:
        token = state.push("fold", "", 0)
        token.content, token.block, token.map = markup, True, [start, start + 1]
    state.line = start + 1
    return True


def _adjust_tokens(state) -> None:
    for index, token in enumerate(state.tokens):
        if token.level >= MAX_NESTING - 1:
            # The parser stops nesting here and would drop what lies deeper: say so instead.
            raise TooDeep
        if token.type == "inline" and token.children:
            token.children = list(_external_images_as_links(token.children))
            if _is_only_display_math(state.tokens, index):
                state.tokens[index - 1].hidden = state.tokens[index + 1].hidden = True
                next(c for c in token.children if c.type != "softbreak").type = "math_block"


def _is_only_display_math(tokens: list[Token], index: int) -> bool:
    # A formula alone in its paragraph is a displayed block, not a paragraph with maths in it.
    children = [c for c in tokens[index].children or [] if c.type != "softbreak"]
    return (
        len(children) == 1
        and children[0].type in ("math_display", "math_inline_double")
        and tokens[index - 1].type == "paragraph_open"
    )


def _external_images_as_links(children: list[Token]) -> Iterator[Token]:
    """Images hosted elsewhere become links: a reader's browser never fetches them for us."""
    in_link = 0
    for token in children:
        in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        src = token.attrGet("src") if token.type == "image" else None
        if token.type != "image" or (str(src).startswith("/") and not str(src).startswith("//")):
            yield token
            continue
        alt = "".join(_inline_text(token.children or [])) or "image"
        if not src or in_link:  # a link cannot hold another link
            yield _text_token(f"[image: {alt}]" if src else f"[{alt}]")
            continue
        opening = Token("link_open", "a", 1)
        opening.attrSet("href", str(src))
        yield opening
        yield _text_token(f"[image: {alt}]")
        yield Token("link_close", "a", -1)


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _render_inline_math(renderer, tokens, idx, options, env) -> str:
    deadline.check()
    return latex_to_mathml(tokens[idx].content.strip(), display=False)


def _render_display_math(renderer, tokens, idx, options, env) -> str:
    deadline.check()
    return f'<div class="math-display">{latex_to_mathml(tokens[idx].content.strip(), display=True)}</div>'


def _render_display_math_in_text(renderer, tokens, idx, options, env) -> str:
    # Inside a paragraph a <div> would end it early, so the displayed formula goes in a <span>.
    deadline.check()
    mathml = latex_to_mathml(tokens[idx].content.strip(), display=True)
    return f'<span class="math-display">{mathml}</span>'


def _lexer(lang: str):
    """This thread's Pygments lexer for a language, or None for plain text."""
    lexers = _local.__dict__.setdefault("lexers", {})
    if lang not in lexers:
        try:
            lexers[lang] = get_lexer_by_name(lang, stripnl=False) if lang != "text" else None
        except ClassNotFound:
            lexers[lang] = None
        if lexers[lang] is not None:
            _check_delegates(lexers[lang])
    return lexers[lang]


def _check_delegates(lexer) -> None:
    """Check the clock inside the lexers a lexer delegates to (`html+ng2`, `jinja`…).

    A DelegatingLexer reads the whole block with its inner lexer before it yields a token,
    so checks between its own tokens would come too late (1.7 s for 8 kB of `([`).
    """
    for name in ("root_lexer", "language_lexer"):
        inner = getattr(lexer, name, None)
        if inner is None:
            continue
        _check_delegates(inner)
        unchecked = inner.get_tokens_unprocessed
        inner.get_tokens_unprocessed = lambda *args, _unchecked=unchecked, **options: _on_time(
            _unchecked(*args, **options), getattr(_local, "reserve", 0.0)
        )


def _render_code(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    words = token.info.split() if token.type == "fence" else []
    lang = words[0] if words and LANGUAGE.match(words[0]) else "text"
    lexer = _lexer(lang)
    # Plain text skips Pygments: it would only escape it, at some cost.
    body = (
        _highlighted(token.content, lexer, env)
        if lexer
        else html.escape(token.content, quote=False)
    )
    return (
        f'<div class="highlight" data-lang="{lang}"><pre><code class="language-{lang}">'
        f"{body}</code></pre></div>\n"
    )


# -- sanitising ---------------------------------------------------------------


# -- plain text ---------------------------------------------------------------


def _tokens(source: str, max_chars: int = MAX_CHARS) -> list[Token]:
    if len(source) > max_chars:
        return []
    try:
        return deadline.within(lambda: _parser().parse(source), TIMEOUT_SECONDS)
    except Exception:  # same fallback as rendering: the caller gets the source itself
        return []


def _text_lines(source: str, *, as_written: bool = False, max_chars: int = MAX_CHARS) -> list[str]:
    """The text of each block, one line each; `as_written` keeps line breaks and drops code."""
    return _lines_of(source, _tokens(source, max_chars), as_written)


def _lines_of(source: str, tokens: list[Token], as_written: bool = False) -> list[str]:
    """`_text_lines` from tokens already parsed (none: the source's own non-blank lines)."""
    if not tokens and source.strip():
        return [line for line in source.splitlines() if line.strip()]
    lines: list[str] = []
    for token in tokens:
        if token.type == "inline":
            text = "".join(_inline_text(token.children or [], as_written))
            lines.extend(line.strip() for line in text.split("\n") if line.strip())
        elif token.type in ("fence", "code_block") and not as_written:
            lines.extend(line for line in token.content.split("\n") if line.strip())
        elif token.type in ("math_block", "math_display"):
            lines.append(token.content.strip())
    if as_written:
        # A line that was nothing but inline code is code too.
        lines = [
            line.replace(CODE_MARK, "")
            for line in lines
            if "".join(line.split(CODE_MARK)[0::2]).strip()
        ]
    return lines


CODE_MARK = "\x00"


def _inline_text(children: list[Token], as_written: bool = False) -> Iterator[str]:
    for child in children:
        if child.type == "code_inline" and as_written:
            yield CODE_MARK + child.content + CODE_MARK
        elif child.type in ("text", "code_inline") or child.type in MATH_TOKENS:
            yield child.content
        elif child.type == "softbreak":
            yield "\n" if as_written else " "
        elif child.type == "hardbreak":
            yield "\n"
        elif child.type == "image":
            yield from _inline_text(child.children or [], as_written)


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


# -- the time bound -------------------------------------------------------------


def _with_checks(md: MarkdownIt) -> None:
    """Make the parser check the deadline on every turn of its block and inline loops.

    Both loops try their rules in order at each position, always starting with the first, so
    checking there bounds every iteration (a rule that recurses re-enters a loop); the core
    and pair-balancing rules run a few times per block and are all checked. Checking every
    rule call instead cost 40% of the parse.
    """
    for ruler in (md.core.ruler, md.inline.ruler2):
        for rule in ruler.__rules__:
            rule.fn = _checked(rule.fn)
        ruler.__cache__ = None
    for ruler in (md.block.ruler, md.inline.ruler):
        first = next(rule for rule in ruler.__rules__ if rule.enabled)
        first.fn = _checked(first.fn)
        ruler.__cache__ = None


def _checked(fn):
    # Parsers are per thread, so the count is too; each rule looks at the clock every eighth
    # call, as `deadline.check` would, without a thread-local lookup on every call.
    calls = 0

    def rule(*args):
        nonlocal calls
        calls += 1
        if not calls & 7:
            deadline.check_now()
        return fn(*args)

    return rule


class _OutOfTime(Exception):
    """Highlighting reached the time it may use."""


def _highlighted(code: str, lexer, env: dict) -> str:
    """Pygments' HTML for the code, or the code plain when it is too long or time runs short."""
    if len(code) > MAX_HIGHLIGHT_CHARS or env.get("plain_code"):
        return html.escape(code, quote=False)
    formatter = getattr(_local, "formatter", None)
    if formatter is None:
        # Building a formatter builds its whole style sheet: once per thread, not per block.
        formatter = _local.formatter = HtmlFormatter(nowrap=True)
    out = io.StringIO()
    _local.reserve = env.get("highlight_reserve", 0.0)
    try:
        formatter.format(_on_time(lexer.get_tokens(code), _local.reserve), out)
    except _OutOfTime:
        env["plain_code"] = True  # later blocks would find no more time
        return html.escape(code, quote=False)
    return out.getvalue()


def _on_time(tokens: Iterable, reserve: float) -> Iterator:
    """The lexer's tokens, until less than `reserve` seconds are left before the deadline."""
    for count, token in enumerate(tokens):
        # A slow lexer spends its time between tokens, each a rescan of the rest of the block.
        if not count & 7 and deadline.left() < reserve:
            raise _OutOfTime
        yield token
