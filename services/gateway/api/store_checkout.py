"""Alipay-native money for merchants (issue 19): store checkout at the counter (当面付/刷脸付), the Alipay
products a merchant switches on, and settling a Sesame deposit-free rental.

A counter sale is composed here: the store must be the merchant's (catalog), orders places the sale with
entry `store_checkout` and the saga holds the stock as for any order, then payments charges the buyer's
payment code or face token and answers once the outcome is known (paid, declined, or cancelled at the
deadline). One Idempotency-Key covers the whole sale: a retried request finds the same order and the same
charge, never a second one.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field, model_validator

from services.gateway.models import Answer, Anything
from services.gateway.routes import Call, Operation, forward
from services.gateway.upstream import Reply, path, relay
from shared.http import Conflict, NotFound, StrictModel, json_response
from shared.money import COUNTER_AMOUNT_MAX_FEN, MIN_PAYABLE_FEN

Scene = Literal["bar_code", "security_code"]
AuthCode = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
CHARGE_MARGIN_S = 10.0  # on top of payments' own deadline (query, then cancel)


class SaleItem(StrictModel):
    sku_id: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=99)


class StoreCheckoutBody(StrictModel):
    """`items` (the SKUs rung up) or `amount_fen` (an amount without goods, 到店消费), not both. `scene`
    bar_code: `auth_code` is the buyer's payment code (scanned); security_code: a face token."""

    store_id: str = Field(min_length=1, max_length=64)
    items: list[SaleItem] | None = Field(default=None, min_length=1, max_length=50)
    amount_fen: int | None = Field(default=None, ge=MIN_PAYABLE_FEN, le=COUNTER_AMOUNT_MAX_FEN)
    scene: Scene
    auth_code: str = AuthCode

    @model_validator(mode="after")
    def one_of(self) -> StoreCheckoutBody:
        if (self.items is None) == (self.amount_fen is None):
            raise ValueError("name either items (SKUs) or amount_fen (an amount without goods)")
        return self


class StoreChargeBody(StrictModel):
    store_id: str = Field(min_length=1, max_length=64)
    scene: Scene
    auth_code: str = AuthCode


class FeaturesBody(StrictModel):
    store_checkout: bool
    sesame_deposit: bool
    alipay_vouchers: bool | None = None  # coupons as Alipay merchant vouchers (商家券); left out: unchanged
    jifenbao: bool | None = None  # 集分宝 for paid orders from the merchant's budget; left out: unchanged


class AlipayVoucherBody(StrictModel):
    brand_name: str = Field(min_length=1, max_length=12)


class AlipayVoucherOut(Answer):
    template_id: str
    activity_id: str


class JifenbaoBody(StrictModel):
    budget_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    points_per_yuan: int = Field(ge=0, le=100)


class SettleDepositBody(StrictModel):
    charge_fen: int = Field(default=0, ge=0, le=100_000_000)
    reason: str = Field(default="rental ended", min_length=1, max_length=100)


class ChargeOut(Answer):
    payment_id: str
    order_id: str
    status: str  # succeeded | failed
    amount_fen: int
    reason: str | None = None  # failed: Alipay's sub code, or cancelled / cancelled_refunded


class StoreCheckoutOut(Answer):
    order_id: str
    payable_fen: int
    charge: ChargeOut


async def _charge(call: Call, order_id: str, body: StoreChargeBody) -> Reply:
    deadline = call.settings.order_wait_ms / 1000 + call.settings.store_charge_wait_s + CHARGE_MARGIN_S
    target = path("/merchant/orders/{id}/store-charge", id=order_id)
    return await call.up.call(call.request, "payments", "POST", target, json=body.model_dump(), timeout=deadline)


async def _own_store(call: Call, store_id: str) -> None:
    stores = await call.up.json(call.request, "catalog", "GET", "/merchant/stores")
    if not any(s.get("id") == store_id and s.get("active", True) for s in stores.get("items", [])):
        raise NotFound("No such store", code="store_not_found")


async def merchant_store_checkout(call: Call) -> web.StreamResponse:
    body: StoreCheckoutBody = call.body
    await _own_store(call, body.store_id)
    features = await call.up.json(call.request, "payments", "GET", "/merchant/alipay-features")
    if not features.get("store_checkout"):  # refused before any stock is held for a sale that cannot be paid
        raise Conflict("The merchant has not switched store checkout on", code="store_checkout_disabled")
    placed = await call.up.call(call.request, "orders", "POST", "/merchant/store-sales",
                                json=body.model_dump(include={"store_id", "items", "amount_fen"}, exclude_none=True))
    if placed.status != 201:
        return relay(placed)
    order_id = placed.json()["id"]
    order = await call.up.json(call.request, "orders", "GET", path("/merchant/orders/{id}/wait", id=order_id),
                               query={"wait_ms": call.settings.order_wait_ms},
                               timeout=call.settings.order_wait_ms / 1000 + call.settings.upstream_timeout_seconds)
    # Cancelled by the saga (out of stock...) or still deciding: nothing to charge. A paid sale goes on to
    # payments all the same: a retried request is answered there with the charge of its Idempotency-Key.
    if order.get("status") in ("PENDING", "CANCELLED"):
        raise Conflict("The sale could not be rung up", code="sale_not_ready", order_id=order_id,
                       order_status=order.get("status"), reason=order.get("reason"))
    charge = await _charge(call, order_id, StoreChargeBody(store_id=body.store_id, scene=body.scene,
                                                          auth_code=body.auth_code))
    if charge.status != 200:
        return relay(charge)
    return json_response({"order_id": order_id, "payable_fen": order["payable_fen"], "charge": charge.json()},
                         status=201)


async def merchant_store_charge(call: Call) -> web.StreamResponse:
    """Charge a counter order again with another code (the first was declined or cancelled)."""
    body: StoreChargeBody = call.body
    await _own_store(call, body.store_id)
    return relay(await _charge(call, call.param("id"), body))


async def merchant_publish_alipay_voucher(call: Call) -> web.StreamResponse:
    """A coupon template published as an Alipay merchant voucher (商家券), if the merchant switched them on."""
    features = await call.up.json(call.request, "payments", "GET", "/merchant/alipay-features")
    if not features.get("alipay_vouchers"):
        raise Conflict("The merchant has not switched Alipay vouchers on", code="alipay_vouchers_disabled")
    body: AlipayVoucherBody = call.body
    return relay(await call.up.call(
        call.request, "marketing", "POST", path("/merchant/coupon-templates/{id}/alipay-voucher", id=call.param("id")),
        json=body.model_dump()))


async def merchant_set_jifenbao(call: Call) -> web.StreamResponse:
    """The merchant's 集分宝 budget and rate, if it switched 集分宝 on."""
    features = await call.up.json(call.request, "payments", "GET", "/merchant/alipay-features")
    if not features.get("jifenbao"):
        raise Conflict("The merchant has not switched 集分宝 on", code="jifenbao_disabled")
    body: JifenbaoBody = call.body
    return relay(await call.up.call(call.request, "marketing", "PUT", "/merchant/jifenbao", json=body.model_dump()))


OPERATIONS = [
    Operation("POST", "/api/merchant/store-checkouts", merchant_store_checkout,
              "Ring up SKUs or an amount at a store and charge the buyer's payment code or face token "
              "(当面付/刷脸付); answers once the charge is paid, declined or cancelled", "merchant", auth="staff",
              body=StoreCheckoutBody, answer=StoreCheckoutOut, status=201, idempotent=True),
    Operation("POST", "/api/merchant/orders/{id}/store-charge", merchant_store_charge,
              "Charge a counter order with another payment code or face token", "merchant", auth="staff",
              body=StoreChargeBody, answer=ChargeOut, idempotent=True),
    Operation("GET", "/api/merchant/alipay-features",
              forward("merchant_alipay_features", "payments", "GET", "/merchant/alipay-features"),
              "Which Alipay products the merchant uses (store checkout, Sesame deposit-free)", "merchant",
              auth="staff", answer=Anything),
    Operation("PUT", "/api/merchant/alipay-features",
              forward("merchant_set_alipay_features", "payments", "PUT", "/merchant/alipay-features"),
              "Switch store checkout, Sesame deposit-free, Alipay vouchers and 集分宝 on or off", "merchant",
              auth="staff", body=FeaturesBody, answer=Anything, optional_key=True),
    Operation("POST", "/api/merchant/coupon-templates/{id}/alipay-voucher", merchant_publish_alipay_voucher,
              "Publish a coupon template as an Alipay merchant voucher (商家券): claimed coupons go into the buyer's "
              "Alipay card package and their use is reported to Alipay", "merchant", auth="staff",
              body=AlipayVoucherBody, answer=AlipayVoucherOut, status=201, optional_key=True),
    Operation("GET", "/api/merchant/jifenbao", forward("merchant_jifenbao", "marketing", "GET", "/merchant/jifenbao"),
              "The merchant's 集分宝 budget library and what each paid yuan earns", "merchant", auth="staff",
              answer=Anything),
    Operation("PUT", "/api/merchant/jifenbao", merchant_set_jifenbao,
              "Set the 集分宝 budget library (at Alipay) paid orders' 集分宝 come from, and the rate (0 stops)",
              "merchant", auth="staff", body=JifenbaoBody, answer=Anything, optional_key=True),
    Operation("POST", "/api/merchant/orders/{id}/deposit/settle",
              forward("merchant_settle_deposit", "payments", "POST", "/merchant/orders/{id}/deposit/settle"),
              "End a Sesame deposit-free rental: charge part of the frozen deposit (damage, overdue) and unfreeze "
              "the rest", "merchant", auth="staff", body=SettleDepositBody, answer=Anything, optional_key=True),
]
