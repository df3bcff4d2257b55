"""The OpenAPI 3.1 document, generated from the route table and its pydantic models.

Every operation documents its success answer, and every problem it can give (a `default` problem+json
answer covers the rest: 400 bad JSON, 401, 403, 404, 409, 413, 415, 422, 429 with Retry-After, 503 when an
owning service is down).
"""

from __future__ import annotations

import re
from typing import Any

import pydantic
from pydantic.json_schema import models_json_schema

from services.gateway.models import ProblemDoc
from services.gateway.routes import IDEMPOTENCY_KEY, PATH_ID, Operation

REF = "#/components/schemas/{model}"
PARAM = re.compile(r"{(\w+)}")
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDoc"}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description,
                              "content": {"application/problem+json": {"schema": PROBLEM_REF}}}
    if headers:
        answer["headers"] = headers
    return answer


def _query_parameters(model: type[pydantic.BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": PATH_ID.pattern}}
              for name in PARAM.findall(op.path)]
    if op.query is not None:
        params += _query_parameters(op.query)
    if op.idempotent or op.optional_key:
        params.append({"name": "Idempotency-Key", "in": "header", "required": op.idempotent,
                       "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern}})
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": not op.optional_body, "content": {
            "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}}}
    elif op.raw_body is not None:
        schema = {"type": "object"} if op.raw_body.startswith("application/x-www") else \
            {"type": "string", "format": "binary"}
        doc["requestBody"] = {"required": True, "content": {op.raw_body: {"schema": schema}}}
    success: dict[str, Any] = {"description": "OK"}
    extra_text: dict[str, Any] = {}
    if op.answer_events:
        success["content"] = {"text/event-stream": {"schema": {"type": "string"}}}
    elif op.answer_text:
        success["content"] = {"text/plain": {"schema": {"type": "string"}}}
        extra_text["400"] = {"description": "Not accepted (Alipay retries)",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}
    elif op.answer is not None:
        success["content"] = {"application/json": {"schema": {"$ref": REF.format(model=op.answer.__name__)}}}
        if op.raw_body is not None:  # a provider's callback (快递100's push): refused in the provider's own format
            extra_text["400"] = {"description": "Not accepted (the provider pushes again)", "content": {
                "application/json": {"schema": {"$ref": REF.format(model=op.answer.__name__)}}}}
    responses: dict[str, Any] = {str(op.status): success, **extra_text}
    if op.body is not None:
        responses["400"] = _problem("Body is not valid JSON")
        responses["413"] = _problem("Body too large")
        responses["415"] = _problem("Body not sent as application/json")
        responses["422"] = _problem("Invalid request (`errors` names each field)")
    if op.auth != "none":
        doc["security"] = [{"bearer": []}]
        responses["401"] = _problem("No or invalid token")
        responses["403"] = _problem("This kind of token cannot call this API")
    responses["429"] = _problem("Too many requests, or too many failed attempts (locked out)", {"Retry-After": {
        "description": "Seconds to wait", "schema": {"type": "string"}}})
    responses["503"] = _problem("An owning service is unavailable")
    responses["default"] = _problem("A refusal (problem document)")
    doc["responses"] = responses
    return doc


def build_document(operations: list[Operation], server_url: str = "/") -> dict[str, Any]:
    models: set[type[pydantic.BaseModel]] = {ProblemDoc}
    for op in operations:
        models.update(m for m in (op.body, op.answer) if m is not None)
    _, schemas = models_json_schema([(m, "validation" if m is op_body_kind(operations, m) else "serialization")
                                     for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mpmall gateway", "version": "1.0.0",
                 "description": "The public API of the mall: the mini-program contract and the merchant API."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def op_body_kind(operations: list[Operation], model: type[pydantic.BaseModel]) -> type[pydantic.BaseModel] | None:
    """Request bodies are documented as validated (input), answers as serialised (output)."""
    return model if any(op.body is model for op in operations) else None
