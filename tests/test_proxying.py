"""The browser tests' sign-in proxy does what a deployment's proxy must: the app sees only the proxy's identity."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.proxying import signing_proxy


class _Recorder(socketserver.StreamRequestHandler):
    """Records every request head it is sent and answers each with an empty 200 (an upgrade with a 101)."""

    heads: list[bytes]

    def handle(self) -> None:
        while head := self._head():
            self.heads.append(head)
            if b"upgrade: websocket" in head.lower():
                self.wfile.write(UPGRADED)
                self.wfile.write(self.rfile.read(5))  # echo the first frame's bytes
                return
            length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                           if line.startswith(b"content-length:")), 0)
            if length:
                self.heads.append(self.rfile.read(length))
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def _head(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            lines.append(line)
        return b"".join(lines)


@contextmanager
def _upstream() -> Iterator[tuple[str, list[bytes]]]:
    heads: list[bytes] = []
    handler = type("Handler", (_Recorder,), {"heads": heads})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", heads
        finally:
            server.shutdown()


def _exchange(base: str, payload: bytes, answer_size: int) -> bytes:
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(payload)
        received = b""
        while len(received) < answer_size and (data := connection.recv(4096)):
            received += data
        return received


ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
UPGRADED = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


@pytest.mark.parametrize(("sent", "email", "seen"), [
    (b"", "viewer@example.com", b"X-Forwarded-Email: viewer@example.com"),
    (b"X-Forwarded-Email: dpo@example.com\r\n", "viewer@example.com", b"X-Forwarded-Email: viewer@example.com"),
    (b"x-forwarded-email:dpo@example.com\r\n", None, b""),
])
def test_the_app_sees_only_the_identity_the_proxy_sets(sent: bytes, email: str | None, seen: bytes) -> None:
    with _upstream() as (app, heads), signing_proxy(app, email) as entry:
        request = b"GET /one HTTP/1.1\r\nHost: app\r\n" + sent + b"\r\n"
        post = b"POST /two HTTP/1.1\r\nHost: app\r\n" + sent + b"Content-Length: 5\r\n\r\nhello"
        assert _exchange(entry, request + post, 2 * len(ANSWER)) == 2 * ANSWER
    identities = [[line for line in head.split(b"\r\n") if line.lower().startswith(b"x-forwarded-email")]
                  for head in heads if head.startswith((b"GET", b"POST"))]
    assert identities == [[seen] if seen else [], [seen] if seen else []]
    assert b"hello" in heads


def test_the_websocket_upgrade_is_signed_and_then_relayed_both_ways() -> None:
    with _upstream() as (app, heads), signing_proxy(app, "viewer@example.com") as entry:
        upgrade = (b"GET /_stcore/stream HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                   b"X-Forwarded-Email: dpo@example.com\r\n\r\nframe")
        assert _exchange(entry, upgrade, len(UPGRADED) + 5) == UPGRADED + b"frame"
    assert b"X-Forwarded-Email: viewer@example.com" in heads[0] and b"dpo@" not in heads[0]
