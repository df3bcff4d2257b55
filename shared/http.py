"""HTTP pieces every service uses: problem+json errors, request ids, body parsing, idempotency, health.

Errors are exceptions with a stable `code` (a business `shared.refusal.Refusal`, or a `Problem` raised by HTTP
code); one middleware turns them (and validation errors, bad JSON, oversize bodies) into
`application/problem+json`. Nothing else writes error responses.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import re
import time
import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import orjson
import pydantic
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from shared.db import Database, Tx, database_unavailable
from shared.faults import client_gone, client_left, mark_replay_safe, once_more_if_safe
from shared.logging import correlation_id_var, get_logger, request_id_var
from shared.refusal import Refusal

M = TypeVar("M", bound=pydantic.BaseModel)
PROBLEM = "application/problem+json"
REQUEST_ID = "X-Request-Id"
CORRELATION_ID = "X-Correlation-Id"
IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_FORMAT = re.compile(r"^[!-~]{1,255}$")  # visible ASCII, as header values travel
# Every id in a path: what the services generate (uuids, prefixed ids); anything else names nothing.
ID_FORMAT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Problem(Exception):
    """A refusal with a stable machine-readable code, rendered as a problem document."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, code: str | None = None, status: int | None = None,
                 title: str | None = None, errors: list[dict[str, str]] | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any):
        super().__init__(detail or title or self.title)
        self.detail = detail
        self.code = code or self.code
        self.status = status or self.status
        self.title = title or self.title
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra = extra

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": f"https://mpmall.dev/problems/{self.code}", "title": self.title,
                               "status": self.status, "code": self.code}
        if self.detail:
            doc["detail"] = self.detail
        if self.errors:
            doc["errors"] = self.errors
        doc.update(self.extra)
        return doc


class ValidationProblem(Problem):
    status, code, title = 422, "validation_error", "Invalid request"


class Unauthorized(Problem):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, code, title = 404, "not_found", "Not found"


class Conflict(Problem):
    """A business refusal: the request was understood but the shop says no (out of stock, expired, ...)."""

    status, code, title = 409, "conflict", "Refused"


class Unprocessable(Problem):
    status, code, title = 422, "unprocessable", "Cannot process this request"


REFUSAL_KINDS: dict[int, type[Problem]] = {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
                                           422: Unprocessable}


def refusal_problem(refusal: Refusal) -> Problem:
    """A business refusal at the HTTP edge: the problem class of its status gives the default title."""
    kind = REFUSAL_KINDS.get(refusal.status, Problem)
    return kind(refusal.detail, code=refusal.code, status=refusal.status, title=refusal.title,
                errors=refusal.errors, **refusal.extra)


RETRY_AFTER_SECONDS = 1


class TemporarilyUnavailable(Problem):
    """A transient outage (the database dropped or refused the connection): try again shortly."""

    status, code, title = 503, "temporarily_unavailable", "Temporarily unavailable"

    def __init__(self, detail: str | None = None, **kw: Any):
        kw.setdefault("headers", {"Retry-After": str(RETRY_AFTER_SECONDS)})
        super().__init__(detail, **kw)


def problem_response(problem: Problem) -> web.Response:
    return web.Response(body=orjson.dumps(problem.document()), status=problem.status,
                        content_type=PROBLEM, headers=problem.headers)


def validation_errors(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
            for err in exc.errors()]


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    if isinstance(data, pydantic.BaseModel):
        data = data.model_dump(mode="json")
    return web.Response(body=orjson.dumps(data, default=_default), status=status,
                        content_type="application/json", headers=headers)


def _default(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


async def read_json(request: web.Request) -> Any:
    return orjson.loads(await read_json_bytes(request))


async def read_json_bytes(request: web.Request) -> bytes:
    """The raw body of a JSON request: present, declared as JSON (a text/plain or form body is what a
    cross-site form can send without a CORS preflight: refused), and well-formed."""
    body = await request.read()  # raises 413 past client_max_size
    if not body:
        raise Problem("The request needs a JSON body", code="invalid_json", title="Invalid JSON")
    media = request.content_type
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise Problem(f"The body must be sent as application/json, not {media}", status=415,
                      code="unsupported_media_type", title="Unsupported media type")
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(f"Body is not valid JSON: {exc}", code="invalid_json", title="Invalid JSON") from exc
    return body


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The body validated strictly against a pydantic model: JSON types must match (`"2"` or `true` is no
    integer), extra fields are refused; errors name the field."""
    data = orjson.loads(await read_json_bytes(request))
    refuse_unstorable(data)
    try:  # re-encoded: what passes is what orjson can write again (no integer past 64 bits, say)
        return model.model_validate_json(orjson.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        raise ValidationProblem(errors=validation_errors(exc)) from exc


def parse(model: type[M], data: Any) -> M:
    """Validate client input; text the database could not store is refused here, naming the field."""
    refuse_unstorable(data)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationProblem(errors=validation_errors(exc)) from exc


def refuse_unstorable(data: Any) -> None:
    bad = unstorable_fields(data)
    if bad:
        raise ValidationProblem(errors=[{"field": f, "message": "text may not contain NUL or unpaired surrogates"}
                                        for f in bad])


INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def parse_query(request: web.Request, model: type[M]) -> M:
    """Query parameters arrive as text, so they are parsed leniently, except that an integer must be
    written as one (`1.0`, `1e3` or `1_000` are refused)."""
    data = dict(request.query)
    bad = [name for name in integer_fields(model) if isinstance(data.get(name), str) and
           not INTEGER.match(data[name])]
    if bad:
        raise ValidationProblem(errors=[{"field": f, "message": "Input should be a valid integer"} for f in bad])
    return parse(model, data)


@functools.cache
def integer_fields(model: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The names (aliases where set) under which `model` takes an int (or an optional one)."""
    names = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) \
            else (annotation,)
        if int in options:
            names.append(info.alias or name)
    return tuple(names)


def storable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded: such input must be refused
    up front (a 4xx naming the field), never left to fail in the database (a 500)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_fields(value: Any, path: str = "") -> list[str]:
    """Where in a JSON document text sits that PostgreSQL cannot store."""
    if isinstance(value, str):
        return [] if storable(value) else [path or "body"]
    if isinstance(value, dict):
        return [f for key, item in value.items()
                for f in ([f"{path}.{key}".lstrip(".")] if not storable(str(key)) else [])
                + unstorable_fields(item, f"{path}.{key}".lstrip("."))]
    if isinstance(value, list | tuple):
        return [f for i, item in enumerate(value) for f in unstorable_fields(item, f"{path}.{i}".lstrip("."))]
    return []


def within_raw_max_length(model: type[pydantic.BaseModel], name: str | None, value: Any) -> Any:
    """Surrounding whitespace is stripped before a `max_length` is checked, but the published schema (OpenAPI)
    counts it: count it here too, so that what the document refuses the server refuses."""
    field = model.model_fields.get(name or "")
    if isinstance(value, str) and field is not None:
        for constraint in field.metadata:
            limit = getattr(constraint, "max_length", None)
            if limit is not None and len(value) > limit:
                raise ValueError(f"String should have at most {limit} characters")
    return value


def valid_id(value: str) -> bool:
    return ID_FORMAT.match(value) is not None


def path_id(request: web.Request, name: str, *, code: str = "not_found", detail: str | None = "No such resource"
            ) -> str:
    """The id `name` of the path; one that cannot exist (too long, odd characters) is simply not found."""
    value = request.match_info[name]
    if not valid_id(value):
        raise NotFound(detail, code=code)
    return value


class StrictModel(pydantic.BaseModel):
    """Base for request bodies and queries: unknown fields are an error, not silently ignored."""

    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _raw_max_length(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return within_raw_max_length(cls, info.field_name, value)


# --- middlewares -------------------------------------------------------------------------------------


def request_context_middleware(service: str) -> Callable[..., Any]:
    log = get_logger(service).bind(component="http")

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        request_id = request.headers.get(REQUEST_ID) or uuid.uuid4().hex
        correlation = request.headers.get(CORRELATION_ID) or request_id
        t1 = request_id_var.set(request_id[:64])
        t2 = correlation_id_var.set(correlation[:64])
        try:
            try:
                if not storable(request.path):  # no id can contain such text: nothing is there
                    raise NotFound("No such resource")
                response = await once_more_if_safe(request, handler, log)
            except Problem as problem:
                response = problem_response(problem)
            except Refusal as refusal:
                response = problem_response(refusal_problem(refusal))
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = problem_response(Problem(
                    exc.text if exc.status != 413 else "The request body is too large",
                    status=exc.status, code=status_code(exc.status), title=exc.reason))
            except asyncio.CancelledError:
                if client_gone(request):  # only with handler_cancellation on; else a shutdown
                    log.info("client disconnected", path=request.path)
                raise
            except Exception as exc:
                response = _failure_response(request, exc, log)
            response.headers[REQUEST_ID] = request_id
            return response
        finally:
            request_id_var.reset(t1)
            correlation_id_var.reset(t2)

    return middleware


def _failure_response(request: web.Request, exc: Exception, log: Any) -> web.Response:
    """An exception no handler turned into a problem: the client left, the database is away, or a bug."""
    if client_left(request, exc):  # nobody reads this answer; not an error of ours
        log.info("client disconnected", path=request.path, error=repr(exc))
        return problem_response(Problem(status=400, code="client_disconnected", title="Client disconnected"))
    if database_unavailable(exc):
        log.warning("database unavailable", path=request.path, error=repr(exc))
        return problem_response(TemporarilyUnavailable("The database is unavailable; try again shortly"))
    log.exception("unhandled error", path=request.path)
    return problem_response(Problem(status=500, code="internal_error", title="Internal error"))


# The code of a problem known only by its status (an aiohttp HTTPException, a service's answer without one).
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "body_too_large", 415: "unsupported_media_type",
                422: "validation_error", 429: "rate_limited"}


def status_code(status: int) -> str:
    return STATUS_CODES.get(status, f"http_{status}")


class Metrics:
    """Prometheus metrics of one service (its own registry, so several services can share a process)."""

    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_seconds", "HTTP request latency", ["service", "route"],
                                 registry=self.registry)
        self.events = Counter("events_handled_total", "Events handled", ["service", "type"],
                              registry=self.registry)
        self.service = service

    def middleware(self) -> Callable[..., Any]:
        @web.middleware
        async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                             ) -> web.StreamResponse:
            started = time.perf_counter()
            response = await handler(request)
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else "?"
            self.requests.labels(self.service, request.method, route, str(response.status)).inc()
            self.latency.labels(self.service, route).observe(time.perf_counter() - started)
            return response

        return middleware

    async def handler(self, _: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


# --- idempotency -------------------------------------------------------------------------------------

Work = Callable[[Tx], Awaitable[tuple[int, Any]]]

CLAIM_KEY = """
INSERT INTO idempotency_keys (scope, key, fingerprint) VALUES ($1, $2, $3)
ON CONFLICT (scope, key) DO NOTHING RETURNING 1
"""
FIND_KEY = "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2"
SAVE_KEY = "UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2"


def fingerprint(method: str, path: str, body: Any) -> str:
    return hashlib.sha256(orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)).hexdigest()


def idempotency_key(request: web.Request, *, required: bool = True) -> str | None:
    """The request's Idempotency-Key: required (an empty one is missing) or optional, and when given 1-255
    visible ASCII characters (as header values travel; what the gateway lets through, and all a client sends)."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if required and not key:
        raise Problem("This write needs an Idempotency-Key header", code="idempotency_key_missing")
    if key is not None and not IDEMPOTENCY_KEY_FORMAT.match(key):
        raise Problem("Idempotency-Key must be 1-255 visible ASCII characters", code="idempotency_key_invalid")
    return key


async def run_idempotent(db: Database, *, scope: str, key: str, fingerprint_: str, work: Work) -> tuple[int, Any]:
    """Run `work` once per (scope, key): the same key and request again get the first answer back;
    the same key with another request is refused with 422. The key and the answer are stored in the same
    transaction as the work, so a crash leaves neither; a concurrent twin waits on the key's row lock.
    Refusals (Refusal, Problem) roll back and are not stored: a retry is evaluated again.
    """
    mark_replay_safe()  # a dropped connection may replay this request: the stored key makes that safe
    async with db.transaction() as tx:
        claimed = await tx.conn.fetchval(CLAIM_KEY, scope, key, fingerprint_)
        if not claimed:
            row = await tx.conn.fetchrow(FIND_KEY, scope, key)
            assert row is not None
            if row["fingerprint"] != fingerprint_:
                raise Unprocessable("This Idempotency-Key was used with another request",
                                    code="idempotency_key_reused")
            return row["status"], row["body"]
        status, body = await work(tx)
        await tx.conn.execute(SAVE_KEY, scope, key, status, body)
        return status, body


async def idempotent(request: web.Request, db: Database, scope: str, body: Any, work: Work) -> web.Response:
    """The HTTP face of run_idempotent: key from the header, fingerprint from method, path and body."""
    key = idempotency_key(request)
    assert key is not None
    status, answer = await run_idempotent(
        db, scope=scope, key=key, fingerprint_=fingerprint(request.method, request.path, body), work=work)
    return json_response(answer, status=status)


# --- who is calling (set by the gateway, the only client of the services' internal APIs) ---------------

INTERNAL_TOKEN = "X-Internal-Token"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapers carry no token


def internal_only_middleware(token: str) -> Callable[..., Any]:
    """Refuse every caller but the gateway (which sends the shared token), except on probe paths."""
    expected = token.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        given = request.headers.get(INTERNAL_TOKEN, "").encode()
        if request.path not in OPEN_PATHS and not hmac.compare_digest(given, expected):
            raise Unauthorized("Internal API: only the gateway may call it", code="internal_only")
        return await handler(request)

    return middleware


USER_HEADER = "X-User-Id"
MERCHANT_HEADER = "X-Merchant-Id"
SCORE_HEADER = "X-User-Credit-Score"


def current_user(request: web.Request) -> str:
    """The authenticated user the gateway vouches for; every user-scoped query filters by it."""
    user = request.headers.get(USER_HEADER)
    if not user:
        raise Unauthorized("No authenticated user")
    return user


def current_merchant(request: web.Request) -> str:
    """The merchant a staff token is scoped to; merchant APIs only ever touch this merchant's data."""
    merchant = request.headers.get(MERCHANT_HEADER)
    if not merchant:
        raise Forbidden("A merchant staff token is required", code="merchant_only")
    return merchant


def credit_score(request: web.Request) -> int | None:
    """The user's Sesame score as the gateway learnt it from Alipay at login (None when unknown)."""
    raw = request.headers.get(SCORE_HEADER)
    return int(raw) if raw and raw.isdigit() else None
