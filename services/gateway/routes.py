"""The route table: every public operation declared once, with who may call it and the models of its
query, body and answer. The router, the guards (auth, rate limits, body size) and the OpenAPI document are
all built from this table, so the document describes exactly what is served."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

import orjson
import pydantic
from aiohttp import web

from services.gateway import store
from services.gateway.auth import Identity, authenticate
from services.gateway.deps import GatewayDeps, deps_of
from services.gateway.domain.permissions import require as require_duty
from services.gateway.sessions import ensure_live
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Upstream
from shared.db import Database
from shared.events.gateway import UserActive
from shared.events.orders import Entry
from shared.http import (
    ID_FORMAT,
    IDEMPOTENCY_KEY_FORMAT,
    NotFound,
    Problem,
    idempotency_key,
    parse_body,
    parse_query,
    valid_id,
    within_raw_max_length,
)
from shared.logging import get_logger

Auth = Literal["none", "user", "staff", "operator"]
Handler = Callable[["Call"], Awaitable[web.StreamResponse]]
# The one merchant a call is about (from its path, query or answer), or None when it cannot tell.
VisitMerchant = Callable[["Call", web.StreamResponse], "str | None"]
ENTRIES = set(get_args(Entry))
PATH_ID = ID_FORMAT  # the published pattern (openapi); one rule, in shared.http
IDEMPOTENCY_KEY = IDEMPOTENCY_KEY_FORMAT
log = get_logger("gateway")


class PayloadTooLarge(Problem):
    status, code, title = 413, "body_too_large", "Body too large"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: Auth = "user"
    body: type[pydantic.BaseModel] | None = None
    query: type[pydantic.BaseModel] | None = None
    answer: type[pydantic.BaseModel] | None = None
    status: int = 200
    idempotent: bool = False  # an Idempotency-Key header is required
    optional_key: bool = False  # an Idempotency-Key header is passed on when given
    optional_body: bool = False  # `body` may be left out altogether (the handler then gets None)
    raw_body: str | None = None  # a non-JSON body (e.g. Alipay's form notify): its media type
    # A body the handler reads itself, in chunks (uploads): its own size limit, and the code of the 413 a
    # declared larger body gets before anything is read.
    max_body_bytes: int | None = None
    too_large_code: str = "body_too_large"
    answer_text: bool = False
    answer_events: bool = False  # a server-sent event stream (text/event-stream) that stays open
    visit_merchant: VisitMerchant | None = None  # the call is a visit to one merchant (user.active says which)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


@dataclass
class Call:
    """One request as a handler sees it: parsed inputs, the caller, and the gateway's Deps."""

    request: web.Request
    identity: Identity | None
    body: Any
    query: Any
    deps: GatewayDeps
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def up(self) -> Upstream:
        return self.deps.upstream

    @property
    def db(self) -> Database:
        return self.deps.db

    @property
    def settings(self) -> GatewaySettings:
        return self.deps.settings

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    @property
    def user_id(self) -> str:
        assert self.identity is not None
        return self.identity.subject


class QueryModel(pydantic.BaseModel):
    """Query strings: unknown parameters (such as `entry`) are ignored rather than refused."""

    model_config = pydantic.ConfigDict(extra="ignore", str_strip_whitespace=True)

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _raw_max_length(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return within_raw_max_length(cls, info.field_name, value)


def guarded(op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler wrapped with the cross-cutting checks, in the order a client would want them reported."""

    async def handle(request: web.Request) -> web.StreamResponse:
        refuse_oversize_body(request, op)
        identity = await live_caller(request, op)
        refuse_impossible_ids(request)
        await deps_of(request.app).limiter.check(request, identity.subject if identity else None)
        visitor = identity if identity is not None and identity.kind == "user" else None
        if visitor is not None and op.visit_merchant is None:
            await note_visit(request, visitor)
        call = await parsed_call(request, op, identity)
        return await answer(op, call, visitor)

    handle.__name__ = op.operation_id
    return handle


def refuse_oversize_body(request: web.Request, op: Operation) -> None:
    """A declared body over the limit is refused before anything reads it."""
    limit = op.max_body_bytes or deps_of(request.app).settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        if op.max_body_bytes is not None:
            raise PayloadTooLarge(f"The body may have at most {limit} bytes", code=op.too_large_code,
                                  max_bytes=limit)
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)


async def live_caller(request: web.Request, op: Operation) -> Identity | None:
    """Who calls, if the operation needs to know: a valid token of the right kind, of a live session."""
    if op.auth == "none":
        return None
    deps = deps_of(request.app)
    identity = authenticate(request, deps.keyring, op.auth)
    role = await ensure_live(deps.db, deps.sessions, identity)  # logged out, refresh reused, staff deactivated
    if role is not None:
        require_duty(role, op.operation_id)  # the one permission table: domain/permissions.py
    return identity


def refuse_impossible_ids(request: web.Request) -> None:
    if not all(valid_id(value) for value in request.match_info.values()):
        raise NotFound("No such resource")


async def parsed_call(request: web.Request, op: Operation, identity: Identity | None) -> Call:
    """The query, the body and the Idempotency-Key checked, in that order, as the handler will see them."""
    query = parse_query(request, op.query) if op.query else None
    wants_body = op.body is not None and (not op.optional_body or request.can_read_body)
    body = await parse_body(request, op.body) if op.body and wants_body else None
    idempotency_key(request, required=op.idempotent)
    return Call(request, identity, body, query, deps_of(request.app))


async def answer(op: Operation, call: Call, visitor: Identity | None) -> web.StreamResponse:
    """The handler's answer; for a visit to one merchant, the visit is noted once the merchant is known."""
    if visitor is None or op.visit_merchant is None:
        return await op.handler(call)
    response: web.StreamResponse | None = None
    try:
        response = await op.handler(call)
        return response
    finally:  # a call that failed is still a visit, though of no known merchant
        await note_visit(call.request, visitor, op.visit_merchant(call, response) if response else None)


# Entry points that are always about one merchant: a visit through them counts only once the merchant is
# known (a merchant-less one would count for every shop in analytics and inflate their conversion).
MERCHANT_ENTRIES = frozenset({"member_card"})


async def note_visit(request: web.Request, identity: Identity, merchant_id: str | None = None) -> None:
    """`user.active` once per user, day, entry point and merchant (None: the mall as a whole); a
    process-local memo spares the database."""
    raw = request.headers.get("X-Entry") or request.query.get("entry") or "other"
    entry = raw if raw in ENTRIES else "other"
    if merchant_id is None and entry in MERCHANT_ENTRIES:
        return
    deps = deps_of(request.app)
    day = datetime.now(deps.business_zone).date()  # the shop's day, as analytics counts it
    memo = deps.visits
    key = (identity.subject, day, entry, merchant_id)
    if key in memo:
        return
    async with deps.db.transaction() as tx:
        if await store.record_visit(tx, identity.subject, day, entry, merchant_id):
            await tx.emit(UserActive(user_id=identity.subject, day=day, entry=entry,  # type: ignore[arg-type]
                                     merchant_id=merchant_id))
    if len(memo) > 100_000:
        memo.clear()
    memo.add(key)


def merchant_in_path(name: str = "id") -> VisitMerchant:
    def merchant(call: Call, response: web.StreamResponse) -> str | None:
        return call.param(name) if response.status < 300 else None

    return merchant


def merchant_in_query(call: Call, response: web.StreamResponse) -> str | None:
    return getattr(call.query, "merchant_id", None)


def merchant_in_answer(*path: str) -> VisitMerchant:
    """The merchant id at `path` in a successful JSON answer, e.g. ("target", "merchant_id")."""

    def merchant(call: Call, response: web.StreamResponse) -> str | None:
        if response.status >= 300 or not isinstance(response, web.Response) or not response.body:
            return None
        try:
            found: Any = orjson.loads(response.body)  # type: ignore[arg-type]
        except orjson.JSONDecodeError:
            return None
        for key in path:
            found = found.get(key) if isinstance(found, dict) else None
        return found if isinstance(found, str) and valid_id(found) else None

    return merchant


def route_table(operations: list[Operation]) -> list[web.RouteDef]:
    """The operations as aiohttp routes, each wrapped in its guards (`app.router.add_routes(...)`)."""
    return [web.route(op.method, op.path, guarded(op), name=op.operation_id) for op in operations]


def forward(name: str, service: str, method: str, template: str, *, status: int | None = None) -> Handler:
    """A handler that passes the call to the owning service: path parameters quoted, the validated query
    and body re-encoded (never the raw client bytes), and the service's answer relayed."""
    from services.gateway.upstream import path, relay

    async def handler(call: Call) -> web.StreamResponse:
        target = path(template, **call.request.match_info)
        query = call.query.model_dump(exclude_none=True, by_alias=True, mode="json") if call.query is not None else None
        body = call.body.model_dump(exclude_none=True, by_alias=True, mode="json") if call.body is not None else None
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = {}
        reply = await call.up.call(call.request, service, method, target, json=body, query=query)
        return relay(reply, status=status if reply.status < 300 else None)

    handler.__name__ = name
    return handler
