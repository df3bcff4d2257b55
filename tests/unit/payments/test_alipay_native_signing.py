"""The new Alipay methods of issue 19 (store checkout, fund authorisations, member cards) against the official
`alipay-sdk-python`: for each, the request our client builds names the SDK's method, every biz field is one
the SDK's model knows (the SDK drops unknown ones), and the signatures agree byte for byte both ways."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.request.AlipayFundAuthOperationDetailQueryRequest import AlipayFundAuthOperationDetailQueryRequest
from alipay.aop.api.request.AlipayFundAuthOrderAppFreezeRequest import AlipayFundAuthOrderAppFreezeRequest
from alipay.aop.api.request.AlipayFundAuthOrderUnfreezeRequest import AlipayFundAuthOrderUnfreezeRequest
from alipay.aop.api.request.AlipayMarketingCardOpenRequest import AlipayMarketingCardOpenRequest
from alipay.aop.api.request.AlipayMarketingCardTemplateCreateRequest import AlipayMarketingCardTemplateCreateRequest
from alipay.aop.api.request.AlipayMarketingCardUpdateRequest import AlipayMarketingCardUpdateRequest
from alipay.aop.api.request.AlipayTradeCancelRequest import AlipayTradeCancelRequest
from alipay.aop.api.request.AlipayTradePayRequest import AlipayTradePayRequest
from alipay.aop.api.util.SignatureUtils import get_sign_content, verify_with_rsa

from shared.alipay import AlipayClient, AlipayError, KeyPair, generate_key_pair, sign_content, sign_rsa2
from shared.alipay.signing import signed_response

APP_ID = "2021000000000001"


@pytest.fixture(scope="module")
def keys() -> tuple[KeyPair, KeyPair]:
    return generate_key_pair(), generate_key_pair()


class Capturing(AlipayClient):
    """Our client with the network replaced by a recorder: what it would send, a canned success back."""

    sent: list[tuple[dict[str, str], dict[str, str]]]

    async def execute(self, method: str, biz_content: Mapping[str, Any] | None = None, *,
                      notify_url: str | None = None, auth_token: str | None = None,
                      extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.sent.append(self.build_request(method, biz_content, notify_url=notify_url))
        return {"code": "10000", "trade_no": "2026x", "out_trade_no": "p_1", "total_amount": "12.34",
                "auth_no": "2026a", "status": "SUCCESS", "amount": "8000.00", "action": "close", "retry_flag": "N",
                "template_id": "2026t", "card_info": {"biz_card_no": "mp0000000001"},
                "activity_id": "2026v", "voucher_code": "1234567890123456", "remain_amount": 5000,
                "record_id": "2026r"}


def sdk_client(keys: tuple[KeyPair, KeyPair]) -> DefaultAlipayClient:
    config = AlipayClientConfig()
    config.app_id = APP_ID
    config.app_private_key = keys[0].private_pem
    config.alipay_public_key = keys[1].public_pem
    return DefaultAlipayClient(config)


def cross_check(keys: tuple[KeyPair, KeyPair], query: dict[str, str], body: dict[str, str], sdk_request: Any) -> None:
    ours = {**query, **body}
    sign = ours.pop("sign")
    # The official SDK verifies the request we send.
    assert verify_with_rsa(keys[0].public_pem, get_sign_content(ours).encode(), sign)
    # The SDK's request of the same method and biz fields: the same method, no field dropped, the same signature.
    biz = json.loads(body["biz_content"])
    sdk_request.biz_content = biz
    common, params = sdk_client(keys)._DefaultAlipayClient__prepare_request_params(sdk_request)
    assert common["method"] == query["method"]
    assert json.loads(params["biz_content"]) == biz
    sdk_sign = common.pop("sign")
    assert sign_rsa2(sign_content({**params, **common}), keys[0].private_pem) == sdk_sign


async def test_store_payment_and_cancel_match_the_official_sdk(keys: tuple[KeyPair, KeyPair]) -> None:
    client = Capturing("http://x/gateway.do", APP_ID, keys[0].private_pem, keys[1].public_pem,
                       session=None)  # type: ignore[arg-type]
    client.sent = []
    await client.trade_pay(out_trade_no="p_1", amount_fen=1234, subject="雨伞 / 当面付", scene="bar_code",
                           auth_code="281234567890123456")
    await client.trade_pay(out_trade_no="p_2", amount_fen=1234, subject="刷脸付", scene="security_code",
                           auth_code="fp0123abcd")
    await client.trade_pay(out_trade_no="dc_1", amount_fen=30000, subject="押金转支付", auth_no="2026a",
                           auth_confirm_mode="NOT_COMPLETE")
    await client.trade_cancel("p_1")
    bar, face, preauth, cancel = client.sent
    assert json.loads(bar[1]["biz_content"])["scene"] == "bar_code"
    assert json.loads(preauth[1]["biz_content"])["product_code"] == "PREAUTH_PAY"
    for (query, body) in (bar, face, preauth):
        cross_check(keys, query, body, AlipayTradePayRequest())
    cross_check(keys, *cancel, AlipayTradeCancelRequest())


async def test_fund_authorisation_calls_match_the_official_sdk(keys: tuple[KeyPair, KeyPair]) -> None:
    client = Capturing("http://x/gateway.do", APP_ID, keys[0].private_pem, keys[1].public_pem,
                       session=None)  # type: ignore[arg-type]
    client.sent = []
    await client.fund_auth_query(out_order_no="da_1", out_request_no="dr_1")
    await client.fund_auth_unfreeze(auth_no="2026a", out_request_no="du_1", amount_fen=770_000, remark="归还")
    query_sent, unfreeze = client.sent
    cross_check(keys, *query_sent, AlipayFundAuthOperationDetailQueryRequest())
    cross_check(keys, *unfreeze, AlipayFundAuthOrderUnfreezeRequest())

    # The freeze is an order string for my.tradePay: signed as the SDK's sdk_execute signs it.
    order_str = client.fund_auth_freeze_order_str(out_order_no="da_1", out_request_no="dr_1", amount_fen=800_000,
                                                  order_title="押金 相机", category="RENT_DIGITAL", service_id="s1")
    params = dict(parse_qsl(order_str))
    body = {"biz_content": params.pop("biz_content")}
    biz = json.loads(body["biz_content"])
    assert (biz["product_code"], biz["deposit_product_mode"], biz["amount"]) == ("PRE_AUTH_ONLINE", "DEPOSIT_ONLY",
                                                                                 "8000.00")
    cross_check(keys, params, body, AlipayFundAuthOrderAppFreezeRequest())


async def test_member_card_calls_match_the_official_sdk(keys: tuple[KeyPair, KeyPair]) -> None:
    client = Capturing("http://x/gateway.do", APP_ID, keys[0].private_pem, keys[1].public_pem,
                       session=None)  # type: ignore[arg-type]
    client.sent = []
    await client.card_template_create(request_id="mc_1", card_show_name="数码会员卡", bg_color="rgb(55,112,179)",
                                      logo_id="logo", background_id="bg", open_card_url="alipays://x?page=a")
    await client.card_open(template_id="2026t", out_serial_no="mc_2", user_id="2088000000000099",
                           external_card_no="mc_2", level="VIP1", point=0, open_date="2026-11-26 10:00:00",
                           valid_date="2046-11-26 10:00:00")
    await client.card_update(biz_card_no="mp0000000001", level="VIP3", point=120, occur_time="2026-11-26 10:05:00")
    template, opened, updated = client.sent
    cross_check(keys, *template, AlipayMarketingCardTemplateCreateRequest())
    cross_check(keys, *opened, AlipayMarketingCardOpenRequest())
    cross_check(keys, *updated, AlipayMarketingCardUpdateRequest())


def test_a_store_payment_still_confirming_is_not_a_success(keys: tuple[KeyPair, KeyPair]) -> None:
    """10003 (the buyer confirms on the phone) is signed and verified, but it is no success: an AlipayError
    the store checkout reads as "unknown"."""
    client = AlipayClient("http://x", APP_ID, keys[0].private_pem, keys[1].public_pem,
                          session=None)  # type: ignore[arg-type]
    raw = signed_response("alipay.trade.pay", {"code": "10003", "msg": "Waiting for user to pay", "trade_no": "2026x",
                                               "out_trade_no": "p_1"}, keys[1].private_pem)
    with pytest.raises(AlipayError) as info:
        client.parse_response("alipay.trade.pay", raw)
    assert info.value.code == "10003"
