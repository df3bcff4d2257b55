"""Lock-outs against guessing, as one middleware around the API: it reacts to the 401 answers wherever they
are produced (token checks, staff login) and to staff logins, so the auth code itself stays unaware.

- A staff (or operator) login for a locked account (or from a locked address) is refused with 429 before its
  password is even checked. Each login counts against its account before the check (so parallel guesses get no more
  than the threshold evaluated) and a success clears that count again; a wrong password also counts
  against the address.
- Any other 401 (missing, invalid or revoked token) counts against the address. An expired token does not:
  every client meets one routinely and answers with a refresh, which is not guessing.
- When a failure locks the address, that very answer already becomes the 429.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from services.gateway.deps import deps_of
from services.gateway.models import StaffLoginBody
from services.gateway.ratelimit import account_key, locked_out
from shared.http import Problem, parse, problem_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The password logins, and the prefix of their account keys (staff and operators are separate namespaces).
LOGINS = {("POST", "/api/merchant/session"): "", ("POST", "/api/platform/session"): "operator:"}
NOT_GUESSING = frozenset({"token_expired"})


def lockout_middleware() -> Callable[..., Any]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        limiter = deps_of(request.app).limiter
        username = await staff_username(request)
        account_lock = 0.0
        if username is not None:
            await limiter.refuse_if_locked([account_key(username), limiter.ip_key(request)])
            account_lock = await limiter.attempt(username)
        code: str | None = None
        try:
            response = await handler(request)
        except Problem as problem:
            if problem.status != 401:
                raise
            code, response = problem.code, problem_response(problem)
        if response.status == 401 and code not in NOT_GUESSING:
            locked = max(await limiter.failed(request), account_lock)
            if locked > 0:
                return problem_response(locked_out(locked))
        elif username is not None and response.status < 300:
            await limiter.succeeded(username)
        return response

    return middleware


async def staff_username(request: web.Request) -> str | None:
    """The username a staff login tries, as the login will read it (None for any other request, or a body
    the login itself will refuse)."""
    prefix = LOGINS.get((request.method, request.path))
    if prefix is None:
        return None
    try:  # read up to client_max_size (413 past it); aiohttp keeps the bytes for the handler
        return prefix + parse(StaffLoginBody, orjson.loads(await request.read())).username
    except (orjson.JSONDecodeError, Problem):  # not a login the handler would try (NUL, too long, ...)
        return None
