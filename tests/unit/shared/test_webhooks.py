"""The webhook signature merchants verify, and the checks that keep merchants' URLs out of the mall's own
network (SSRF) outside development."""

from __future__ import annotations

import time

import pytest

from shared.webhooks import (
    PublicOnlyResolver,
    WebhookClient,
    public_address,
    signature,
    signature_header,
    url_problem,
    verify,
)


def test_the_signature_covers_timestamp_and_body_and_old_ones_are_refused() -> None:
    now = int(time.time())
    body = b'{"type":"order_paid"}'
    sig = signature("s3", now, body)
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert verify("s3", str(now), sig, body)
    assert not verify("s3", str(now), sig, body + b" ")  # another body
    assert not verify("s3", str(now + 1), sig, body)  # another timestamp
    assert not verify("other", str(now), sig, body)  # another secret
    old = now - 600
    assert not verify("s3", str(old), signature("s3", old, body), body)  # a replay past the window
    assert not verify("s3", "not-a-number", sig, body)


def test_during_a_rotation_either_secret_verifies_the_two_signature_header() -> None:
    now = int(time.time())
    body = b'{"type":"order_paid"}'
    header = signature_header(["new", "old"], now, body)
    assert header == f"{signature('new', now, body)},{signature('old', now, body)}"
    assert verify("new", str(now), header, body) and verify("old", str(now), header, body)
    assert not verify("other", str(now), header, body)
    assert signature_header(["only"], now, body) == signature("only", now, body)


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.1", False), ("10.0.0.1", False),
    ("172.16.5.4", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::ffff:10.0.0.1", False),
    ("224.0.0.1", False)])
def test_public_addresses(address: str, public: bool) -> None:
    assert public_address(address) is public


def test_urls_outside_and_inside_development() -> None:
    assert url_problem("https://erp.example.com/hooks?shop=1", allow_private=False) is None
    assert url_problem("http://erp.example.com/", allow_private=False) == "must be an https URL"
    assert url_problem("https://10.0.0.8/", allow_private=False) == "points to a private or reserved address"
    assert url_problem("https://localhost:8443/", allow_private=False) == "names a private host"
    assert url_problem("https://erp.example.com:99999/", allow_private=False) == "not a URL"
    assert url_problem("http://127.0.0.1:9000/hook", allow_private=True) is None  # a local receiver, dev only
    assert url_problem("file:///etc/passwd", allow_private=True) == "must be an https URL"


async def test_a_name_resolving_to_a_private_address_is_refused_when_connecting() -> None:
    resolver = PublicOnlyResolver()
    try:
        with pytest.raises(OSError, match="private or reserved"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()


async def test_the_client_refuses_a_private_url_without_calling_it() -> None:
    client = WebhookClient(allow_private=False, timeout_s=1)
    try:
        outcome = await client.send("https://127.0.0.1:9/hook", ["s"], "test", "d1", b"{}", int(time.time()))
        assert (outcome.delivered, outcome.status) == (False, None)
        assert outcome.error == "URL points to a private or reserved address"
    finally:
        await client.close()
