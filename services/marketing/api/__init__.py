"""HTTP routes of the marketing service (called by the gateway only); documented in ../API.md."""

from __future__ import annotations

from aiohttp import web

from services.marketing.api import coupons, fission, members, merchant, quote


def add_routes(app: web.Application) -> None:
    app.router.add_routes([
        web.get("/coupons/available", coupons.available),
        web.get("/coupons/mine", coupons.mine),
        web.get("/coupons/nearby", coupons.nearby),
        web.get("/coupons/{coupon_id}", coupons.get_coupon),
        web.post("/coupons/{template_id}/claim", coupons.claim),
        web.post("/store-codes/claim", coupons.claim_by_code),
        web.post("/quote", quote.quote),
        web.post("/fission/{campaign_id}", fission.open_group),
        web.post("/fission/groups/{group_id}/join", fission.join),
        web.get("/fission/groups/{group_id}", fission.get_group),
        web.get("/me/points", members.my_points),
        web.get("/me/cards", members.my_cards),
        web.get("/me/level", members.my_level),
        web.post("/merchants/{merchant_id}/card", members.open_card),
        web.get("/merchant/campaigns", merchant.list_campaigns),
        web.post("/merchant/campaigns", merchant.create_campaign),
        web.patch("/merchant/campaigns/{campaign_id}", merchant.set_status),
        web.post("/merchant/campaigns/{campaign_id}/templates", merchant.create_template),
        web.get("/merchant/campaigns/{campaign_id}/stats", merchant.stats),
        web.post("/merchant/store-codes", merchant.mint_store_code),
    ])
