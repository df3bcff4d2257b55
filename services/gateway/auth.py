"""Who is calling: HMAC-signed compact tokens, refresh tokens, staff passwords.

A token is `base64url(claims).base64url(HMAC-SHA256(secret, claims))`; claims carry `kind` ("user" or
"staff"), so a user token can never call a merchant API and a staff token never acts as a buyer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import orjson
from aiohttp import web

from shared.http import Forbidden, Unauthorized

Kind = Literal["user", "staff"]


@dataclass(frozen=True)
class Identity:
    kind: Kind
    subject: str  # user id, or staff username
    merchant_id: str | None = None
    alipay_user_id: str | None = None
    credit_score: int | None = None


IDENTITY = web.RequestKey("identity", Identity)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(secret: str, identity: Identity, ttl_seconds: int, now: float | None = None) -> str:
    claims = {"k": identity.kind, "sub": identity.subject, "exp": int((now or time.time()) + ttl_seconds)}
    if identity.merchant_id:
        claims["mid"] = identity.merchant_id
    if identity.alipay_user_id:
        claims["aid"] = identity.alipay_user_id
    if identity.credit_score is not None:
        claims["sc"] = identity.credit_score
    body = _b64(orjson.dumps(claims))
    return f"{body}.{_sign(secret, body)}"


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def read_token(secret: str, token: str, now: float | None = None) -> Identity:
    """The identity in a valid, unexpired token; Unauthorized otherwise (never says which check failed)."""
    body, _, signature = token.partition(".")
    if not body or not signature or not hmac.compare_digest(_sign(secret, body), signature):
        raise Unauthorized("Invalid token", code="invalid_token")
    try:
        claims = orjson.loads(_unb64(body))
        kind, subject, exp = claims["k"], str(claims["sub"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("Invalid token", code="invalid_token") from exc
    if kind not in ("user", "staff"):
        raise Unauthorized("Invalid token", code="invalid_token")
    if exp <= (now or time.time()):
        raise Unauthorized("The token has expired", code="token_expired")
    score = claims.get("sc")
    return Identity(kind=kind, subject=subject, merchant_id=claims.get("mid"),
                    alipay_user_id=claims.get("aid"), credit_score=int(score) if score is not None else None)


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(request: web.Request, secret: str, kind: Kind) -> Identity:
    token = bearer(request)
    if token is None:
        raise Unauthorized("A bearer token is required", code="unauthorized",
                           headers={"WWW-Authenticate": "Bearer"})
    identity = read_token(secret, token)
    if identity.kind != kind:
        raise Forbidden("This token cannot call this API",
                        code="merchant_only" if kind == "staff" else "user_only")
    request[IDENTITY] = identity
    return identity


def identity_of(request: web.Request) -> Identity:
    identity = request.get(IDENTITY)
    if identity is None:
        raise Unauthorized("A bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    return identity


# --- refresh tokens ------------------------------------------------------------------------------------

def new_refresh_token() -> tuple[str, str]:
    """(token for the client, hash for the database)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- staff passwords (scrypt, stdlib) -----------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(_unb64(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


# Used when the username is unknown, so a login takes as long whether or not the account exists.
DUMMY_HASH = hash_password("not-a-real-password", salt=b"0" * 16)
