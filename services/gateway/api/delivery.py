"""Delivery (fulfilment): the buyer's address book; freight and pickup join checkout and orders in buy.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from services.gateway.api.merchant import _op
from services.gateway.models import TEXT_PATTERN, Answer, Items
from services.gateway.routes import Call, Operation, forward
from services.gateway.upstream import path, relay
from shared.http import StrictModel, Unprocessable, json_response


def _text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length, pattern=TEXT_PATTERN)


class AlipayAddress(StrictModel):
    """What `my.getAddress` returns; fulfilment maps these fields onto the address book's."""

    fullname: str | None = _text(50)
    mobilePhone: str | None = _text(20)  # noqa: N815 - Alipay's field names
    prov: str | None = _text(30)
    city: str | None = _text(30)
    area: str | None = _text(30)
    street: str | None = _text(100)
    address: str | None = _text(200)
    divisionCode: str | None = _text(12)  # noqa: N815
    areaCode: str | None = _text(12)  # noqa: N815


class AddressBody(StrictModel):
    """The fields, or `alipay_address`. Phone: a mainland mobile; region_code: GB/T 2260, six digits, in the
    province named."""

    name: str | None = _text(50)
    phone: str | None = _text(20)
    province: str | None = _text(30)
    city: str | None = _text(30)
    district: str | None = _text(30)
    detail: str | None = _text(200)
    region_code: str | None = _text(12)
    is_default: bool | None = None
    alipay_address: AlipayAddress | None = None


class AddressOut(Answer):
    id: str
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    region_code: str
    is_default: bool


class AddressesOut(Answer):
    items: list[AddressOut]


class ShipBody(StrictModel):
    """The carrier (快递100 company code: shunfeng, zhongtong, yuantong, yunda, shentong, jd, ems) and its
    waybill number, checked per carrier by fulfilment. Both, or neither (a shipment without tracking)."""

    carrier: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    tracking_no: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")


class HandOverLine(Answer):
    line_id: str
    sku_id: str
    name: str
    qty: int
    remaining_qty: int


class VerifyPickupOut(Answer):
    order_id: str
    state: str
    lines: list[HandOverLine]


class TrackingOut(Answer):
    carrier: str
    tracking_no: str
    state: str
    events: list[dict[str, Any]]


async def ship_order(call: Call) -> web.StreamResponse:
    """fulfilment checks the waybill and that this is the merchant's express order; then orders ships, and
    order.shipped carries the waybill back to fulfilment."""
    body: ShipBody = call.body or ShipBody()
    waybill: dict[str, Any] = {}
    if body.carrier is not None or body.tracking_no is not None:
        if body.carrier is None or body.tracking_no is None:
            raise Unprocessable("carrier and tracking_no go together", code="waybill_incomplete")
        waybill = await call.up.json(call.request, "fulfilment", "POST", path(
            "/merchant/orders/{id}/shipment-check", id=call.param("id")), json=body.model_dump())
    target = path("/merchant/orders/{id}/ship", id=call.param("id"))
    reply = await call.up.call(call.request, "orders", "POST", target, json=waybill)
    return relay(reply)


class VerifyPickupBody(StrictModel):
    """The code as typed, or the QR text as scanned (`mpmall:pickup:<code>`), at one of the merchant's stores."""

    code: str = Field(min_length=1, max_length=40)
    store_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


async def merchant_verify_pickup(call: Call) -> web.StreamResponse:
    """fulfilment marks the code used (or refuses it: 409 pickup_refunded once every unit is refunded); the
    answer says what to hand over: each line with the units left after partial refunds (orders knows)."""
    body: VerifyPickupBody = call.body
    reply = await call.up.call(call.request, "fulfilment", "POST", "/merchant/pickups/verify",
                               json=body.model_dump())
    if reply.status != 200:
        return relay(reply)
    verified = reply.json()
    order = await call.up.json(call.request, "orders", "GET", path("/merchant/orders/{id}",
                                                                   id=verified["order_id"]))
    verified["lines"] = [{"line_id": ln["id"], "sku_id": ln["sku_id"], "name": ln["name"], "qty": ln["qty"],
                          "remaining_qty": ln["remaining_qty"]} for ln in order["lines"]]
    return json_response(verified)


OPERATIONS = [
    Operation("GET", "/api/me/addresses", forward("my_addresses", "fulfilment", "GET", "/me/addresses"),
              "The buyer's addresses, the default first", "delivery", answer=AddressesOut),
    Operation("POST", "/api/me/addresses", forward("add_address", "fulfilment", "POST", "/me/addresses"),
              "Add an address (or one my.getAddress returned); the first one is the default", "delivery",
              body=AddressBody, answer=AddressOut, status=201, idempotent=True),
    Operation("PUT", "/api/me/addresses/{id}", forward("change_address", "fulfilment", "PUT", "/me/addresses/{id}"),
              "Change one of the buyer's addresses (is_default: true makes it the default)", "delivery",
              body=AddressBody, answer=AddressOut),
    Operation("DELETE", "/api/me/addresses/{id}",
              forward("remove_address", "fulfilment", "DELETE", "/me/addresses/{id}", status=204),
              "Delete an address (the newest other one becomes the default)", "delivery", status=204),
]


OPERATIONS += [
    Operation("GET", "/api/orders/{id}/tracking",
              forward("order_tracking", "fulfilment", "GET", "/orders/{id}/tracking"),
              "Where a shipped order is: carrier, tracking number, state and events (newest first)", "delivery",
              answer=TrackingOut),
    Operation("POST", "/api/merchant/orders/{id}/ship", ship_order, "Ship a paid express order with its carrier and "
              "tracking number (checked per carrier)", "merchant", auth="staff", body=ShipBody, optional_key=True,
              optional_body=True),
    _op("GET", "/api/merchant/freight-template", "merchant_freight_template", "fulfilment",
        "/merchant/freight-template", "The merchant's express freight template"),
    _op("PUT", "/api/merchant/freight-template", "merchant_set_freight_template", "fulfilment",
        "/merchant/freight-template", "Replace the freight template: basis (piece or weight), free_above_fen, "
        "rules per province (first units and fee, each further units and fee); other provinces are not delivered to",
        body=True),
    _op("POST", "/api/merchant/orders/{id}/ready", "merchant_pickup_ready", "fulfilment",
        "/merchant/orders/{id}/ready", "A paid pickup order is ready at the store (the buyer is told)"),
    Operation("POST", "/api/merchant/pickups/verify", merchant_verify_pickup,
              "Verify a buyer's pickup code (typed, or the scanned QR text) at one of the merchant's stores: once "
              "only; 404 for a code not of this merchant or store, 409 pickup_already_verified when used, 409 "
              "pickup_refunded when every unit was refunded. The answer lists each line with remaining_qty, the "
              "units to hand over after partial refunds", "merchant", auth="staff", body=VerifyPickupBody,
              answer=VerifyPickupOut, optional_key=True),
    _op("GET", "/api/merchant/pickup-stores", "merchant_pickup_stores", "fulfilment", "/merchant/pickup-stores",
        "The merchant's active stores with their pickup settings (pickup_enabled, open_hours, product_ids)",
        answer=Items),
    _op("PUT", "/api/merchant/pickup-stores/{id}", "merchant_set_pickup_store", "fulfilment",
        "/merchant/pickup-stores/{id}", "Set a store's pickup: pickup_enabled, open_hours (\"09:00-21:00\") and "
        "product_ids it hands over (null: all products); a basket with other goods cannot be picked up there",
        body=True),
]
