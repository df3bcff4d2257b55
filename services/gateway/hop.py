"""The gateway's client for its calls to the mall's own services: HTTP/1.1 on kept-alive connections, with
as little work per call as such a call needs.

aiohttp's client builds every request through layers this hop has no use for (URL objects, header
multidicts, cookies, tracing signals, a response object with a streaming reader): by py-spy under
bench/gateway.py about a quarter of the gateway's request handling; bench/gateway_hop.py measures it at 0.14
to 0.17 ms of CPU per call, this client at 0.04 to 0.06 ms (docs/benchmarks.md). Here a call is one write (the
replica's fixed header lines built once) and its answer is parsed just enough for a relay: the status,
Content-Type, Retry-After and where the body ends (Content-Length, chunked, or the connection's close).
The body comes back as the bytes the service sent.

Connections: one per call in flight, at most `limit_per_replica` (further calls wait for one); an idle one
is reused, newest first, and closed once idle for `idle_seconds` (well under the services' 75 s keep-alive,
so they seldom close one under a call). A connection whose answer was not read to its end (timeout,
cancellation, a malformed answer) is closed, never reused. A reused connection that turns out closed before
any answer came was closed by the service while idle: a call safe to send twice (`resend_stale`) is sent
once more on a new connection.

Errors, for the gateway's error mapping: `CannotConnect` (nothing was sent), `Dropped` (the connection
broke before the whole answer came), `BadAnswer` (not HTTP/1.1 as this client reads it), `TimeoutError`
(the call's total time, or `connect_seconds` to connect).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Mapping
from typing import NamedTuple, cast
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024  # an answer's status line and headers; ours are a few hundred bytes
BODYLESS_STATUSES = frozenset({204, 304})


class HopError(Exception):
    """A call that got no complete answer."""


class CannotConnect(HopError):
    """No connection could be opened: nothing was sent."""


class Dropped(HopError):
    """The connection closed (or broke) before the whole answer came."""

    def __init__(self, message: str, *, answer_started: bool):
        super().__init__(message)
        self.answer_started = answer_started


class BadAnswer(HopError):
    """An answer this client cannot read as HTTP/1.1."""


class Answer(NamedTuple):
    status: int
    body: bytes
    content_type: str  # without parameters, lower case ("application/json"); as aiohttp, octet-stream if none
    retry_after: str | None


class Head(NamedTuple):
    status: int
    content_length: int | None
    chunked: bool
    content_type: str
    retry_after: str | None
    keep_alive: bool  # the service keeps the connection open after this answer


class Connection(asyncio.Protocol):
    """One kept-alive connection: bytes in a buffer, a waiter woken when more come or the connection ends."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of asyncio's, but alike

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def _more(self, answer_started: bool) -> None:
        """Wait for more bytes; Dropped when the connection has ended instead."""
        if self.closed:
            raise Dropped("the service closed the connection", answer_started=answer_started)
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    async def exchange(self, request: bytes, method: str) -> tuple[Answer, bool]:
        """Send one request and read its answer; with it, whether the connection may carry another."""
        assert self.transport is not None
        if self.closed or self.transport.is_closing():
            raise Dropped("the connection was closed", answer_started=False)
        self.transport.write(request)
        buffer = self.buffer
        while True:  # an interim 1xx answer is skipped
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise BadAnswer("answer headers too long")
                await self._more(answer_started=bool(buffer))
            head = parse_head(bytes(buffer[:end]))
            del buffer[:end + 4]
            if head.status >= 200:
                break
        keep_alive = head.keep_alive
        if method == "HEAD" or head.status in BODYLESS_STATUSES:
            body = b""
        elif head.chunked:
            body = await self._chunked()
        elif head.content_length is not None:
            size = head.content_length
            while len(buffer) < size:
                await self._more(answer_started=True)
            body = bytes(buffer[:size])
            del buffer[:size]
        else:  # neither: the body ends with the connection
            while not self.closed:
                await self._more(answer_started=True)
            body, keep_alive = bytes(buffer), False
            buffer.clear()
        # Bytes past the answer would be an answer to nothing: such a connection is not used again.
        return Answer(head.status, body, head.content_type, head.retry_after), \
            keep_alive and not buffer and not self.closed

    async def _chunked(self) -> bytes:
        buffer, chunks = self.buffer, list[bytes]()
        while True:
            while (end := buffer.find(b"\r\n")) < 0:
                await self._more(answer_started=True)
            size_text = bytes(buffer[:end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadAnswer("a chunk size that is not a number") from None
            del buffer[:end + 2]
            if size == 0:  # trailers, if any, up to an empty line
                while True:
                    while (end := buffer.find(b"\r\n")) < 0:
                        await self._more(answer_started=True)
                    del buffer[:end + 2]
                    if end == 0:
                        return b"".join(chunks)
            while len(buffer) < size + 2:
                await self._more(answer_started=True)
            if buffer[size:size + 2] != b"\r\n":
                raise BadAnswer("a chunk not ended by CRLF")
            chunks.append(bytes(buffer[:size]))
            del buffer[:size + 2]


def parse_head(head: bytes) -> Head:
    """The status line and the few headers a relay needs, found in the head lowered once (no header table:
    a repeated header counts by its first line)."""
    line_end = head.find(b"\r\n")
    parts = head[:line_end if line_end >= 0 else None].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
        raise BadAnswer(f"not an HTTP/1.x status line: {head[:80]!r}")
    lowered = head.lower()
    length = header(lowered, b"content-length")
    if length is not None and not length.isdigit():
        raise BadAnswer("a Content-Length that is not a number")
    encoding = header(lowered, b"transfer-encoding")
    if encoding is not None and encoding != b"chunked":
        raise BadAnswer("a transfer encoding other than chunked")
    content_type = header(lowered, b"content-type") or b"application/octet-stream"
    retry_after = header(lowered, b"retry-after")
    connection = header(lowered, b"connection") or b""
    keep_alive = b"close" not in connection if parts[0] == b"HTTP/1.1" else b"keep-alive" in connection
    return Head(int(parts[1]), int(length) if length is not None else None, encoding is not None,
                content_type.split(b";", 1)[0].strip().decode("latin-1"),
                retry_after.decode("latin-1") if retry_after is not None else None, keep_alive)


def header(lowered: bytes, name: bytes) -> bytes | None:
    """A header's value (stripped) in a lowered head, or None."""
    start = lowered.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    end = lowered.find(b"\r\n", start)
    return lowered[start:end if end >= 0 else None].strip()


class Replica:
    """One service replica's connections and the header lines every request to it carries."""

    def __init__(self, base: str, fixed_headers: Mapping[str, str], limit: int):
        url = urlsplit(base)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"the gateway's service client speaks plain HTTP to host:port, not {base!r}")
        self.host = url.hostname
        self.port = url.port or 80
        self.prefix = url.path.rstrip("/")
        host_header = url.netloc
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host_header, **fixed_headers}.items())
        self.idle: collections.deque[Connection] = collections.deque()
        self.slots = asyncio.Semaphore(limit)


class ServiceClient:
    """Calls to the mall's services (base URLs such as http://catalog:8081), HTTP/1.1 on kept-alive
    connections. `fixed_headers` go with every request (the internal token)."""

    def __init__(self, *, fixed_headers: Mapping[str, str] | None = None, limit_per_replica: int = 100,
                 idle_seconds: float = 15.0, connect_seconds: float = 2.0):
        self.fixed_headers = dict(fixed_headers or {})
        check_header_values(self.fixed_headers)
        self.limit = limit_per_replica
        self.idle_seconds = idle_seconds
        self.connect_seconds = connect_seconds
        self.replicas: dict[str, Replica] = {}
        self.closed = False

    def replica(self, base: str) -> Replica:
        replica = self.replicas.get(base)
        if replica is None:
            replica = self.replicas[base] = Replica(base, self.fixed_headers, self.limit)
        return replica

    async def request(self, base: str, method: str, target: str, *, headers: Mapping[str, str],
                      body: bytes | None = None, timeout: float, resend_stale: bool = False) -> Answer:
        """One call to the replica at `base`: `target` is the path and query, already quoted; `headers`
        this call's own (a body's Content-Type among them). Within `timeout` seconds, waiting for a free
        connection included."""
        if self.closed:
            raise CannotConnect("the client is closed")
        replica = self.replica(base)
        request = build_request(replica, method, target, headers, body)
        async with asyncio.timeout(timeout), replica.slots:
            connection, reused = await self._connection(replica)
            try:
                return await self._exchange(replica, connection, request, method)
            except Dropped as dropped:
                if not (reused and resend_stale and not dropped.answer_started):
                    raise
            # Closed by the service while idle: the request never reached it. Once more, on a new connection.
            connection = await self._connect(replica)
            return await self._exchange(replica, connection, request, method)

    async def _exchange(self, replica: Replica, connection: Connection, request: bytes, method: str) -> Answer:
        kept = False
        try:
            answer, keep_alive = await connection.exchange(request, method)
            kept = keep_alive and not self.closed
            return answer
        finally:
            if kept:
                connection.idle_since = asyncio.get_running_loop().time()
                replica.idle.append(connection)
            else:
                connection.close()

    async def _connection(self, replica: Replica) -> tuple[Connection, bool]:
        """An idle connection (the newest, True) or a new one (False); the stale ones closed on the way."""
        oldest = asyncio.get_running_loop().time() - self.idle_seconds
        idle = replica.idle
        while idle and idle[0].idle_since < oldest:
            idle.popleft().close()
        while idle:
            connection = idle.pop()
            if not connection.closed and not connection.buffer:  # bytes while idle: an answer to nothing
                return connection, True
            connection.close()
        return await self._connect(replica), False

    async def _connect(self, replica: Replica) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_seconds):
                _, connection = await loop.create_connection(Connection, replica.host, replica.port)
        except OSError as exc:
            raise CannotConnect(f"cannot connect to {replica.host}:{replica.port}: {exc}") from exc
        return connection

    async def close(self) -> None:
        """Closes the idle connections; those in use close when their call ends."""
        self.closed = True
        for replica in self.replicas.values():
            while replica.idle:
                replica.idle.pop().close()


def build_request(replica: Replica, method: str, target: str, headers: Mapping[str, str],
                  body: bytes | None) -> bytes:
    check_header_values(headers)
    if not target.startswith("/") or any(c in target for c in " \r\n"):
        raise ValueError(f"not a request target: {target[:80]!r}")
    own = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    length = "" if body is None else f"Content-Length: {len(body)}\r\n"
    head = f"{method} {replica.prefix}{target} HTTP/1.1\r\n{replica.fixed}{own}{length}\r\n".encode()
    return head + body if body else head


def check_header_values(headers: Mapping[str, str]) -> None:
    """A CR or LF in a value would end the header early: another header, or another request, smuggled in."""
    values = "".join(headers.values())
    if "\r" in values or "\n" in values:
        raise ValueError("a header value with a line break")
