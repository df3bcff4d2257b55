"""The event catalogue. Each producer owns one module; importing this package registers every model."""

from shared.events import catalog, fulfilment, gateway, marketing, orders, payments  # noqa: F401
from shared.events.base import Event, EventData, UnknownEvent, event, model_for, registered_types

__all__ = ["Event", "EventData", "UnknownEvent", "event", "model_for", "registered_types"]
