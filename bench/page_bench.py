"""A 40-turn, code-heavy post served by Colloquy vs the same bytes from a trivial WSGI app.

Both run under the same gunicorn settings; wrk (or a Python load generator) drives them
from another process on loopback. Anonymous readers, so the page cache applies.
Run from the project root: ``.venv/bin/python bench/page_bench.py [--seconds 8]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

POST_SLUG = "post-10"


def static_app(environ, start_response):
    """The page's bytes from memory, with the same ETag; answers If-None-Match with 304."""
    if _STATIC is None:
        _load_static()
    body, etag, content_type = _STATIC
    if environ.get("HTTP_IF_NONE_MATCH") == etag:
        start_response("304 Not Modified", [("ETag", etag)])
        return [b""]
    start_response(
        "200 OK",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("ETag", etag)],
    )
    return [body]


_STATIC: tuple[bytes, str, str] | None = None


def _load_static() -> None:
    global _STATIC
    _STATIC = (
        Path(os.environ["BENCH_BODY_FILE"]).read_bytes(),
        os.environ["BENCH_ETAG"],
        os.environ["BENCH_CONTENT_TYPE"],
    )


def seed(path: Path) -> None:
    """A fresh database: 21 published posts of 40 code-heavy turns each."""
    path.unlink(missing_ok=True)
    app = common.bench_app(common.sqlite_url(path))
    common.migrate(app)
    author = common.create_author(app)
    maker = common.TextMaker(seed=10, rare_words=2_000)
    common.seed_posts(
        app,
        author,
        posts=21,
        turns_per_post=40,
        make_turn=lambda index: common.code_heavy_turn(maker, index),
        render_pool=40,
    )


VARIANTS = {
    "deployed": {},  # deploy/gunicorn.conf.py as is (workers recycled every ~2,000 requests)
    "no-recycle": {"GUNICORN_MAX_REQUESTS": "0"},
}


def measure(seconds: float, connections: int, rounds: int) -> dict:
    """Requests/s of both servers, plain and conditional, in interleaved rounds (best of each)."""
    database = common.DATA / "page.sqlite3"
    common.DATA.mkdir(parents=True, exist_ok=True)
    seed(database)
    env = common.app_environment(common.sqlite_url(database))
    figures: dict = {}
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for variant, extra in VARIANTS.items():
            app_env = {**env, **extra}
            server = stack.enter_context(
                common.gunicorn("app:app", app_env, name=f"page-colloquy-{variant}")
            )
            urls[f"app/{variant}"] = f"{server.base}/posts/{POST_SLUG}"
        bodies: dict[str, bytes] = {}
        etags: dict[str, str] = {}
        for variant, extra in VARIANTS.items():
            # Each app server's page names its own port, so each static twin gets its bytes.
            status, headers, body = common.get(urls[f"app/{variant}"])
            if status != 200:
                raise RuntimeError(f"the post page answered {status}")
            etag = headers["etag"]
            body_file = common.DATA / f"page_body_{variant}.html"
            body_file.write_bytes(body)
            bodies[variant] = body
            etags[variant] = etag
            static_env = {
                **env,
                **extra,
                "BENCH_BODY_FILE": str(body_file),
                "BENCH_ETAG": etag,
                "BENCH_CONTENT_TYPE": headers["content-type"],
            }
            server = stack.enter_context(
                common.gunicorn(
                    "bench.page_bench:static_app", static_env, name=f"page-static-{variant}"
                )
            )
            urls[f"static/{variant}"] = f"{server.base}/posts/{POST_SLUG}"
        for name, url in urls.items():
            status, _, same = common.get(url)
            if status != 200 or same != bodies[name.split("/")[1]]:
                raise RuntimeError(f"{name} did not serve the same bytes")
            if common.get(url, {"If-None-Match": etags[name.split("/")[1]]})[0] != 304:
                raise RuntimeError(f"{name} does not answer a matching If-None-Match with 304")
            common.load(url, seconds=2, connections=connections)  # warm every worker
        runs: dict[str, list[common.LoadResult]] = {}
        for _ in range(rounds):
            for name, url in urls.items():
                runs.setdefault(name, []).append(
                    common.load(url, seconds=seconds, connections=connections)
                )
                runs.setdefault(name + "/304", []).append(
                    common.load(
                        url,
                        seconds=seconds,
                        connections=connections,
                        headers={"If-None-Match": etags[name.split("/")[1]]},
                    )
                )
    rps = {
        # Best of the rounds: other work on the machine only ever lowers throughput.
        name: max(r.requests_per_second for r in found)
        for name, found in runs.items()
    }
    figures["page_bytes"] = len(body)
    figures["tool"] = runs["app/deployed"][0].tool
    figures["errors"] = sum(r.errors for found in runs.values() for r in found)
    for variant in VARIANTS:
        for suffix in ("", "/304"):
            app_rps, static_rps = rps[f"app/{variant}{suffix}"], rps[f"static/{variant}{suffix}"]
            key = variant + ("-304" if suffix else "")
            figures[key] = {
                "app_rps": app_rps,
                "static_rps": static_rps,
                "ratio": app_rps / static_rps,
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    args = parser.parse_args()
    figures = measure(args.seconds, args.connections, args.rounds)
    print(f"page: {figures['page_bytes']:,} bytes, load by {figures['tool']}")
    for key in ("deployed", "deployed-304", "no-recycle", "no-recycle-304"):
        row = figures[key]
        print(
            f"  {key:15} colloquy {row['app_rps']:6.0f} req/s, static {row['static_rps']:6.0f} "
            f"req/s, ratio {row['ratio']:.2f}"
        )
    print(f"  error responses: {figures['errors']}")
    common.emit_result("page", figures)


if __name__ == "__main__":
    main()
