"""Use cases of fulfilment, shared by the API and the event handlers; each runs inside the caller's Tx."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from services.fulfilment import domain, store
from shared.db import Queryable, Tx
from shared.events.fulfilment import PickupReady, PickupVerified, ShipmentDelivered
from shared.kuaidi100 import Kuaidi100Client, SubscribeAnswer
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


def new_pickup_code() -> str:
    return domain.pickup_code(secrets.randbelow(10**domain.PICKUP_CODE_DIGITS), domain.PICKUP_CODE_DIGITS)


# --- freight and delivery options ------------------------------------------------------------------------

def template_of(row: dict[str, Any] | None) -> domain.FreightTemplate | None:
    if row is None:
        return None
    rules = tuple(domain.FreightRule(tuple(r["provinces"]), r["first_units"], r["first_fen"], r["extra_units"],
                                     r["extra_fen"]) for r in row["rules"])
    return domain.FreightTemplate(basis=row["basis"], rules=rules, free_above_fen=row["free_above_fen"],
                                  default_item_weight_g=row["default_item_weight_g"])


def snapshot(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address[k] for k in ("name", "phone", "province", "city", "district", "detail", "region_code")}


async def parcels_of(conn: Queryable, merchant_id: str, lines: list[tuple[str, int]]) -> list[domain.Parcel]:
    """The basket's lines (sku_id, qty) with each SKU's product and weight from the copy of catalog's SKUs."""
    skus = await store.skus_of(conn, merchant_id, [sku_id for sku_id, _ in lines])
    parcels = []
    for sku_id, qty in lines:
        known = skus.get(sku_id, {})  # not known yet: default weight, and no product
        parcels.append(domain.Parcel(qty, known.get("weight_g"), sku_id, known.get("product_id")))
    return parcels


async def quote(conn: Queryable, user_id: str, merchant_id: str, parcels: list[domain.Parcel], goods_fen: int,
                choice: dict[str, Any] | None) -> dict[str, Any]:
    """The delivery options of one merchant's basket and, when the buyer chose one, its checked snapshot
    (what orders keeps) and freight. Express is priced at the chosen address, else at the default one; a store
    that does not offer every product of the basket is listed as not available."""
    template = template_of(await store.get_template(conn, merchant_id))
    stores = await store.pickup_stores(conn, merchant_id)
    chosen = await _chosen(conn, user_id, merchant_id, template, parcels, goods_fen, choice)
    options: list[dict[str, Any]] = []
    if template is not None:
        options.append(await _express_option(conn, user_id, template, parcels, goods_fen, choice))
    for s in stores:
        missing = domain.not_offered(s["product_ids"], parcels)
        options.append({"method": "pickup", "store_id": s["store_id"], "name": s["name"], "address": s["address"],
                        "open_hours": s["open_hours"], "freight_fen": 0, "available": not missing,
                        **({"reason": "products_not_offered", "sku_ids": missing} if missing else {})})
    return {"freight_fen": chosen["freight_fen"] if chosen else 0, "delivery_options": options, "delivery": chosen}


async def _express_option(conn: Queryable, user_id: str, template: domain.FreightTemplate, parcels: list[domain.Parcel],
                          goods_fen: int, choice: dict[str, Any] | None) -> dict[str, Any]:
    address_id = (choice or {}).get("address_id")
    address = await store.get_address(conn, user_id, address_id) if address_id else None
    if address is None:
        address = next(iter(await store.list_addresses(conn, user_id)), None)  # default first
    if address is None:
        return {"method": "express", "available": True, "freight_fen": None}
    try:
        fee = domain.freight_fen(template, address["region_code"], parcels, goods_fen)
    except Refusal as refused:
        return {"method": "express", "address_id": address["id"], "available": False, "reason": refused.code}
    return {"method": "express", "address_id": address["id"], "available": True, "freight_fen": fee}


async def _chosen(conn: Queryable, user_id: str, merchant_id: str, template: domain.FreightTemplate | None,
                  parcels: list[domain.Parcel], goods_fen: int, choice: dict[str, Any] | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    if choice["method"] == "pickup":
        if not choice.get("store_id"):
            raise Refusal("store_required", "Pickup needs a store_id", 422, field="store_id")
        # Another merchant's store, an inactive one or one without pickup: the same answer for all.
        pickup = await store.pickup_store(conn, merchant_id, choice["store_id"])
        if pickup is None:
            raise Refusal("store_not_found", "This merchant offers no pickup at that store", 404, field="store_id")
        missing = domain.not_offered(pickup["product_ids"], parcels)
        if missing:
            raise Refusal("pickup_products_not_offered", "This store does not hand over some of these goods", 409,
                          field="store_id", sku_ids=missing)
        return {"method": "pickup", "store_id": choice["store_id"], "freight_fen": 0}
    if not choice.get("address_id"):
        raise Refusal("address_required", "Express delivery needs an address_id", 422, field="address_id")
    address = await store.get_address(conn, user_id, choice["address_id"])
    if address is None:
        raise Refusal(*ADDRESS_NOT_FOUND, 404)
    if template is None:
        raise Refusal("express_not_offered", "This merchant does not deliver by express", 409)
    fee = domain.freight_fen(template, address["region_code"], parcels, goods_fen)
    return {"method": "express", "address": snapshot(address), "freight_fen": fee}


def checked_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each province in at most one rule, and only provinces GB/T 2260 knows."""
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        for prefix in rule["provinces"]:
            if prefix not in domain.PROVINCES:
                raise Refusal("invalid_province", f"Unknown province code {prefix!r}", 422,
                              field=f"rules.{index}.provinces")
            if prefix in seen:
                raise Refusal("province_repeated", f"Province {prefix} is in two rules", 422,
                              field=f"rules.{index}.provinces")
            seen.add(prefix)
    return rules


async def set_pickup_settings(tx: Tx, merchant_id: str, store_id: str, enabled: bool, open_hours: str,
                              product_ids: list[str] | None) -> dict[str, Any]:
    """Whether a store offers pickup, its hours and the products it hands over (None: all); products must be
    the merchant's own."""
    hours = domain.check_open_hours(open_hours)
    wanted = None if product_ids is None else sorted(set(product_ids))
    saved = await store.set_pickup_settings(tx.conn, merchant_id, store_id, enabled, hours, wanted)
    if saved is None:
        raise Refusal("store_not_found", "No such active store of this merchant", 404)
    unknown = sorted(set(wanted or ()) - await store.known_products(tx.conn, merchant_id, wanted or []))
    if unknown:  # the refusal rolls the change back
        raise Refusal("product_not_found", "Not products of this merchant", 422, field="product_ids",
                      product_ids=unknown)
    return saved


async def set_template(tx: Tx, merchant_id: str, basis: str, free_above_fen: int | None, default_item_weight_g: int,
                       rules: list[dict[str, Any]]) -> dict[str, Any]:
    await store.upsert_template(tx.conn, merchant_id, basis, free_above_fen, default_item_weight_g)
    await store.replace_rules(tx.conn, merchant_id, checked_rules(rules))
    found = await store.get_template(tx.conn, merchant_id)
    assert found is not None
    return found


# --- each order's delivery -----------------------------------------------------------------------------------

async def record_delivery(tx: Tx, order_id: str, user_id: str, merchant_id: str, delivery: dict[str, Any]) -> None:
    await store.insert_delivery(tx.conn, order_id, user_id, merchant_id, delivery["method"], delivery.get("store_id"),
                                delivery.get("address"), delivery.get("freight_fen", 0))


async def mark_paid(tx: Tx, order_id: str, group_held: bool = False) -> None:
    """A paid pickup order gets its code: random, and not live for another order of the same merchant. A
    group-buy order held for its group gets none yet (its group may fail and refund it): release_group issues
    it, unless the group's success came first."""
    await store.lock_order(tx.conn, order_id)
    delivery = await store.delivery_for_update(tx.conn, order_id)
    if delivery is None:  # an order without delivery, or order.paid overtook order.placed: keep a note
        await store.note_early_payment(tx.conn, order_id, group_held)
        return
    if delivery["state"] != "placed":
        return  # a repeated or late event
    if group_held and await store.take_group_release(tx.conn, order_id):
        group_held = False
    code = None
    if delivery["method"] == "pickup" and not group_held:
        code = await _fresh_code(tx.conn, delivery["merchant_id"])
    await store.set_paid(tx.conn, order_id, code, group_held)


async def _fresh_code(conn: Queryable, merchant_id: str) -> str:
    code = new_pickup_code()
    while await store.code_is_live(conn, merchant_id, code):
        code = new_pickup_code()
    return code


async def release_group(tx: Tx, order_id: str) -> None:
    """group_buy.succeeded: a held order goes on like any paid one (a pickup order gets its code now). A success
    that overtook the order's order.paid is noted for it; a repeat changes nothing."""
    await store.lock_order(tx.conn, order_id)
    delivery = await store.delivery_for_update(tx.conn, order_id)
    if delivery is None or delivery["state"] == "placed":
        await store.note_group_release(tx.conn, order_id)
    elif delivery["group_held"] and delivery["state"] == "paid":
        code = await _fresh_code(tx.conn, delivery["merchant_id"]) if delivery["method"] == "pickup" else None
        await store.release_group_hold(tx.conn, order_id, code)


async def mark_cancelled(tx: Tx, order_id: str) -> None:
    """A cancelled or refunded order: its pickup code stops working (a picked-up order stays picked up)."""
    delivery = await store.delivery_for_update(tx.conn, order_id)
    if delivery is not None and delivery["state"] in ("placed", "paid", "ready"):
        await store.set_state(tx.conn, order_id, "cancelled")


# --- pickup --------------------------------------------------------------------------------------------------

ORDER_NOT_FOUND = ("order_not_found", "No such order")


def pickup_view(delivery: dict[str, Any]) -> dict[str, Any] | None:
    """What the buyer sees of a pickup once paid: the code to show at the counter and its QR text."""
    if delivery["method"] != "pickup" or delivery["pickup_code"] is None:
        return None
    return {"code": delivery["pickup_code"], "qr_text": domain.qr_text(delivery["pickup_code"]),
            "store_id": delivery["store_id"], "state": delivery["state"], "ready_at": delivery["ready_at"],
            "picked_up_at": delivery["picked_up_at"]}


async def mark_ready(tx: Tx, merchant_id: str, order_id: str) -> dict[str, Any]:
    delivery = await store.merchant_delivery_for_update(tx.conn, merchant_id, order_id)
    if delivery is None:
        raise Refusal(*ORDER_NOT_FOUND, 404)
    if delivery["method"] != "pickup":
        raise Refusal("not_a_pickup_order", "This order is delivered by express", 409)
    if delivery["state"] == "placed":
        raise Refusal("order_not_paid", "The order is not paid yet", 409)
    if delivery["state"] in ("picked_up", "cancelled"):
        raise Refusal("pickup_closed", f"The pickup is {delivery['state']}", 409)
    if delivery["group_held"]:  # orders' answer to a held order: nothing is handed over before the group fills
        raise Refusal("group_buy_pending", "The order waits for its group buy to fill", 409)
    if delivery["state"] == "paid":  # ready again is the same answer, and no second notice
        await store.set_state(tx.conn, order_id, "ready")
        await tx.emit(PickupReady(order_id=order_id, user_id=delivery["user_id"], merchant_id=merchant_id,
                                  store_id=delivery["store_id"]))
    return {"order_id": order_id, "state": "ready"}


async def verify_pickup(tx: Tx, merchant_id: str, store_id: str, code: str) -> dict[str, Any]:
    """Once only, only at the store the buyer chose, only this merchant's codes. A wrong code, another
    merchant's or another store's all get the same 404; the row lock makes two staff at once one pickup."""
    delivery = await store.code_at_merchant_for_update(tx.conn, merchant_id, code)
    if delivery is None or delivery["store_id"] != store_id:
        raise Refusal("pickup_not_found", "No such pickup code at this store", 404)
    if delivery["state"] == "picked_up":
        raise Refusal("pickup_already_verified", "This code was already used", 409)
    if delivery["state"] == "cancelled":  # only a refund of every unit closes a paid order's code
        raise Refusal("pickup_refunded", "This order was refunded in full: nothing to hand over", 409)
    await store.set_state(tx.conn, delivery["order_id"], "picked_up")
    await tx.emit(PickupVerified(order_id=delivery["order_id"], user_id=delivery["user_id"],
                                 merchant_id=merchant_id, store_id=store_id))
    return {"order_id": delivery["order_id"], "state": "picked_up"}


# --- shipping ------------------------------------------------------------------------------------------------

async def check_shipment(conn: Queryable, merchant_id: str, order_id: str, carrier: str,
                         tracking_no: str) -> dict[str, Any]:
    """Before orders ships: the waybill has the carrier's shape and the order is this merchant's express order."""
    number = domain.check_waybill(carrier, tracking_no)
    delivery = await store.merchant_delivery(conn, merchant_id, order_id)
    if delivery is None:
        raise Refusal(*ORDER_NOT_FOUND, 404)
    if delivery["method"] != "express":
        raise Refusal("pickup_order", "A pickup order is handed over at the store, not shipped", 409)
    return {"carrier": carrier, "tracking_no": number}


async def record_shipment(tx: Tx, order_id: str, carrier: str | None, tracking_no: str | None, at: Any,
                          now: datetime) -> None:
    """order.shipped with a waybill: the shipment, its first tracking line and the subscription the job makes
    at 快递100 from `now` (a repeat changes nothing)."""
    await store.lock_order(tx.conn, order_id)
    delivery = await store.delivery_for_update(tx.conn, order_id)
    if carrier is None or tracking_no is None:
        return
    if delivery is None:  # an order without delivery, or order.shipped overtook order.placed: keep a note
        await store.note_early_shipment(tx.conn, order_id, carrier, tracking_no, at)
        return
    if delivery["state"] == "shipped":
        return
    await store.set_shipped(tx.conn, order_id, carrier, tracking_no, at)
    name = domain.CARRIERS[carrier][0] if carrier in domain.CARRIERS else carrier
    await store.add_tracking_event(tx.conn, order_id, at, "shipped", f"商家已发货，{name} {tracking_no}")
    await store.add_subscription(tx.conn, order_id, carrier, tracking_no, now)


def shipment_view(delivery: dict[str, Any]) -> dict[str, Any] | None:
    if delivery["carrier"] is None:
        return None
    return {"carrier": delivery["carrier"], "tracking_no": delivery["tracking_no"],
            "shipped_at": delivery["shipped_at"]}


async def check_guessing(conn: Queryable, counter: str, limit: int, window_seconds: int) -> None:
    """Refuse verification at a merchant's store that typed `limit` wrong codes in this window (no code is
    even looked at), so guessing live codes is too slow to pay off."""
    if await store.pickup_misses(conn, counter, window_seconds) >= limit:
        raise Refusal("too_many_wrong_codes", "Too many wrong pickup codes at this store; try again later", 429,
                      title="Too many requests", retry_after_seconds=window_seconds)


# --- tracking: subscriptions at 快递100 and its pushes ---------------------------------------------------------

MAX_RETRY_SECONDS = 3600.0


async def subscribe_due(tx: Tx, client: Kuaidi100Client, now: datetime, batch: int, retry_seconds: float) -> int:
    """Subscribe the waybills whose turn has come (claimed with SKIP LOCKED, so replicas share the work);
    accepted and refused ones are done, the rest are tried again later, each time twice as late."""
    due = await store.claim_due_subscriptions(tx.conn, now, batch)
    for row in due:
        answer = await client.subscribe(row["carrier"], row["tracking_no"], row["phone"])
        await _answered(tx, row, answer, now, retry_seconds)
    return len(due)


async def _answered(tx: Tx, row: dict[str, Any], answer: SubscribeAnswer, now: datetime,
                    retry_seconds: float) -> None:
    attempts = row["attempts"] + 1
    state = "accepted" if answer.accepted else "refused" if answer.refused else "pending"
    delay = min(retry_seconds * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    await store.set_subscription(tx.conn, row["order_id"], state, attempts, now + timedelta(seconds=delay),
                                 answer.code, answer.message[:200])


async def apply_push(tx: Tx, push: domain.TrackingPush) -> int:
    """A verified push: the carrier's lines kept once each (快递100 sends the whole track every time, and again
    when unanswered), the shipment's state, and on the first "delivered" `shipment.delivered`. A waybill the
    mall never shipped changes nothing. Returns how many new lines were kept."""
    added = 0
    for shipment in await store.shipments_by_waybill_for_update(tx.conn, push.carrier, push.tracking_no):
        order_id = shipment["order_id"]
        for at, text in push.lines:
            added += await store.add_tracking_event_once(tx.conn, order_id, at, push.state, text)
        delivered_at = push.lines[0][0] if push.delivered and push.lines else None
        state = "delivered" if shipment["delivered_at"] is not None else push.state  # signed for stays signed for
        await store.set_tracking_state(tx.conn, order_id, state, delivered_at)
        if delivered_at is not None and shipment["delivered_at"] is None:
            await tx.emit(ShipmentDelivered(order_id=order_id, user_id=shipment["user_id"],
                                            merchant_id=shipment["merchant_id"], carrier=push.carrier,
                                            tracking_no=push.tracking_no, delivered_at=delivered_at))
    return added
