"""The platform API, for operator tokens only: merchant applications (anyone applies; an operator approves or
rejects), suspensions, and the category tree (kept by catalog). Operators sign in with a password set through
their one-time link (`python -m deploy.admin create-operator`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
from aiohttp import web
from pydantic import Field

from services.gateway import store
from services.gateway.api.staff import NO_STORE, USERNAME, link_view
from services.gateway.auth import DUMMY_HASH, Identity, check_password, issue_token, new_session_id
from services.gateway.flows import platform
from services.gateway.models import TEXT_PATTERN, Answer, Items, StaffLoginBody, text
from services.gateway.routes import Call, Operation, QueryModel, forward
from services.gateway.sessions import end_session
from shared.http import StrictModel, Unauthorized, json_response

PHONE = r"^\+?[0-9 -]{6,20}$"
EMAIL = r"^$|^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$"


class ApplicationBody(StrictModel):
    merchant_name: str = text(100)
    licence_no: str = Field(min_length=1, max_length=30, pattern=r"^[0-9A-Za-z ]+$")
    contact_name: str = text(50)
    contact_phone: str = Field(pattern=PHONE)
    contact_email: str = Field(default="", max_length=254, pattern=EMAIL)
    owner_username: str = Field(pattern=USERNAME)


class ApplicationsQuery(QueryModel):
    status: Literal["pending", "approved", "rejected"] | None = None
    limit: int = Field(default=50, ge=1, le=200)


class MerchantsQuery(QueryModel):
    suspended: bool | None = None
    limit: int = Field(default=100, ge=1, le=500)


class RejectBody(StrictModel):
    reason: str = text(500)


class SuspendBody(StrictModel):
    reason: str = text(500)


class CategoryBody(StrictModel):
    name: str = text(50)
    parent_id: str | None = Field(default=None, max_length=64)
    position: int = Field(default=0, ge=0, le=100_000)


class CategoryChange(StrictModel):
    """Rename (`name`), move (`parent_id`; null: to the top), reorder (`position`)."""

    name: str | None = Field(default=None, min_length=1, max_length=50, pattern=TEXT_PATTERN)
    parent_id: str | None = Field(default=None, max_length=64)
    position: int | None = Field(default=None, ge=0, le=100_000)
    to_top: bool = False  # move to the top level (parent_id null would mean "unchanged")


class ApplicationOut(Answer):
    id: str
    merchant_name: str
    licence_no: str
    status: Literal["pending", "approved", "rejected"]


class OperatorSessionOut(Answer):
    token: str
    expires_in: int


def application_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "merchant_name": row["merchant_name"], "licence_no": row["licence_no"],
            "contact_name": row["contact_name"], "contact_phone": row["contact_phone"],
            "contact_email": row["contact_email"], "owner_username": row["owner_username"],
            "status": row["status"], "reason": row["reason"], "merchant_id": row["merchant_id"],
            "decided_by": row["decided_by"],
            "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
            "created_at": row["created_at"].isoformat()}


def operator_of(call: Call) -> str:
    assert call.identity is not None and call.identity.kind == "operator"
    return call.identity.subject


async def apply_as_merchant(call: Call) -> web.StreamResponse:
    body: ApplicationBody = call.body
    row = await platform.apply(call.db, body.merchant_name, body.licence_no, body.contact_name, body.contact_phone,
                               body.contact_email, body.owner_username)
    return json_response({"id": row["id"], "status": row["status"]}, status=201)


async def operator_login(call: Call) -> web.StreamResponse:
    body: StaffLoginBody = call.body
    operator = await store.find_operator(call.db, body.username)
    stored = operator["password_hash"] if operator and operator["password_hash"] else DUMMY_HASH
    ok = await asyncio.to_thread(check_password, body.password, stored)  # scrypt is deliberately slow
    if operator is None or not operator["password_hash"] or not ok:
        raise Unauthorized("Wrong username or password", code="invalid_credentials")
    ttl = call.settings.staff_token_ttl_seconds
    identity = Identity(kind="operator", subject=operator["username"], session_id=new_session_id())
    return json_response({"token": issue_token(call.deps.keyring, identity, ttl), "expires_in": ttl},
                         headers=NO_STORE)


async def operator_logout(call: Call) -> web.StreamResponse:
    assert call.identity is not None
    await end_session(call.db, call.deps.sessions, call.settings, call.identity)
    return web.Response(status=204, headers=NO_STORE)


async def platform_applications(call: Call) -> web.StreamResponse:
    query: ApplicationsQuery = call.query
    rows = await store.applications(call.db, query.status, query.limit)
    return json_response({"items": [application_view(r) for r in rows]})


def merchant_view(row: asyncpg.Record) -> dict[str, Any]:
    suspension = None
    if row["suspended_at"] is not None:
        suspension = {"reason": row["suspended_reason"], "by": row["suspended_by"],
                      "at": row["suspended_at"].isoformat()}
    return {"merchant_id": row["merchant_id"], "merchant_name": row["merchant_name"],
            "licence_no": row["licence_no"], "contact_name": row["contact_name"],
            "contact_phone": row["contact_phone"],
            "approved_at": row["decided_at"].isoformat() if row["decided_at"] else None,
            "active_staff": row["staff"], "suspended": suspension is not None, "suspension": suspension}


async def platform_merchants(call: Call) -> web.StreamResponse:
    query: MerchantsQuery = call.query
    rows = await store.platform_merchants(call.db, query.suspended, query.limit)
    return json_response({"items": [merchant_view(r) for r in rows]})


async def platform_approve(call: Call) -> web.StreamResponse:
    row, link = await platform.approve(call.db, call.param("id"), operator_of(call), datetime.now(UTC),
                                       call.settings.password_link_ttl_seconds)
    return json_response({"application": application_view(row), **link_view(call.settings, link)},
                         headers=NO_STORE)


async def platform_reject(call: Call) -> web.StreamResponse:
    body: RejectBody = call.body
    row = await platform.reject(call.db, call.param("id"), operator_of(call), body.reason)
    return json_response(application_view(row))


async def platform_suspend(call: Call) -> web.StreamResponse:
    body: SuspendBody = call.body
    await platform.suspend(call.db, call.param("id"), operator_of(call), body.reason)
    return json_response({"merchant_id": call.param("id"), "suspended": True})


async def platform_reinstate(call: Call) -> web.StreamResponse:
    await platform.reinstate(call.db, call.param("id"))
    return json_response({"merchant_id": call.param("id"), "suspended": False})


def _platform(method: str, path: str, handler: Any, summary: str, **kw: Any) -> Operation:
    return Operation(method, path, handler, summary, "platform", auth="operator", **kw)


OPERATIONS = [
    Operation("POST", "/api/merchant-applications", apply_as_merchant, "Apply to sell in the mall: name, licence "
              "number (18-character unified social credit code), contact, the first owner's username", "platform",
              auth="none", body=ApplicationBody, status=201),
    Operation("POST", "/api/platform/session", operator_login, "Platform operator login", "platform",
              auth="none", body=StaffLoginBody, answer=OperatorSessionOut),
    _platform("DELETE", "/api/platform/session", operator_logout, "Platform operator log out", status=204),
    _platform("GET", "/api/platform/applications", platform_applications, "Merchant applications, oldest first",
              query=ApplicationsQuery, answer=Items),
    _platform("POST", "/api/platform/applications/{id}/approve", platform_approve, "Approve an application: the "
              "merchant and its first owner, with a one-time set-password link"),
    _platform("POST", "/api/platform/applications/{id}/reject", platform_reject, "Reject an application",
              body=RejectBody, answer=ApplicationOut),
    _platform("GET", "/api/platform/merchants", platform_merchants, "The merchants (approved applications and "
              "the seed's), each with its suspension if any; `suspended` filters", query=MerchantsQuery,
              answer=Items),
    _platform("POST", "/api/platform/merchants/{id}/suspend", platform_suspend, "Suspend a merchant: its staff "
              "are refused and its products leave search", body=SuspendBody),
    _platform("POST", "/api/platform/merchants/{id}/reinstate", platform_reinstate, "Reinstate a suspended "
              "merchant"),
    _platform("GET", "/api/platform/categories", forward("platform_categories", "catalog", "GET", "/categories"),
              "The category tree (each with its children)", answer=Items),
    _platform("POST", "/api/platform/categories", forward("platform_create_category", "catalog", "POST",
                                                          "/platform/categories"),
              "Create a category (under parent_id, or at the top)", body=CategoryBody, status=201),
    _platform("PATCH", "/api/platform/categories/{id}", forward("platform_change_category", "catalog", "PATCH",
                                                                "/platform/categories/{id}"),
              "Rename, move (never under itself) or reorder a category", body=CategoryChange),
    _platform("DELETE", "/api/platform/categories/{id}", forward("platform_delete_category", "catalog", "DELETE",
                                                                 "/platform/categories/{id}", status=204),
              "Delete an empty category (no subcategories, no products)", status=204),
]
