"""The base of request models: strict, and counting `max_length` as the published schema does."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, get_args, get_origin

import pydantic


def within_raw_max_length(model: type[pydantic.BaseModel], name: str | None, value: Any) -> Any:
    """Surrounding whitespace is stripped before a `max_length` is checked, but the published schema (OpenAPI)
    counts it: count it here too, so that what the document refuses the server refuses."""
    field = model.model_fields.get(name or "")
    if isinstance(value, str) and field is not None:
        for constraint in field.metadata:
            limit = getattr(constraint, "max_length", None)
            if limit is not None and len(value) > limit:
                raise ValueError(f"String should have at most {limit} characters")
    if isinstance(value, list) and field is not None:  # list[Annotated[str, Field(max_length=…)]]: each item
        limit = _item_max_length(field.annotation)
        if limit is not None and any(isinstance(item, str) and len(item) > limit for item in value):
            raise ValueError(f"Each string should have at most {limit} characters")
    return value


def _item_max_length(annotation: Any) -> int | None:
    if get_origin(annotation) is not list or not get_args(annotation):
        return None
    for meta in getattr(get_args(annotation)[0], "__metadata__", ()):
        for constraint in [meta, *getattr(meta, "metadata", [])]:
            limit = getattr(constraint, "max_length", None)
            if isinstance(limit, int):
                return limit
    return None


class StrictModel(pydantic.BaseModel):
    """Base for request bodies and queries: unknown fields are an error, not silently ignored."""

    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _raw_max_length(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return within_raw_max_length(cls, info.field_name, value)


def _iso_moment(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # refused by the datetime check itself
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError("a time needs its UTC offset, e.g. 2026-06-01T00:00:00+08:00")
    return moment


# A moment in a request body: an ISO 8601 string with its UTC offset. JSON has no datetime type, and
# StrictModel's field validator above hands every field a Python value, which strict parsing refuses as a
# datetime whatever the string: every datetime in a request model is a Moment.
Moment = Annotated[datetime, pydantic.BeforeValidator(_iso_moment)]
