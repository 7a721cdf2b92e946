"""Request bodies sent piece by piece over a raw socket, as an attacker sends them.

The standard library only, and nothing from `bench/` or `tests/`: the tests import it as
`bench.raw_http`, the benchmarks as `raw_http`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping


def send_body(
    port: int,
    target: str,
    headers: Mapping[str, str],
    pieces: Iterable[bytes],
    *,
    length: int | None = None,
    timeout: float = 60,
) -> str:
    """POST a body piece by piece to loopback; the status line answered, or "closed".

    With `length` the body is sent under that Content-Length, without it chunked. A server
    that refuses a body answers before reading it and closes the connection, so the rest of
    the body meets a closed socket: that is the refusal working, not a failure.
    """
    framing = "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}"
    head = [f"POST {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(("\r\n".join([*head, framing]) + "\r\n\r\n").encode())
            for piece in pieces:
                sock.sendall(piece if length is not None else b"%x\r\n%s\r\n" % (len(piece), piece))
            if length is None:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return sock.recv(4096).split(b"\r\n", 1)[0].decode() or "closed"
        except ConnectionResetError:
            return "closed"
