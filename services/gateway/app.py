"""create_app(settings): the gateway's resources, middlewares and route table."""

from __future__ import annotations

import hmac
import html
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from services.gateway.api import (
    browse,
    bulk,
    buy,
    coupons,
    delivery,
    engage,
    images,
    logistics,
    merchant,
    notifications,
    platform,
    scan,
    session,
    staff,
    store_checkout,
    wallet,
)
from services.gateway.deps import build_deps, deps_of
from services.gateway.jobs import JOBS
from services.gateway.lockout import lockout_middleware
from services.gateway.openapi import build_document
from services.gateway.routes import Operation, route_table
from services.gateway.settings import OSM_ATTRIBUTION, OSM_TILES, GatewaySettings, tile_origin
from shared.clock import Clock
from shared.edge import PAGE_CSP, page_csp
from shared.http import INTERNAL_TOKEN, NotFound, Problem, Unauthorized, json_response, problem_response
from shared.service import create_service_app

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPERATIONS: list[Operation] = [*session.OPERATIONS, *browse.OPERATIONS, *scan.OPERATIONS, *buy.OPERATIONS,
                               *coupons.OPERATIONS, *wallet.OPERATIONS, *merchant.OPERATIONS,
                               *delivery.OPERATIONS, *logistics.OPERATIONS, *notifications.OPERATIONS,
                               *staff.OPERATIONS, *platform.OPERATIONS, *images.OPERATIONS, *bulk.OPERATIONS,
                               *engage.OPERATIONS, *store_checkout.OPERATIONS]
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-Entry"
# Readiness and metrics tell an outsider what runs and how it fares: operators' probes and scrapers send
# the internal token (a Kubernetes probe via httpGet.httpHeaders). Liveness (/healthz) stays open.
OPERATOR_PATHS = frozenset({"/readyz", "/metrics"})
# The H5 build's UI components add their styles and icon font at run time (inline styles, a data: font).
CLIENT_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "font-src 'self'", "font-src 'self' data:")
CONSOLE_NONCE_PLACEHOLDER = "__CSP_NONCE__"  # in console/index.html; replaced per answer
CONSOLE_MAP_TILES_PLACEHOLDER = "__MAP_TILES__"  # in console/index.html; the configured tile URL template
CONSOLE_MAP_ATTRIBUTION_PLACEHOLDER = "__MAP_ATTRIBUTION__"
IMMUTABLE = "public, max-age=31536000, immutable"


def cors_middleware(origins: list[str]) -> Callable[..., object]:
    """CORS for the configured origins only (none by default: the console is served from the gateway)."""
    allowed = set(origins)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            response: web.StreamResponse = web.Response(status=204)
        else:
            try:
                response = await handler(request)
            except Problem as problem:  # refusals too must be readable by the page that asked
                response = problem_response(problem)
        if origin and ("*" in allowed or origin in allowed):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Expose-Headers"] = "X-Request-Id, Retry-After"
            response.headers["Access-Control-Max-Age"] = "600"
        return response

    return middleware


def operator_only_middleware(token: str) -> Callable[..., object]:
    """With MALL_INTERNAL_TOKEN set, /readyz and /metrics need it in X-Internal-Token (development without
    a token leaves them open, like the services' internal APIs)."""
    expected = token.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token and request.path in OPERATOR_PATHS:
            given = request.headers.get(INTERNAL_TOKEN, "").encode()
            if not hmac.compare_digest(given, expected):
                raise Unauthorized("For operators: send the internal token in X-Internal-Token",
                                   code="internal_only")
        return await handler(request)

    return middleware


def create_app(settings: GatewaySettings, *, clock: Clock | None = None) -> web.Application:
    app = create_service_app(settings, clock=clock, jobs=JOBS, build_deps=build_deps, public=True,
                             middlewares=[cors_middleware(settings.cors_origins), lockout_middleware(),
                                          operator_only_middleware(settings.internal_token)])
    app.cleanup_ctx.append(_close_clients)
    app.router.add_routes(route_table(OPERATIONS))
    document = build_document(OPERATIONS)

    async def openapi(_: web.Request) -> web.Response:
        return json_response(document)

    app.router.add_get("/api/openapi.json", openapi)
    serve_console(app, Path(settings.console_dir), map_tiles=settings.console_map_tiles,
                  map_attribution=settings.console_map_attribution)
    _serve_client(app, Path(settings.client_dir))
    return app


def serve_console(app: web.Application, folder: Path, *, map_tiles: str = OSM_TILES,
                  map_attribution: str = OSM_ATTRIBUTION) -> None:
    """The merchant console's build (console/dist, or MALL_CONSOLE_DIR) at /console/: index.html with a fresh
    style nonce, the map tiles' URL template and credit, and no caching; the content-hashed files under
    assets/ cached for a year. Without a build there, every /console/ path is a 404 problem saying so (never
    a bare not-found)."""
    root = folder.resolve()
    images = (tile_origin(map_tiles),)
    placeholders = {CONSOLE_MAP_TILES_PLACEHOLDER: html.escape(map_tiles),
                    CONSOLE_MAP_ATTRIBUTION_PLACEHOLDER: html.escape(map_attribution)}

    async def index(_: web.Request) -> web.StreamResponse:
        page = root / "index.html"
        if not page.is_file():
            raise _console_not_built_problem()
        nonce = secrets.token_urlsafe(18)
        text = page.read_text(encoding="utf-8").replace(CONSOLE_NONCE_PLACEHOLDER, nonce)
        for placeholder, value in placeholders.items():
            text = text.replace(placeholder, value)
        return web.Response(text=text, content_type="text/html", headers={
            "Cache-Control": "no-cache", "Content-Security-Policy": page_csp(nonce, images)})

    async def asset(request: web.Request) -> web.StreamResponse:
        if not (root / "index.html").is_file():
            raise _console_not_built_problem()
        relative = request.match_info["path"]
        file = (root / relative).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            raise NotFound("No such file in the merchant console", code="not_found")
        if file.name == "index.html":  # only ever through /console/, with its nonce
            raise web.HTTPFound("/console/")
        hashed = relative.startswith("assets/")  # Vite names these by content: a new build, new names
        return web.FileResponse(file, headers={"Cache-Control": IMMUTABLE if hashed else "no-cache"})

    app.router.add_get("/console", _redirect_to_console)
    app.router.add_get("/console/apply", _redirect_to_apply)
    app.router.add_get("/console/", index)
    app.router.add_get("/console/{path:.+}", asset)


def _console_not_built_problem() -> NotFound:
    return NotFound("The merchant console is not built: run deploy/build-console.sh, or set MALL_CONSOLE_DIR "
                    "to a folder with its index.html", code="console_not_built")


async def _redirect_to_console(_: web.Request) -> web.Response:
    raise web.HTTPFound("/console/")


async def _redirect_to_apply(_: web.Request) -> web.Response:
    """The address a merchant is given to apply at; the console routes in the URL's fragment."""
    raise web.HTTPFound("/console/#/apply")


async def _close_clients(app: web.Application) -> AsyncIterator[None]:
    """The upstream session and the object store are the gateway's own (Deps); they close before the
    skeleton's resources do."""
    yield
    deps = deps_of(app)
    await deps.limiter.close()  # its last counts, while the pool is still open
    await deps.objects.close()
    await deps.upstream.close()


def _serve_client(app: web.Application, folder: Path) -> None:
    """The mini-program's H5 build from MALL_CLIENT_DIR at /m/ (its router lives in the URL's fragment, so
    every page is /m/index.html). Its policy is the console's plus inline styles and data: fonts (CLIENT_CSP).
    The build's scripts and styles (js/, css/) are named by their content: cached for a year; the rest is
    asked again each time. A file's .br or .gz copy (deploy/build-client.sh) goes to a browser accepting it."""
    root = folder.resolve()

    async def redirect(_: web.Request) -> web.Response:
        raise web.HTTPFound("/m/")

    async def serve(request: web.Request) -> web.StreamResponse:
        if not (root / "index.html").is_file():
            raise NotFound("The mini-program's H5 build is missing: run `npm run build:h5` in client/ or set "
                           "MALL_CLIENT_DIR", code="client_not_built")
        wanted = (root / (request.match_info["path"] or "index.html")).resolve()
        if not wanted.is_relative_to(root) or not wanted.is_file():
            raise NotFound("No such file")
        hashed = wanted.parent.name in ("js", "css") and wanted.parent.parent == root
        return web.FileResponse(wanted, headers={"Content-Security-Policy": CLIENT_CSP,
                                                 "Cache-Control": IMMUTABLE if hashed else "no-cache"})

    app.router.add_get("/m", redirect)
    app.router.add_get("/m/{path:.*}", serve)

