"""The event envelope and the registry of typed event models.

Every event is `{id, type, version, occurred_at, producer, correlation_id, data}`; `data` is validated
against the model registered for `(type, version)`, so a handler receives a typed object or nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny


class EventData(BaseModel):
    """Base of every event's `data`. Subclasses set TYPE and VERSION and register with @event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


D = TypeVar("D", bound=EventData)
_REGISTRY: dict[tuple[str, int], type[EventData]] = {}


def event(type_: str, version: int = 1) -> Callable[[type[D]], type[D]]:
    """Register an event model: `@event("order.placed")`."""

    def register(cls: type[D]) -> type[D]:
        key = (type_, version)
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"event {type_} v{version} registered twice")
        cls.TYPE, cls.VERSION = type_, version
        _REGISTRY[key] = cls
        return cls

    return register


def model_for(type_: str, version: int) -> type[EventData]:
    try:
        return _REGISTRY[(type_, version)]
    except KeyError:
        raise UnknownEvent(f"no model registered for {type_} v{version}") from None


def registered_types() -> list[str]:
    return sorted({t for t, _ in _REGISTRY})


class UnknownEvent(ValueError):
    pass


class Event(BaseModel, Generic[D]):
    """The envelope. `data` keeps its concrete model when serialised."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str | None = None
    data: SerializeAsAny[D]

    @classmethod
    def wrap(cls, data: D, *, producer: str, correlation_id: str | None = None) -> Event[D]:
        return Event(type=data.TYPE, version=data.VERSION, producer=producer,
                     correlation_id=correlation_id, data=data)

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @staticmethod
    def from_json(raw: bytes | str) -> Event[Any]:
        """Decode and validate; raises UnknownEvent or pydantic.ValidationError on bad input."""
        doc = orjson.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError("event envelope must be a JSON object")
        model = model_for(str(doc.get("type")), int(doc.get("version", 1)))
        doc["data"] = model.model_validate(doc.get("data"))
        return Event.model_validate(doc)
