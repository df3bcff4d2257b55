"""What every service's HTTP face guarantees: problem documents, request ids, idempotent writes, health."""

import asyncio

import pytest
from aiohttp import web

from shared.db import bootstrap
from shared.events.base import EventData, event
from shared.http import Conflict, StrictModel, idempotent, parse_body
from shared.refusal import Refusal
from shared.service import DB, create_service_app
from shared.settings import ServiceSettings


@event("probe.order_made")
class OrderMade(EventData):
    item: str
    qty: int


class OrderBody(StrictModel):
    item: str
    qty: int


class ProbeSettings(ServiceSettings):
    service: str = "httpprobe"


async def make_order(request: web.Request) -> web.Response:
    body = await parse_body(request, OrderBody)
    db = request.app[DB]

    async def work(tx):  # noqa: ANN001, ANN202
        await asyncio.sleep(0.05)  # widen the window for concurrent twins
        if body.item == "sold-out":
            await tx.emit(OrderMade(item="half-done", qty=0))
            raise Conflict("Nothing left", code="out_of_stock")
        if body.item == "not-yours":  # a business refusal from a flow: no HTTP class in sight
            await tx.emit(OrderMade(item="half-done", qty=0))
            raise Refusal("sku_not_yours", "This SKU belongs to another merchant", 403, field="item")
        if body.item == "too-many":
            raise Refusal("quantity_too_large", "At most 99 per order", 422)
        emitted = await tx.emit(OrderMade(item=body.item, qty=body.qty))
        return 201, {"order": str(emitted.id), "item": body.item}

    return await idempotent(request, db, "user-1", body.model_dump(), work)


@pytest.fixture
async def client(database_url, settings_for, start_app):
    await bootstrap(database_url, "httpprobe")
    app = create_service_app(settings_for(ProbeSettings, max_body_bytes=1024))
    app.router.add_post("/orders", make_order)
    app.router.add_get("/boom", boom)
    return await start_app(app)


async def boom(_: web.Request) -> web.Response:
    raise RuntimeError("bug")


async def orders_made(client) -> int:  # noqa: ANN001
    return await client.app[DB].fetchval("SELECT count(*) FROM outbox WHERE event_type = 'probe.order_made'")


async def test_same_key_same_body_gives_first_answer_and_one_order(client):
    headers = {"Idempotency-Key": "k-1"}
    answers = await asyncio.gather(*(client.post("/orders", json={"item": "tea", "qty": 1}, headers=headers)
                                     for _ in range(5)))
    bodies = [await a.json() for a in answers]
    assert {a.status for a in answers} == {201}
    assert len({b["order"] for b in bodies}) == 1
    assert await orders_made(client) == 1


async def test_same_key_other_body_is_422(client):
    headers = {"Idempotency-Key": "k-2"}
    assert (await client.post("/orders", json={"item": "tea", "qty": 1}, headers=headers)).status == 201
    again = await client.post("/orders", json={"item": "tea", "qty": 2}, headers=headers)
    assert again.status == 422
    assert (await again.json())["code"] == "idempotency_key_reused"
    assert await orders_made(client) == 1


async def test_missing_key_is_refused_and_refusals_are_not_stored(client):
    missing = await client.post("/orders", json={"item": "tea", "qty": 1})
    assert missing.status == 400 and (await missing.json())["code"] == "idempotency_key_missing"
    refused = await client.post("/orders", json={"item": "sold-out", "qty": 1}, headers={"Idempotency-Key": "k-3"})
    assert refused.status == 409
    assert refused.content_type == "application/problem+json"
    assert (await refused.json())["code"] == "out_of_stock"
    retried = await client.post("/orders", json={"item": "sold-out", "qty": 1}, headers={"Idempotency-Key": "k-3"})
    assert retried.status == 409, "a refusal is evaluated again, not replayed from the key store"
    assert await orders_made(client) == 0, "the refused write left nothing behind"


async def test_business_refusal_is_the_same_problem_document_as_the_http_classes_and_is_not_stored(client):
    headers = {"Idempotency-Key": "k-11"}
    refused = await client.post("/orders", json={"item": "not-yours", "qty": 1}, headers=headers)
    assert refused.status == 403 and refused.content_type == "application/problem+json"
    assert await refused.json() == {
        "type": "https://mpmall.dev/problems/sku_not_yours", "title": "Not allowed", "status": 403,
        "code": "sku_not_yours", "detail": "This SKU belongs to another merchant", "field": "item"}
    assert refused.headers["X-Request-Id"]
    assert (await client.post("/orders", json={"item": "not-yours", "qty": 1}, headers=headers)).status == 403
    assert await orders_made(client) == 0, "the refused write left nothing behind"
    unprocessable = await client.post("/orders", json={"item": "too-many", "qty": 1},
                                      headers={"Idempotency-Key": "k-12"})
    assert unprocessable.status == 422
    assert (await unprocessable.json())["title"] == "Cannot process this request"
    default = await client.post("/orders", json={"item": "sold-out", "qty": 1}, headers={"Idempotency-Key": "k-13"})
    assert (await default.json())["title"] == "Refused"  # Conflict's title, the one Refusal's 409 gets too


async def test_bad_input_gets_a_problem_never_a_500(client):
    bad_json = await client.post("/orders", data=b"{nope", headers={"Idempotency-Key": "k-4",
                                                                    "Content-Type": "application/json"})
    assert bad_json.status == 400 and (await bad_json.json())["code"] == "invalid_json"
    invalid = await client.post("/orders", json={"item": "tea", "qty": "many", "extra": 1},
                                headers={"Idempotency-Key": "k-5"})
    doc = await invalid.json()
    assert invalid.status == 422 and doc["code"] == "validation_error"
    assert {e["field"] for e in doc["errors"]} == {"qty", "extra"}
    too_big = await client.post("/orders", data=b"x" * 4096, headers={"Idempotency-Key": "k-6"})
    assert too_big.status == 413 and (await too_big.json())["code"] == "body_too_large"
    unknown = await client.get("/nowhere")
    assert unknown.status == 404 and (await unknown.json())["code"] == "not_found"
    bug = await client.get("/boom")
    assert bug.status == 500 and (await bug.json())["code"] == "internal_error"


async def test_request_id_is_echoed_and_becomes_the_events_correlation_id(client):
    answer = await client.post("/orders", json={"item": "tea", "qty": 1},
                               headers={"Idempotency-Key": "k-7", "X-Request-Id": "req-42"})
    assert answer.headers["X-Request-Id"] == "req-42"
    payload = await client.app[DB].fetchval("SELECT payload FROM outbox")
    assert b'"correlation_id":"req-42"' in payload


async def test_health_readiness_and_metrics(client):
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"] == {"database": True, "broker": True}
    metrics = await (await client.get("/metrics")).text()
    assert "http_requests_total" in metrics


async def test_metrics_count_refusals_and_failures_with_the_status_sent(client):
    # An operator's error-rate alert reads these: a refusal or a bug raised by a handler counts as the 4xx or
    # 500 the client received, not as nothing.
    assert (await client.post("/orders", json={"item": "tea", "qty": "many"},
                              headers={"Idempotency-Key": "k-m"})).status == 422
    assert (await client.get("/boom")).status == 500
    metrics = await (await client.get("/metrics")).text()
    assert 'method="POST",route="/orders",service="httpprobe",status="422"' in metrics
    assert 'method="GET",route="/boom",service="httpprobe",status="500"' in metrics


async def test_text_the_database_cannot_store_is_refused_naming_the_field(client):
    nul = await client.post("/orders", json={"item": "te\u0000a", "qty": 1}, headers={"Idempotency-Key": "k-8"})
    doc = await nul.json()
    assert nul.status == 422 and doc["errors"][0]["field"] == "item"
    surrogate = await client.post("/orders", data=b'{"item": "\\udc80", "qty": 1}',
                                  headers={"Idempotency-Key": "k-9", "Content-Type": "application/json"})
    assert surrogate.status in (400, 422)
    assert (await client.get("/orders/a%00b")).status == 404
    assert await orders_made(client) == 0


async def test_with_an_internal_token_only_the_gateway_gets_in(database_url, settings_for, start_app):
    await bootstrap(database_url, "httpprobe")
    app = create_service_app(settings_for(ProbeSettings, internal_token="s3cret"))
    app.router.add_post("/orders", make_order)
    client = await start_app(app)
    body, key = {"item": "tea", "qty": 1}, {"Idempotency-Key": "k-10"}
    for headers in ({}, {"X-Internal-Token": "guess"}):
        refused = await client.post("/orders", json=body, headers={**key, **headers})
        assert refused.status == 401 and (await refused.json())["code"] == "internal_only"
    assert await orders_made(client) == 0
    assert (await client.post("/orders", json=body, headers={**key, "X-Internal-Token": "s3cret"})).status == 201
    assert (await client.get("/readyz")).status == 200  # probes need no token


async def test_bodies_are_typed_json_and_nothing_else(client):
    for qty in ("1", True, 1.0):
        resp = await client.post("/orders", json={"item": "tea", "qty": qty}, headers={"Idempotency-Key": "k-11"})
        assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "qty", qty
    for media in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Idempotency-Key": "k-12", **({"Content-Type": media} if media else {})}
        resp = await client.post("/orders", data=b'{"item": "tea", "qty": 1}', headers=headers)
        assert resp.status == 415 and (await resp.json())["code"] == "unsupported_media_type", media
    assert await orders_made(client) == 0


async def test_every_service_answers_with_security_headers_even_when_the_parser_refuses(client):
    resp = await client.get("/healthz")
    assert resp.headers["Server"] == "mpmall" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    raw = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431") or head.startswith(b"HTTP/1.0 431")
    assert b"Content-Type: application/problem+json" in head and b"Server: mpmall\r\n" in head + b"\r\n"
    assert b'"code":"header_too_large"' in body
