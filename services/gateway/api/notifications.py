"""Notifications: the buyer's Alipay subscription-message grants, and the merchant's alerts (a live stream for
the console, a signed webhook for printers and ERPs, its test button and delivery log)."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from services.gateway.api.merchant import _op
from services.gateway.models import TEXT_PATTERN, Answer, Items
from services.gateway.routes import Call, Operation, QueryModel, forward
from shared.http import StrictModel


class SubscriptionsBody(StrictModel):
    """`acceptedTemplateIds` from my.requestSubscribeMessage: each id allows one message of its kind."""

    template_ids: list[Annotated[str, Field(min_length=1, max_length=128, pattern=TEXT_PATTERN)]] = Field(
        min_length=1, max_length=10)


class SubscriptionsOut(Answer):
    templates: list[dict[str, Any]]
    messages: list[dict[str, Any]]


class WebhookBody(StrictModel):
    url: str = Field(min_length=1, max_length=500, pattern=TEXT_PATTERN)


class WebhookOut(Answer):
    url: str
    secret: str
    updated_at: str
    previous_secret_until: str | None = None  # after a rotation: the old secret signs too until then


class WebhookTestOut(Answer):
    delivered: bool
    status: int | None = None
    error: str | None = None


class LimitQuery(QueryModel):
    limit: int | None = Field(default=None, ge=1, le=200)


async def merchant_alerts_stream(call: Call) -> web.StreamResponse:
    return await call.up.stream(call.request, "notifications", "/merchant/alerts/stream")


OPERATIONS = [
    Operation("POST", "/api/me/subscriptions",
              forward("grant_subscriptions", "notifications", "POST", "/me/subscriptions", status=204),
              "Record the message templates the buyer granted with my.requestSubscribeMessage (one message "
              "each); 422 unknown_template for an id that is not the mall's", "notifications",
              body=SubscriptionsBody, status=204, optional_key=True),
    Operation("GET", "/api/me/subscriptions",
              forward("my_subscriptions", "notifications", "GET", "/me/subscriptions"),
              "The mall's message templates (by kind) with the buyer's unused grants, and the latest messages",
              "notifications", answer=SubscriptionsOut),
    Operation("GET", "/api/merchant/alerts/stream", merchant_alerts_stream,
              "Server-sent events: each new alert of the merchant (order_paid, refund_requested, "
              "pickup_not_ready) as it happens; Last-Event-ID resumes", "merchant", auth="staff",
              answer_events=True),
    _op("GET", "/api/merchant/alerts", "merchant_alerts", "notifications", "/merchant/alerts",
        "The merchant's latest alerts, newest first", query=LimitQuery, answer=Items),
    _op("GET", "/api/merchant/webhook", "merchant_webhook", "notifications", "/merchant/webhook",
        "The merchant's webhook URL and signing secret", answer=WebhookOut),
    Operation("PUT", "/api/merchant/webhook", forward("merchant_set_webhook", "notifications", "PUT",
                                                      "/merchant/webhook"),
              "Set the URL alerts are POSTed to (https, a public host); the signing secret is made at the first "
              "set and kept", "merchant", auth="staff", body=WebhookBody, answer=WebhookOut, optional_key=True),
    Operation("DELETE", "/api/merchant/webhook", forward("merchant_remove_webhook", "notifications", "DELETE",
                                                         "/merchant/webhook", status=204),
              "Stop sending alerts to a webhook (its secret is dropped)", "merchant", auth="staff", status=204,
              optional_key=True),
    _op("POST", "/api/merchant/webhook/rotate-secret", "merchant_rotate_webhook_secret", "notifications",
        "/merchant/webhook/rotate-secret", "A new signing secret; during the overlap window (a day by default) "
        "deliveries carry both signatures, `v1=<new>,v1=<old>`, so the receiver can switch without refusing any",
        answer=WebhookOut),
    _op("POST", "/api/merchant/webhook/test", "merchant_test_webhook", "notifications", "/merchant/webhook/test",
        "Send a signed test alert to the webhook now and say how it answered", answer=WebhookTestOut),
    _op("GET", "/api/merchant/webhook/deliveries", "merchant_webhook_deliveries", "notifications",
        "/merchant/webhook/deliveries", "The latest webhook deliveries: status, attempts, last answer",
        query=LimitQuery, answer=Items),
]
