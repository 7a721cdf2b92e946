"""Start the web server and the import worker together; stop both on Ctrl+C or SIGTERM.

    python scripts/run.py dev     # `make run`: Flask's server on http://127.0.0.1:5000
    python scripts/run.py serve   # `make serve` and the container: gunicorn

When either process ends, the other is stopped too, and this script exits with the first one's
status, so a supervisor (or the terminal) sees the failure; after a SIGTERM it asked for, 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_SECONDS = 40  # gunicorn's graceful timeout, plus a margin


def web_command(mode: str) -> list[str]:
    if mode == "serve":
        return [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    return [str(BIN / "flask"), "--app", "app", "run"]


def announce_setup_token() -> None:
    """Flask's server loads the app lazily: print the token before the first request does."""
    sys.path.insert(0, str(ROOT))
    from blog import create_app
    from blog.first_run import announce_at_start

    host, port = os.environ["FLASK_RUN_HOST"], os.environ["FLASK_RUN_PORT"]
    announce_at_start(create_app(), f"http://{host}:{port}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("dev", "serve"))
    mode = parser.parse_args().mode
    # Before anything is created: the database, secret key and queue are the server's alone.
    os.umask(0o077)
    os.chdir(ROOT)
    os.environ.setdefault("FLASK_RUN_HOST", "127.0.0.1")
    os.environ.setdefault("FLASK_RUN_PORT", "5000")
    if mode == "dev":
        announce_setup_token()  # gunicorn prints it from its own when_ready hook

    worker = subprocess.Popen([str(BIN / "flask"), "--app", "app", "worker"])
    web = subprocess.Popen(web_command(mode))
    # Each process's graceful stop: SIGINT lets the worker finish its import first.
    graceful = {worker.pid: signal.SIGINT, web.pid: signal.SIGTERM}
    processes = {worker.pid: worker, web.pid: web}

    stop_requested = []

    def forward(signum, _frame) -> None:
        stop_requested.append(signum)
        for pid, process in processes.items():
            if process.poll() is None:
                process.send_signal(graceful[pid] if signum == signal.SIGTERM else signum)

    signal.signal(signal.SIGTERM, forward)
    # Ctrl+C reaches every process in the terminal's group by itself; only SIGTERM needs passing.
    # (Ignored only now: the children, started before, keep the default handler.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    first, status = os.wait()
    processes[first].returncode = os.waitstatus_to_exitcode(status)
    for pid, process in processes.items():
        if pid != first and process.poll() is None:
            process.send_signal(graceful[pid])
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Asked to stop, the children's exit codes say only how they took the signal (a worker still
    # loading the app when it arrives exits as "Aborted!"): a requested stop is a clean one.
    return 0 if stop_requested else processes[first].returncode


if __name__ == "__main__":
    sys.exit(main())
