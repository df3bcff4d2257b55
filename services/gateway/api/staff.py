"""Staff admin for owners (invite with a one-time set-password link, list, change role, deactivate), the
caller's own account, and using a set-password link (staff and operators alike)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
from aiohttp import web
from pydantic import Field

from services.gateway import store
from services.gateway.domain.permissions import Role, parse_role
from services.gateway.flows import accounts
from services.gateway.flows.accounts import PasswordLink
from services.gateway.models import TEXT_PATTERN, Answer, Items, text
from services.gateway.routes import Call, Operation
from services.gateway.settings import GatewaySettings
from shared.http import StrictModel, json_response

USERNAME = r"^[A-Za-z0-9_.-]{3,32}$"
RoleName = Literal["owner", "manager", "clerk"]
NO_STORE = {"Cache-Control": "no-store"}  # answers holding a set-password link


class InviteBody(StrictModel):
    username: str = Field(pattern=USERNAME)
    display_name: str = Field(default="", max_length=50, pattern=TEXT_PATTERN)
    role: RoleName


class StaffChange(StrictModel):
    role: RoleName | None = None
    active: bool | None = None


class SetPasswordBody(StrictModel):
    token: str = Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    password: str = text(256, min_length=10)


class StaffOut(Answer):
    username: str
    display_name: str
    role: RoleName
    active: bool


class InviteOut(Answer):
    staff: StaffOut
    set_password_url: str
    set_password_token: str
    expires_at: str


class SetPasswordOut(Answer):
    kind: Literal["staff", "operator"]
    username: str


def staff_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"username": row["username"], "display_name": row["display_name"], "role": row["role"],
            "active": row["active"], "created_at": row["created_at"].isoformat()}


def link_view(settings: GatewaySettings, link: PasswordLink) -> dict[str, str]:
    """The link the new account's holder opens (the console's set-password page), and its token alone. The
    console routes in the URL's fragment, which browsers never send: the token stays out of the gateway's
    access logs and of any Referer."""
    return {"set_password_url": f"{settings.public_url.rstrip('/')}/console/#/set-password?token={link.token}",
            "set_password_token": link.token, "expires_at": link.expires_at.isoformat()}


def merchant_of(call: Call) -> str:
    assert call.identity is not None and call.identity.merchant_id is not None
    return call.identity.merchant_id


async def merchant_me(call: Call) -> web.StreamResponse:
    """Who is signed in and with which role (the console shows only what the role may do)."""
    assert call.identity is not None
    row = await store.staff_account(call.db, call.identity.subject)
    return json_response({"username": call.identity.subject, "merchant_id": merchant_of(call),
                          "display_name": row["display_name"] if row else "",
                          "role": parse_role(row["role"] if row else None).value})


async def merchant_staff(call: Call) -> web.StreamResponse:
    return json_response({"items": [staff_view(r) for r in await store.merchant_staff(call.db, merchant_of(call))]})


async def merchant_invite_staff(call: Call) -> web.StreamResponse:
    body: InviteBody = call.body
    async with call.db.transaction() as tx:
        row, link = await accounts.create_staff_account(tx, merchant_of(call), body.username, body.display_name,
                                                        Role(body.role), datetime.now(UTC),
                                                        call.settings.password_link_ttl_seconds)
    return json_response({"staff": staff_view(row), **link_view(call.settings, link)}, status=201,
                         headers=NO_STORE)


async def merchant_change_staff(call: Call) -> web.StreamResponse:
    body: StaffChange = call.body
    row = await accounts.change_staff(call.db, merchant_of(call), call.param("username"),
                                      Role(body.role) if body.role else None, body.active)
    return json_response(staff_view(row))


async def merchant_staff_link(call: Call) -> web.StreamResponse:
    link = await accounts.reissue_link(call.db, merchant_of(call), call.param("username"), datetime.now(UTC),
                                       call.settings.password_link_ttl_seconds)
    return json_response(link_view(call.settings, link), status=201, headers=NO_STORE)


async def set_password(call: Call) -> web.StreamResponse:
    body: SetPasswordBody = call.body
    kind, username = await accounts.set_password(call.db, body.token, body.password)
    return json_response({"kind": kind, "username": username}, headers=NO_STORE)


OPERATIONS = [
    Operation("GET", "/api/merchant/me", merchant_me, "The signed-in staff member: username, merchant, role",
              "merchant", auth="staff"),
    Operation("GET", "/api/merchant/staff", merchant_staff, "The merchant's staff accounts (owner)", "merchant",
              auth="staff", answer=Items),
    Operation("POST", "/api/merchant/staff", merchant_invite_staff, "Invite a staff member (owner): the account "
              "and its one-time set-password link", "merchant", auth="staff", body=InviteBody, answer=InviteOut,
              status=201),
    Operation("PATCH", "/api/merchant/staff/{username}", merchant_change_staff, "Change a staff member's role or "
              "deactivate them (owner); effective on their next request", "merchant", auth="staff",
              body=StaffChange, answer=StaffOut),
    Operation("POST", "/api/merchant/staff/{username}/password-link", merchant_staff_link, "A new one-time "
              "set-password link for a staff member (owner); older links stop working", "merchant",
              auth="staff", status=201),
    Operation("POST", "/api/set-password", set_password, "Use a one-time set-password link (staff or operator)",
              "session", auth="none", body=SetPasswordBody, answer=SetPasswordOut),
]
