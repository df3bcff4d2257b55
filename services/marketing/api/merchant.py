"""Merchant staff: campaigns, coupon templates, store claim codes and stats — only their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from asyncpg import Record
from pydantic import Field, model_validator

from services.marketing.api.common import Model, db, maybe_idempotent, merchant_id, now, path_id, settings
from services.marketing.api.coupons import template_view
from services.marketing.deps import deps_of
from services.marketing.domain import qr
from services.marketing.flows import cards, jifenbao, vouchers
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import jifenbao as jifenbao_db
from services.marketing.store import members as members_db
from services.marketing.store import new_id
from shared.alipay import AlipayError, AlipayResponseError
from shared.db import Queryable as Connection  # reads may run on the pool
from shared.db import Tx, returned
from shared.http import Conflict, NotFound, Problem, json_response, parse_body
from shared.http.models import Moment

routes = web.RouteTableDef()

Id = Field(default=None, min_length=1, max_length=64)


class CampaignBody(Model):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["coupon", "fission", "pay_gift"] = "coupon"  # pay_gift: 支付有礼, offered after paying
    budget_fen: int | None = Field(default=None, gt=0, le=10_000_000_000)
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    fission_needed: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def consistent(self) -> CampaignBody:
        if (self.kind == "fission") != (self.fission_needed is not None):
            raise ValueError("fission_needed is required for fission campaigns and only for them")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class TemplateBody(Model):
    name: str = Field(min_length=1, max_length=100)
    channel: Literal["public", "store_code", "fission_sharer", "fission_friend", "pay_gift"] = "public"
    kind: Literal["fixed", "percent", "free_shipping"]  # free_shipping: waives express freight up to cap_fen
    amount_fen: int | None = Field(default=None, gt=0, le=300_000)            # Alipay FIX: ≤ ¥3000
    threshold_fen: int = Field(default=0, ge=0, le=5_000_000)                  # floor_amount ≤ ¥50000
    percent_off_bp: int | None = Field(default=None, ge=1, le=9_999)
    cap_fen: int | None = Field(default=None, gt=0, le=1_500_000)              # ceiling ≤ ¥15000
    valid_until: Moment | None = None
    valid_days: int | None = Field(default=None, ge=1, le=365)
    total_qty: int = Field(gt=0, le=10_000_000)
    per_user_limit: int = Field(default=1, ge=1, le=100)
    store_id: str | None = Id
    category_id: str | None = Id
    min_credit_score: int | None = Field(default=None, ge=350, le=950)

    @model_validator(mode="after")
    def consistent(self) -> TemplateBody:
        if self.kind == "fixed" and (self.amount_fen is None or self.percent_off_bp is not None):
            raise ValueError("a fixed coupon needs amount_fen and no percent_off_bp")
        if self.kind == "percent" and (self.percent_off_bp is None or self.cap_fen is None
                                       or self.amount_fen is not None):
            raise ValueError("a percent coupon needs percent_off_bp and cap_fen, and no amount_fen")
        if self.kind == "free_shipping" and (self.cap_fen is None or self.amount_fen is not None
                                             or self.percent_off_bp is not None):
            raise ValueError("a free_shipping coupon needs cap_fen (the most freight it waives), and neither "
                             "amount_fen nor percent_off_bp")
        if (self.valid_until is None) == (self.valid_days is None):
            raise ValueError("give exactly one of valid_until (absolute) and valid_days (relative to the claim)")
        if self.channel == "store_code" and self.store_id is None:
            raise ValueError("a store_code coupon needs store_id")
        return self


class StatusBody(Model):
    status: Literal["active", "paused", "ended"]


class StoreCodeBody(Model):
    template_id: str = Field(min_length=1, max_length=64)
    ttl_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 366)


def campaign_view(row: Record) -> dict[str, Any]:
    return {"id": row["id"], "merchant_id": row["merchant_id"], "name": row["name"], "kind": row["kind"],
            "status": row["status"], "budget_fen": row["budget_fen"], "committed_fen": row["committed_fen"],
            "redeemed_fen": row["redeemed_fen"], "fission_needed": row["fission_needed"],
            "starts_at": row["starts_at"].isoformat(),
            "ends_at": row["ends_at"].isoformat() if row["ends_at"] else None}


async def own_campaign(conn: Connection, campaign_id: str, merchant: str) -> Record:
    campaign = await campaigns_db.get_campaign(conn, campaign_id)
    if campaign is None or campaign["merchant_id"] != merchant:  # another merchant's campaign does not exist
        raise NotFound("No such campaign", code="campaign_not_found")
    return campaign


@routes.post("/merchant/campaigns")
async def create_campaign(request: web.Request) -> web.Response:
    merchant = merchant_id(request)
    body = await parse_body(request, CampaignBody)
    at = now(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        row = await campaigns_db.insert_campaign(tx.conn, {
            "id": new_id("cmp"), "merchant_id": merchant, **body.model_dump(), "starts_at": body.starts_at or at})
        return 201, campaign_view(returned(row))  # a fresh id: the insert always returns its row

    return await maybe_idempotent(request, f"campaign:{merchant}", body.model_dump(mode="json"), work)


@routes.get("/merchant/campaigns")
async def list_campaigns(request: web.Request) -> web.Response:
    merchant = merchant_id(request)
    async with db(request).pool.acquire() as conn:
        items = []
        for row in await campaigns_db.campaigns_of(conn, merchant):
            templates = await campaigns_db.templates_of_campaign(conn, row["id"])
            items.append({**campaign_view(row), "templates": [template_view(t) for t in templates]})
    return json_response({"items": items})


@routes.get("/merchant/campaigns/{campaign_id}")
async def get_campaign(request: web.Request) -> web.Response:
    """One of the merchant's campaigns (the gateway checks a banner's campaign target with it)."""
    merchant = merchant_id(request)
    async with db(request).pool.acquire() as conn:
        campaign = await own_campaign(conn, path_id(request, "campaign_id"), merchant)
    return json_response(campaign_view(campaign))


@routes.patch("/merchant/campaigns/{campaign_id}")
async def set_status(request: web.Request) -> web.Response:
    merchant = merchant_id(request)
    body = await parse_body(request, StatusBody)
    row = await campaigns_db.set_campaign_status(db(request).pool, path_id(request, "campaign_id"), merchant,
                                                 body.status)
    if row is None:
        raise NotFound("No such campaign", code="campaign_not_found")
    return json_response(campaign_view(row))


@routes.post("/merchant/campaigns/{campaign_id}/templates")
async def create_template(request: web.Request) -> web.Response:
    merchant = merchant_id(request)
    campaign_id = path_id(request, "campaign_id")
    body = await parse_body(request, TemplateBody)

    async def work(tx: Tx) -> tuple[int, Any]:
        campaign = await own_campaign(tx.conn, campaign_id, merchant)
        fission_channel = body.channel.startswith("fission_")
        if fission_channel != (campaign["kind"] == "fission") or \
                (body.channel == "pay_gift") != (campaign["kind"] == "pay_gift"):
            raise Conflict("fission_* channels belong to fission campaigns, pay_gift to pay_gift campaigns, the "
                           "others to coupon campaigns", code="channel_mismatch")
        if body.store_id is not None:
            store = await members_db.get_store(tx.conn, body.store_id)
            if store is None or store["merchant_id"] != merchant:
                raise Conflict("No such store of this merchant", code="store_not_found")
        row = await campaigns_db.insert_template(tx.conn, {
            "id": new_id("tpl"), "campaign_id": campaign_id, "merchant_id": merchant, **body.model_dump()})
        return 201, template_view(returned(row))  # a fresh id: the insert always returns its row

    return await maybe_idempotent(request, f"template:{merchant}", body.model_dump(mode="json"), work)


@routes.post("/merchant/store-codes")
async def mint_store_code(request: web.Request) -> web.Response:
    """A signed, expiring code to print in a store; scanning it claims that store's coupon."""
    merchant = merchant_id(request)
    body = await parse_body(request, StoreCodeBody)
    template = await campaigns_db.get_template(db(request).pool, body.template_id)
    if template is None or template["merchant_id"] != merchant:
        raise NotFound("No such coupon template", code="template_not_found")
    if template["store_id"] is None or template["channel"] not in ("public", "store_code"):
        raise Conflict("Only a store's own coupon can have a store code", code="not_a_store_coupon")
    config = settings(request)
    expires: datetime = now(request) + timedelta(minutes=body.ttl_minutes or config.store_code_ttl_minutes)
    code = qr.mint(config.qr_secret, template["id"], template["store_id"], expires)
    return json_response({"code": code, "template_id": template["id"], "store_id": template["store_id"],
                          "expires_at": expires.isoformat()}, status=201)


@routes.get("/merchant/campaigns/{campaign_id}/stats")
async def stats(request: web.Request) -> web.Response:
    merchant = merchant_id(request)
    async with db(request).pool.acquire() as conn:
        campaign = await own_campaign(conn, path_id(request, "campaign_id"), merchant)
        counts = await campaigns_db.campaign_stats(conn, campaign["id"], now(request))
    return json_response({**campaign_view(campaign), **dict(counts)})


class AlipayCardBody(Model):
    name: str = Field(min_length=1, max_length=20)  # what the card package shows
    bg_color: str = Field(default="rgb(55,112,179)", pattern=r"^rgb\([0-9]{1,3},[0-9]{1,3},[0-9]{1,3}\)$")


@routes.get("/merchant/alipay-card")
async def get_alipay_card(request: web.Request) -> web.Response:
    async with db(request).pool.acquire() as conn:
        found = await members_db.card_template(conn, merchant_id(request))
    if found is None:
        raise NotFound("The merchant has no Alipay member card", code="card_template_not_found")
    return json_response({"merchant_id": found["merchant_id"], "template_id": found["template_id"],
                          "name": found["name"]})


@routes.put("/merchant/alipay-card")
async def put_alipay_card(request: web.Request) -> web.Response:
    """The merchant's member card in Alipay's card package: its template is created at Alipay once
    (`alipay.marketing.card.template.create`); buyers who claim the card from then on get it there too."""
    body = await parse_body(request, AlipayCardBody)
    try:
        return json_response(await cards.create_template(deps_of(request.app), merchant_id(request), body.name,
                                                         body.bg_color))
    except AlipayError as exc:
        raise Conflict(f"Alipay refused the card template: {exc.sub_code or exc.code}",
                       code="alipay_refused") from None
    except AlipayResponseError as exc:
        raise Problem(str(exc), status=502, code="alipay_unavailable", title="Alipay did not answer") from None


class AlipayVoucherBody(Model):
    brand_name: str = Field(min_length=1, max_length=12)  # what the voucher in the card package names


@routes.post("/merchant/coupon-templates/{template_id}/alipay-voucher")
async def publish_alipay_voucher(request: web.Request) -> web.Response:
    """Publish a coupon template as an Alipay merchant voucher (商家券): its activity is created at Alipay once;
    coupons claimed from then on by buyers with an Alipay id are sent into their card package and their use
    reported back (`flows.vouchers`)."""
    body = await parse_body(request, AlipayVoucherBody)
    try:
        return json_response(await vouchers.publish(deps_of(request.app), merchant_id(request),
                                                    path_id(request, "template_id"), body.brand_name), status=201)
    except AlipayError as exc:
        raise Conflict(f"Alipay refused the voucher activity: {exc.sub_code or exc.code}",
                       code="alipay_refused") from None
    except AlipayResponseError as exc:
        raise Problem(str(exc), status=502, code="alipay_unavailable", title="Alipay did not answer") from None


class JifenbaoBody(Model):
    budget_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")  # the budget library at Alipay
    points_per_yuan: int = Field(ge=0, le=100)  # 集分宝 per paid yuan (100 are worth ¥1); 0 stops the offer


def _jifenbao_view(row: Record) -> dict[str, Any]:
    return {"merchant_id": row["merchant_id"], "budget_code": row["budget_code"],
            "points_per_yuan": row["points_per_yuan"]}


@routes.get("/merchant/jifenbao")
async def get_jifenbao(request: web.Request) -> web.Response:
    async with db(request).pool.acquire() as conn:
        found = await jifenbao_db.budget(conn, merchant_id(request))
    if found is None:
        raise NotFound("The merchant has no 集分宝 budget", code="jifenbao_budget_not_found")
    remaining = await jifenbao.remaining(deps_of(request.app), found["budget_code"])
    return json_response({**_jifenbao_view(found), "remaining_points": remaining})


@routes.put("/merchant/jifenbao")
async def put_jifenbao(request: web.Request) -> web.Response:
    """The merchant's 集分宝 budget library at Alipay and what each paid yuan earns."""
    body = await parse_body(request, JifenbaoBody)
    async with db(request).transaction() as tx:
        row = await jifenbao_db.set_budget(tx.conn, merchant_id(request), body.budget_code, body.points_per_yuan,
                                           now(request))
    return json_response(_jifenbao_view(row))
