"""Alipay's own products for a merchant (issue 19): which are switched on, store checkout (当面付/刷脸付) and
Sesame deposit-free rentals (芝麻信用免押) by fund authorisation."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from services.payments import store
from services.payments.deps import deps_of
from services.payments.flows import deposits, paying, store_checkout
from shared.http import (
    StrictModel,
    credit_score,
    current_merchant,
    current_user,
    idempotency_key,
    json_response,
    parse_body,
    path_id,
)

routes = web.RouteTableDef()


class FeaturesBody(StrictModel):
    store_checkout: bool
    sesame_deposit: bool
    alipay_vouchers: bool | None = None  # left out: unchanged
    jifenbao: bool | None = None


class StoreChargeBody(StrictModel):
    store_id: str = Field(min_length=1, max_length=64)
    scene: store_checkout.Scene
    # A payment code is 18 digits; a face token is the device's opaque string. Never logged nor stored.
    auth_code: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class SettleDepositBody(StrictModel):
    """The rental ended: `charge_fen` of the frozen deposit becomes payment (damage, overdue days), the rest
    is unfrozen."""

    charge_fen: int = Field(default=0, ge=0, le=100_000_000)
    reason: str = Field(default="rental ended", min_length=1, max_length=100)


@routes.get("/merchant/alipay-features")
async def get_features(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    return json_response(await store_checkout.features(deps_of(request.app).db, merchant_id))


@routes.put("/merchant/alipay-features")
async def put_features(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, FeaturesBody)
    deps = deps_of(request.app)
    async with deps.db.transaction() as tx:
        await store.set_alipay_features(tx.conn, merchant_id, store_checkout=body.store_checkout,
                                        sesame_deposit=body.sesame_deposit, alipay_vouchers=body.alipay_vouchers,
                                        jifenbao=body.jifenbao)
    return json_response(await store_checkout.features(deps.db, merchant_id))


@routes.post("/merchant/orders/{order_id}/store-charge")
async def store_charge(request: web.Request) -> web.Response:
    """Charge a counter order with the buyer's payment code or face token; answers once the outcome is
    known (paid, declined, or cancelled at the deadline). The Idempotency-Key finds the same charge again."""
    merchant_id = current_merchant(request)
    order_id = path_id(request, "order_id")
    key = idempotency_key(request)
    assert key is not None
    body = await parse_body(request, StoreChargeBody)
    deps = deps_of(request.app)
    await paying.wait_until_known(deps, order_id)
    return json_response(await store_checkout.charge(
        deps, order_id=order_id, merchant_id=merchant_id, store_id=body.store_id, scene=body.scene,
        auth_code=body.auth_code, charge_key=key))


@routes.post("/orders/{order_id}/deposit-check")
async def deposit_check(request: web.Request) -> web.Response:
    """The buyer is back from confirming the freeze: ask Alipay whether the authorisation is there."""
    deps = deps_of(request.app)
    return json_response(await deposits.check(deps, path_id(request, "order_id"), current_user(request)))


@routes.post("/orders/{order_id}/deposit-auth")
async def deposit_authorise(request: web.Request) -> web.Response:
    """The buyer asks for the rental deposit's freeze before paying the rent (first, or again after never
    confirming it): the order string to confirm (while authorising)."""
    deps = deps_of(request.app)
    order_id, user_id = path_id(request, "order_id"), current_user(request)
    await paying.wait_until_known(deps, order_id)  # asked right after placing: order.confirmed may trail
    return json_response(await deposits.authorise(deps, order_id, user_id, credit_score(request)))


@routes.post("/merchant/orders/{order_id}/deposit/settle")
async def settle_deposit(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    order_id = path_id(request, "order_id")
    body = await parse_body(request, SettleDepositBody)
    return json_response(await deposits.settle(deps_of(request.app), order_id, merchant_id,
                                               charge_fen=body.charge_fen, reason=body.reason))
