"""Problem documents: errors with a stable `code`, rendered as `application/problem+json`; JSON answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import pydantic
from aiohttp import web

from shared.refusal import Refusal

PROBLEM = "application/problem+json"


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


# The code of a problem known only by its status (an aiohttp HTTPException, a service's answer without one).
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "body_too_large", 415: "unsupported_media_type",
                422: "validation_error", 429: "rate_limited"}


def status_code(status: int) -> str:
    return STATUS_CODES.get(status, f"http_{status}")
