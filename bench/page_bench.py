"""A 40-turn, code-heavy post served by Colloquy vs the same bytes from a trivial WSGI app.

Both run under the same gunicorn settings; wrk (or a Python load generator) drives them
from another process on loopback. Anonymous readers, so the page cache applies.
Run from the project root: ``.venv/bin/python bench/page_bench.py [--seconds 8]``.

``--mirror`` measures, in one run, the post served by nginx from the static mirror
(deploy/nginx.conf), by Colloquy without a mirror, and by the trivial WSGI app.
``--baseline REV`` adds Colloquy as it was at a git revision, on the same database, to
compare a change with what came before under the same load; and, because throughput on a
busy machine varies from round to round, the CPU time one cached hit costs inside the app
(no server, no network), each version in its own process, taking turns.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

POST_SLUG = "post-10"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}  # what a browser asks for


def static_app(environ, start_response):
    """The page's bytes from memory, with the same ETag; answers If-None-Match with 304.

    Given BENCH_GZIP_FILE, a reader who accepts gzip gets those bytes (the mirror's twin,
    as nginx sends it), so both servers send the same bytes in either encoding.
    """
    if _STATIC is None:
        _load_static()
    body, etag, content_type, packed = _STATIC
    if environ.get("HTTP_IF_NONE_MATCH") == etag:
        start_response("304 Not Modified", [("ETag", etag)])
        return [b""]
    headers = [("Content-Type", content_type), ("ETag", etag)]
    if packed and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        body = packed
        headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]


_STATIC: tuple[bytes, str, str, bytes] | None = None


def _load_static() -> None:
    global _STATIC
    packed = os.environ.get("BENCH_GZIP_FILE")
    _STATIC = (
        Path(os.environ["BENCH_BODY_FILE"]).read_bytes(),
        os.environ["BENCH_ETAG"],
        os.environ["BENCH_CONTENT_TYPE"],
        Path(packed).read_bytes() if packed else b"",
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


def measure_mirror(
    seconds: float, connections: int, rounds: int, baseline: str | None = None
) -> dict:
    """Requests/s of nginx from the mirror, Colloquy alone and the trivial app, interleaved."""
    from blog.mirror import build
    from tests import nginx

    if not nginx.available():
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    database = common.DATA / "page.sqlite3"
    common.DATA.mkdir(parents=True, exist_ok=True)
    seed(database)
    env = common.app_environment(common.sqlite_url(database))
    mirror = common.DATA / "mirror"
    shutil.rmtree(mirror, ignore_errors=True)
    with contextlib.ExitStack() as stack:
        app_server = stack.enter_context(common.gunicorn("app:app", env, name="page-colloquy"))
        urls = {"app": f"{app_server.base}/posts/{POST_SLUG}"}
        status, headers, body = common.get(urls["app"])
        if status != 200:
            raise RuntimeError(f"the post page answered {status}")
        body_file = common.DATA / "page_body_mirror.html"
        body_file.write_bytes(body)
        # The mirror's pages name the address readers use: the nginx in front.
        build(common.bench_app(common.sqlite_url(database), SITE_URL=app_server.base), mirror)
        twin = mirror / "posts" / POST_SLUG / "index.html.gz"
        static_env = {
            **env,
            "BENCH_BODY_FILE": str(body_file),
            "BENCH_GZIP_FILE": str(twin),
            "BENCH_ETAG": headers["etag"],
            "BENCH_CONTENT_TYPE": headers["content-type"],
        }
        static = stack.enter_context(
            common.gunicorn("bench.page_bench:static_app", static_env, name="page-static-mirror")
        )
        urls["static"] = f"{static.base}/posts/{POST_SLUG}"
        port = common.free_port()
        stack.enter_context(
            nginx.running(
                common.DATA / "nginx",
                port=port,
                upstream=app_server.port,
                mirror=mirror,
                host="127.0.0.1",
                workers=2,
            )
        )
        urls["mirror"] = f"http://127.0.0.1:{port}/posts/{POST_SLUG}"
        if baseline:
            before = stack.enter_context(
                common.gunicorn(
                    "app:app",
                    env,
                    name="page-colloquy-baseline",
                    cwd=common.checkout(baseline, common.DATA / "baseline"),
                )
            )
            urls["baseline"] = f"{before.base}/posts/{POST_SLUG}"
        if baseline:
            earlier = common.get(urls["baseline"])
            if earlier[0] != 200 or len(earlier[2]) != len(body):
                raise RuntimeError(f"Colloquy at {baseline} did not serve the same page")
        mirrored = common.get(urls["mirror"])
        if mirrored[0] != 200 or mirrored[2] != body:
            raise RuntimeError("nginx did not serve the app's bytes from the mirror")
        if "-" not in mirrored[1].get("etag", ""):
            raise RuntimeError("nginx answered through the app, not from the file")
        for name in ("mirror", "static"):
            packed = common.get(urls[name], GZIP)
            if packed[1].get("content-encoding") != "gzip" or packed[2] != twin.read_bytes():
                raise RuntimeError(f"{name} did not send the mirror's gzip twin")
        # Every server in identity encoding; then the two that hold the page compressed,
        # asked as browsers ask. The app sends identity (nginx compresses it in front).
        loads = {name: (url, None) for name, url in urls.items()}
        loads |= {f"{name}/gzip": (urls[name], GZIP) for name in ("static", "mirror")}
        for url in urls.values():
            common.load(url, seconds=2, connections=connections)  # warm every worker
        runs: dict[str, list[common.LoadResult]] = {}
        for _ in range(rounds):
            for name, (url, asked) in loads.items():
                result = common.load(url, seconds=seconds, connections=connections, headers=asked)
                runs.setdefault(name, []).append(result)
    rps = {name: max(r.requests_per_second for r in found) for name, found in runs.items()}
    return {
        "page_bytes": len(body),
        "gzip_bytes": twin.stat().st_size,
        "tool": runs["app"][0].tool,
        "errors": sum(r.errors for found in runs.values() for r in found),
        "rps": rps,
        "mirror_ratio": rps["mirror"] / rps["static"],
        "mirror_gzip_ratio": rps["mirror/gzip"] / rps["static/gzip"],
        "app_ratio": rps["app"] / rps["static"],
        **(
            {"baseline": baseline, "baseline_ratio": rps["baseline"] / rps["static"]}
            if baseline
            else {}
        ),
    }


CPU_PER_HIT = """
import sys, time
from blog import create_app
from werkzeug.test import EnvironBuilder
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "k" * 40,
                  "TRUSTED_HOSTS": ["127.0.0.1"]})
environ = EnvironBuilder(path=sys.argv[2], base_url="http://127.0.0.1").get_environ()
def start_response(status, headers, exc_info=None):
    assert status.startswith("200"), status
b"".join(app(dict(environ), start_response))  # rendered and stored: the rest are hits
hits = [dict(environ) for _ in range(int(sys.argv[3]))]
started = time.process_time()
for one in hits:
    app(one, start_response)
print((time.process_time() - started) / len(hits) * 1e6)
"""


def cpu_per_hit(tree: Path, database: Path, hits: int = 20_000) -> float:
    """CPU microseconds one cached hit of the post costs in the app at `tree`."""
    output = subprocess.run(
        [common.PYTHON, "-c", CPU_PER_HIT, common.sqlite_url(database)]
        + [f"/posts/{POST_SLUG}", str(hits)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    return float(output.split()[-1])


def measure_cpu(baseline: str) -> dict[str, float]:
    """CPU per cached hit, this tree and the baseline's, in alternating child processes."""
    database = common.DATA / "page.sqlite3"
    before = common.checkout(baseline, common.DATA / "baseline")
    figures: dict[str, list[float]] = {"app": [], "baseline": []}
    for _ in range(3):  # least of each: other work on the machine only adds
        figures["baseline"].append(cpu_per_hit(before, database))
        figures["app"].append(cpu_per_hit(common.ROOT, database))
    return {name: min(values) for name, values in figures.items()}


def main_mirror(args: argparse.Namespace) -> None:
    figures = measure_mirror(args.seconds, args.connections, args.rounds, args.baseline)
    print(
        f"page: {figures['page_bytes']:,} bytes ({figures['gzip_bytes']:,} gzipped), "
        f"load by {figures['tool']}"
    )
    rps = figures["rps"]
    print("asked for gzip, as browsers ask:")
    print(f"  trivial WSGI app (gunicorn)  {rps['static/gzip']:7.0f} req/s")
    print(
        f"  nginx from the mirror        {rps['mirror/gzip']:7.0f} req/s, "
        f"{figures['mirror_gzip_ratio']:.2f}x"
    )
    print("identity (no Accept-Encoding):")
    print(f"  trivial WSGI app (gunicorn)  {rps['static']:7.0f} req/s")
    print(
        f"  nginx from the mirror        {rps['mirror']:7.0f} req/s, {figures['mirror_ratio']:.2f}x"
    )
    print(f"  Colloquy, no mirror          {rps['app']:7.0f} req/s, {figures['app_ratio']:.2f}x")
    if args.baseline:
        label = f"Colloquy at {args.baseline}"[:27]
        print(f"  {label:27}  {rps['baseline']:7.0f} req/s, {figures['baseline_ratio']:.2f}x")
        cpu = measure_cpu(args.baseline)
        figures["cpu_us_per_hit"] = cpu
        print(
            f"  CPU per cached hit in the app: {cpu['app']:.1f} us, "
            f"at {args.baseline} {cpu['baseline']:.1f} us"
        )
    print(f"  error responses: {figures['errors']}")
    common.emit_result("page-mirror", figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--mirror", action="store_true", help="nginx from the static mirror vs app vs trivial"
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="with --mirror: also Colloquy at this git revision (e.g. main), same run",
    )
    args = parser.parse_args()
    if args.mirror:
        main_mirror(args)
        return
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
