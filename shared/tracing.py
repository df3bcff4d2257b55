"""OpenTelemetry traces: one trace from a client's call at the gateway through every service it reaches and
every event that call caused, exported over OTLP.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (then spans go there over OTLP/HTTP, e.g. Jaeger's :4318).
Off, nothing is installed: no middleware, no headers, no outbox column written; only the log processor
looks for a current span (a context variable read) and finds none.

On, the context travels as W3C trace context (`traceparent`):
- HTTP: `tracing_middleware` starts a SERVER span from the caller's header; the gateway's upstream client
  `inject`s the current span's into each call to a service.
- Events: `Tx.emit` stores the emitting span's `traceparent` with the outbox row; the relay sends it as an
  AMQP message header, so the trace continues after the commit, whichever relay replica publishes it and
  however late; the bus runs each handler in a CONSUMER span `consuming` that header (retries keep it).
- Logs: every structlog line written inside a span carries its `trace_id` (shared.logging).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from typing import Any

from aiohttp import web
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
_W3C = TraceContextTextMapPropagator()  # our one format, whatever else a process may have configured
_provider: TracerProvider | None = None  # None: tracing is off in this process


def configure_tracing(service: str) -> None:
    """Once per process (run_service): OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set, else off. The
    exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout)."""
    if not os.environ.get(ENDPOINT_VARIABLE):
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkTracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_provider(provider)


def use_provider(provider: TracerProvider | None) -> None:
    """Tracing on with `provider` (None: off). Tests pass an SDK provider with an in-memory exporter; apps
    created afterwards trace."""
    global _provider
    _provider = provider


def shutdown_tracing() -> None:
    """Export what is still buffered (at process exit)."""
    shutdown = getattr(_provider, "shutdown", None)
    if shutdown is not None:
        shutdown()


def tracing_active() -> bool:
    return _provider is not None


def tracer(service: str) -> Tracer:
    """The service's tracer: its name is the instrumentation scope, so one process may host several."""
    assert _provider is not None, "tracing is off"
    return _provider.get_tracer(f"mall.{service}")


def current_trace_id() -> str | None:
    """The current span's trace id as 32 hex digits, or None outside any (recorded) span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def current_traceparent() -> str | None:
    """The current span as a `traceparent` value (stored with an outbox row), or None when off."""
    if _provider is None:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get(TRACEPARENT)


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` to an outgoing call's headers (nothing when off)."""
    if _provider is not None:
        _W3C.inject(headers)


def tracing_middleware(service: str) -> Callable[..., Any]:
    """A SERVER span around each request, child of the caller's `traceparent` when it sent one. Installed
    outermost, so the other middlewares' log lines carry the trace id."""
    spans = tracer(service)

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else request.path  # never ids in span names
        with spans.start_as_current_span(
                f"{request.method} {route}", context=_W3C.extract(request.headers), kind=SpanKind.SERVER,
                attributes={"http.request.method": request.method, "http.route": route, "url.path": request.path},
                set_status_on_exception=False) as span:
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # redirects and the like, raised past the problem middleware
                span.set_attribute("http.response.status_code", exc.status)
                raise
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    return middleware


@contextlib.contextmanager
def consuming(service: str, headers: Mapping[str, Any] | None, *, event_type: str | None, message_id: str | None,
              queue: str) -> Iterator[None]:
    """Handle one message in a CONSUMER span, child of the span that emitted the event (its `traceparent`
    header); nothing when off."""
    if _provider is None:
        yield
        return
    carrier = {TRACEPARENT: _text(value)} if (value := (headers or {}).get(TRACEPARENT)) else {}
    with tracer(service).start_as_current_span(
            f"handle {event_type or 'message'}", context=_W3C.extract(carrier), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "rabbitmq", "messaging.operation.type": "process",
                        "messaging.destination.name": queue, "messaging.message.id": message_id or "",
                        "mall.event_type": event_type or ""}):
        yield


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
