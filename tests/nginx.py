"""Real nginx on loopback with the configuration in deploy/nginx.conf, for tests and benchmarks."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def available() -> bool:
    return Path(NGINX).exists()


def local_config(
    *, port: int, upstream: int, mirror: Path, folder: Path, host: str, workers: int = 1
) -> str:
    """deploy/nginx.conf made runnable on loopback: plain HTTP, temp paths, this mirror."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = re.sub(r"# tls-redirect-begin.*?# tls-redirect-end\n", "", site, flags=re.S)
    site = "\n".join(line for line in site.splitlines() if "ssl_" not in line)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    site = site.replace("listen [::]:443 ssl http2;", "")
    site = site.replace("/srv/colloquy/mirror", str(mirror))
    site = site.replace("/srv/colloquy/static/", f"{ROOT / 'static'}/")
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    site = site.replace("server_name blog.example.org;", f"server_name {host};")
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};" for kind in ("proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Run as root (a container), nginx would switch its workers to a user that cannot
    # read the test's private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes {workers};\ndaemon off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        # The http block of Debian's own nginx.conf, which the site file is written for.
        f"http {{\n  include /etc/nginx/mime.types;\n  sendfile on;\n  tcp_nopush on;\n"
        f"  client_body_temp_path {folder / 'body'};\n{temp}\n"
        f"  log_format upstream '$request_uri $status $upstream_addr';\n"
        f"  access_log {folder / 'nginx-access.log'} upstream;\n{site}\n}}\n"
    )


def wait_for_port(process: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{log.read_text()}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nginx did not listen on {port}:\n{log.read_text()}")


@contextmanager
def running(
    folder: Path, *, port: int, upstream: int, mirror: Path, host: str, workers: int = 1
) -> Iterator[subprocess.Popen]:
    """nginx in the foreground with the generated configuration; stopped gracefully after."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(
        local_config(
            port=port, upstream=upstream, mirror=mirror, folder=folder, host=host, workers=workers
        )
    )
    log = folder / "error.log"
    with log.open("a") as sink:
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(config), "-e", "stderr"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(process, port, log)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
