"""The permission table of the back office, as a table: which role may call which merchant operation."""

from __future__ import annotations

import pytest

from services.gateway.app import OPERATIONS
from services.gateway.domain.permissions import DUTY_OF, Role, may, parse_role, require
from shared.refusal import Refusal

STAFF_OPERATIONS = {op.operation_id for op in OPERATIONS if op.auth == "staff"}
CLERK_MAY = {"merchant_orders", "ship_order", "merchant_pickup_ready", "merchant_verify_pickup",
             "merchant_pickup_stores", "staff_logout", "merchant_me", "merchant_store_checkout",
             "merchant_store_charge"}
OWNER_ONLY = {"merchant_staff", "merchant_invite_staff", "merchant_change_staff", "merchant_staff_link",
              "merchant_profile", "merchant_set_huabei_offers", "merchant_reset_huabei_offers",
              "merchant_release_deposit", "merchant_settle_deposit", "merchant_set_alipay_features",
              "merchant_set_alipay_card", "merchant_set_jifenbao"}

# (operation, owner, manager, clerk)
TABLE = [
    ("merchant_verify_pickup", True, True, True),
    ("ship_order", True, True, True),
    ("merchant_pickup_ready", True, True, True),
    ("merchant_orders", True, True, True),
    ("merchant_update_sku", True, True, False),  # a price change
    ("merchant_create_product", True, True, False),
    ("merchant_adjust_stock", True, True, False),
    ("merchant_approve_refund", True, True, False),
    ("merchant_create_campaign", True, True, False),
    ("merchant_metrics", True, True, False),
    ("merchant_invite_staff", True, False, False),
    ("merchant_change_staff", True, False, False),
    ("merchant_profile", True, False, False),
    ("merchant_set_huabei_offers", True, False, False),
    ("merchant_store_checkout", True, True, True),  # the cashier charges a payment code or a face (当面付)
    ("merchant_set_alipay_features", True, False, False),
    ("merchant_settle_deposit", True, False, False),  # money: part of a deposit becomes payment
    ("merchant_set_jifenbao", True, False, False),  # money: the merchant's 集分宝 budget
    ("merchant_publish_alipay_voucher", True, True, False),  # a campaign's coupons, as the campaign itself
    ("a_merchant_api_added_later", True, True, False),  # closed to clerks until the table says otherwise
]


@pytest.mark.parametrize(("operation", "owner", "manager", "clerk"), TABLE)
def test_the_permission_table(operation: str, owner: bool, manager: bool, clerk: bool) -> None:
    assert (may(Role.OWNER, operation), may(Role.MANAGER, operation), may(Role.CLERK, operation)) \
        == (owner, manager, clerk)


@pytest.mark.parametrize("operation", sorted(STAFF_OPERATIONS))
def test_every_staff_operation_is_open_to_its_roles_exactly(operation: str) -> None:
    assert may(Role.OWNER, operation)
    assert may(Role.CLERK, operation) == (operation in CLERK_MAY)
    assert may(Role.MANAGER, operation) == (operation not in OWNER_ONLY)


def test_the_table_names_only_operations_that_exist() -> None:
    assert set(DUTY_OF) <= STAFF_OPERATIONS


def test_a_refusal_is_a_403_with_a_stable_code() -> None:
    with pytest.raises(Refusal) as refused:
        require(Role.CLERK, "merchant_update_sku")
    assert (refused.value.status, refused.value.code) == (403, "role_forbidden")
    assert refused.value.extra == {"role": "clerk", "required": ["manager", "owner"]}
    require(Role.CLERK, "merchant_verify_pickup")


def test_a_stored_role_is_read_as_it_is_and_no_account_keeps_full_rights() -> None:
    assert [parse_role(v) for v in ("owner", "manager", "clerk", None)] == \
        [Role.OWNER, Role.MANAGER, Role.CLERK, Role.OWNER]
