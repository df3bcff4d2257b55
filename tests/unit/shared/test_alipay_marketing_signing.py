"""The merchant voucher (商家券), 集分宝 and agreement deduction methods (issue 19) against the official
`alipay-sdk-python`, as the other new methods are (tests/unit/payments/test_alipay_native_signing.py): the
SDK's method name, no biz field it would drop (nested ones included), the same signature."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from alipay.aop.api.request.AlipayMarketingActivityOrdervoucherCreateRequest import (
    AlipayMarketingActivityOrdervoucherCreateRequest,
)
from alipay.aop.api.request.AlipayMarketingActivityOrdervoucherRefundRequest import (
    AlipayMarketingActivityOrdervoucherRefundRequest,
)
from alipay.aop.api.request.AlipayMarketingActivityOrdervoucherSendRequest import (
    AlipayMarketingActivityOrdervoucherSendRequest,
)
from alipay.aop.api.request.AlipayMarketingActivityOrdervoucherUseRequest import (
    AlipayMarketingActivityOrdervoucherUseRequest,
)
from alipay.aop.api.request.AlipayTradePayRequest import AlipayTradePayRequest
from alipay.aop.api.request.AlipayUserAgreementPageSignRequest import AlipayUserAgreementPageSignRequest
from alipay.aop.api.request.AlipayUserAgreementQueryRequest import AlipayUserAgreementQueryRequest
from alipay.aop.api.request.AlipayUserAlipaypointBudgetlibQueryRequest import (
    AlipayUserAlipaypointBudgetlibQueryRequest,
)
from alipay.aop.api.request.AlipayUserAlipaypointSendRequest import AlipayUserAlipaypointSendRequest

from shared.alipay import KeyPair
from tests.unit.payments.test_alipay_native_signing import APP_ID, Capturing, cross_check, keys

__all__ = ["keys"]  # the key pair fixture


async def test_merchant_voucher_calls_match_the_official_sdk(keys: tuple[KeyPair, KeyPair]) -> None:
    client = Capturing("http://x/gateway.do", APP_ID, keys[0].private_pem, keys[1].public_pem,
                       session=None)  # type: ignore[arg-type]
    client.sent = []
    common = {"brand_name": "数码旗舰店", "quantity": 100, "per_user_limit": 2,
              "publish_start": "2026-11-26 10:00:00", "publish_end": "2026-12-26 10:00:00"}
    await client.voucher_activity_create(out_biz_no="vcreate1", name="满100减10", amount_fen=1_000,
                                         floor_fen=10_000, valid_days=7, **common)  # type: ignore[arg-type]
    await client.voucher_activity_create(out_biz_no="vcreate2", name="85折", discount="8.5", ceiling_fen=2_000,
                                         valid_until="2026-12-31 23:59:59", **common)  # type: ignore[arg-type]
    assert await client.voucher_send(activity_id="2026v", out_biz_no="vsend1", user_id="2088000000000099") == (
        "1234567890123456")
    await client.voucher_use(activity_id="2026v", voucher_code="1234567890123456", out_biz_no="vuse1",
                             biz_dt="2026-11-26 10:05:00", total_fen=12_000)
    await client.voucher_refund(activity_id="2026v", voucher_code="1234567890123456", out_biz_no="vrefund1",
                                biz_dt="2026-11-27 10:05:00")
    fixed, discount, send, use, refund = client.sent
    assert json.loads(fixed[1]["biz_content"])["voucher_deduct_info"] == {
        "voucher_type": "FIX_VOUCHER", "fix_voucher_info": {"amount": "10.00", "floor_amount": "100.00"}}
    assert json.loads(use[1]["biz_content"])["total_fee"] == "120.00"
    for create in (fixed, discount):
        cross_check(keys, *create, AlipayMarketingActivityOrdervoucherCreateRequest())
    cross_check(keys, *send, AlipayMarketingActivityOrdervoucherSendRequest())
    cross_check(keys, *use, AlipayMarketingActivityOrdervoucherUseRequest())
    cross_check(keys, *refund, AlipayMarketingActivityOrdervoucherRefundRequest())


async def test_jifenbao_calls_match_the_official_sdk(keys: tuple[KeyPair, KeyPair]) -> None:
    client = Capturing("http://x/gateway.do", APP_ID, keys[0].private_pem, keys[1].public_pem,
                       session=None)  # type: ignore[arg-type]
    client.sent = []
    assert await client.point_budget("mall_budget_1") == 5000
    assert await client.point_send(budget_code="mall_budget_1", partner_biz_no="jfb1", point_amount=599,
                                   user_id="2088000000000099", memo="购物返集分宝") == "2026r"
    query, send = client.sent
    assert json.loads(send[1]["biz_content"])["point_amount"] == 599
    cross_check(keys, *query, AlipayUserAlipaypointBudgetlibQueryRequest())
    cross_check(keys, *send, AlipayUserAlipaypointSendRequest())


async def test_agreement_deduction_calls_match_the_official_sdk(keys: tuple[KeyPair, KeyPair]) -> None:
    client = Capturing("http://x/gateway.do", APP_ID, keys[0].private_pem, keys[1].public_pem,
                       session=None)  # type: ignore[arg-type]
    client.sent = []
    await client.agreement_query("ag_1")
    await client.trade_pay_by_agreement(out_trade_no="bd_1", amount_fen=120_000, subject="信用购还款",
                                        agreement_no="20260000000000000001")
    query, pay = client.sent
    assert json.loads(pay[1]["biz_content"])["agreement_params"] == {"agreement_no": "20260000000000000001"}
    cross_check(keys, *query, AlipayUserAgreementQueryRequest())
    cross_check(keys, *pay, AlipayTradePayRequest())
    # The signing page's order string is signed as the SDK's sdk_execute signs it.
    params = dict(parse_qsl(client.agreement_sign_str(external_agreement_no="ag_1")))
    cross_check(keys, params, {"biz_content": params.pop("biz_content")}, AlipayUserAgreementPageSignRequest())
