"""快递100's push signature and the facts fulfilment reads from a push, and the logistics sandbox's
subscription answers, as pure rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.fulfilment.domain import tracking_push
from services.logistics_sandbox.domain import Sandbox
from shared.kuaidi100 import sign, signature_ok
from shared.refusal import Refusal

PARAM = json.dumps({"status": "polling", "lastResult": {"state": "5", "com": "yuantong", "nu": "yt1234567890123",
                    "data": [{"time": "2026-03-01 18:00:00", "context": "派件中", "ftime": "2026-03-01 18:00:05"},
                             {"time": "2026-03-01 08:00:00", "context": "已揽收", "ftime": "2026-03-01 08:00:00"}]}},
                   ensure_ascii=False)


def test_the_signature_is_md5_of_param_and_salt_in_upper_case_hex():
    assert sign("abc", "salt") == sign("abc", "salt").upper() and len(sign("abc", "salt")) == 32
    assert signature_ok(PARAM, sign(PARAM, "s1"), "s1")
    assert signature_ok(PARAM, sign(PARAM, "s1").lower(), "s1")  # hex case is not part of the secret
    assert not signature_ok(PARAM, sign(PARAM, "s2"), "s1")
    assert not signature_ok(PARAM + " ", sign(PARAM, "s1"), "s1")
    assert not signature_ok(PARAM, "", "s1")


def test_a_push_names_the_waybill_its_state_and_its_lines_in_beijing_time():
    push = tracking_push(PARAM)
    assert (push.carrier, push.tracking_no, push.state, push.delivered) == ("yuantong", "YT1234567890123",
                                                                             "out_for_delivery", False)
    assert push.lines[0] == (datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC), "派件中")  # ftime, 18:00:05 +08:00
    assert [text for _, text in push.lines] == ["派件中", "已揽收"]


@pytest.mark.parametrize("param", ["", "not json", "[]", json.dumps({"lastResult": {"com": "x"}}),
                                   json.dumps({"lastResult": {"state": "0", "com": "x", "nu": "1",
                                                              "data": [{"time": "yesterday", "context": "?"}]}})])
def test_an_unreadable_push_is_refused(param):
    with pytest.raises(Refusal) as refused:
        tracking_push(param)
    assert refused.value.code == "unreadable_push"


def test_the_sandbox_answers_subscriptions_as_kuaidi100_does():
    sandbox = Sandbox(key="k")

    def subscribe(**param: object) -> str:
        return str(sandbox.subscribe("json", json.dumps(param))["returnCode"])

    good = {"company": "shunfeng", "number": "SF1", "key": "k", "parameters": {"callbackurl": "http://mall/cb"}}
    assert subscribe(**{**good, "key": "other"}) == "600"
    assert subscribe(**{**good, "parameters": {}}) == "700"
    assert subscribe(**good) == "200"
    assert subscribe(**good) == "501"  # still tracked
    sandbox.advance("shunfeng", "SF1", "3", datetime(2026, 3, 1, tzinfo=UTC))
    assert subscribe(**good) == "200"  # delivered: tracking it again is a new subscription
