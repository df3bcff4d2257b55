"""Events published by the gateway."""

from datetime import date

from shared.events.base import EventData, event
from shared.events.orders import Entry


@event("user.active")
class UserActive(EventData):
    """A user's first visit of a day through an entry point (one per user, day and entry)."""

    user_id: str
    day: date
    entry: Entry = "other"
    merchant_id: str | None = None


@event("user.alipay_linked")
class AlipayUserLinked(EventData):
    """A buyer signed in (or renewed a session) with this Alipay user id (2088...): payments keeps the pair to
    know a payer at a store's counter whom Alipay names by that id."""

    user_id: str
    alipay_user_id: str


@event("merchant.approved")
class MerchantApproved(EventData):
    """The platform approved a merchant's application: catalog creates the merchant under this id (its first
    owner's staff account already exists in the gateway)."""

    merchant_id: str
    name: str
    licence_no: str


@event("merchant.suspended")
class MerchantSuspended(EventData):
    """The platform suspended a merchant: its products leave every buyer's view until it is reinstated (its
    staff are refused by the gateway itself)."""

    merchant_id: str
    reason: str


@event("merchant.reinstated")
class MerchantReinstated(EventData):
    """A suspended merchant may sell again: the products it had on sale come back."""

    merchant_id: str
