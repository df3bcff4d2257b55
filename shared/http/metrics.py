"""Prometheus metrics of a service, and the `/metrics` handler."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    """Prometheus metrics of one service (its own registry, so several services can share a process)."""

    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_seconds", "HTTP request latency", ["service", "route"],
                                 registry=self.registry)
        self.events = Counter("events_handled_total", "Events handled", ["service", "type"],
                              registry=self.registry)
        self.service = service
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def middleware(self) -> Callable[..., Any]:
        @web.middleware
        async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                             ) -> web.StreamResponse:
            started = time.perf_counter()
            response = await handler(request)
            resource = request.match_info.route.resource
            key = (request.method, resource.canonical if resource else "?", response.status)
            series = self._series.get(key)
            if series is None:  # looked up once per method, route and status: labels() costs a lock and a hash
                method, route, status = key
                series = self._series[key] = (self.requests.labels(self.service, method, route, str(status)),
                                              self.latency.labels(self.service, route))
            series[0].inc()
            series[1].observe(time.perf_counter() - started)
            return response

        return middleware

    async def handler(self, _: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
