"""The gateway's lean service client (services/gateway/hop.py) against real servers: an aiohttp app like the
services, and a bare asyncio server where a service's misbehaviour (a connection closed under a call, a body
ended by the close, a broken answer) has to be staged byte by byte."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest
import uvloop
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.gateway.hop import BadAnswer, CannotConnect, Dropped, ServiceClient
from services.gateway.upstream import ServiceUnavailable, Upstream

BIG = bytes(range(256)) * 20_000  # 5 MB: many reads on both sides


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """An aiohttp app standing in for a service; it notes each connection a request came on."""

    def __init__(self) -> None:
        self.connections: list[int] = []  # the client's port, per request
        self.headers: list[dict[str, str]] = []
        self.release = asyncio.Event()
        app = web.Application(client_max_size=2 * len(BIG))
        app.router.add_get("/products/{id}", self.product)
        app.router.add_post("/echo", self.echo)
        app.router.add_get("/chunked", self.chunked)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/closing", self.closing)
        app.router.add_get("/refused", self.refused)
        self.server = TestServer(app)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def note(self, request: web.Request) -> None:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.connections.append(peer[1] if peer else -1)
        self.headers.append(dict(request.headers))

    async def product(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.json_response({"id": request.match_info["id"], "q": request.query.get("q")})

    async def echo(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.Response(body=await request.read(), content_type=request.content_type)

    async def chunked(self, request: web.Request) -> web.StreamResponse:
        self.note(request)
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(BIG), 300_001):  # odd sizes: chunks end anywhere in the client's reads
            await response.write(BIG[start:start + 300_001])
        await response.write_eof()
        return response

    async def slow(self, request: web.Request) -> web.Response:
        self.note(request)
        await self.release.wait()
        return web.json_response({})

    async def closing(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.json_response({"bye": True}, headers={"Connection": "close"})

    async def refused(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.json_response({"code": "temporarily_unavailable", "title": "Later"}, status=503,
                                 headers={"Retry-After": "7"})


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    service = Service()
    await service.server.start_server()
    yield service
    service.release.set()
    await service.server.close()


@pytest.fixture
async def client() -> AsyncIterator[ServiceClient]:
    client = ServiceClient(fixed_headers={"X-Internal-Token": "secret"})
    yield client
    await client.close()


Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]


async def bare_server(reply: Reply) -> tuple[asyncio.Server, str]:
    """A server that reads each request's head and lets `reply(reader, writer, n)` answer the n-th request on
    that connection (0 first); the connection closes when it returns False."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        n = 0
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                if not await reply(reader, writer, n):
                    break
                await writer.drain()
                n += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def test_calls_one_after_another_share_one_kept_alive_connection(service: Service, client: ServiceClient):
    for n in range(5):
        answer = await client.request(service.base, "GET", f"/products/p{n}?q=%E6%89%8B%E6%9C%BA",
                                      headers={"X-User-Id": "u_1"}, timeout=10)
        assert answer.status == 200 and answer.content_type == "application/json"
        assert orjson.loads(answer.body) == {"id": f"p{n}", "q": "手机"}
    assert len(set(service.connections)) == 1
    assert all(h["X-Internal-Token"] == "secret" and h["X-User-Id"] == "u_1" for h in service.headers)


async def test_calls_at_once_each_get_a_connection_and_those_are_kept(service: Service, client: ServiceClient):
    async def read(n: int) -> bytes:
        return (await client.request(service.base, "GET", f"/products/p{n}", headers={}, timeout=10)).body

    first = await asyncio.gather(*(read(n) for n in range(10)))
    second = await asyncio.gather(*(read(n) for n in range(10)))
    assert first == second == [b'{"id": "p%d", "q": null}' % n for n in range(10)]
    assert len(set(service.connections[:10])) > 1  # concurrent calls do not queue behind one connection
    assert set(service.connections[10:]) <= set(service.connections[:10])  # and the second round reuses them


async def test_large_bodies_go_and_come_back_whole(service: Service, client: ServiceClient):
    answer = await client.request(service.base, "POST", "/echo", headers={"Content-Type": "application/x-thing"},
                                  body=BIG, timeout=30)
    assert answer.status == 200 and answer.content_type == "application/x-thing" and answer.body == BIG
    again = await client.request(service.base, "GET", "/products/p1", headers={}, timeout=10)
    assert again.status == 200 and len(set(service.connections)) == 1


async def test_a_chunked_answer_is_read_whole(service: Service, client: ServiceClient):
    answer = await client.request(service.base, "GET", "/chunked", headers={}, timeout=30)
    assert answer.status == 200 and answer.body == BIG
    again = await client.request(service.base, "GET", "/products/p1", headers={}, timeout=10)
    assert again.status == 200 and len(set(service.connections)) == 1  # the chunked answer ended cleanly


async def test_a_service_closing_after_its_answer_gets_a_new_connection_next(service: Service,
                                                                             client: ServiceClient):
    first = await client.request(service.base, "GET", "/closing", headers={}, timeout=10)
    second = await client.request(service.base, "GET", "/products/p1", headers={}, timeout=10)
    assert first.body == b'{"bye": true}' and second.status == 200
    assert len(set(service.connections)) == 2


async def test_a_call_over_its_time_is_a_timeout_and_its_connection_is_not_reused(service: Service,
                                                                                   client: ServiceClient):
    with pytest.raises(TimeoutError):
        await client.request(service.base, "GET", "/slow", headers={}, timeout=0.2)
    answer = await client.request(service.base, "GET", "/products/p1", headers={}, timeout=10)
    assert answer.status == 200  # not the late answer to /slow, which would have come on that connection
    assert service.connections[0] != service.connections[1]


async def test_a_refusal_passes_with_its_status_and_retry_after(service: Service, client: ServiceClient):
    answer = await client.request(service.base, "GET", "/refused", headers={}, timeout=10)
    assert (answer.status, answer.retry_after) == (503, "7")
    assert answer.body == b'{"code": "temporarily_unavailable", "title": "Later"}'


async def test_nothing_listening_is_cannot_connect(client: ServiceClient):
    with pytest.raises(CannotConnect):
        await client.request(f"http://127.0.0.1:{free_port()}", "GET", "/products/p1", headers={}, timeout=10)


async def test_a_line_break_in_a_header_value_is_never_sent(service: Service, client: ServiceClient):
    with pytest.raises(ValueError):
        await client.request(service.base, "GET", "/products/p1", timeout=10,
                             headers={"X-Request-Id": "abc\r\nX-User-Id: u_admin"})
    assert service.connections == []


async def test_a_kept_connection_the_service_closed_meanwhile_is_sent_again_only_when_safe(client: ServiceClient):
    async def once_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        if n > 0:  # a second request on a kept connection: closed unanswered, as a keep-alive timeout would
            return False
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
        return True

    server, base = await bare_server(once_per_connection)
    async with server:
        assert (await client.request(base, "GET", "/a", headers={}, timeout=10)).body == b"ok"
        # the same kept connection, closed as the request reaches it: sent again on a new one
        assert (await client.request(base, "GET", "/a", headers={}, timeout=10, resend_stale=True)).body == b"ok"
        with pytest.raises(Dropped):  # a write that may not run twice is not sent again
            await client.request(base, "POST", "/a", headers={}, body=b"{}", timeout=10)


@pytest.mark.parametrize(("sent", "error"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", Dropped),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc", Dropped),
    (b"SMTP ready\r\n\r\n", BadAnswer),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", BadAnswer),
])
async def test_answers_cut_short_or_unreadable_are_errors_never_answers(client: ServiceClient, sent: bytes,
                                                                        error: type[Exception]):
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(sent)
        return False

    server, base = await bare_server(answer)
    async with server:
        with pytest.raises(error):
            await client.request(base, "GET", "/", headers={}, timeout=10, resend_stale=True)


async def test_a_body_without_length_ends_with_the_connection(client: ServiceClient):
    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        for part in (b"one ", b"two ", b"three"):
            writer.write(part)
            await writer.drain()
        return False

    server, base = await bare_server(until_close)
    async with server:
        answer = await client.request(base, "GET", "/", headers={}, timeout=10)
        assert (answer.status, answer.content_type, answer.body) == (200, "text/plain", b"one two three")


async def test_the_gateway_maps_a_cut_or_late_answer_to_503_service_unavailable(service: Service):
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        return False

    server, cut_base = await bare_server(cut)
    upstream = Upstream({"catalog": [cut_base], "orders": [service.base]}, timeout_seconds=0.3)
    upstream.open()
    try:
        async with server:
            for service_name, target in (("catalog", "/products/p1"), ("orders", "/slow")):
                with pytest.raises(ServiceUnavailable) as refused:
                    await upstream.call(None, service_name, "GET", target)
                assert refused.value.status == 503 and refused.value.code == "service_unavailable"
        reply = await upstream.call(None, "orders", "GET", "/products/p7", query={"q": "手机 壳", "none": None})
        assert reply.json() == {"id": "p7", "q": "手机 壳"}
    finally:
        await upstream.close()


def test_the_client_works_on_uvloop_as_the_gateway_runs():
    """The gateway runs on uvloop (run_service), whose transports are its own classes, not asyncio's."""

    async def calls() -> list[int]:
        service = Service()
        await service.server.start_server()
        client = ServiceClient()
        try:
            for n in range(3):
                answer = await client.request(service.base, "GET", f"/products/p{n}", headers={}, timeout=10)
                assert answer.status == 200 and orjson.loads(answer.body)["id"] == f"p{n}"
        finally:
            await client.close()
            await service.server.close()
        return service.connections

    assert len(set(uvloop.run(calls()))) == 1
