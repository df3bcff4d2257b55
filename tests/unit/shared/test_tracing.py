"""Tracing off costs nothing per request (no middleware, no header, no stored context); on, log lines carry the
trace id and the W3C header round-trips into a consumer's span."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.logging import _add_context
from shared.tracing import TRACEPARENT, consuming, current_traceparent, inject, tracer, use_provider


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_provider(provider)
    try:
        yield exporter
    finally:
        use_provider(None)


def middleware_names(settings: CatalogSettings) -> list[str]:
    return [getattr(m, "__qualname__", "") for m in create_app(settings).middlewares]


def test_off_nothing_is_installed_or_sent():
    settings = CatalogSettings(env="development")
    assert not any("tracing_middleware" in name for name in middleware_names(settings))
    headers: dict[str, str] = {}
    inject(headers)
    assert headers == {} and current_traceparent() is None
    assert "trace_id" not in _add_context(None, "info", {})


def test_on_the_server_span_is_installed_and_log_lines_carry_the_trace_id(exporter: InMemorySpanExporter):
    assert any("tracing_middleware" in name for name in middleware_names(CatalogSettings(env="development")))
    with tracer("orders").start_as_current_span("work") as span:
        line = _add_context(None, "info", {})
        stored = current_traceparent()
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert stored is not None and stored.split("-")[1] == line["trace_id"]
    # A consumer given that header as RabbitMQ hands it over (bytes) continues the same trace.
    with consuming("payments", {TRACEPARENT: stored.encode()}, event_type="order.cancelled", message_id="m1",
                   queue="payments"):
        assert _add_context(None, "info", {})["trace_id"] == line["trace_id"]
    handled = [s for s in exporter.get_finished_spans() if s.name == "handle order.cancelled"][0]
    assert handled.parent is not None and handled.parent.span_id == span.get_span_context().span_id


def test_a_logger_made_at_import_time_writes_json_lines_with_the_trace_id():
    # Modules create their loggers when imported, before the service configures logging: such a logger must
    # still take the configuration (JSON, trace id) at its first use. A fresh interpreter makes "before" real.
    program = (
        "from shared.logging import configure_logging, get_logger\n"
        "log = get_logger('payments', component='refunds')\n"
        "configure_logging('INFO')\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from shared.tracing import tracer, use_provider\n"
        "use_provider(TracerProvider())\n"
        "with tracer('payments').start_as_current_span('work') as span:\n"
        "    log.info('refund_sent')\n"
        "    print(format(span.get_span_context().trace_id, '032x'))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[3])
    line, trace_id = done.stdout.splitlines()
    assert json.loads(line) == {"service": "payments", "component": "refunds", "event": "refund_sent",
                                "trace_id": trace_id, "level": "info", "timestamp": json.loads(line)["timestamp"]}
