"""Gunicorn settings for Colloquy: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Every value can be changed through an environment variable, so the systemd unit,
the container and `make serve` share this one file.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from pathlib import Path


def env_int(name: str, default: int) -> int:
    """An integer from the environment, or the default when unset or blank."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "app:app"
bind = [
    address.strip()
    for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
    if address.strip()
]


def memory_mb() -> int:
    """The memory this machine (or the container's limit, when lower) has, in MB; 0 if unknown."""
    found = []
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                found.append(int(line.split()[1]) // 1024)  # in kB
    with contextlib.suppress(OSError, ValueError):  # "max" when the container has no limit
        found.append(int(Path("/sys/fs/cgroup/memory.max").read_text()) // 1024**2)
    return min(found, default=0)


def default_workers(cores: int, memory: int) -> int:
    """2 x cores + 1, capped at 9 and at one per 400 MB of memory (at least 2).

    A small blog waits on the database, not on the CPU, and every worker holds its own page
    cache, connections and its threads' largest pages: about 240 MB on a 10,000-post site,
    beside an import worker that reaches 280 MB while it renders (docs/deployment.md). So a
    1 GB server gets two workers, which leaves it room for the import.
    """
    by_cores = min(cores * 2 + 1, 9)
    return min(by_cores, max(2, memory // 400)) if memory else by_cores


def default_threads(memory: int) -> int:
    """4 threads a worker, 2 under 2 GB: each thread may hold a large page as it renders."""
    return 2 if 0 < memory < 2000 else 4


workers = env_int("GUNICORN_WORKERS", default_workers(multiprocessing.cpu_count(), memory_mb()))
worker_class = "gthread"
threads = env_int("GUNICORN_THREADS", default_threads(memory_mb()))

# Uploads are streamed to disk within the request; the import worker reads and saves them.
timeout = env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak can never grow without bound, but
# rarely: a restart empties that worker's page cache.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 10_000)

# Each worker opens its own database connections: a pool created before the
# fork would be shared between processes, which neither SQLite nor psycopg allow.
preload_app = False

# Only the local reverse proxy may say which scheme the client used.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Heartbeat files on a RAM disk when there is one (containers often lack a real /tmp).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client address as the proxy reported it, then the usual combined format and the time taken.
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s - %(u)s %(t)s "%(r)s" %(s)s %(B)s "%(f)s" "%(a)s" %(M)sms'
)
proc_name = "colloquy"


def when_ready(server) -> None:
    """While no account exists, print a first-run setup token before the first request."""
    from blog import create_app
    from blog.first_run import announce_at_start

    try:
        # The flask command, not make: a server's token is printed with its own environment.
        announce_at_start(create_app(), f"http://{bind[0]}", prefer_make=False)
    except Exception as exc:  # noqa: BLE001 - a missing notice must not stop the site
        server.log.warning("No setup token printed (%s); run `flask --app app setup-token`", exc)


def post_worker_init(worker) -> None:
    """Keep the loaded app out of the garbage collector's full passes.

    Everything the worker built at start (modules, the app, SQLAlchemy's metadata, templates)
    lives as long as the worker; left in the collector's oldest generation, each full pass
    walks all of it again, a pause of tens of milliseconds in whichever request is running.
    """
    gc.freeze()
