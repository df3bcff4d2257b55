"""Reading what a client sent: JSON bodies (strict), query strings (lenient), path ids; errors name the field."""

from __future__ import annotations

import functools
import re
import types
import typing
from typing import Any, TypeVar

import orjson
import pydantic
from aiohttp import web

from shared.http.problems import NotFound, Problem, ValidationProblem

M = TypeVar("M", bound=pydantic.BaseModel)
# Every id in a path: what the services generate (uuids, prefixed ids); anything else names nothing.
ID_FORMAT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def validation_errors(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
            for err in exc.errors()]


async def read_json(request: web.Request) -> Any:
    return orjson.loads(await read_json_bytes(request))


async def read_json_bytes(request: web.Request) -> bytes:
    """The raw body of a JSON request: present, declared as JSON (a text/plain or form body is what a
    cross-site form can send without a CORS preflight: refused), and well-formed."""
    body = await request.read()  # raises 413 past client_max_size
    if not body:
        raise Problem("The request needs a JSON body", code="invalid_json", title="Invalid JSON")
    media = request.content_type
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise Problem(f"The body must be sent as application/json, not {media}", status=415,
                      code="unsupported_media_type", title="Unsupported media type")
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(f"Body is not valid JSON: {exc}", code="invalid_json", title="Invalid JSON") from exc
    return body


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The body validated strictly against a pydantic model: JSON types must match (`"2"` or `true` is no
    integer), extra fields are refused; errors name the field."""
    data = orjson.loads(await read_json_bytes(request))
    refuse_unstorable(data)
    try:  # re-encoded: what passes is what orjson can write again (no integer past 64 bits, say)
        return model.model_validate_json(orjson.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        raise ValidationProblem(errors=validation_errors(exc)) from exc


def parse(model: type[M], data: Any) -> M:
    """Validate client input; text the database could not store is refused here, naming the field."""
    refuse_unstorable(data)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationProblem(errors=validation_errors(exc)) from exc


def refuse_unstorable(data: Any) -> None:
    bad = unstorable_fields(data)
    if bad:
        raise ValidationProblem(errors=[{"field": f, "message": "text may not contain NUL or unpaired surrogates"}
                                        for f in bad])


INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def parse_query(request: web.Request, model: type[M]) -> M:
    """Query parameters arrive as text, so they are parsed leniently, except that an integer must be
    written as one (`1.0`, `1e3` or `1_000` are refused)."""
    data = dict(request.query)
    bad = [name for name in integer_fields(model) if isinstance(data.get(name), str) and
           not INTEGER.match(data[name])]
    if bad:
        raise ValidationProblem(errors=[{"field": f, "message": "Input should be a valid integer"} for f in bad])
    return parse(model, data)


@functools.cache
def integer_fields(model: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The names (aliases where set) under which `model` takes an int (or an optional one)."""
    names = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) \
            else (annotation,)
        if int in options:
            names.append(info.alias or name)
    return tuple(names)


def storable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded: such input must be refused
    up front (a 4xx naming the field), never left to fail in the database (a 500)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_fields(value: Any, path: str = "") -> list[str]:
    """Where in a JSON document text sits that PostgreSQL cannot store."""
    if isinstance(value, str):
        return [] if storable(value) else [path or "body"]
    if isinstance(value, dict):
        return [f for key, item in value.items()
                for f in ([f"{path}.{key}".lstrip(".")] if not storable(str(key)) else [])
                + unstorable_fields(item, f"{path}.{key}".lstrip("."))]
    if isinstance(value, list | tuple):
        return [f for i, item in enumerate(value) for f in unstorable_fields(item, f"{path}.{i}".lstrip("."))]
    return []


def valid_id(value: str) -> bool:
    return ID_FORMAT.match(value) is not None


def path_id(request: web.Request, name: str, *, code: str = "not_found", detail: str | None = "No such resource"
            ) -> str:
    """The id `name` of the path; one that cannot exist (too long, odd characters) is simply not found."""
    value = request.match_info[name]
    if not valid_id(value):
        raise NotFound(detail, code=code)
    return value
