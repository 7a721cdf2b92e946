"""Shared benchmark helpers: gunicorn and PostgreSQL start/stop, load generation, data seeding."""

from __future__ import annotations

import contextlib
import html.parser
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "bench password 0123456789"
RESULT_MARK = "RESULT "

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# -- reporting ---------------------------------------------------------------


def emit_result(name: str, data: dict) -> None:
    """Print one machine-readable result line for run_all.py to collect."""
    print(RESULT_MARK + json.dumps({"bench": name, **data}), flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


# -- processes ---------------------------------------------------------------


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on the port, or raise after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment a benchmark server runs with: its own database, key and plain HTTP."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "FLASK_SECRET_KEY": "bench-" + secrets.token_hex(24),
            "FLASK_SESSION_COOKIE_SECURE": "false",
            "FLASK_REMEMBER_COOKIE_SECURE": "false",
            "FLASK_TRUSTED_HOSTS": "127.0.0.1,localhost",
        }
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A running gunicorn on loopback."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    *,
    workers: int = 2,
    threads: int = 4,
    name: str = "server",
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """Run gunicorn with the deployment settings (workers/threads/bind overridden), then stop it.

    `cwd` is where the app is imported from: another checkout of the project runs its own code.
    """
    port = free_port()
    (DATA / "logs").mkdir(parents=True, exist_ok=True)
    log = DATA / "logs" / f"{name}.log"
    env = dict(env)
    env.update(
        {
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
        }
    )
    command = [GUNICORN]
    if GUNICORN_CONF.exists():
        command += ["-c", str(GUNICORN_CONF)]
    command += [
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-k",
        "gthread",
        "-b",
        f"127.0.0.1:{port}",
        app,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)
    try:
        wait_for_port(port)
        server = Server(process, port, log)
        for _ in range(workers * 4):  # let every worker import the app before measuring
            get(server.base + "/robots.txt")
        yield server
    finally:
        stop_process(process)


def checkout(revision: str, directory: Path) -> Path:
    """The project's files at a git revision, in `directory` (emptied first)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True, timeout=120
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True, timeout=120)
    return directory


def stop_process(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM the process, then SIGKILL it if it has not exited within `timeout`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection: status, headers (lower-case names) and body."""
    host, port, path = split_url(url)
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


class FormFields(html.parser.HTMLParser):
    """The fields a browser would send from the form posting to `action`: inputs, selected
    options and textareas, with their current values."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = found.get("action") == self.action
        elif not self.inside or "name" not in found and tag != "option":
            return
        elif tag == "input" and found.get("type") not in ("submit", "checkbox", "radio"):
            self.fields[found["name"]] = found.get("value", "")
        elif tag == "select":
            self.select = found["name"]
        elif tag == "option" and self.select and "selected" in found:
            self.fields[self.select] = found.get("value", "")
        elif tag == "textarea":
            self.textarea = found["name"]
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            # A browser drops the one newline that may follow <textarea>.
            text = self.fields[self.textarea] + data
            self.fields[self.textarea] = text.removeprefix("\n")


def form_fields(page: str, action: str) -> dict[str, str]:
    """What submitting the page's form to `action` unchanged would send."""
    parser = FormFields(action)
    parser.feed(page)
    return parser.fields


class Browser:
    """A signed-in author without JavaScript: one keep-alive connection, the session cookie,
    form posts; each answer with the milliseconds it took."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> tuple[int, str, float]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        took = (time.perf_counter() - started) * 1000
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, text, took

    def sign_in(self, username: str = "bench") -> None:
        status, page, _ = self.request("GET", "/login")
        form = form_fields(page, "/login")
        if status != 200 or "csrf_token" not in form:
            raise RuntimeError(f"no login form ({status})")
        form |= {"username": username, "password": PASSWORD}
        status, _, _ = self.request("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"sign-in refused ({status})")

    def close(self) -> None:
        self.connection.close()


def split_url(url: str) -> tuple[str, int, str]:
    match = re.match(r"http://([^:/]+):(\d+)(/.*)?$", url)
    if not match:
        raise ValueError(f"not a loopback http URL: {url}")
    return match.group(1), int(match.group(2)), match.group(3) or "/"


# -- load generation ---------------------------------------------------------


@dataclass
class LoadResult:
    """Throughput and latency of one load run."""

    requests_per_second: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    tool: str


def load(
    url: str,
    *,
    seconds: float = 8.0,
    connections: int = 16,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Drive `url` from a separate process: wrk when installed, else Python threads."""
    if shutil.which("wrk"):
        return wrk_load(url, seconds, connections, headers or {})
    return python_load(url, seconds, connections, headers or {})


def wrk_load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> LoadResult:
    """Run wrk (two threads) and parse its summary."""
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        command + [url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    return LoadResult(
        rps,
        total,
        errors,
        wrk_latency(output, "50%"),
        wrk_latency(output, "99%"),
        "wrk",
    )


def wrk_latency(output: str, label: str) -> float:
    """A latency percentile from wrk's --latency table, in milliseconds."""
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def python_load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> LoadResult:
    """The fallback load generator: keep-alive http.client threads in a child process."""
    command = [PYTHON, str(BENCH / "common.py"), "load", url, str(seconds), str(connections)]
    command.append(json.dumps(headers))
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    return LoadResult(**json.loads(output.strip().splitlines()[-1]))


def run_python_load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> dict:
    """Hammer `url` from `connections` keep-alive threads for `seconds`; runs in the child."""
    host, port, path = split_url(url)
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    errors[slot] += 1
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                continue
            latencies[slot].append((time.perf_counter() - started) * 1000)
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 40)
    elapsed = time.monotonic() - started
    every = [value for chunk in latencies for value in chunk]
    return {
        "requests_per_second": len(every) / elapsed,
        "requests": len(every),
        "errors": sum(errors),
        "p50_ms": statistics.median(every) if every else float("nan"),
        "p99_ms": percentile(every, 0.99),
        "tool": "python",
    }


# -- PostgreSQL --------------------------------------------------------------


def postgres_available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster in /tmp on a free port; yields a psycopg URL."""
    directory = Path(tempfile.mkdtemp(prefix="colloquy-bench-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        as_postgres + [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c shared_buffers=256MB -c max_connections=200"
    subprocess.run(
        as_postgres
        + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(directory / "log")]
        + ["-w", "-t", "60", "start"],
        check=True,
        capture_output=True,
        timeout=90,
    )
    try:
        subprocess.run(
            as_postgres
            + [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
            + ["bench"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=90,
        )
        shutil.rmtree(directory, ignore_errors=True)


# -- seeding -----------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def bench_app(database_url: str, **config: object):
    """An application object bound to `database_url`, for seeding and inspection."""
    from blog import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-" + "k" * 40,
            "TRUSTED_HOSTS": ["127.0.0.1", "localhost"],
            **config,
        }
    )


def migrate(app) -> None:
    """Create the schema through the project's migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def create_author(app, username: str = "bench") -> int:
    """The author account the seeded posts belong to; returns its id."""
    from blog.accounts import create_user

    with app.app_context():
        return create_user(username, PASSWORD, "Bench Author").id


WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "it",
    "for",
    "as",
    "with",
    "was",
    "on",
    "be",
    "by",
    "this",
    "are",
    "or",
    "from",
    "at",
    "an",
    "but",
    "not",
    "have",
    "you",
    "which",
    "one",
    "all",
    "were",
    "can",
    "there",
    "their",
    "has",
    "more",
    "if",
    "will",
    "would",
    "what",
    "about",
    "when",
    "function",
    "value",
    "return",
    "list",
    "error",
    "database",
    "index",
    "query",
    "cache",
    "server",
    "request",
    "response",
    "thread",
    "process",
    "memory",
    "string",
    "number",
    "class",
    "method",
    "object",
    "module",
    "import",
    "test",
    "python",
    "javascript",
    "rust",
    "compile",
    "build",
    "deploy",
    "config",
    "file",
    "path",
    "user",
    "input",
    "output",
    "data",
    "table",
    "column",
    "row",
    "key",
    "model",
    "token",
    "prompt",
    "answer",
    "question",
    "example",
    "explain",
    "because",
    "however",
    "first",
    "second",
    "next",
    "then",
    "also",
    "only",
    "other",
    "such",
    "each",
    "both",
    "between",
    "within",
    "without",
    "while",
    "loop",
    "variable",
    "type",
    "check",
    "result",
    "problem",
    "solution",
    "approach",
    "performance",
    "latency",
    "race",
    "condition",
    "lock",
    "transaction",
    "commit",
    "rollback",
    "schema",
    "migration",
    "page",
    "template",
    "render",
    "markdown",
    "html",
    "link",
    "image",
    "search",
    "word",
    "phrase",
    "history",
    "garden",
    "recipe",
    "travel",
    "music",
    "physics",
    "chemistry",
    "biology",
    "history",
    "philosophy",
    "language",
    "grammar",
    "translation",
    "poem",
    "story",
    "character",
    "plot",
    "chapter",
    "review",
    "summary",
    "draft",
    "edit",
    "version",
    "branch",
    "merge",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "nu",
    "ra",
    "se",
    "ti",
    "vo",
    "ze",
    "ba",
    "ce",
    "di",
    "fo",
    "gu",
    "hy",
    "je",
    "ki",
    "lu",
    "mo",
    "ny",
    "pa",
    "qu",
    "re",
    "si",
    "to",
]


class TextMaker:
    """Deterministic, varied English-like text with a long tail of rare words."""

    def __init__(self, seed: int = 7, rare_words: int = 20_000) -> None:
        self.random = random.Random(seed)
        coined = {
            "".join(self.random.choice(SYLLABLES) for _ in range(self.random.randint(2, 4)))
            for _ in range(rare_words)
        }
        self.vocabulary = WORDS + sorted(coined)
        # Zipf-like weights: a few very common words, a long tail of rare ones.
        weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(self.vocabulary))]
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.sentences = [self._sentence() for _ in range(30_000)]

    def _sentence(self) -> str:
        words = self.random.choices(
            self.vocabulary, cum_weights=self.cumulative, k=self.random.randint(6, 18)
        )
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def paragraph(self, min_chars: int, max_chars: int) -> str:
        """Prose of a length between `min_chars` and `max_chars`."""
        target = self.random.randint(min_chars, max_chars)
        parts: list[str] = []
        size = 0
        while size < target:
            sentence = self.sentences[self.random.randrange(len(self.sentences))]
            parts.append(sentence)
            size += len(sentence) + 1
        return " ".join(parts)[:max_chars]


CODE_SAMPLES = {
    "python": '''def fetch_page(session, url: str, retries: int = 3) -> bytes:
    """Fetch a page, retrying on transient errors."""
    for attempt in range(retries):
        try:
            response = session.get(url, timeout=10)
            response.raise_for_status()
            return response.content
        except ConnectionError as exc:
            wait = 2 ** attempt
            print(f"attempt {attempt}: {exc}; retrying in {wait}s")
            time.sleep(wait)
    raise RuntimeError(f"gave up on {url}")''',
    "javascript": """async function loadComments(postId) {
  const response = await fetch(`/api/posts/${postId}/comments`);
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  const comments = await response.json();
  return comments
    .filter((c) => !c.hidden)
    .map((c) => ({ ...c, created: new Date(c.created) }));
}""",
    "sql": """SELECT posts.id, posts.title, count(turns.id) AS turn_count
FROM posts
JOIN turns ON turns.post_id = posts.id
WHERE posts.status = 'published'
  AND posts.published_at > now() - interval '30 days'
GROUP BY posts.id
ORDER BY turn_count DESC
LIMIT 20;""",
    "rust": """fn parse_line(line: &str) -> Result<(String, u32), ParseError> {
    let mut parts = line.splitn(2, '=');
    let key = parts.next().ok_or(ParseError::MissingKey)?.trim().to_string();
    let value = parts
        .next()
        .ok_or(ParseError::MissingValue)?
        .trim()
        .parse::<u32>()
        .map_err(|_| ParseError::NotANumber)?;
    Ok((key, value))
}""",
}


def code_heavy_turn(maker: TextMaker, index: int) -> tuple[str, str]:
    """(role, Markdown) for turn `index` of a technical conversation with code blocks."""
    if index % 2 == 0:
        return "user", maker.paragraph(120, 400) + "\n\nHow would you fix this?"
    language = list(CODE_SAMPLES)[(index // 2) % len(CODE_SAMPLES)]
    return "assistant", (
        maker.paragraph(200, 500)
        + f"\n\n```{language}\n{CODE_SAMPLES[language]}\n```\n\n"
        + "Key points:\n\n"
        + "\n".join(f"- {maker.paragraph(40, 120)} `value_{n}`" for n in range(3))
        + "\n\n"
        + maker.paragraph(150, 400)
    )


def chat_turn(
    maker: TextMaker, index: int, min_chars: int = 300, max_chars: int = 800
) -> tuple[str, str]:
    """(role, Markdown) for an ordinary conversation turn of realistic length."""
    role = "user" if index % 2 == 0 else "assistant"
    if role == "user":
        return role, maker.paragraph(min_chars // 2, max_chars // 2)
    return role, maker.paragraph(min_chars, max_chars)


def post_row(number: int, author_id: int, published_at: datetime, title: str) -> dict:
    """A published post's columns, for a bulk insert."""
    return {
        "id": number,
        "slug": f"post-{number}",
        "title": title,
        "summary": f"A conversation about {title.lower()}.",
        "status": "published",
        "author_id": author_id,
        "source_kind": "editor",
        "source_id": None,
        "content_hash": None,
        "model_name": "Bench Model 1",
        "license": "",
        "conversation_at": published_at,
        "created_at": published_at,
        "updated_at": published_at,
        "published_at": published_at,
        "checklist_confirmed_at": published_at,
        "how_made": "",
        "series_id": None,
        "series_position": 0,
        "version": 1,
    }


def turn_row(
    turn_id: int, post_id: int, position: int, role: str, source: str, html: str, text: str = ""
) -> dict:
    """A reviewed turn's columns, for a bulk insert (plain text defaults to the source)."""
    text = text or source
    return {
        "id": turn_id,
        "post_id": post_id,
        "position": position,
        "role": role,
        "speaker": "",
        "model": "Bench Model 1" if role == "assistant" else "",
        "source": source,
        "html": html,
        "text": text,
        "words": len(text.split()),
        "original_source": source if role == "assistant" else None,
        "alternatives_json": "[]",
        "reviewed": True,
        "excluded": False,
        "created_at": None,
        "version": 1,
    }


def seed_posts(
    app,
    author_id: int,
    posts: int,
    turns_per_post: int,
    make_turn,
    *,
    render_pool: int = 0,
    batch: int = 500,
) -> None:
    """Bulk-insert published posts with turns; HTML rendered per turn or from a pool of `render_pool`."""
    from sqlalchemy import insert

    from blog.extensions import db
    from blog.markdown import plain_text, render_markdown
    from blog.models import Post, Turn

    pool: list[tuple[str, str, str, str]] = []
    if render_pool:
        for index in range(render_pool):
            role, source = make_turn(index)
            pool.append((role, source, render_markdown(source, timeout=30), plain_text(source)))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    turn_id = 0
    with app.app_context():
        for first in range(1, posts + 1, batch):
            post_rows, turn_rows = [], []
            for number in range(first, min(posts, first + batch - 1) + 1):
                published = start + timedelta(hours=number)
                post_rows.append(post_row(number, author_id, published, f"Conversation {number}"))
                for position in range(turns_per_post):
                    turn_id += 1
                    if pool:
                        role, source, html, text = pool[(number * 7 + position) % len(pool)]
                        role = "user" if position % 2 == 0 else "assistant"
                    else:
                        role, source = make_turn(position)
                        html, text = render_markdown(source, timeout=30), plain_text(source)
                    turn_rows.append(turn_row(turn_id, number, position, role, source, html, text))
            db.session.execute(insert(Post.__table__), post_rows)
            db.session.execute(insert(Turn.__table__), turn_rows)
            publish_rows(post_rows, turn_rows)
            db.session.commit()


def seeded_site(posts: int, turns_per_post: int) -> Path:
    """A site of `posts` published chat posts of `turns_per_post` turns, built once and kept
    under bench/.data/ (a kept file is migrated to the current schema first)."""
    path = DATA / f"site_{posts}x{turns_per_post}.sqlite3"
    if path.exists():
        app = bench_app(sqlite_url(path))
        migrate(app)
        with app.app_context():
            from blog.extensions import db

            db.engine.dispose()  # the last connection closed: the WAL is in the file
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    started = time.perf_counter()
    app = bench_app(sqlite_url(building))
    migrate(app)
    author = create_author(app)
    maker = TextMaker(seed=posts, rare_words=5_000)
    seed_posts(
        app,
        author,
        posts=posts,
        turns_per_post=turns_per_post,
        make_turn=lambda index: chat_turn(maker, index),
        render_pool=160,
    )
    with app.app_context():
        from blog.extensions import db

        db.engine.dispose()
    building.rename(path)
    print(f"seeded {posts} posts in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def working_copy(database: Path, name: str) -> Path:
    """A copy of a seeded database for a run that writes to it, so the seed stays as built."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nothing left in the -wal file
    copy = DATA / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(database, copy)
    return copy


def publish_rows(post_rows: list[dict], turn_rows: list[dict]) -> None:
    """Give bulk-inserted posts the published revision and search entries readers' pages read."""
    import json
    from types import SimpleNamespace

    from sqlalchemy import insert, update

    from blog.extensions import db
    from blog.models import Post, Revision, search_entries
    from blog.posts.revisions import snapshot_data

    turns_of: dict[int, list[SimpleNamespace]] = {}
    for row in turn_rows:
        turns_of.setdefault(row["post_id"], []).append(SimpleNamespace(**row))
    revisions, entries = [], []
    for row in post_rows:
        turns = sorted(turns_of.get(row["id"], []), key=lambda t: t.position)
        data = snapshot_data(SimpleNamespace(**row), turns, [], None)
        revisions.append(
            {
                "id": row["id"],
                "post_id": row["id"],
                "number": 1,
                "created_at": row["published_at"],
                "note": "",
                "status": row["status"],
                "title": row["title"],
                "series_id": None,
                "series_position": 0,
                "data": json.dumps(data, ensure_ascii=False),
            }
        )
        entries.append({"post_id": row["id"], "turn_number": None, "body": row["title"]})
        entries += [
            {"post_id": row["id"], "turn_number": n, "body": t.text or t.source}
            for n, t in enumerate(turns, start=1)
        ]
    db.session.execute(insert(Revision.__table__), revisions)
    db.session.execute(
        update(Post.__table__)
        .where(Post.__table__.c.id.in_([row["id"] for row in post_rows]))
        .values(published_revision_id=Post.__table__.c.id)
    )
    db.session.execute(insert(search_entries), entries)


# -- memory ------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of one process (VmRSS), 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: pages shared with other processes (the forked-from master's
    code, after fork) counted in shares, so the figures of several processes add up."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def process_tree(pid: int) -> list[int]:
    """A process and every process it started, and theirs."""
    found = [pid]
    for child in children(pid):
        found += process_tree(child)
    return found


def tree_memory(pid: int) -> dict[str, float]:
    """RSS and PSS summed over a process and its descendants, and how many there are. The RSS
    sum counts pages the processes share once per process (what each would hold alone); the
    PSS sum is what they hold together."""
    tree = process_tree(pid)
    return {
        "rss_mb": sum(rss_mb(p) for p in tree),
        "pss_mb": sum(pss_mb(p) for p in tree),
        "processes": len(tree),
    }


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """`flask --app app worker` as deployed, once it has forked its worker and scheduler
    processes (the consumer, one worker, the scheduler: three)."""
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/flask"), "--app", "app", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(process_tree(worker.pid)) < 3:
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_process(worker)
            raise RuntimeError("the import worker did not start")
        time.sleep(0.2)
    return worker


def bump_generation(app) -> None:
    """Invalidate every cached public page, as a content change would."""
    from blog.extensions import db
    from blog.settings import bump_generation as bump

    with app.app_context():
        bump()
        db.session.commit()


def machine_description() -> dict[str, str]:
    """The facts a reader needs to compare these figures with their own."""
    import sqlite3

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    postgres = "not installed"
    if postgres_available():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            postgres = subprocess.run(
                [str(PG_BIN / "postgres"), "--version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
    wrk = "not installed"
    if shutil.which("wrk"):
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        wrk = (wrk.stdout or wrk.stderr).split("[")[0].strip()
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU model": cpu,
        "Memory": memory,
        "Python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": postgres,
        "Load generator": wrk,
    }


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "load":
    result = run_python_load(
        sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
    )
    print(json.dumps(result))
