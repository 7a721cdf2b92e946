"""Time and memory of importing a large ChatGPT export, against a bare parse-and-insert floor.

    .venv/bin/python bench/import_bench.py [--conversations 3000 --messages-per 50] [--with-app]
        [--render-processes 1,0] [--reimport] [--baseline REV] [--formatted-replies 0.8]

Writes a synthetic `conversations.json` (about 100 MB with the defaults) to a temporary
folder, then runs each phase in its own child process so peak memory does not mix:

* floor:  ijson streaming parse + executemany of one row per message into a fresh SQLite table;
* import: `read_conversations` over the file (parsing, branch walking, cleaning);
* app:    (with --with-app) the whole import into a fresh application database, every turn
          rendered, once per IMPORT_RENDER_PROCESSES value given (0: one process per core);
          `saved s` is when the drafts were committed and listed, before their rendering;
* reimport: (with --reimport) the same file imported again over those drafts (update):
          every text was rendered before, so the render cache does all of it;
* app @REV: (with --baseline REV) the app phase of the code at a git revision (`git archive`),
          run right after the others, so a change is compared under the same load.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "the",
    "model",
    "answer",
    "prompt",
    "python",
    "function",
    "data",
    "value",
    "result",
    "table",
    "chart",
    "because",
    "however",
    "returns",
    "error",
    "example",
    "simply",
    "first",
    "second",
    "import",
    "export",
    "branch",
    "message",
    "visible",
    "really",
    "conversation",
    "context",
    "memory",
    "token",
    "window",
    "regenerate",
    "edit",
    "question",
    "explain",
    "why",
    "how",
    "what",
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def message_text(rng: random.Random, role: str, formatted: float = 0.0) -> str:
    """Prompts are short; replies run to a few paragraphs, sometimes with code, and the
    `formatted` share of them with a heading, bold words and a list."""
    if role == "user":
        return " ".join(sentence(rng, rng.randint(6, 16)) for _ in range(rng.randint(1, 2)))
    paragraphs = [
        " ".join(sentence(rng, rng.randint(8, 14)) for _ in range(rng.randint(2, 3)))
        for _ in range(rng.randint(1, 2))
    ]
    if rng.random() < formatted:
        words = paragraphs[0].split(" ")
        bold = rng.randrange(1, len(words) - 1)
        words[bold] = f"**{words[bold]}**"
        paragraphs[0] = " ".join(words)
        paragraphs.insert(0, f"### {sentence(rng, 4).rstrip('.')}")
        paragraphs.append("\n".join(f"- {sentence(rng, rng.randint(3, 8))}" for _ in range(3)))
    if rng.random() < 0.25:
        paragraphs.append("```python\ndef answer(x):\n    return x * 42\n```")
    return "\n\n".join(paragraphs)


def node(node_id: str, parent: str | None, message: dict | None) -> dict:
    return {"id": node_id, "message": message, "parent": parent, "children": []}


def conversation(rng: random.Random, index: int, messages: int, formatted: float = 0.0) -> dict:
    start = 1_700_000_000.0 + index * 3600
    root = f"aaa{index:05d}-root"
    system = f"{index:05d}-system"
    mapping = {
        root: node(root, None, None),
        system: node(
            system,
            root,
            {
                "id": system,
                "author": {"role": "system", "name": None, "metadata": {}},
                "create_time": None,
                "content": {"content_type": "text", "parts": [""]},
                "status": "finished_successfully",
                "weight": 0.0,
                "metadata": {"is_visually_hidden_from_conversation": True},
                "recipient": "all",
            },
        ),
    }
    mapping[root]["children"].append(system)
    parent = system
    for number in range(messages):
        role = "user" if number % 2 == 0 else "assistant"
        node_id = f"{index:05d}-{number:04d}-{rng.getrandbits(64):016x}"
        metadata = {"timestamp_": "absolute", "message_type": None}
        if role == "assistant":
            metadata |= {
                "model_slug": "gpt-4o",
                "default_model_slug": "gpt-4o",
                "finish_details": {"type": "stop", "stop_tokens": [200002]},
                "is_complete": True,
                "parent_id": parent,
                "request_id": f"{rng.getrandbits(48):012x}-AMS",
            }
        mapping[node_id] = node(
            node_id,
            parent,
            {
                "id": node_id,
                "author": {"role": role, "name": None, "metadata": {}},
                "create_time": start + number * 30.5,
                "update_time": None,
                "content": {"content_type": "text", "parts": [message_text(rng, role, formatted)]},
                "status": "finished_successfully",
                "end_turn": role == "assistant" or None,
                "weight": 1.0,
                "metadata": metadata,
                "recipient": "all",
                "channel": None,
            },
        )
        mapping[parent]["children"].append(node_id)
        parent = node_id
    return {
        "title": f"Synthetic conversation {index}",
        "create_time": start,
        "update_time": start + messages * 30.5,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": parent,
        "plugin_ids": None,
        "conversation_id": f"synthetic-{index:05d}",
        "default_model_slug": "gpt-4o",
        "is_archived": False,
        "safe_urls": [],
        "id": f"synthetic-{index:05d}",
    }


def write_export(path: Path, conversations: int, messages: int, formatted: float = 0.0) -> None:
    """Write the array one conversation at a time, never holding it all (`formatted`: the
    share of replies with Markdown beyond paragraphs and code)."""
    rng = random.Random(1234)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for index in range(conversations):
            if index:
                out.write(",\n")
            json.dump(conversation(rng, index, messages, formatted), out, ensure_ascii=False)
        out.write("]")


def phase_floor(path: Path, workdir: Path) -> dict:
    """The least any importer must do: stream the JSON and insert one row per message."""
    import ijson

    database = sqlite3.connect(workdir / "floor.sqlite3")
    database.execute("CREATE TABLE turn (conversation TEXT, position INT, role TEXT, text TEXT)")
    rows = 0
    with path.open("rb") as stream:
        for item in ijson.items(stream, "item", use_float=True):
            batch = []
            for position, entry in enumerate(item["mapping"].values()):
                message = entry.get("message")
                if not message or message["author"]["role"] not in ("user", "assistant"):
                    continue
                text = "".join(p for p in message["content"]["parts"] if isinstance(p, str))
                batch.append((item["id"], position, message["author"]["role"], text))
            database.executemany("INSERT INTO turn VALUES (?, ?, ?, ?)", batch)
            rows += len(batch)
    database.commit()
    database.close()
    return {"rows": rows}


def phase_import(path: Path, workdir: Path) -> dict:
    """Our reading path: detection, streaming, branch walking and text cleaning."""
    sys.path.insert(0, str(ROOT))
    from blog.formats.detect import read_conversations

    conversations = turns = 0
    for imported in read_conversations(path):
        conversations += 1
        turns += len(imported.turns)
    return {"rows": turns, "conversations": conversations}


def app_for(workdir: Path, processes: int, name: str):
    """A fresh application database in `workdir`, migrated."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from blog import create_app

    database = workdir / f"{name}.sqlite3"
    database.unlink(missing_ok=True)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MAX_CONTENT_LENGTH": 1024**3,
            "IMPORT_RENDER_PROCESSES": processes,
            # The bench measures throughput: no budget cuts the rendering short.
            "IMPORT_RENDER_BUDGET_SECONDS": 10**6,
            "HUEY_SQLITE_PATH": str(workdir / f"{name}-queue.sqlite3"),
        }
    )
    with app.app_context():
        upgrade()
    return app


def timed_import(app, path: Path, **options) -> dict:
    """Import the file; its report, when the drafts were saved, turns rendered, wall time."""
    from blog.imports.files import import_file
    from blog.posts.rerender import RenderCount

    marks: dict[str, float] = {}
    before = RenderCount.turns
    with app.app_context():
        started = time.perf_counter()
        report = import_file(
            path,
            path.name,
            None,
            saved=lambda *_: marks.setdefault("saved_s", time.perf_counter() - started),
            **options,
        )
        marks["measured_s"] = time.perf_counter() - started
    return {
        "rows": report.turns,
        "conversations": len(report.created) + len(report.updated),
        "rendered": RenderCount.turns - before,
        **marks,
    }


def phase_app(path: Path, workdir: Path, processes: int = 0) -> dict:
    """The whole import into a fresh application database, every turn rendered."""
    return timed_import(app_for(workdir, processes, f"app-{processes}"), path)


def phase_reimport(path: Path, workdir: Path, processes: int = 0) -> dict:
    """The file imported, then imported again over its drafts: the second one is timed."""
    app = app_for(workdir, processes, "reimport")
    timed_import(app, path)
    return timed_import(app, path, on_duplicate="update")


PHASES = {"floor": phase_floor, "import": phase_import, "app": phase_app}
PHASES["reimport"] = phase_reimport


def run_child(
    phase: str, path: Path, workdir: Path, processes: int = 0, script: Path | None = None
) -> dict:
    """Run one phase in a fresh interpreter; it reports its own wall time and peak RSS."""
    command = [sys.executable, str(script or __file__), "--phase", phase, "--file", str(path)]
    command += ["--workdir", str(workdir)]
    if script is None:
        command += ["--processes", str(processes)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(phase: str, path: Path, workdir: Path, processes: int) -> None:
    started = time.perf_counter()
    options = {"processes": processes} if phase in ("app", "reimport") else {}
    result = PHASES[phase](path, workdir, **options)
    # The import itself when the phase timed it (not the schema set up before it).
    result["seconds"] = result.pop("measured_s", None) or time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024**2
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=3000)
    parser.add_argument("--messages-per", type=int, default=50)
    parser.add_argument("--with-app", action="store_true", help="also time the full app import")
    parser.add_argument(
        "--render-processes",
        default="0",
        help="IMPORT_RENDER_PROCESSES values for the app phase, comma-separated (0: per core)",
    )
    parser.add_argument(
        "--reimport", action="store_true", help="also time importing the file again (update)"
    )
    parser.add_argument(
        "--formatted-replies",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="the share of replies with a heading, bold words and a list, as most real "
        "replies have (default 0: paragraphs and code only)",
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="also run the app phase of the code at this revision"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every phase this many times, interleaved, and keep the fastest of each",
    )
    parser.add_argument("--processes", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child_main(args.phase, args.file, args.workdir, args.processes)
        return

    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        workdir = Path(folder)
        path = workdir / "conversations.json"
        started = time.perf_counter()
        write_export(path, args.conversations, args.messages_per, args.formatted_replies)
        size_mb = path.stat().st_size / 1024**2
        print(
            f"wrote {path.name}: {size_mb:.1f} MB, {args.conversations:,} conversations x "
            f"{args.messages_per} messages in {time.perf_counter() - started:.1f} s"
        )
        runs = {phase: (lambda phase=phase: run_child(phase, path, workdir)) for phase in PHASES}
        del runs["app"], runs["reimport"]
        counts = [int(n) for n in args.render_processes.split(",")] if args.with_app else []
        for processes in counts:
            runs[f"app x{processes or 'cores'}"] = lambda n=processes: run_child(
                "app", path, workdir, n
            )
        if args.reimport:
            last = counts[-1] if counts else 0
            runs["reimport"] = lambda: run_child("reimport", path, workdir, last)
        if args.baseline:
            base = workdir / "baseline"
            archive = subprocess.run(
                ["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(base, filter="data")
            script = base / "bench" / "import_bench.py"

            def baseline() -> dict:
                (workdir / "app.sqlite3").unlink(missing_ok=True)
                return run_child("app", path, workdir, script=script)

            runs[f"app @{args.baseline}"] = baseline
        # Other work on a shared machine can only slow a phase down: the fastest round counts.
        results: dict[str, dict] = {}
        for _ in range(args.rounds):
            for name, run in runs.items():
                result = run()
                kept = results.get(name)
                if kept is None or "error" in kept or result.get("seconds", 1e9) < kept["seconds"]:
                    results[name] = result

    floor_seconds = results["floor"].get("seconds")
    print(
        f"\n{'phase':<12} {'rows':>9} {'wall s':>8} {'x floor':>8} {'saved s':>8} "
        f"{'rendered':>9} {'turns/s':>8} {'peak RSS MB':>12}"
    )
    for phase, result in results.items():
        if "error" in result:
            print(f"{phase:<12} failed: {result['error']}")
            continue
        ratio = result["seconds"] / floor_seconds if floor_seconds else float("nan")
        saved = f"{result['saved_s']:.2f}" if "saved_s" in result else ""
        rendered = f"{result['rendered']:,}" if "rendered" in result else ""
        rate = f"{result['rows'] / result['seconds']:,.0f}" if "rendered" in result else ""
        print(
            f"{phase:<12} {result['rows']:>9,} {result['seconds']:>8.2f} {ratio:>8.2f} "
            f"{saved:>8} {rendered:>9} {rate:>8} {result['peak_rss_mb']:>12.1f}"
        )


if __name__ == "__main__":
    main()
