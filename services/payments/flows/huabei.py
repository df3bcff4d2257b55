"""A merchant's Huabei (花呗分期) offers: reading and replacing them, and the plans a buyer may choose.

The fee payer of an instalment plan is the merchant's setting (Alipay's 花呗分期免息 is set up by the seller);
the buyer only picks an instalment count among those offered for the order's amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.payments import domain, store
from services.payments.domain import HuabeiOffer, Refusal, Rules
from shared.db import Database, Tx


async def offers_of(db: store.Conn | Database, merchant_id: str, rules: Rules) -> tuple[list[HuabeiOffer], bool]:
    """The merchant's offers and whether it chose them (False: the mall's default applies)."""
    rows = await store.huabei_offers(db, merchant_id)
    if not rows:
        return domain.default_offers(rules), False
    return [HuabeiOffer(r["installments"], r["fee_payer"], r["min_amount_fen"])
            for r in rows if r["installments"] is not None], True


async def offers_for(db: store.Conn | Database, merchant_id: str, rules: Rules) -> list[HuabeiOffer]:
    return (await offers_of(db, merchant_id, rules))[0]


def settings_view(merchant_id: str, offers: Sequence[HuabeiOffer], chosen: bool, rules: Rules) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "source": "merchant" if chosen else "default",
            "minimum_fen": rules.huabei_min_fen,
            "offers": [{"installments": o.installments, "fee_payer": o.fee_payer, "min_amount_fen": o.min_amount_fen}
                       for o in offers]}


async def merchant_settings(db: Database, merchant_id: str, rules: Rules) -> dict[str, Any]:
    offers, chosen = await offers_of(db, merchant_id, rules)
    return settings_view(merchant_id, offers, chosen, rules)


async def replace_offers(tx: Tx, merchant_id: str, offers: Sequence[HuabeiOffer], rules: Rules) -> dict[str, Any]:
    """PUT semantics: the merchant's offers become exactly `offers` (none = no instalments)."""
    unavailable = sorted({o.installments for o in offers} - set(rules.huabei_rates_bp))
    if unavailable:
        raise Refusal("installments_unavailable", f"This mall does not offer {unavailable} instalments")
    await store.lock_huabei_settings(tx.conn, merchant_id)
    await store.delete_huabei_offers(tx.conn, merchant_id)
    ordered = sorted(offers, key=lambda o: o.installments)
    await store.insert_huabei_offers(tx.conn, merchant_id,
                                     [(o.installments, o.fee_payer, o.min_amount_fen) for o in ordered])
    return settings_view(merchant_id, ordered, True, rules)


async def reset_offers(tx: Tx, merchant_id: str, rules: Rules) -> dict[str, Any]:
    """Back to the mall's default."""
    await store.delete_huabei_settings(tx.conn, merchant_id)
    return settings_view(merchant_id, domain.default_offers(rules), False, rules)


async def plans_for(db: Database, merchant_id: str, amount_fen: int, rules: Rules) -> dict[str, Any]:
    """What the buyer sees: `fee_fen` is the buyer's fee (0 when the merchant pays it; the merchant's cost is
    the merchant's business and not shown), `per_period_fen` sums to amount + fee_fen."""
    offers, _ = await offers_of(db, merchant_id, rules)
    plans = domain.offered_plans(amount_fen, offers, rules)
    return {"amount_fen": amount_fen, "merchant_id": merchant_id,
            "minimum_fen": domain.lowest_offered_fen(offers, rules),
            "plans": [{"installments": p.installments, "fee_payer": p.fee_payer, "fee_fen": p.fee_fen,
                       "per_period_fen": p.per_period_fen} for p in plans]}
