"""HTTP handlers of the buyer's cart, checked against the local SKU copy (prices are shown, never stored)."""

from __future__ import annotations

from aiohttp import web

from services.orders import domain, store
from services.orders.api.orders import QtyBody
from services.orders.deps import deps_of
from shared.http import current_user, json_response, parse_body
from shared.service import DB

routes = web.RouteTableDef()


async def cart_response(conn: store.Conn, user_id: str) -> web.Response:
    rows = await store.cart_of(conn, user_id)
    items = [{"sku_id": r["sku_id"], "qty": r["qty"], "merchant_id": r["merchant_id"],
              "product_id": r["product_id"], "name": r["name"], "unit_price_fen": r["price_fen"],
              "line_fen": None if r["price_fen"] is None else r["price_fen"] * r["qty"],
              "deposit_fen": r["deposit_fen"], "sellable": r["sellable"]} for r in rows]
    subtotal = sum(i["line_fen"] or 0 for i in items if i["sellable"])
    return json_response({"items": items, "subtotal_fen": subtotal})


@routes.get("/cart")
async def get_cart(request: web.Request) -> web.Response:
    user_id = current_user(request)
    async with request.app[DB].pool.acquire() as conn:
        return await cart_response(conn, user_id)


@routes.put("/cart/items/{sku_id}")
async def put_cart_item(request: web.Request) -> web.Response:
    """Add a SKU or change its quantity (the quantity given is the new quantity)."""
    user_id, sku_id = current_user(request), request.match_info["sku_id"]
    body = await parse_body(request, QtyBody)
    async with request.app[DB].transaction() as tx:
        domain.check_sellable(sku_id, (await store.skus_by_id(tx.conn, [sku_id])).get(sku_id))
        domain.check_cart_room(await store.count_cart_other(tx.conn, user_id, sku_id))
        await store.set_cart_qty(tx.conn, user_id, sku_id, body.qty, deps_of(request.app).clock.now())
        return await cart_response(tx.conn, user_id)


@routes.delete("/cart/items/{sku_id}")
async def delete_cart_item(request: web.Request) -> web.Response:
    user_id, sku_id = current_user(request), request.match_info["sku_id"]
    async with request.app[DB].transaction() as tx:
        await store.remove_from_cart(tx.conn, user_id, [sku_id])
        return await cart_response(tx.conn, user_id)
