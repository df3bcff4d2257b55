"""HTTP of notifications (the gateway is the only caller): parse, call a flow, answer.

Buyer calls filter by the gateway's X-User-Id and merchant calls by X-Merchant-Id: a merchant only ever sees,
streams and configures their own alerts and webhook."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from aiohttp import web
from pydantic import Field

from services.notifications import flows, store
from services.notifications.deps import deps_of
from shared.db import Tx
from shared.http import (
    StrictModel,
    current_merchant,
    current_user,
    idempotency_key,
    idempotent,
    json_response,
    parse_body,
    parse_query,
)
from shared.refusal import Refusal

routes = web.RouteTableDef()
ALIPAY_USER_HEADER = "X-Alipay-User-Id"


class SubscriptionsBody(StrictModel):
    """What my.requestSubscribeMessage granted (its `acceptedTemplateIds` answer as the client got it)."""

    template_ids: list[str] = Field(min_length=1, max_length=10)

    def cleaned(self) -> list[str]:
        if any(not 1 <= len(t) <= 128 for t in self.template_ids):
            raise Refusal("unknown_template", "A template id is 1 to 128 characters", 422, field="template_ids")
        return self.template_ids


class WebhookBody(StrictModel):
    url: str = Field(min_length=1, max_length=500)


class LimitQuery(StrictModel):
    limit: int = Field(default=50, ge=1, le=200)


@routes.post("/me/subscriptions")
async def grant(request: web.Request) -> web.Response:
    """One grant per template id listed; with an Idempotency-Key a retried request grants nothing more."""
    deps, user_id = deps_of(request.app), current_user(request)
    alipay_user_id = request.headers.get(ALIPAY_USER_HEADER, "")
    if not alipay_user_id:
        raise Refusal("no_alipay_account", "Messages go to an Alipay account; this session has none", 409)
    body = await parse_body(request, SubscriptionsBody)
    template_ids = body.cleaned()

    async def work(tx: Tx) -> tuple[int, Any]:
        await flows.grant(tx, deps.settings.subscription_templates, user_id, alipay_user_id, template_ids,
                          deps.clock.now(), deps.settings.max_unused_grants)
        return 200, {"granted": len(template_ids)}

    if idempotency_key(request, required=False) is not None:
        return await idempotent(request, deps.db, f"grant:{user_id}", body.model_dump(), work)
    async with deps.db.transaction() as tx:
        status, answer = await work(tx)
    return json_response(answer, status=status)


@routes.get("/me/subscriptions")
async def subscriptions(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    return json_response(await flows.subscriptions(deps.db.pool, deps.settings.subscription_templates,
                                                   current_user(request)))


@routes.get("/merchant/alerts")
async def latest_alerts(request: web.Request) -> web.Response:
    deps, merchant_id = deps_of(request.app), current_merchant(request)
    query = parse_query(request, LimitQuery)
    return json_response({"items": await flows.latest_alerts(deps.db.pool, merchant_id, query.limit)})


@routes.get("/merchant/alerts/stream")
async def stream_alerts(request: web.Request) -> web.StreamResponse:
    """Server-sent events: each new alert of this merchant as `id: <seq>`, `event: <type>`, `data: <alert>`.
    A reconnecting client's `Last-Event-ID` resumes after what it saw; a new one starts from now. Waiting is
    on the commit announcements (shared.changes), so every replica's alerts arrive at once."""
    deps, merchant_id = deps_of(request.app), current_merchant(request)
    last_seen = request.headers.get("Last-Event-ID", "")
    resumes = last_seen.isdigit() and len(last_seen) <= 18  # a bigint; anything else starts from now
    after = int(last_seen) if resumes else await store.last_alert_seq(deps.db.pool, merchant_id)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    await response.write(b": stream open\n\n")  # the client knows it is subscribed from here on
    found: list[tuple[int, dict[str, Any]]] = []

    async def new_alerts() -> bool:
        found[:] = await flows.alerts_after(deps.db.pool, merchant_id, after)
        return bool(found)

    try:
        while True:
            if await deps.changes.wait(flows.stream_key(merchant_id), new_alerts,
                                       deps.settings.stream_keepalive_seconds):
                for seq, alert in found:
                    await response.write(f"id: {seq}\nevent: {alert['type']}\n".encode()
                                         + b"data: " + orjson.dumps(alert) + b"\n\n")
                    after = seq
            else:
                await response.write(b": keepalive\n\n")
    except (ConnectionResetError, ConnectionError):
        pass  # the console went away
    return response


@routes.get("/merchant/webhook")
async def show_webhook(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    return json_response(await flows.webhook_of(deps.db.pool, current_merchant(request), deps.clock.now()))


@routes.put("/merchant/webhook")
async def set_webhook(request: web.Request) -> web.Response:
    """The URL alerts are POSTed to; the signing secret is made by the mall at the first PUT and kept."""
    deps, merchant_id = deps_of(request.app), current_merchant(request)
    body = await parse_body(request, WebhookBody)
    async with deps.db.transaction() as tx:
        hook = await flows.set_webhook(tx, merchant_id, body.url.strip(), deps.settings.webhooks_may_be_private,
                                       deps.clock.now())
    return json_response(hook)


@routes.post("/merchant/webhook/rotate-secret")
async def rotate_webhook_secret(request: web.Request) -> web.Response:
    """A new signing secret; deliveries carry both signatures during the overlap window."""
    deps, merchant_id = deps_of(request.app), current_merchant(request)
    overlap = timedelta(seconds=deps.settings.webhook_secret_overlap_seconds)
    async with deps.db.transaction() as tx:
        return json_response(await flows.rotate_secret(tx, merchant_id, deps.clock.now(), overlap))


@routes.delete("/merchant/webhook")
async def remove_webhook(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    await store.delete_webhook(deps.db.pool, current_merchant(request))
    return web.Response(status=204)


@routes.post("/merchant/webhook/test")
async def test_webhook(request: web.Request) -> web.Response:
    """Send a signed `test` alert now and say how the receiver answered (the console's test button)."""
    deps = deps_of(request.app)
    outcome = await flows.send_test(deps.db.pool, deps.webhooks, current_merchant(request), deps.clock.now())
    return json_response({"delivered": outcome.delivered, "status": outcome.status, "error": outcome.error})


@routes.get("/merchant/webhook/deliveries")
async def webhook_deliveries(request: web.Request) -> web.Response:
    deps, merchant_id = deps_of(request.app), current_merchant(request)
    query = parse_query(request, LimitQuery)
    return json_response({"items": await flows.deliveries(deps.db.pool, merchant_id, query.limit)})
