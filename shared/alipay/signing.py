"""RSA2 (SHA256withRSA, PKCS#1 v1.5) exactly as Alipay's open platform does it (notes/alipay-domain.md §3).

- Requests: every parameter but `sign`, empty values dropped, sorted by key, raw `k=v` joined with `&`.
- Notifies: the same, but `sign_type` is left out as well.
- Sync responses: the raw JSON text of `<method>_response` as received, never re-serialised.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class SignatureError(ValueError):
    """A signature that is missing, malformed or does not verify."""


def sign_content(params: Mapping[str, Any], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    """The string Alipay signs: sorted `k=v` pairs joined with `&`, raw values, empty values dropped.

    Non-string values are JSON-encoded the way the official SDK does (`ensure_ascii=False`).
    """
    pairs = []
    for key in sorted(params):
        value = params[key]
        if key in exclude or value is None or value == "":
            continue
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        pairs.append(f"{key}={value}")
    return "&".join(pairs)


@lru_cache(maxsize=16)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(_pem_bytes(pem, private=True), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@lru_cache(maxsize=16)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(_pem_bytes(pem, private=False))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _pem_bytes(pem: str, *, private: bool) -> bytes:
    """Accept a full PEM, or the bare base64 body that Alipay's console shows (wrapped here)."""
    text = pem.strip()
    if "-----BEGIN" not in text:
        kind = "PRIVATE KEY" if private else "PUBLIC KEY"
        body = "\n".join(text[i:i + 64] for i in range(0, len(text), 64))
        text = f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"
    return text.encode()


def sign_rsa2(content: str, private_key_pem: str, charset: str = "utf-8") -> str:
    """SHA256withRSA over `content`, standard base64 without newlines (344 chars for a 2048-bit key)."""
    signature = _private_key(private_key_pem).sign(content.encode(charset), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify_rsa2(content: str | bytes, signature: str, public_key_pem: str, charset: str = "utf-8") -> bool:
    """True when `signature` (base64) is a valid SHA256withRSA signature of `content`; never raises on bad input."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    data = content.encode(charset) if isinstance(content, str) else content
    try:
        _public_key(public_key_pem).verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sign_params(params: Mapping[str, Any], private_key_pem: str, charset: str = "utf-8") -> str:
    return sign_rsa2(sign_content(params), private_key_pem, charset)


def verify_request(params: Mapping[str, str], public_key_pem: str) -> bool:
    """A gateway.do request as the sandbox receives it: `sign_type` is part of the signed content."""
    return verify_rsa2(sign_content(params), params.get("sign", ""), public_key_pem, params.get("charset") or "utf-8")


def verify_notify(params: Mapping[str, str], alipay_public_key_pem: str) -> bool:
    """An async notify: drop `sign` and `sign_type`, sort, join, verify with the *Alipay* public key."""
    if params.get("sign_type", "RSA2") != "RSA2":
        return False  # we never accept the legacy SHA-1 RSA
    content = sign_content(params, exclude=("sign", "sign_type"))
    return verify_rsa2(content, params.get("sign", ""), alipay_public_key_pem, params.get("charset") or "utf-8")


def sign_notify(params: Mapping[str, str], private_key_pem: str) -> dict[str, str]:
    """The notify form the sandbox posts: the params plus `sign_type` and `sign`."""
    out = {k: v for k, v in params.items() if v not in (None, "")}
    out["sign_type"] = "RSA2"
    out["sign"] = sign_rsa2(sign_content(out, exclude=("sign", "sign_type")), private_key_pem,
                            out.get("charset") or "utf-8")
    return out


def _json_object_end(text: str, start: int) -> int:
    """Index just past the JSON object starting at `text[start] == '{'` (string-aware brace matching)."""
    depth = 0
    in_string = False
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise SignatureError("unterminated JSON object in the response")


def extract_response_content(raw: str, response_key: str) -> tuple[str, str | None]:
    """(raw text of the `response_key` object, sibling `sign` or None) from a gateway.do response body.

    The text is cut from the body as received, because re-serialising the JSON would change the bytes
    Alipay signed (key order, spacing, escapes).
    """
    doc = json.loads(raw)
    if not isinstance(doc, dict) or response_key not in doc:
        raise SignatureError(f"no {response_key} in the response")
    key_at = raw.find(f'"{response_key}"')
    if key_at < 0:
        raise SignatureError(f"no {response_key} in the response")
    start = raw.find("{", key_at + len(response_key) + 2)
    if start < 0:
        raise SignatureError(f"{response_key} is not an object")
    end = _json_object_end(raw, start)
    sign = doc.get("sign")
    return raw[start:end], sign if isinstance(sign, str) else None


def signed_response(method: str, body: Mapping[str, Any], private_key_pem: str) -> str:
    """The sandbox's answer: `{"<method>_response": {...}, "sign": "..."}` signed over the inner text."""
    key = method.replace(".", "_") + "_response"
    inner = json.dumps(dict(body), ensure_ascii=False, separators=(",", ":"))
    sign = sign_rsa2(inner, private_key_pem)
    return f'{{"{key}":{inner},"sign":"{sign}"}}'
