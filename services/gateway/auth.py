"""Who is calling: signed access tokens (JWT, HS256), refresh tokens, staff passwords.

An access token is a JWT signed with MALL_TOKEN_SECRET. Its header names the key (`kid`, derived from the
key itself), so during a rotation MALL_TOKEN_SECRET_PREVIOUS still verifies the tokens it signed. Claims:
`iss`/`aud` (this mall's gateway), `iat`, `exp`, `sub`, `k` ("user", "staff" or "operator": a user token can
never call a merchant API, a staff token never acts as a buyer, only an operator token calls the platform API),
`sid` (the login session: logout and refresh-token reuse revoke it), and `mid` (staff's merchant), `aid` (2088
id), `sc` (Sesame score) when known. A staff token carries no role: the role is read on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Literal

import jwt
from aiohttp import web

from shared.http import Forbidden, Unauthorized

Kind = Literal["user", "staff", "operator"]
ISSUER = "mpmall-gateway"
AUDIENCE = "mpmall-api"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 30  # clock skew between gateway replicas
REQUIRED_CLAIMS = ["iss", "aud", "iat", "exp", "sub", "k", "sid"]
VERIFIED_MEMO_SIZE = 10_000  # tokens remembered as verified per keyring (cleared when full)


@dataclass(frozen=True)
class Identity:
    kind: Kind
    subject: str  # user id, or staff username
    merchant_id: str | None = None
    alipay_user_id: str | None = None
    credit_score: int | None = None
    session_id: str | None = None  # the login session (`sid`); a new one is made when a token is issued without


IDENTITY = web.RequestKey("identity", Identity)


def key_id(secret: str) -> str:
    """A key's public name: a truncated hash, so a kid says which key without saying anything about it."""
    return hashlib.sha256(b"mpmall-token-kid:" + secret.encode()).hexdigest()[:16]


class Keyring:
    """The key that signs, and every key that verifies (the signing key and, during a rotation, the previous)."""

    def __init__(self, current: str, previous: str = ""):
        if not current:
            raise ValueError("a token signing key is required")
        self.current = current
        self.kid = key_id(current)
        self.verifying = {key_id(key): key for key in (previous, current) if key}
        # Token -> (its identity, until when it is usable): a client sends the same token with every call for
        # its whole life, and its signature and claims cannot change, so each is verified once. Per keyring,
        # so a key taken out of the configuration takes its tokens with it.
        self.verified: dict[str, tuple[Identity, float]] = {}

    def remember(self, token: str, identity: Identity, usable_until: float) -> None:
        if len(self.verified) >= VERIFIED_MEMO_SIZE:
            self.verified.clear()
        self.verified[token] = (identity, usable_until)

    @classmethod
    def of(cls, keys: str | Keyring) -> Keyring:
        return keys if isinstance(keys, Keyring) else cls(keys)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_session_id() -> str:
    return f"s_{uuid.uuid4().hex}"


def issue_token(keys: str | Keyring, identity: Identity, ttl_seconds: int, now: float | None = None) -> str:
    ring = Keyring.of(keys)
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "iat": issued, "exp": issued + ttl_seconds,
                              "sub": identity.subject, "k": identity.kind,
                              "sid": identity.session_id or new_session_id()}
    if identity.merchant_id:
        claims["mid"] = identity.merchant_id
    if identity.alipay_user_id:
        claims["aid"] = identity.alipay_user_id
    if identity.credit_score is not None:
        claims["sc"] = identity.credit_score
    return jwt.encode(claims, ring.current, algorithm=ALGORITHM, headers={"kid": ring.kid})


def _invalid() -> Unauthorized:
    return Unauthorized("Invalid token", code="invalid_token")


def read_token(keys: str | Keyring, token: str) -> Identity:
    """The identity in a valid, unexpired token; Unauthorized otherwise (never says which check failed)."""
    ring = Keyring.of(keys)
    known = ring.verified.get(token)
    if known is not None:
        identity, usable_until = known
        if time.time() < usable_until:
            return identity
        raise Unauthorized("The token has expired", code="token_expired")
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = ring.verifying.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise _invalid()
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            leeway=LEEWAY_SECONDS, options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired", code="token_expired") from exc
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError) as exc:
        raise _invalid() from exc
    identity = _identity(claims)
    ring.remember(token, identity, claims["exp"] + LEEWAY_SECONDS)  # as jwt.decode judges `exp`
    return identity


def _text(value: Any, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > 128:
        raise _invalid()
    return value


def _identity(claims: dict[str, Any]) -> Identity:
    """The claims as an Identity, each of the type it must have (a signed token is still checked: a key
    shared by mistake or a bug in an issuer must give 401, never a 500 further on)."""
    kind, score = claims["k"], claims.get("sc")
    if kind not in ("user", "staff", "operator"):
        raise _invalid()
    if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 1000):
        raise _invalid()
    identity = Identity(kind=kind, subject=_text(claims["sub"]) or "", merchant_id=_text(claims.get("mid"), True),
                        alipay_user_id=_text(claims.get("aid"), True), credit_score=score,
                        session_id=_text(claims["sid"]))
    if kind == "staff" and identity.merchant_id is None:
        raise _invalid()
    return identity


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


ONLY_CODE: dict[Kind, str] = {"staff": "merchant_only", "user": "user_only", "operator": "operator_only"}


def authenticate(request: web.Request, keys: str | Keyring, kind: Kind) -> Identity:
    """The caller's identity from a valid token of the right kind. Whether its session is still live is the
    next check (sessions.ensure_live), which needs the database."""
    token = bearer(request)
    if token is None:
        raise Unauthorized("A bearer token is required", code="unauthorized",
                           headers={"WWW-Authenticate": "Bearer"})
    identity = read_token(keys, token)
    if identity.kind != kind:
        raise Forbidden("This token cannot call this API", code=ONLY_CODE[kind])
    request[IDENTITY] = identity
    return identity


def identity_of(request: web.Request) -> Identity:
    identity = request.get(IDENTITY)
    if identity is None:
        raise Unauthorized("A bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    return identity


def with_session(identity: Identity, session_id: str) -> Identity:
    return replace(identity, session_id=session_id)


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
