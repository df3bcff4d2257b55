"""Our RSA2 signing and verification agree with the official `alipay-sdk-python` byte for byte."""

from __future__ import annotations

import pytest
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.request.AlipayTradeCreateRequest import AlipayTradeCreateRequest
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2, verify_with_rsa

from shared.alipay import (
    AlipayClient,
    AlipayError,
    AlipayResponseError,
    generate_key_pair,
    sign_content,
    sign_rsa2,
    signed_response,
    verify_notify,
    verify_rsa2,
)
from shared.alipay.signing import sign_notify


@pytest.fixture(scope="module")
def app_keys():
    return generate_key_pair()


@pytest.fixture(scope="module")
def alipay_keys():
    return generate_key_pair()


NOTIFY = {
    "notify_time": "2026-11-25 22:03:01", "notify_type": "trade_status_sync",
    "notify_id": "ac05099524730693a8b330c5ecf72da9786",
    "app_id": "2021000000000001", "charset": "utf-8", "version": "1.0", "trade_no": "2026112522001491",
    "out_trade_no": "p_0a1b2c", "buyer_id": "2088102116773037", "trade_status": "TRADE_SUCCESS",
    "total_amount": "341.02", "receipt_amount": "341.02", "subject": "大乐透2.1 & 花呗",
    "fund_bill_list": '[{"amount":"341.02","fundChannel":"PCREDIT"}]', "gmt_payment": "2026-11-25 22:03:00",
}


def test_request_signature_equals_official_sdk(app_keys, alipay_keys):
    config = AlipayClientConfig()
    config.app_id = "2021000000000001"
    config.app_private_key = app_keys.private_pem
    config.alipay_public_key = alipay_keys.public_pem
    sdk = DefaultAlipayClient(config)
    request = AlipayTradeCreateRequest()
    request.biz_content = {"out_trade_no": "p_1", "total_amount": "100.00", "subject": "雨伞 / umbrella",
                           "product_code": "JSAPI_PAY", "buyer_id": "2088102116773037"}
    request.notify_url = "https://mall.example/alipay/notify"
    common, params = sdk._DefaultAlipayClient__prepare_request_params(request)
    sdk_sign = common.pop("sign")
    ours = sign_rsa2(sign_content({**params, **common}), app_keys.private_pem)
    assert ours == sdk_sign
    assert len(ours) == 344


def test_client_request_verifies_with_official_sdk(app_keys, alipay_keys):
    client = AlipayClient("http://x/gateway.do", "2021000000000001", app_keys.private_pem, alipay_keys.public_pem,
                          session=None)  # type: ignore[arg-type]
    query, body = client.build_request("alipay.trade.create", {"out_trade_no": "p_1", "total_amount": "0.01",
                                                               "subject": "测试"}, notify_url="https://n/x")
    params = {**query, **body}
    sign = params.pop("sign")
    assert sign == sign_with_rsa2(app_keys.private_pem, get_sign_content(params), "utf-8")
    assert verify_with_rsa(app_keys.public_pem, get_sign_content(params).encode(), sign)


def test_notify_signed_by_official_sdk_is_accepted(alipay_keys):
    form = dict(NOTIFY, sign_type="RSA2")
    form["sign"] = sign_with_rsa2(alipay_keys.private_pem, get_sign_content(NOTIFY), "utf-8")
    assert verify_notify(form, alipay_keys.public_pem)


def test_notify_signed_by_us_is_accepted_by_official_sdk(alipay_keys):
    form = sign_notify(NOTIFY, alipay_keys.private_pem)
    rest = {k: v for k, v in form.items() if k not in ("sign", "sign_type")}
    assert verify_with_rsa(alipay_keys.public_pem, get_sign_content(rest).encode(), form["sign"])


def test_tampered_or_unsigned_notify_is_rejected(alipay_keys, app_keys):
    form = sign_notify(NOTIFY, alipay_keys.private_pem)
    assert verify_notify(form, alipay_keys.public_pem)
    assert not verify_notify({**form, "total_amount": "0.01"}, alipay_keys.public_pem)
    assert not verify_notify({k: v for k, v in form.items() if k != "sign"}, alipay_keys.public_pem)
    assert not verify_notify({**form, "sign": "bm90IGEgc2lnbmF0dXJl"}, alipay_keys.public_pem)
    assert not verify_notify({**form, "sign": "%%%not base64"}, alipay_keys.public_pem)
    assert not verify_notify({**form, "sign_type": "RSA"}, alipay_keys.public_pem)
    # signed by somebody else's key (our own app key, say): not Alipay
    forged = sign_notify(NOTIFY, app_keys.private_pem)
    assert not verify_notify(forged, alipay_keys.public_pem)


def test_response_verified_on_raw_text_like_official_sdk(app_keys, alipay_keys):
    raw = signed_response("alipay.trade.create", {"code": "10000", "msg": "Success", "trade_no": "2026x",
                                                  "out_trade_no": "p_1", "note": "a } brace, \"quote\" 中"},
                          alipay_keys.private_pem)
    config = AlipayClientConfig()
    config.app_id = "2021000000000001"
    config.app_private_key = app_keys.private_pem
    config.alipay_public_key = alipay_keys.public_pem
    sdk = DefaultAlipayClient(config)
    assert '"trade_no":"2026x"' in sdk._DefaultAlipayClient__parse_response(raw.encode())
    client = AlipayClient("http://x", "2021000000000001", app_keys.private_pem, alipay_keys.public_pem,
                          session=None)  # type: ignore[arg-type]
    assert client.parse_response("alipay.trade.create", raw)["trade_no"] == "2026x"
    with pytest.raises(AlipayResponseError):
        client.parse_response("alipay.trade.create", raw.replace("2026x", "2026y"))


def test_business_failure_and_unsigned_success(app_keys, alipay_keys):
    client = AlipayClient("http://x", "a", app_keys.private_pem, alipay_keys.public_pem,
                          session=None)  # type: ignore[arg-type]
    raw = signed_response("alipay.trade.close", {"code": "40004", "msg": "Business Failed",
                                                 "sub_code": "ACQ.TRADE_NOT_EXIST"}, alipay_keys.private_pem)
    with pytest.raises(AlipayError) as info:
        client.parse_response("alipay.trade.close", raw)
    assert info.value.sub_code == "ACQ.TRADE_NOT_EXIST"
    with pytest.raises(AlipayResponseError):
        client.parse_response("alipay.trade.close", '{"alipay_trade_close_response":{"code":"10000","msg":"ok"}}')


def test_bare_base64_keys_as_alipay_console_shows_them(alipay_keys):
    body = "".join(line for line in alipay_keys.public_pem.splitlines() if "-----" not in line)
    signature = sign_rsa2("a=1&b=2", alipay_keys.private_pem)
    assert verify_rsa2("a=1&b=2", signature, body)
