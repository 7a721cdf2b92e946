"""An import sent without a length (Transfer-Encoding: chunked), over a raw socket to gunicorn:
past the limit it is refused with 413 and its reason, within it the whole file is taken."""

from __future__ import annotations

import json
import socket

from tests.servers import PASSWORD, Browser, running_gunicorn

LIMIT = 1024 * 1024


def post_chunked(port: int, path: str, headers: dict[str, str], body: bytes) -> str:
    """POST `body` in 64 kB chunks with no Content-Length; the whole answer, as text.

    Unlike the form-bomb tests' sender this reads the answer to its end, for its message.
    """
    head = [
        f"POST {path} HTTP/1.1",
        "Host: blog.example",
        "X-Forwarded-Proto: https",
        "Transfer-Encoding: chunked",
        "Connection: close",  # the answer ends where the connection does
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the body ended: the answer says why
        while more := sock.recv(65536):
            answer += more
    return answer.decode("utf-8", "replace")


def multipart(token: str, data: bytes) -> bytes:
    return (
        (
            f'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--x\r\nContent-Disposition: form-data; name="file"; filename="c.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + data
        + b"\r\n--x--\r\n"
    )


def test_a_chunked_import_past_the_limit_is_refused_with_its_reason(tmp_path):
    with running_gunicorn(tmp_path, settings={"FLASK_MAX_CONTENT_LENGTH": str(LIMIT)}) as server:
        author = Browser(server.port)
        author.login("alice", PASSWORD)
        token = author.csrf_token("/studio/import/")
        headers = {
            "Content-Type": "multipart/form-data; boundary=x",
            "Cookie": "; ".join(f"{k}={v}" for k, v in author.cookies.items()),
        }
        too_large = b'["' + b"x" * (LIMIT + 200 * 1024) + b'"]'
        page = post_chunked(server.port, "/studio/import/", headers, multipart(token, too_large))
        assert page.startswith("HTTP/1.1 413"), page[:500]
        assert "The file is larger than an import may be (1 MB)" in page

        # Within the limit, the same upload without a length is read whole and taken.
        conversation = {
            "format": "colloquy",
            "version": 1,
            "title": "Sent in chunks",
            "turns": [{"role": "user", "text": "Hi"}, {"role": "assistant", "text": "Hello."}],
        }
        data = json.dumps(conversation).encode()
        page = post_chunked(server.port, "/studio/import/", headers, multipart(token, data))
        assert page.startswith("HTTP/1.1 303"), page[:500]
        job = author.get(page.split("Location: ", 1)[1].split("\r\n", 1)[0])
        assert job.status == 200 and "c.json" in job.body
