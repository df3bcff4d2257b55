"""Who may call which merchant operation: the one permission table of the back office.

Staff have one role. The owner runs everything; a manager runs the shop day to day (products, prices, stock,
orders, refunds, campaigns, metrics, images, bulk work) but not its people or its money settings; a clerk
works the counter and the dispatch desk: sees orders, ships them, readies and verifies pickups, rings up
and charges counter sales (store checkout), nothing else.

The table names operations by their operation id (the gateway's route table and OpenAPI `operationId`). An
operation it does not name is a shop operation: owner and manager only. So a new merchant API is closed to
clerks until someone decides otherwise here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from shared.refusal import Refusal


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CLERK = "clerk"


Duty = Literal["fulfil", "run_shop", "own_shop"]

# Which roles carry each duty.
ROLES_OF: dict[Duty, frozenset[Role]] = {
    "fulfil": frozenset({Role.OWNER, Role.MANAGER, Role.CLERK}),
    "run_shop": frozenset({Role.OWNER, Role.MANAGER}),
    "own_shop": frozenset({Role.OWNER}),
}

# The duty of each merchant operation that is not `run_shop`.
DUTY_OF: dict[str, Duty] = {
    # the counter and dispatch desk
    "merchant_orders": "fulfil",
    "ship_order": "fulfil",
    "merchant_pickup_ready": "fulfil",
    "merchant_verify_pickup": "fulfil",
    "merchant_pickup_stores": "fulfil",
    "staff_logout": "fulfil",
    "merchant_me": "fulfil",
    "merchant_store_checkout": "fulfil",  # the cashier rings up and charges (当面付/刷脸付)
    "merchant_store_charge": "fulfil",
    # the business itself: its people, name and money settings
    "merchant_staff": "own_shop",
    "merchant_invite_staff": "own_shop",
    "merchant_change_staff": "own_shop",
    "merchant_staff_link": "own_shop",
    "merchant_profile": "own_shop",
    "merchant_set_huabei_offers": "own_shop",
    "merchant_reset_huabei_offers": "own_shop",
    "merchant_release_deposit": "own_shop",
    "merchant_settle_deposit": "own_shop",
    "merchant_set_alipay_features": "own_shop",
    "merchant_set_alipay_card": "own_shop",
    "merchant_set_jifenbao": "own_shop",  # spends the merchant's 集分宝 budget
}


def duty_of(operation_id: str) -> Duty:
    return DUTY_OF.get(operation_id, "run_shop")


def may(role: Role, operation_id: str) -> bool:
    return role in ROLES_OF[duty_of(operation_id)]


def require(role: Role, operation_id: str) -> None:
    """A staff member whose role lacks the operation's duty is refused (403 `role_forbidden`)."""
    if not may(role, operation_id):
        raise Refusal("role_forbidden", f"A {role.value} may not do this ({operation_id})", 403,
                      role=role.value, required=sorted(r.value for r in ROLES_OF[duty_of(operation_id)]))


def parse_role(value: str | None) -> Role:
    """The role stored with an account; a token of no stored account (minted by a key holder, as tests do)
    keeps the full rights every staff token had before roles."""
    return Role(value) if value else Role.OWNER
