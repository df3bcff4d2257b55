"""One function per consumed event. Events may come late, twice (with new ids) or out of order: each
handler locks the order and acts only when the state machine and the saga's recorded answers allow it."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from services.orders import domain, flows, store
from services.orders.deps import OrdersDeps
from services.orders.domain import Status
from shared.clock import Clock
from shared.db import Tx
from shared.events.base import Event
from shared.events.catalog import FlashSaleScheduled, SkuChanged, StockRejected, StockReserved
from shared.events.fulfilment import PickupReady, PickupVerified, ShipmentDelivered
from shared.events.marketing import (
    GroupBuyFailed,
    GroupBuySucceeded,
    MemberLevelChanged,
    PromotionLocked,
    PromotionRejected,
)
from shared.events.orders import OrderPaid
from shared.events.payments import (
    DepositAuthorising,
    DepositFrozen,
    PaymentConfirmed,
    PaymentRefunded,
    PaymentRefundFailed,
)
from shared.logging import get_logger
from shared.service import Handlers

log = get_logger("orders", component="handlers")


class OrderNotYetKnown(Exception):
    """An answer about an order this service has not committed yet; raising makes the bus retry later."""


async def _locked(tx: Tx, order_id: str) -> asyncpg.Record:
    order = await store.lock_order(tx.conn, order_id)
    if order is None:
        raise OrderNotYetKnown(order_id)
    return order


async def _advance_saga(tx: Tx, order_id: str, clock: Clock, *, discount_fen: int = 0, points_fen: int = 0,
                        freight_off_fen: int = 0, **answer: str | None) -> None:
    """Record one answer of the saga (first answer wins), then confirm or cancel if everything is known: the
    answer and the decision go into the order in one UPDATE."""
    order = await _locked(tx, order_id)
    kind = "stock" if "stock_status" in answer else "promotion"
    if order[f"{kind}_status"] != "waiting":
        log.info("saga answer ignored", order_id=order_id, kind=kind, recorded=order[f"{kind}_status"])
        return
    now = clock.now()
    recorded: dict[str, object] = {f"{kind}_status": answer[f"{kind}_status"]}
    freight_off_fen = min(freight_off_fen, order["freight_fen"])  # a coupon never waives more than the freight
    if answer.get("promotion_status") == "locked":
        recorded |= {"discount_fen": discount_fen, "points_fen": points_fen, "freight_off_fen": freight_off_fen}
    decision = None
    if order["status"] == Status.PENDING:  # else decided already (say, cancelled by the buyer): the answer only
        reason = answer.get("reason")
        decision = domain.decide(answer.get("stock_status") or order["stock_status"],
                                 answer.get("promotion_status") or order["promotion_status"],
                                 stock_reason=reason, promotion_reason=reason)
    if isinstance(decision, domain.Cancel):
        await flows.cancel(tx, order, decision.reason, now, recorded)
    elif isinstance(decision, domain.Confirm):
        if kind == "stock":  # the promotion answered earlier: its amounts are on the row
            discount_fen, points_fen = order["discount_fen"], order["points_fen"]
            freight_off_fen = order["freight_off_fen"]
        await flows.confirm(tx, order, discount_fen, points_fen, now, freight_off_fen, recorded)
    else:
        await store.update_order(tx.conn, order_id, now, **recorded)


async def on_sku_changed(deps: OrdersDeps, tx: Tx, event: Event[SkuChanged]) -> None:
    await store.upsert_sku(tx.conn, event.data)


async def on_flash_sale_scheduled(deps: OrdersDeps, tx: Tx, event: Event[FlashSaleScheduled]) -> None:
    await store.save_flash_sale(tx.conn, event.data)


async def on_member_level_changed(deps: OrdersDeps, tx: Tx, event: Event[MemberLevelChanged]) -> None:
    """The copy of the buyer's level that member prices go by."""
    d = event.data
    await store.set_member_level(tx.conn, d.user_id, d.merchant_id, d.new_level, event.occurred_at)


async def on_stock_reserved(deps: OrdersDeps, tx: Tx, event: Event[StockReserved]) -> None:
    await _advance_saga(tx, event.data.order_id, deps.clock, stock_status="reserved")


async def on_stock_rejected(deps: OrdersDeps, tx: Tx, event: Event[StockRejected]) -> None:
    await _advance_saga(tx, event.data.order_id, deps.clock, stock_status="rejected", reason=event.data.reason)


async def on_promotion_locked(deps: OrdersDeps, tx: Tx, event: Event[PromotionLocked]) -> None:
    await _advance_saga(tx, event.data.order_id, deps.clock, promotion_status="locked",
                        discount_fen=event.data.discount_fen, points_fen=event.data.points_fen,
                        freight_off_fen=event.data.freight_off_fen)


async def on_promotion_rejected(deps: OrdersDeps, tx: Tx, event: Event[PromotionRejected]) -> None:
    await _advance_saga(tx, event.data.order_id, deps.clock, promotion_status="rejected",
                        reason=event.data.reason)


async def on_payment_confirmed(deps: OrdersDeps, tx: Tx, event: Event[PaymentConfirmed]) -> None:
    paid = event.data
    order = await _locked(tx, paid.order_id)
    now = deps.clock.now()
    if order["payment_id"] == paid.payment_id:
        return  # the payment we already took, reported again
    if order["status"] == Status.AWAITING_PAYMENT and paid.amount_fen == order["payable_fen"]:
        if domain.adopts_payer(order["user_id"], paid.user_id):  # a counter sale paid by one of our buyers
            await store.set_buyer(tx.conn, order["id"], paid.user_id, now)
            order = await _locked(tx, order["id"])
        status = domain.transition(order["status"], domain.Action.PAY)
        await flows.set_status(tx, order["id"], now, status, payment_id=paid.payment_id,
                               payment_method=paid.method, paid_fen=paid.amount_fen, paid_at=paid.paid_at)
        await store.drop_deadlines(tx.conn, order["id"], "pay_by")
        await tx.emit(OrderPaid(order_id=order["id"], user_id=order["user_id"],
                                merchant_id=order["merchant_id"], payable_fen=order["payable_fen"],
                                method=paid.method, group_held=order["group_state"] == "waiting",
                                paid_at=paid.paid_at,
                                delivery_method=(order["delivery"] or {}).get("method", "none")))
        return
    # Nothing is kept that was not sold: late, second or wrong-amount payments go back.
    if order["status"] == Status.AWAITING_PAYMENT:
        reason = "amount_mismatch"
    elif order["status"] == Status.CANCELLED:
        reason = "late_payment"
    elif order["status"] == Status.PENDING:  # payments cannot know the amount before order.confirmed
        reason = "unexpected_payment"
    else:
        reason = "duplicate_payment"
    log.warning("payment refused", order_id=order["id"], status=order["status"], reason=reason)
    await flows.refund_unwanted_payment(tx, order, paid.payment_id, paid.amount_fen, reason, now)


async def _refund_with_its_order(tx: Tx, refund_id: str) -> asyncpg.Record | None:
    """The refund locked after its order (the order first, as every request does: no deadlock)."""
    order_id = await store.order_of_refund(tx.conn, refund_id)
    if order_id is None:
        return None
    await _locked(tx, order_id)
    return await store.lock_refund(tx.conn, refund_id)


async def on_payment_refunded(deps: OrdersDeps, tx: Tx, event: Event[PaymentRefunded]) -> None:
    refund = await _refund_with_its_order(tx, event.data.refund_id)
    if refund is None or refund["status"] == "refunded":
        return  # not ours, or reported again
    now = deps.clock.now()
    if refund["kind"] == "unwanted_payment":  # the order never kept that money: nothing else changes
        await store.set_refund_status(tx.conn, refund["refund_id"], "refunded", now)
        return
    if refund["status"] == "approved":
        await flows.refunded(tx, refund, now)
    else:
        log.warning("payment.refunded for a refund not approved", refund_id=refund["refund_id"],
                    refund_status=refund["status"])


async def on_payment_refund_failed(deps: OrdersDeps, tx: Tx, event: Event[PaymentRefundFailed]) -> None:
    failed = event.data
    refund = await _refund_with_its_order(tx, failed.refund_id)
    if refund is None or refund["status"] in ("refunded", "failed"):
        return  # not ours, settled, or reported again
    order = await _locked(tx, refund["order_id"])
    log.warning("refund failed", refund_id=refund["refund_id"], order_id=order["id"], kind=refund["kind"],
                reason=failed.reason)
    if refund["kind"] == "unwanted_payment":  # the order never had that money: it stays as it is
        await store.fail_refund(tx.conn, refund["refund_id"], failed.reason)
    elif refund["status"] == "approved":  # the money never moved: the units are free again
        await flows.move_refund(tx, order, refund, "fail", deps.clock.now(), deps.settings.refund_waits(),
                                failure_reason=failed.reason)


async def on_deposit_authorising(deps: OrdersDeps, tx: Tx, event: Event[DepositAuthorising]) -> None:
    """A rental waits for its deposit's freeze: closed at `authorise_by` unless deposit.frozen comes first
    (it may come before this event: then there is nothing to wait for)."""
    order = await _locked(tx, event.data.order_id)
    if order["deposit_frozen_at"] is None and order["status"] not in (Status.CANCELLED, Status.REFUNDED):
        await store.set_deadline(tx.conn, order["id"], "deposit_auth", event.data.authorise_by)


async def on_deposit_frozen(deps: OrdersDeps, tx: Tx, event: Event[DepositFrozen]) -> None:
    order = await _locked(tx, event.data.order_id)
    if order["deposit_frozen_at"] is None:
        await store.update_order(tx.conn, order["id"], deps.clock.now(), deposit_frozen_at=event.occurred_at)
    await store.drop_deadlines(tx.conn, order["id"], "deposit_auth")


async def on_pickup_ready(deps: OrdersDeps, tx: Tx, event: Event[PickupReady]) -> None:
    """The goods wait at the store: READY_FOR_PICKUP (a repeat, a late one after the pickup, or a refunded
    order: no-op)."""
    order = await _locked(tx, event.data.order_id)
    if order["status"] == Status.PAID and order["group_state"] == "waiting":
        log.warning("pickup.ready for a group-buy order still waiting for its group", order_id=order["id"])
    elif order["status"] == Status.PAID:
        await flows.ready_for_pickup(tx, order, event.data.store_id, deps.clock.now())
    else:
        log.info("pickup.ready for an order not PAID", order_id=order["id"], status=order["status"])


async def on_pickup_verified(deps: OrdersDeps, tx: Tx, event: Event[PickupVerified]) -> None:
    """The buyer took the goods at the store, ready or not (pickup.ready may come later, or never): the
    order is complete (a repeat or a refunded order: no-op)."""
    order = await _locked(tx, event.data.order_id)
    if order["status"] in (Status.PAID, Status.READY_FOR_PICKUP):
        await flows.picked_up(tx, order, event.data.store_id, deps.clock.now())
    else:
        log.warning("pickup.verified for an order not PAID", order_id=order["id"], status=order["status"])


async def on_shipment_delivered(deps: OrdersDeps, tx: Tx, event: Event[ShipmentDelivered]) -> None:
    """The parcel is signed for: DELIVERED, auto-confirm counted from now (a repeat, or an order that moved on
    meanwhile, say to a refund: no-op)."""
    order = await _locked(tx, event.data.order_id)
    if order["status"] == Status.SHIPPED:
        after = timedelta(seconds=deps.settings.auto_confirm_seconds)
        await flows.deliver(tx, order, deps.clock.now(), after)
    else:
        log.info("shipment.delivered for an order not SHIPPED", order_id=order["id"], status=order["status"])


async def on_group_buy_succeeded(deps: OrdersDeps, tx: Tx, event: Event[GroupBuySucceeded]) -> None:
    for order_id in sorted(event.data.order_ids):  # one lock order: no deadlock with another handler
        await flows.group_succeeded(tx, await _locked(tx, order_id), deps.clock.now())


async def on_group_buy_failed(deps: OrdersDeps, tx: Tx, event: Event[GroupBuyFailed]) -> None:
    settings = deps.settings
    for order_id in sorted(event.data.order_ids):
        await flows.group_failed(tx, await _locked(tx, order_id), deps.clock.now(),
                                 timedelta(seconds=settings.return_window_seconds), settings.refund_waits())


HANDLERS = (
    Handlers[OrdersDeps]()
    .on(PickupReady, on_pickup_ready)
    .on(PickupVerified, on_pickup_verified)
    .on(ShipmentDelivered, on_shipment_delivered)
    .on(SkuChanged, on_sku_changed)
    .on(MemberLevelChanged, on_member_level_changed)
    .on(StockReserved, on_stock_reserved)
    .on(StockRejected, on_stock_rejected)
    .on(FlashSaleScheduled, on_flash_sale_scheduled)
    .on(PromotionLocked, on_promotion_locked)
    .on(PromotionRejected, on_promotion_rejected)
    .on(PaymentConfirmed, on_payment_confirmed)
    .on(PaymentRefunded, on_payment_refunded)
    .on(PaymentRefundFailed, on_payment_refund_failed)
    .on(DepositAuthorising, on_deposit_authorising)
    .on(DepositFrozen, on_deposit_frozen)
    .on(GroupBuySucceeded, on_group_buy_succeeded)
    .on(GroupBuyFailed, on_group_buy_failed)
)
