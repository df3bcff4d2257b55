"""Use cases of fulfilment, shared by the API and the event handlers; each runs inside the caller's Tx."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from services.fulfilment import domain, store
from shared.db import Tx
from shared.refusal import Refusal

ADDRESS_NOT_FOUND = ("address_not_found", "No such address")


def checked_address(fields: dict[str, Any]) -> dict[str, Any]:
    """The address as stored: phone normalised, region code valid and in the province named."""
    phone = domain.normalise_phone(fields["phone"])
    domain.check_region(fields["region_code"], fields["province"])
    missing = [name for name in ("name", "province", "city", "district", "detail") if not str(fields[name]).strip()]
    if missing:
        raise Refusal("address_incomplete", f"Missing: {', '.join(missing)}", 422, field=missing[0])
    return {**{k: str(fields[k]).strip() for k in ("name", "province", "city", "district", "detail")},
            "phone": phone, "region_code": fields["region_code"]}


async def add_address(tx: Tx, user_id: str, fields: dict[str, Any], make_default: bool, limit: int) -> dict[str, Any]:
    address = checked_address(fields)
    await store.lock_address_book(tx.conn, user_id)
    count = await store.count_addresses(tx.conn, user_id)
    if count >= limit:
        raise Refusal("address_book_full", f"At most {limit} addresses", 409)
    is_default = make_default or count == 0  # the first address is the default
    if is_default:
        await store.clear_default(tx.conn, user_id)
    return await store.insert_address(tx.conn, f"adr_{uuid.uuid4().hex}", user_id, address, is_default)


async def change_address(tx: Tx, user_id: str, address_id: str, fields: dict[str, Any],
                         make_default: bool | None) -> dict[str, Any]:
    address = checked_address(fields)
    await store.lock_address_book(tx.conn, user_id)
    current = await store.get_address(tx.conn, user_id, address_id)
    if current is None:
        raise Refusal(*ADDRESS_NOT_FOUND, 404)
    # The default moves only to an address, never away into nothing: un-defaulting the default is ignored.
    is_default = bool(current["is_default"] or make_default)
    if is_default and not current["is_default"]:
        await store.clear_default(tx.conn, user_id)
    changed = await store.update_address(tx.conn, user_id, address_id, address, is_default)
    assert changed is not None
    return changed


async def remove_address(tx: Tx, user_id: str, address_id: str) -> None:
    await store.lock_address_book(tx.conn, user_id)
    was_default = await store.delete_address(tx.conn, user_id, address_id)
    if was_default is None:
        raise Refusal(*ADDRESS_NOT_FOUND, 404)
    if was_default:
        await store.promote_newest(tx.conn, user_id)


def new_pickup_code(digits: int) -> str:
    return domain.pickup_code(secrets.randbelow(10**digits), digits)
