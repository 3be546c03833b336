"""The sign-in proxy in front of the app, as a deployment in proxy mode has one: for the browser tests.

In proxy mode the app trusts ``X-Forwarded-Email``, which the proxy in front
of it sets (docs/deploy.md). A browser's own extra headers are no stand-in:
Chromium sends them with page requests but not with the WebSocket that
carries the app, so a test that relied on them would sign nobody in. This
proxy does what the real one does: it drops any identity header the browser
sent, sets its own on every request (the WebSocket upgrade included), and
relays the bytes both ways.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

IDENTITY = b"x-forwarded-email"


def _signed_head(head: bytes, email: str | None) -> tuple[bytes, dict[bytes, bytes]]:
    """The request head with the browser's identity header replaced by the proxy's; and its headers, lower-cased."""
    first, *lines = head.rstrip(b"\r\n").split(b"\r\n")
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() != IDENTITY]
    if email is not None:
        kept.append(b"X-Forwarded-Email: " + email.encode("latin-1"))
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in kept)}
    return b"\r\n".join([first, *kept]) + b"\r\n\r\n", headers


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65_536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        sink.close()


async def _close(*writers: asyncio.StreamWriter) -> None:
    for writer in writers:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()


async def _relay_chunked(client: asyncio.StreamReader, upstream: asyncio.StreamWriter) -> None:
    while True:
        size_line = await client.readuntil(b"\r\n")
        upstream.write(size_line)
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            while (trailer := await client.readuntil(b"\r\n")) != b"\r\n":
                upstream.write(trailer)
            upstream.write(b"\r\n")
            return
        upstream.write(await client.readexactly(size + 2))


async def _serve(client: asyncio.StreamReader, answer: asyncio.StreamWriter, host: str, port: int,
                 email: str | None) -> None:
    """One browser connection: each request signed and passed on; after an upgrade, bytes both ways."""
    try:
        upstream_reader, upstream = await asyncio.open_connection(host, port)
    except OSError:
        await _close(answer)
        return
    back = asyncio.create_task(_pipe(upstream_reader, answer))
    try:
        while True:
            head, headers = _signed_head(await client.readuntil(b"\r\n\r\n"), email)
            upstream.write(head)
            if b"upgrade" in headers.get(b"connection", b"").lower():
                await _pipe(client, upstream)
                break
            if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                await _relay_chunked(client, upstream)
            elif length := int(headers.get(b"content-length", b"0")):
                upstream.write(await client.readexactly(length))
            await upstream.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the browser closed the connection
    finally:
        back.cancel()
        with suppress(asyncio.CancelledError):
            await back
        await _close(upstream, answer)


@contextmanager
def signing_proxy(upstream: str, email: str | None) -> Iterator[str]:
    """The base URL of a proxy to ``upstream`` that signs every request in as ``email`` (None: as nobody)."""
    target = urlsplit(upstream)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="signing-proxy", daemon=True)
    thread.start()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(lambda r, w: _serve(r, w, host, port, email), "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}{target.path.rstrip('/')}"
    finally:
        async def stop() -> None:
            server.close()
            await server.wait_closed()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
