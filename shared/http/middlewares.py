"""The request middleware every service installs: request ids, and every error as a problem document."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from shared.db import database_unavailable
from shared.faults import client_gone, client_left, once_more_if_safe
from shared.http.parsing import storable
from shared.http.problems import (
    NotFound,
    Problem,
    TemporarilyUnavailable,
    problem_response,
    refusal_problem,
    status_code,
)
from shared.logging import correlation_id_var, get_logger, request_id_var
from shared.refusal import Refusal

REQUEST_ID = "X-Request-Id"
CORRELATION_ID = "X-Correlation-Id"


def request_context_middleware(service: str) -> Callable[..., Any]:
    log = get_logger(service, component="http")

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        # 32 random hex digits, as uuid4().hex gave, without building a UUID (a fifth of the cost)
        request_id = request.headers.get(REQUEST_ID) or os.urandom(16).hex()
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
