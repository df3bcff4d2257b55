"""Store claim codes: HMAC-signed, expiring tokens printed in a shop.

Text: `MPSC.<payload>.<signature>`, both base64url without padding; payload is compact JSON
`{"t": template_id, "s": store_id, "e": expiry unix seconds, "n": nonce}`. The `MPSC.` prefix lets the
gateway's scan resolver route the code to marketing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

PREFIX = "MPSC."
MAX_LENGTH = 512


class CodeRefused(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class StoreCode:
    template_id: str
    store_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def mint(secret: str, template_id: str, store_id: str, expires_at: datetime) -> str:
    payload = _b64(orjson.dumps({"t": template_id, "s": store_id, "e": int(expires_at.timestamp()),
                                 "n": secrets.token_hex(4)}))
    return f"{PREFIX}{payload}.{_sign(secret, payload)}"


def read(keys: str | Sequence[str], code: str, now: datetime) -> StoreCode:
    """The code's content if its signature holds under one of `keys` (the current secret, then a previous one
    during a rotation) and it has not expired; CodeRefused otherwise."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not code.startswith(PREFIX) or len(code) > MAX_LENGTH:
        raise CodeRefused("store_code_invalid", "not a store claim code")
    parts = code[len(PREFIX):].split(".")
    if len(parts) != 2:
        raise CodeRefused("store_code_invalid", "malformed store claim code")
    payload, signature = parts
    # Compare before decoding anything: a forged payload is never parsed.
    if not any(hmac.compare_digest(_sign(key, payload).encode(), signature.encode()) for key in keys if key):
        raise CodeRefused("store_code_invalid", "the store claim code's signature does not match")
    try:
        doc = orjson.loads(_unb64(payload))
        found = StoreCode(template_id=str(doc["t"]), store_id=str(doc["s"]),
                          expires_at=datetime.fromtimestamp(int(doc["e"]), UTC))
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:  # e.g. an expiry out of range
        raise CodeRefused("store_code_invalid", "unreadable store claim code") from exc
    if found.expires_at <= now:
        raise CodeRefused("store_code_expired", "the store claim code has expired")
    return found
