"""What every service's HTTP edge adds to each answer: security headers, a Server header without versions,
and problem+json (not aiohttp's plain text) for requests the HTTP parser itself refuses (oversized URL or
headers, malformed requests), which never reach a handler or middleware."""

from __future__ import annotations

import types
from collections.abc import Mapping

import orjson
from aiohttp import web, web_protocol, web_server
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

PROBLEM = "application/problem+json"
SERVER = "mpmall"
# JSON answers load nothing: the tightest policy. HTML pages (the merchant console) load only their own
# scripts, styles and API; no inline script, no eval, no framing anywhere (clickjacking).
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def page_csp(style_nonce: str, image_sources: tuple[str, ...] = ()) -> str:
    """PAGE_CSP for one page whose script writes <style> elements carrying this answer's nonce (the console's
    Ant Design styles): still no inline script and no other inline style. `image_sources` are further origins
    its images may come from (the console's map tiles)."""
    policy = PAGE_CSP.replace("style-src 'self'", f"style-src 'self' 'nonce-{style_nonce}'")
    return policy.replace("img-src 'self' data:", " ".join(["img-src 'self' data:", *image_sources]))
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers without CSP frame-ancestors
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def security_headers(headers: Mapping[str, str] | None = None, *, html: bool = False) -> dict[str, str]:
    chosen = {**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP if html else API_CSP, "Server": SERVER}
    return {**chosen, **(headers or {})}


API_HEADERS = security_headers()
PAGE_HEADERS = security_headers(html=True)


async def add_security_headers(_: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every routed answer (handlers, problems, 404s, static files) gets the headers."""
    headers = response.headers
    # the header itself: `response.content_type` would parse it (with its parameters) for every answer
    html = headers.get("Content-Type", "").lstrip().lower().startswith("text/html")
    for name, value in (PAGE_HEADERS if html else API_HEADERS).items():
        if name == "Server" or name not in headers:
            headers[name] = value


# --- requests the parser refuses ----------------------------------------------------------------------

URL_FRAMES = ("url", "first_line", "status_line")  # where aiohttp's parsers read the request line


def parser_problem(exc: BaseException | None, status: int) -> tuple[int, str, str, str]:
    """(status, code, title, detail) for an error raised before routing."""
    if status >= 500 or not isinstance(exc, BadHttpMessage):
        return 500, "internal_error", "Internal error", "The request could not be handled"
    if isinstance(exc, LineTooLong) and _raised_in(exc, URL_FRAMES):
        return 414, "uri_too_long", "URI too long", "The request line (path and query) is too long"
    if isinstance(exc, LineTooLong) or "too many headers" in str(exc.message).lower():
        return 431, "header_too_large", "Request header fields too large", "The request headers are too large"
    return 400, "bad_http_request", "Bad request", "The request is not valid HTTP"


def _raised_in(exc: BaseException, names: tuple[str, ...]) -> bool:
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code.co_name.lower()
        if any(name in code for name in names):
            return True
        tb = tb.tb_next
    return False


class ProblemRequestHandler(web_protocol.RequestHandler):
    """aiohttp's connection handler, answering parser errors as problem documents with our headers."""

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs; raises if an answer is already going out
        status, code, title, detail = parser_problem(exc, status)
        doc = {"type": f"https://mpmall.dev/problems/{code}", "title": title, "status": status, "code": code,
               "detail": detail}
        resp = web.Response(body=orjson.dumps(doc), status=status, content_type=PROBLEM,
                            headers=security_headers())
        resp.force_close()  # as aiohttp's own: after a parser error the connection's state is unknown
        return resp


def install_problem_parser_errors() -> None:
    """Make aiohttp's server build ProblemRequestHandler connections (process-wide, idempotent). aiohttp has
    no per-app hook for errors raised before routing; Server looks the handler class up in its module."""
    web_server.RequestHandler = ProblemRequestHandler  # type: ignore[attr-defined]
