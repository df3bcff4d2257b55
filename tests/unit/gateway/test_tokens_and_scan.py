import secrets
import time

import jwt
import pytest

from services.gateway.api.scan import classify, ean13_valid
from services.gateway.api.session import credit_tier
from services.gateway.auth import (
    AUDIENCE,
    ISSUER,
    LEEWAY_SECONDS,
    Identity,
    Keyring,
    check_password,
    hash_password,
    issue_token,
    key_id,
    read_token,
)
from shared.http import Unauthorized

SECRET = secrets.token_urlsafe(32)
OTHER = secrets.token_urlsafe(32)


def test_a_token_carries_who_the_caller_is():
    who = Identity(kind="staff", subject="staff1", merchant_id="mch_001", session_id="s_1")
    assert read_token(SECRET, issue_token(SECRET, who, 60)) == who


def test_a_token_without_a_session_gets_a_new_one():
    first = read_token(SECRET, issue_token(SECRET, Identity(kind="user", subject="u_1"), 60))
    second = read_token(SECRET, issue_token(SECRET, Identity(kind="user", subject="u_1"), 60))
    assert first.session_id and second.session_id and first.session_id != second.session_id


def test_a_tampered_token_is_refused():
    token = issue_token(SECRET, Identity(kind="user", subject="u_1"), 60)
    header, _, sig = token.split(".")
    forged = issue_token(SECRET, Identity(kind="staff", subject="u_1", merchant_id="mch_001"), 60).split(".")[1]
    with pytest.raises(Unauthorized):
        read_token(SECRET, f"{header}.{forged}.{sig}")
    with pytest.raises(Unauthorized):
        read_token(OTHER, token)
    with pytest.raises(Unauthorized):
        read_token(SECRET, "garbage")


def test_an_expired_token_is_refused():
    token = issue_token(SECRET, Identity(kind="user", subject="u_1"), 10, now=time.time() - 60)
    with pytest.raises(Unauthorized) as info:
        read_token(SECRET, token)
    assert info.value.code == "token_expired"


def test_a_token_verified_before_is_still_refused_once_expired(monkeypatch):
    ring = Keyring(SECRET)
    token = issue_token(ring, Identity(kind="user", subject="u_1"), 10)
    assert read_token(ring, token).subject == "u_1"  # verified once, then remembered
    later = time.time() + 10 + LEEWAY_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthorized) as info:
        read_token(ring, token)
    assert info.value.code == "token_expired"


def test_the_previous_key_verifies_only_while_configured():
    old = issue_token(OTHER, Identity(kind="user", subject="u_1"), 60)
    assert read_token(Keyring(SECRET, previous=OTHER), old).subject == "u_1"
    with pytest.raises(Unauthorized):
        read_token(Keyring(SECRET), old)
    assert jwt.get_unverified_header(issue_token(Keyring(SECRET, previous=OTHER), Identity("user", "u"), 60))[
        "kid"] == key_id(SECRET)


def test_unsigned_and_other_algorithms_are_refused():
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": int(time.time()), "exp": int(time.time()) + 60,
              "sub": "u_1", "k": "user", "sid": "s_1"}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": key_id(SECRET)})
    with pytest.raises(Unauthorized):
        read_token(SECRET, unsigned)
    hs512 = jwt.encode(claims, SECRET, algorithm="HS512", headers={"kid": key_id(SECRET)})
    with pytest.raises(Unauthorized):
        read_token(SECRET, hs512)


def test_staff_passwords_are_salted_scrypt_hashes():
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert stored != hash_password("s3cret")
    assert check_password("s3cret", stored)
    assert not check_password("wrong", stored)
    assert not check_password("s3cret", "not-a-hash")


@pytest.mark.parametrize(("score", "tier"), [
    (350, "poor"), (549, "poor"), (550, "fair"), (599, "fair"), (600, "good"), (649, "good"),
    (650, "very_good"), (699, "very_good"), (700, "excellent"), (950, "excellent"), (None, None)])
def test_credit_tiers_follow_sesame_boundaries(score, tier):
    assert credit_tier(score) == tier


def test_ean13_check_digit():
    assert ean13_valid("7622200004607")  # notes: 762220000460 -> 7
    assert not ean13_valid("7622200004608")
    assert not ean13_valid("762220000460")
    assert not ean13_valid("76222000046a7")


def test_scan_kinds():
    assert classify("MPSC.abc.def").kind == "store_code"
    page = classify("alipays://platformapi/startapp?appId=2021000000000000&page=pages/store/index&query=id%3D1")
    assert page.kind == "page" and page.target["page"] == "pages/store/index"
    assert page.target["query"] == "id=1"
    wrapped = classify("https://render.alipay.com/p/s/i/?scheme=alipays%3A%2F%2Fplatformapi%2Fstartapp"
                       "%3FappId%3D2021%26page%3Dpages%2Fitem%2Findex")
    assert wrapped.kind == "page" and wrapped.target["page"] == "pages/item/index"
    assert classify("7622200004607").kind == "barcode"
    assert classify("7622200004608").kind == "unknown"
    assert classify("hello").kind == "unknown"
