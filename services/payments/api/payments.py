"""Internal HTTP API (the gateway is the only client). Parse, call a flow, answer; no SQL, no rules."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field, model_validator

from services.payments import domain, store
from services.payments.deps import deps_of
from services.payments.flows import checks, huabei, notify, paying, refunding
from shared.db import Tx
from shared.http import (
    NotFound,
    StrictModel,
    credit_score,
    current_merchant,
    current_user,
    idempotent,
    json_response,
    parse_body,
    parse_query,
    path_id,
)
from shared.money import ALIPAY_MAX_FEN

routes = web.RouteTableDef()

ALIPAY_USER_HEADER = "X-Alipay-User-Id"
MAX_ID = 128


class PayBody(StrictModel):
    """No `fee_payer`: who pays a Huabei fee is the merchant's setting; a client that sends one is refused."""

    method: domain.Method
    installments: Literal[3, 6, 12] | None = None

    @model_validator(mode="after")
    def huabei_terms_only_for_huabei(self) -> PayBody:
        if self.method == "huabei" and self.installments is None:
            raise ValueError("huabei needs installments (3, 6 or 12)")
        if self.method != "huabei" and self.installments is not None:
            raise ValueError("installments are for huabei only")
        return self


class TopUpBody(StrictModel):
    amount_fen: int = Field(gt=0, le=ALIPAY_MAX_FEN)


class PlansQuery(StrictModel):
    amount_fen: int = Field(gt=0, le=ALIPAY_MAX_FEN)
    merchant_id: str = Field(min_length=1, max_length=MAX_ID)


def _alipay_user(request: web.Request) -> str | None:
    value = request.headers.get(ALIPAY_USER_HEADER, "").strip()
    return value[:64] or None


@routes.post("/orders/{order_id}/pay")
async def pay_order(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    user_id = current_user(request)
    order_id = path_id(request, "order_id")
    body = await parse_body(request, PayBody)
    score, buyer = credit_score(request), _alipay_user(request)
    await paying.wait_until_known(deps, order_id)

    async def work(tx: Tx) -> tuple[int, Any]:
        return 200, await paying.pay_order(deps, tx, order_id=order_id, user_id=user_id, score=score,
                                           alipay_user_id=buyer, method=body.method,
                                           installments=body.installments)

    return await idempotent(request, deps.db, f"pay:{user_id}", body.model_dump(mode="json"), work)


@routes.post("/orders/{order_id}/payment-check")
async def check_payment(request: web.Request) -> web.Response:
    """The buyer is back from the cashier (`my.tradePay` returned): ask Alipay, apply, answer the state."""
    deps = deps_of(request.app)
    user_id = current_user(request)
    order_id = path_id(request, "order_id")
    return json_response(await checks.check_payment(deps, order_id=order_id, user_id=user_id))


@routes.get("/installment-plans")
async def installment_plans(request: web.Request) -> web.Response:
    query = parse_query(request, PlansQuery)
    deps = deps_of(request.app)
    return json_response(await huabei.plans_for(deps.db, query.merchant_id, query.amount_fen, deps.settings.rules))


@routes.get("/me/balance")
async def my_balance(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    user_id = current_user(request)
    entries = await store.ledger_of(deps.db, domain.user_account(user_id), 50)
    return json_response({"balance_fen": await store.balance_of(deps.db, user_id),
                          "entries": [{"amount_fen": e["amount_fen"], "kind": e["kind"], "ref": e["ref"],
                                       "at": e["created_at"].isoformat()} for e in entries]})


@routes.post("/me/balance/top-ups")
async def top_up(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    user_id = current_user(request)
    body = await parse_body(request, TopUpBody)
    buyer = _alipay_user(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        return 201, await paying.top_up(deps, tx, user_id=user_id, alipay_user_id=buyer, amount_fen=body.amount_fen)

    return await idempotent(request, deps.db, f"top_up:{user_id}", body.model_dump(mode="json"), work)


@routes.get("/payments/{payment_id}")
async def get_payment(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    payment = await store.payment_of_user(deps.db, path_id(request, "payment_id"), current_user(request))
    if payment is None:
        raise NotFound("No such payment", code="payment_not_found")
    return json_response(paying.payment_view(payment))


@routes.get("/me/deposits")
async def my_deposits(request: web.Request) -> web.Response:
    rows = await store.deposits_of(deps_of(request.app).db, current_user(request))
    return json_response({"items": [_jsonable(r) for r in rows]})


@routes.post("/merchant/orders/{order_id}/deposit/release")
async def release_deposit(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    merchant_id = current_merchant(request)
    order_id = path_id(request, "order_id")
    async with deps.db.transaction() as tx:
        answer = await refunding.release_deposit(deps, tx, order_id, merchant_id)
    return json_response(answer)


@routes.post("/alipay/notify")
async def alipay_notify(request: web.Request) -> web.Response:
    """Alipay's POST, forwarded raw by the gateway. The answer is exactly `success`, or not."""
    ok = await notify.handle_notify(deps_of(request.app), await request.read())
    return web.Response(text="success" if ok else "fail", status=200 if ok else 400, content_type="text/plain")


def _jsonable(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in dict(row).items()}
