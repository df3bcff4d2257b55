"""One trace from a buyer's call at the gateway through orders, the event orders emitted and payments' handler
of it, on the real services (in-process here, so one in-memory exporter sees every span), PostgreSQL and
RabbitMQ: W3C trace context in the HTTP headers, stored with the outbox row, carried in the AMQP headers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.tracing import use_provider
from tests.integration.gateway.test_payment_truth import LAMP
from tests.integration.gateway.test_routing import create_product
from tests.support import eventually


@pytest.fixture(autouse=True)
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on before the mall's apps are created (autouse fixtures come first), off afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_provider(provider)
    try:
        yield exporter
    finally:
        use_provider(None)
        provider.shutdown()


def service_of(span: ReadableSpan) -> str:
    assert span.instrumentation_scope is not None
    return span.instrumentation_scope.name.removeprefix("mall.")


def one(spans: list[ReadableSpan], service: str, kind: SpanKind, name: str) -> ReadableSpan:
    [found] = [s for s in spans if service_of(s) == service and s.kind == kind and s.name == name]
    return found


async def test_a_cancellation_is_one_trace_from_the_gateway_through_orders_and_its_event_to_payments(
        mall: Any, spans: InMemorySpanExporter):
    await create_product(mall, LAMP)
    gw, alice = mall.gateway, mall.user("u_alice")

    async def placed() -> dict[str, Any] | None:
        resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_lamp", "qty": 1}]},
                             headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
        body = await resp.json()
        return body if resp.status == 201 and body["status"] == "AWAITING_PAYMENT" else None

    order = await eventually(placed, timeout=15)  # orders learns the price from sku.changed
    spans.clear()
    resp = await gw.post(f"/api/orders/{order['id']}/cancel", headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()

    async def handled_by_payments() -> list[ReadableSpan] | None:
        finished = list(spans.get_finished_spans())
        return finished if any(service_of(s) == "payments" and s.name == "handle order.cancelled"
                               for s in finished) else None

    finished = await eventually(handled_by_payments, timeout=15)
    at_gateway = one(finished, "gateway", SpanKind.SERVER, "POST /api/orders/{id}/cancel")
    in_orders = one(finished, "orders", SpanKind.SERVER, "POST /orders/{order_id}/cancel")
    in_payments = one(finished, "payments", SpanKind.CONSUMER, "handle order.cancelled")
    trace_id = at_gateway.context.trace_id
    assert in_orders.context.trace_id == trace_id and in_payments.context.trace_id == trace_id
    # The chain: gateway -> orders (HTTP header) -> payments (the outbox row's context, in the AMQP header).
    assert in_orders.parent is not None and in_orders.parent.span_id == at_gateway.context.span_id
    assert in_payments.parent is not None and in_payments.parent.span_id == in_orders.context.span_id
    assert in_payments.attributes is not None and in_payments.attributes["messaging.system"] == "rabbitmq"
