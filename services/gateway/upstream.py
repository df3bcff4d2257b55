"""The forwarding client: one aiohttp ClientSession per app, who-is-calling headers, problems passed through.

Services answer problem+json; their status and problem reach the client unchanged. A transient outage is a
503 with `Retry-After`, whoever had it: a service that cannot be reached (refused, reset, timed out) is 503
`service_unavailable`, and a service's own 503 (e.g. `temporarily_unavailable`: its database dropped the
connection) passes through as it came. Only a service's other 5xx, a failure the buyer cannot wait out, is a
502 `upstream_error`. The gateway itself never answers 500 for someone else's failure.

A service may run in several replicas (`MALL_ORDERS_URL=http://a:8082,http://b:8082`): calls go round-robin
over them, and a replica that cannot be reached is skipped for the next one. The call moves on when nothing
was sent (connection refused), and also after a dropped connection when running it again is safe: a read,
or a write carrying an Idempotency-Key (the service stores the key with its effects, so a second run
answers from it). Nothing else is sent twice.

Calls go through `hop.ServiceClient`, a lean HTTP/1.1 client on kept-alive connections (the hop's cost was
mostly aiohttp's client machinery); the aiohttp session stays for the event streams and for Alipay.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import orjson
from aiohttp import web

from services.gateway.auth import IDENTITY, Identity
from services.gateway.hop import CannotConnect, Dropped, HopError, ServiceClient
from shared.http import (
    CORRELATION_ID,
    IDEMPOTENCY_KEY,
    INTERNAL_TOKEN,
    PROBLEM,
    REQUEST_ID,
    RETRY_AFTER_SECONDS,
    Problem,
    status_code,
)
from shared.logging import get_logger, request_id_var
from shared.tracing import inject

log = get_logger("gateway", component="upstream")


class ServiceUnavailable(Problem):
    status, code, title = 503, "service_unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, **kw: Any):
        kw.setdefault("headers", {"Retry-After": str(RETRY_AFTER_SECONDS)})
        super().__init__(detail, **kw)


class UpstreamError(Problem):
    status, code, title = 502, "upstream_error", "A service failed"


class Passed(Problem):
    """A service's own problem document, passed to the client as it came."""

    def __init__(self, status: int, doc: Mapping[str, Any], headers: Mapping[str, str] | None = None):
        extra = {k: v for k, v in doc.items() if k not in ("type", "title", "status", "code", "detail", "errors")}
        super().__init__(doc.get("detail"), status=status, code=str(doc.get("code") or status_code(status)),
                         title=str(doc.get("title") or "Refused"), errors=doc.get("errors"), headers=headers,
                         **extra)
        if doc.get("type"):
            self.extra["type"] = doc["type"]

    def document(self) -> dict[str, Any]:
        doc = super().document()
        doc["type"] = self.extra.get("type", doc["type"])
        return doc


@dataclass
class Reply:
    """A service's answer. The body is decoded only when something asks for it: a relayed answer is passed
    on as the bytes that came."""

    status: int
    raw: bytes
    content_type: str
    retry_after: str | None = None

    @cached_property
    def body(self) -> Any:
        """The JSON answer (None when it is not JSON)."""
        if not self.raw or not self.content_type.endswith("json"):
            return None
        try:
            return orjson.loads(self.raw)
        except orjson.JSONDecodeError:
            return None

    @cached_property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def json(self) -> Any:
        """The answer of a successful call; a refusal becomes the same problem for the client."""
        if self.status >= 400:
            raise self.problem()
        return self.body

    def problem(self) -> Problem:
        if self.status == 503:  # transient: the client may try again, after the service's own Retry-After
            wait = {"Retry-After": _seconds(self.retry_after)}
            if isinstance(self.body, dict) and self.body.get("code"):
                return Passed(503, self.body, headers=wait)
            return ServiceUnavailable("A service is not ready", headers=wait)
        if self.status >= 500:
            return UpstreamError(f"A service answered {self.status}")
        doc = self.body if isinstance(self.body, dict) else {}
        return Passed(self.status, doc)


def _seconds(retry_after: str | None) -> str:
    """A service's Retry-After in seconds (bounded), or ours: never an arbitrary header passed to clients."""
    if retry_after and retry_after.isdigit():
        return str(min(int(retry_after), 60))
    return str(RETRY_AFTER_SECONDS)


UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote() leaves as it is, whatever `safe` says


def path(template: str, **params: str) -> str:
    """An upstream path with client-supplied parts quoted, so `../` or `?` can never change the target."""
    return template.format(**{k: _quoted(str(v)) for k, v in params.items()})


def _quoted(value: str) -> str:
    """quote(value, safe=""), without its cost for the usual id that has nothing to quote."""
    return value if UNQUOTED.fullmatch(value) else quote(value, safe="")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Idempotent as HTTP defines them: sent once more on a new connection when a kept one turns out closed by
# the service before any answer (it never got the request); aiohttp's client did the same.
IDEMPOTENT_METHODS = SAFE_METHODS | {"PUT", "DELETE"}


class Replicas:
    """A service's base URLs, taken in turn: each call starts at the next one and may try every one once."""

    def __init__(self, urls: Sequence[str]):
        self.urls = [url.rstrip("/") for url in urls]
        self._turn = itertools.count()

    def in_turn(self) -> Iterator[str]:
        start = next(self._turn)
        return (self.urls[(start + i) % len(self.urls)] for i in range(len(self.urls)))


def may_try_another(exc: BaseException, safe_twice: bool) -> bool:
    """Whether a call that failed on one replica can go to the next without doing anything twice."""
    if isinstance(exc, CannotConnect):  # never connected: nothing was sent
        return True
    return isinstance(exc, Dropped) and safe_twice


class Upstream:
    def __init__(self, bases: Mapping[str, Sequence[str]], timeout_seconds: float, internal_token: str = ""):
        self.replicas = {name: Replicas(urls) for name, urls in bases.items()}
        self.internal_token = internal_token
        self.timeout_seconds = timeout_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=min(2.0, timeout_seconds))
        self.session: aiohttp.ClientSession | None = None
        self.services: ServiceClient | None = None

    def open(self) -> None:
        """The service client and an aiohttp session (event streams, Alipay): open inside the running loop."""
        self.services = ServiceClient(fixed_headers={INTERNAL_TOKEN: self.internal_token} if self.internal_token
                                      else {}, limit_per_replica=100, connect_seconds=self.timeout.connect or 2.0)
        self.session = aiohttp.ClientSession(
            timeout=self.timeout, connector=aiohttp.TCPConnector(limit=200, limit_per_host=100),
            json_serialize=lambda v: orjson.dumps(v).decode())

    async def close(self) -> None:
        if self.services is not None:
            await self.services.close()
        if self.session is not None:
            await self.session.close()

    async def call(self, request: web.Request | None, service: str, method: str, target: str, *,
                   json: Any = None, query: Mapping[str, Any] | None = None, data: bytes | None = None,
                   headers: Mapping[str, str] | None = None, timeout: float | None = None) -> Reply:
        sent = caller_headers(request)
        sent.update(headers or {})
        inject(sent)  # the service's span continues this request's trace
        if query:
            pairs = {k: str(v) for k, v in query.items() if v is not None}
            if pairs:
                target += ("&" if "?" in target else "?") + urlencode(pairs)
        body = data
        if json is not None:
            body = orjson.dumps(json)
            sent.setdefault("Content-Type", "application/json")
        elif body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        reply = await self._send(service, method, target, sent, body, timeout or self.timeout_seconds)
        if reply.status >= 500:
            log.warning("service failed", service=service, target=target, status=reply.status)
        return reply

    async def stream(self, request: web.Request, service: str, target: str) -> web.StreamResponse:
        """A service's server-sent events passed on as they come, for as long as both ends stay (no total
        timeout). A refusal before the stream opens is a problem, as for `call`; `Last-Event-ID` goes along,
        so a console that reconnects resumes where it stopped."""
        assert self.session is not None, "upstream session not started"
        sent = caller_headers(request)
        sent["Accept"] = "text/event-stream"
        if request.headers.get("Last-Event-ID"):
            sent["Last-Event-ID"] = request.headers["Last-Event-ID"]
        if self.internal_token:
            sent[INTERNAL_TOKEN] = self.internal_token
        inject(sent)
        # One replica, the next in turn: a stream that breaks is not retried here (the console reconnects).
        base = next(self.replicas[service].in_turn())
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None, connect=self.timeout.connect)
        try:
            upstream = await self.session.get(f"{base}{target}", headers=sent, timeout=timeout)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("service unreachable", service=service, target=target, error=repr(exc))
            raise ServiceUnavailable(f"The {service} service is unavailable") from exc
        try:
            if upstream.status != 200:
                raw = await upstream.read()
                raise Reply(upstream.status, raw, upstream.content_type,
                             upstream.headers.get("Retry-After")).problem()
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                                   "X-Accel-Buffering": "no"})
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
            except (ConnectionError, aiohttp.ClientError):
                pass  # either end went away: the stream is over (a console reconnects with Last-Event-ID)
            return response
        finally:
            upstream.release()

    async def _send(self, service: str, method: str, target: str, headers: dict[str, str], body: bytes | None,
                    timeout: float) -> Reply:
        """One call on the service's replicas in turn: the next one when this one failed and
        `may_try_another`; 503 `service_unavailable` when none answered."""
        assert self.services is not None, "upstream client not started"
        keyed = IDEMPOTENCY_KEY in headers
        safe_twice = method in SAFE_METHODS or keyed
        resend_stale = method in IDEMPOTENT_METHODS or keyed
        failure: BaseException | None = None
        for base in self.replicas[service].in_turn():
            try:
                answer = await self.services.request(base, method, target, headers=headers, body=body,
                                                     timeout=timeout, resend_stale=resend_stale)
                return Reply(answer.status, answer.body, answer.content_type, answer.retry_after)
            except (TimeoutError, HopError, OSError) as exc:
                log.warning("service unreachable", service=service, replica=base, target=target, error=repr(exc))
                failure = exc
                if not may_try_another(exc, safe_twice):
                    break
        raise ServiceUnavailable(f"The {service} service is unavailable") from failure

    async def json(self, request: web.Request | None, service: str, method: str, target: str, **kw: Any) -> Any:
        return (await self.call(request, service, method, target, **kw)).json()

    async def callback(self, request: web.Request, service: str, target: str, answer_type: str) -> web.Response:
        """An outside provider's signed callback (Alipay's notify, 快递100's push): the raw form to the service
        that verifies it, and its answer back as the provider expects it; a 5xx is a problem, so the provider
        retries."""
        reply = await self.call(request, service, "POST", target, data=await request.read(), headers={
            "Content-Type": request.headers.get("Content-Type", "application/x-www-form-urlencoded")})
        if reply.status >= 500:
            raise reply.problem()
        return web.Response(text=reply.text, status=reply.status, content_type=answer_type)


def caller_headers(request: web.Request | None) -> dict[str, str]:
    """Who is calling and why, for the service: identity, idempotency key, request and correlation ids."""
    headers: dict[str, str] = {}
    request_id = request_id_var.get()
    if request_id:
        headers[REQUEST_ID] = request_id
        headers[CORRELATION_ID] = request_id
    if request is None:
        return headers
    identity: Identity | None = request.get(IDENTITY)
    if identity is not None and identity.kind == "user":
        headers["X-User-Id"] = identity.subject
        if identity.alipay_user_id:
            headers["X-Alipay-User-Id"] = identity.alipay_user_id
        if identity.credit_score is not None:
            headers["X-User-Credit-Score"] = str(identity.credit_score)
    elif identity is not None and identity.kind == "staff":
        headers["X-Merchant-Id"] = identity.merchant_id or ""
        headers["X-Staff-User"] = identity.subject
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None:
        headers[IDEMPOTENCY_KEY] = key
    return headers


def relay(reply: Reply, status: int | None = None) -> web.Response:
    """The service's answer as the gateway's own (problems included, 5xx mapped)."""
    if reply.status >= 500:
        raise reply.problem()
    if (status or reply.status) == 204 or reply.status == 204 or not reply.raw:
        return web.Response(status=status or reply.status)
    content_type = PROBLEM if reply.status >= 400 and reply.content_type.endswith("json") else reply.content_type
    return web.Response(body=reply.raw, status=status or reply.status, content_type=content_type)
