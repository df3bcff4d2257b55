"""Webhooks the mall sends to addresses merchants choose: the signature and a client that cannot be turned
against the mall's own network (SSRF).

Signature: `X-Mall-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the Unix time in
`X-Mall-Timestamp`; the receiver recomputes it over the raw body and refuses old timestamps (replays).
While a rotated secret is still within its overlap window the header carries one `v1=` per live secret,
newest first, comma-separated (`v1=<new>,v1=<old>`, as Stripe does): a receiver holding either secret
accepts the request, so a merchant can rotate without losing deliveries. `verify` is what a receiver in
Python would write (docs/SECURITY.md shows it for merchants).

Outside development only `https` URLs whose host is public are called: an IP literal is checked here, a
name is checked on every connection by the client's resolver (so a name that later resolves to a private
address, DNS rebinding, is refused too), and redirects are never followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

SIGNATURE_HEADER = "X-Mall-Signature"
TIMESTAMP_HEADER = "X-Mall-Timestamp"
EVENT_HEADER = "X-Mall-Event"
DELIVERY_HEADER = "X-Mall-Delivery"
MAX_URL_LENGTH = 500
REPLAY_WINDOW_SECONDS = 300  # what we tell receivers to accept


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """`v1=<sig>` for each live secret, newest first (one while no rotation overlaps)."""
    return ",".join(signature(secret, timestamp, body) for secret in secrets)


def verify(secret: str, timestamp_header: str, signature_header: str, body: bytes, *, now: float | None = None,
           window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """A receiver's check: the timestamp is recent and one of the header's `v1=` signatures matches (each
    compared in constant time)."""
    if not timestamp_header.isdigit():
        return False
    timestamp = int(timestamp_header)
    if abs((time.time() if now is None else now) - timestamp) > window:
        return False
    expected = signature(secret, timestamp, body)
    found = [hmac.compare_digest(expected, part.strip()) for part in signature_header.split(",")]
    return any(found)


def public_address(address: str) -> bool:
    """Reachable on the public internet: not loopback, private, link-local, reserved, multicast or shared."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not receive webhooks, or None. Names are resolved later, at each connection."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "not a URL"
    if parts.scheme not in (("http", "https") if allow_private else ("https",)):
        return "must be an https URL"
    host = parts.hostname
    if not host:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    if allow_private:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "names a private host"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: the resolver checks what it resolves to
    return None if public_address(host) else "points to a private or reserved address"


class PublicOnlyResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, but refuses a name with any non-public address."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results or not all(public_address(r["host"]) for r in results):
            raise OSError(f"{host} resolves to a private or reserved address")
        return results

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class Outcome:
    """One attempt: the receiver's HTTP status (None: no answer) and, when it failed, why."""

    status: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookClient:
    def __init__(self, *, allow_private: bool, timeout_s: float = 5.0):
        self.allow_private = allow_private
        connector = aiohttp.TCPConnector(resolver=None if allow_private else PublicOnlyResolver(), limit=50)
        self.session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                             timeout=aiohttp.ClientTimeout(total=timeout_s))

    async def send(self, url: str, secrets: Sequence[str], event: str, delivery_id: str, body: bytes,
                   now: int) -> Outcome:
        """One signed POST (`secrets`: the live ones, newest first)."""
        refused = url_problem(url, allow_private=self.allow_private)
        if refused:
            return Outcome(None, f"URL {refused}")
        headers: dict[str, Any] = {
            "Content-Type": "application/json", "User-Agent": "mpmall-webhooks/1",
            EVENT_HEADER: event, DELIVERY_HEADER: delivery_id, TIMESTAMP_HEADER: str(now),
            SIGNATURE_HEADER: signature_header(secrets, now, body)}
        try:
            # Only the status matters: the receiver's body is never read (it could be endless).
            async with self.session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
                return Outcome(resp.status, None if 200 <= resp.status < 300 else f"HTTP {resp.status}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:300])

    async def close(self) -> None:
        await self.session.close()
