"""The merchant API of Huabei settings: which instalment counts a merchant offers, who pays the fee, from
which order amount. The merchant is the staff token's (`X-Merchant-Id`), never a field of the body."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field, StrictInt, field_validator

from services.payments.deps import deps_of
from services.payments.domain import HuabeiOffer, Refusal
from services.payments.flows import huabei
from shared.http import Conflict, StrictModel, current_merchant, json_response, parse_body
from shared.money import ALIPAY_MAX_FEN

routes = web.RouteTableDef()


class OfferIn(StrictModel):
    installments: Literal[3, 6, 12]
    # "seller" is Alipay's word for the merchant (hb_fq_seller_percent); answers always say "merchant".
    fee_payer: Literal["buyer", "merchant", "seller"]
    min_amount_fen: StrictInt = Field(ge=0, le=ALIPAY_MAX_FEN)

    @field_validator("fee_payer")
    @classmethod
    def one_word_for_the_merchant(cls, value: str) -> str:
        return "merchant" if value == "seller" else value


class OffersBody(StrictModel):
    offers: list[OfferIn] = Field(max_length=3)

    @field_validator("offers")
    @classmethod
    def one_offer_per_count(cls, value: list[OfferIn]) -> list[OfferIn]:
        counts = [o.installments for o in value]
        if len(set(counts)) != len(counts):
            raise ValueError("each instalment count at most once")
        return value


@routes.get("/merchant/huabei-offers")
async def get_offers(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    return json_response(await huabei.merchant_settings(deps.db, current_merchant(request), deps.settings.rules))


@routes.put("/merchant/huabei-offers")
async def put_offers(request: web.Request) -> web.Response:
    """Replace the merchant's offers (PUT: the same body again changes nothing more)."""
    deps = deps_of(request.app)
    merchant_id = current_merchant(request)
    body = await parse_body(request, OffersBody)
    offers = [HuabeiOffer(o.installments, o.fee_payer, o.min_amount_fen) for o in body.offers]  # type: ignore[arg-type]
    try:
        async with deps.db.transaction() as tx:
            answer = await huabei.replace_offers(tx, merchant_id, offers, deps.settings.rules)
    except Refusal as refusal:  # rolled back: nothing half-written
        raise Conflict(refusal.detail, code=refusal.code) from None
    return json_response(answer)


@routes.delete("/merchant/huabei-offers")
async def delete_offers(request: web.Request) -> web.Response:
    """Back to the mall's default."""
    deps = deps_of(request.app)
    merchant_id = current_merchant(request)
    async with deps.db.transaction() as tx:
        return json_response(await huabei.reset_offers(tx, merchant_id, deps.settings.rules))
