"""`Idempotency-Key`: a retried write runs once and answers the first answer again."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from shared.db import Database, Tx
from shared.faults import mark_replay_safe
from shared.http.problems import Problem, Unprocessable, json_response

IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_FORMAT = re.compile(r"^[!-~]{1,255}$")  # visible ASCII, as header values travel
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


async def idempotent_answer(request: web.Request, db: Database, scope: str, body: Any, work: Work
                            ) -> tuple[int, Any]:
    """run_idempotent for a request: key from the header, fingerprint from method, path and body."""
    key = idempotency_key(request)
    assert key is not None
    return await run_idempotent(
        db, scope=scope, key=key, fingerprint_=fingerprint(request.method, request.path, body), work=work)


async def idempotent(request: web.Request, db: Database, scope: str, body: Any, work: Work) -> web.Response:
    """The HTTP face of run_idempotent: the (first) answer as the response."""
    status, answer = await idempotent_answer(request, db, scope, body, work)
    return json_response(answer, status=status)
