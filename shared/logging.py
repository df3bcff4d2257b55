"""structlog JSON lines carrying `service`, `request_id`, `correlation_id` and `event_id` from contextvars, and
`trace_id` inside an OpenTelemetry span (shared.tracing)."""

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson
import structlog

from shared.tracing import current_trace_id

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
event_id_var: ContextVar[str | None] = ContextVar("event_id", default=None)


def _add_context(_: object, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name, var in (("request_id", request_id_var), ("correlation_id", correlation_id_var),
                      ("event_id", event_id_var)):
        value = var.get()
        if value is not None:
            event_dict.setdefault(name, value)
    trace_id = current_trace_id()
    if trace_id is not None:
        event_dict.setdefault("trace_id", trace_id)
    return event_dict


def configure_logging(level: str = "INFO") -> None:
    """Once per process. Services bind `service=` on their own loggers, so one process may host several."""
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_context,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=lambda obj, **kw: orjson.dumps(obj, default=str).decode()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )


def get_logger(service: str, **context: Any) -> structlog.typing.FilteringBoundLogger:
    """A logger that takes its configuration at its first use, not now: modules create theirs at import time,
    before `configure_logging` runs (a `.bind()` here would freeze structlog's default configuration, without
    the JSON lines and the trace id). Pass fixed context here rather than binding it at import time."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(service=service, **context)
    return logger
