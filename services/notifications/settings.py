"""Configuration of the notifications service (env MALL_*)."""

from pydantic import Field, field_validator

from services.notifications.domain import MESSAGE_KINDS
from shared.alipay.settings import AlipayAppSettings
from shared.settings import DEVELOPMENT


class NotificationsSettings(AlipayAppSettings):
    service: str = "notifications"
    http_port: int = 8087
    # A light service: 4 connections keep two replicas of every service within PostgreSQL's default budget
    # (docs/OPERATING.md).
    db_pool_max: int = 4
    # The mini-program's subscription templates, by message kind (MALL_SUBSCRIPTION_TEMPLATES, JSON): the ids
    # Alipay's console gave them. The client asks the buyer for these ids with my.requestSubscribeMessage; a
    # kind left out is never sent. The defaults are the sandbox's.
    subscription_templates: dict[str, str] = Field(default_factory=lambda: {
        kind: f"TPL_{kind.upper()}" for kind in MESSAGE_KINDS})
    # Unused grants a buyer may hold per template (more are refused: a grant is one message, not a stockpile).
    max_unused_grants: int = Field(default=20, ge=1, le=1000)
    # The mini-program page a message opens ({order_id} is filled in).
    message_page: str = "pages/order/detail?id={order_id}"
    # Sending: how often the job looks for due messages, how many per round, the first retry delay (doubling
    # up to an hour) and the attempts before a message is parked.
    message_poll_seconds: float = Field(default=2.0, gt=0)
    message_batch: int = Field(default=20, ge=1, le=500)
    message_retry_seconds: float = Field(default=10.0, gt=0)
    message_max_attempts: int = Field(default=8, ge=1)
    # Webhooks: the same for deliveries to merchants' URLs, and the timeout of one attempt.
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_batch: int = Field(default=20, ge=1, le=500)
    webhook_retry_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    # After a secret rotation the previous secret signs too for this long (both `v1=` in the header), so the
    # merchant's receiver can switch without refusing deliveries.
    webhook_secret_overlap_seconds: float = Field(default=24 * 3600.0, ge=0)
    # A paid pickup order not marked ready this long after payment alerts the merchant (once).
    pickup_ready_minutes: float = Field(default=30.0, gt=0)
    pickup_check_seconds: float = Field(default=30.0, gt=0)
    # The console's alert stream: a comment line this often keeps proxies from closing a quiet stream.
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)

    @field_validator("subscription_templates")
    @classmethod
    def known_kinds(cls, templates: dict[str, str]) -> dict[str, str]:
        unknown = set(templates) - set(MESSAGE_KINDS)
        if unknown or not all(templates.values()) or len(set(templates.values())) != len(templates):
            raise ValueError(f"subscription_templates: kinds are {MESSAGE_KINDS}, one distinct id each")
        return templates

    @property
    def webhooks_may_be_private(self) -> bool:
        """Only in development may a webhook point at this machine or a private network (a local receiver)."""
        return self.env == DEVELOPMENT
