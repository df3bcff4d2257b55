"""One business "no" for every service: `raise Refusal(code, detail, status)` from a flow or a domain rule.

Nothing here knows HTTP (no aiohttp import), so domains, flows and event handlers can all raise it. The edges
translate it: the request middleware every service installs (shared.http) answers with a problem document
(`status`, `title`, `code`, `detail`, plus `errors` and any extra fields); the event consumer (shared.bus)
parks the message at once, because retrying cannot turn a refusal into a yes.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A refusal with a stable machine-readable `code`: 409 (the shop says no) unless `status` says otherwise
    (403 not yours, 404 no such thing, 422 cannot be served as asked). `title` defaults to the one the edge
    gives that status; `errors` and keyword extras (say `field="barcode"`) appear in the problem document."""

    def __init__(self, code: str, detail: str, status: int = 409, *, title: str | None = None,
                 errors: list[dict[str, str]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.title = title
        self.errors = errors
        self.extra = extra
