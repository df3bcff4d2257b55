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
