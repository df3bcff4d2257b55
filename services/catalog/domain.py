"""Pure catalog rules: barcodes, search keys, distances, reservation plans. No I/O, no asyncio."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pypinyin import Style, lazy_pinyin

from shared.refusal import Refusal

# --- EAN-13 -------------------------------------------------------------------------------------------


def ean13_check_digit(first12: str) -> int:
    """Weights 1,3,1,3,... from the left over the 12 data digits; check = (10 - sum mod 10) mod 10."""
    if len(first12) != 12 or not first12.isascii() or not first12.isdigit():
        raise ValueError("an EAN-13 check digit needs exactly 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    if len(code) != 13 or not code.isascii() or not code.isdigit():
        return False
    return ean13_check_digit(code[:12]) == int(code[12])


def make_ean13(first12: str) -> str:
    return first12 + str(ean13_check_digit(first12))


# --- search keys --------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
MAX_QUERY_CHARS = 64


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def normalise_query(q: str) -> str:
    """Lower case, single spaces, bounded length: what we match, count and keep in the history."""
    return " ".join(q.lower().split())[:MAX_QUERY_CHARS]


def full_pinyin(text: str) -> str:
    """华为手机 Pro -> "huaweishoujipro": syllables joined so `shouji` and typos of it match by substring/trigram."""
    return _NOT_WORD.sub("", "".join(lazy_pinyin(text.lower())))


def pinyin_initials(text: str) -> str:
    """华为手机 -> "hwsj"; Latin words keep their first letter, digits are dropped (initials are for hanzi)."""
    letters = []
    for part in lazy_pinyin(text.lower(), style=Style.FIRST_LETTER):
        part = _NOT_WORD.sub("", part)
        if part and part[0].isalpha():
            letters.append(part[0])
    return "".join(letters)


@dataclass(frozen=True)
class SearchKeys:
    search_text: str
    pinyin: str
    initials: str
    words: tuple[str, ...] = ()  # what a misspelt query word may be corrected to (search_words)


def search_keys(name: str, brand: str = "", category: str = "") -> SearchKeys:
    """Keys stored beside a product: its text (name, brand, category), full pinyin and initials of the name,
    and its words: each word of the text, and the pinyin of each word written in hanzi."""
    text = normalise_query(" ".join(p for p in (name, brand, category) if p))
    words = text.split(" ")
    words += [full_pinyin(w) for w in words if has_chinese(w)]
    return SearchKeys(search_text=text, pinyin=full_pinyin(f"{name} {brand}"), initials=pinyin_initials(name),
                      words=tuple(sorted({w for w in words if w})))


@dataclass(frozen=True)
class SearchPlan:
    """How a query is matched: as text always; as pinyin (full or initials) when it is Latin letters,
    and by the pinyin of its hanzi when it is Chinese (so a homophone typo, 手记 for 手机, still finds)."""

    text: str
    pinyin: str
    initials: str | None
    words: tuple[tuple[str, str], ...] = ()  # (text, pinyin) of each word when the query has several


def plan_search(q: str) -> SearchPlan:
    """A query of several words (`huawei shouji`, `华为 手机`) also matches when every word is found, in any
    order, as text or pinyin: product names rarely hold the words side by side."""
    text = normalise_query(q)
    compact = _NOT_WORD.sub("", text)
    words = tuple((w, _word_pinyin(w)) for w in text.split(" ")) if " " in text else ()
    if has_chinese(text):
        return SearchPlan(text=text, pinyin=full_pinyin(text), initials=None, words=words)
    letters_only = compact.isalpha() and compact.isascii()
    return SearchPlan(text=text, pinyin=compact, initials=compact if letters_only and len(compact) <= 8 else None,
                      words=words)


def _word_pinyin(word: str) -> str:
    return full_pinyin(word) if has_chinese(word) else _NOT_WORD.sub("", word)


def like_escape(text: str) -> str:
    """Make user text literal inside LIKE: % and _ are matched as themselves (escape character is \\)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- search history -----------------------------------------------------------------------------------


def history_after(history: list[str], q: str, cap: int) -> list[str]:
    """Newest first, de-duplicated, at most `cap` entries (the rule the store applies in SQL)."""
    return [q, *[h for h in history if h != q]][:cap]


# --- reservations -------------------------------------------------------------------------------------


class PriceMismatch(ValueError):
    """Two lines of one order name the same SKU at different prices: the order cannot be right."""


@dataclass(frozen=True)
class Want:
    sku_id: str
    qty: int
    unit_price_fen: int


def reservation_plan(lines: Iterable[tuple[str, int, int]]) -> list[Want]:
    """(sku_id, qty, unit_price_fen) lines merged per SKU and sorted by id.

    Sorting makes every reservation lock SKUs in the same order, so two orders sharing SKUs never deadlock.
    """
    merged: dict[str, Want] = {}
    for sku_id, qty, price in lines:
        seen = merged.get(sku_id)
        if seen is not None and seen.unit_price_fen != price:
            raise PriceMismatch(sku_id)
        merged[sku_id] = Want(sku_id, qty + (seen.qty if seen else 0), price)
    return [merged[k] for k in sorted(merged)]


Reason = Literal["out_of_stock", "price_changed", "unknown_sku", "purchase_limit", "flash_sale_not_started",
                 "flash_sale_ended", "flash_sale_sold_out", "flash_sale_limit", "flash_sale_unknown",
                 "flash_not_admitted"]


def over_purchase_limit(held: int, want: int, cap: int) -> bool:
    """A buyer may hold at most `cap` unpaid units of one SKU (a flash-sale per-buyer limit): one buyer must
    not take a whole stock out of sale for the pay-by window with orders they never pay."""
    return held + want > cap


def rejection_reason(*, exists: bool, sellable: bool, price_fen: int, available: int, want: Want) -> Reason:
    """Why a conditional decrement found nothing to take, in the words stock.rejected uses."""
    if not exists:
        return "unknown_sku"
    if price_fen != want.unit_price_fen:
        return "price_changed"
    return "out_of_stock"  # not enough left, or taken off sale (nothing to sell either way)


# --- flash sales (秒杀) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlashSale:
    sale_id: str
    sku_id: str
    price_fen: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime


def check_flash_schedule(*, price_fen: int, sku_price_fen: int, quantity: int, per_buyer_limit: int,
                         starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """A sale the shop can run: cheaper than the SKU, over a window that has not ended yet."""
    if ends_at <= starts_at:
        raise Refusal("flash_sale_window", "ends_at must be after starts_at", 422, field="ends_at")
    if ends_at <= now:
        raise Refusal("flash_sale_window", "The sale would already be over", 422, field="ends_at")
    if price_fen >= sku_price_fen:
        raise Refusal("flash_sale_price", "A flash sale price is below the SKU's price", 422, field="price_fen")
    if per_buyer_limit > quantity:
        raise Refusal("flash_sale_limit_over_quantity", "per_buyer_limit is more than the sale's quantity", 422,
                      field="per_buyer_limit")


@dataclass(frozen=True)
class AdmissionRequest:
    """A buyer asking for `qty` units of a sale's SKU; `key` is their Idempotency-Key of the placement."""

    key: str
    user_id: str
    sku_id: str
    qty: int


def admission_refusal(sale: FlashSale | None, *, sku_id: str, qty: int, at: datetime) -> Reason | None:
    """Why a request cannot be admitted whatever is left (None: it may, if units are left and the buyer's
    count allows)."""
    if sale is None or sale.sku_id != sku_id:
        return "flash_sale_unknown"
    if at < sale.starts_at:
        return "flash_sale_not_started"
    if at >= sale.ends_at:
        return "flash_sale_ended"
    if qty > sale.per_buyer_limit:
        return "flash_sale_limit"
    return None


ADMISSION_REFUSALS: dict[Reason, tuple[str, int]] = {
    "flash_sale_unknown": ("No such flash sale of this SKU", 404),
    "flash_sale_not_started": ("The flash sale has not started yet", 409),
    "flash_sale_ended": ("The flash sale is over", 409),
    "flash_sale_limit": ("That would pass the flash sale's per-buyer limit", 409),
    "flash_sale_sold_out": ("The flash sale is sold out", 409),
}


def admission_refused(reason: Reason) -> Refusal:
    """A refused admission as the buyer is told it (its code is the reason)."""
    detail, status = ADMISSION_REFUSALS[reason]
    return Refusal(reason, detail, status)


def decide_admissions(sale: FlashSale | None, remaining: int, held: Mapping[str, int],
                      requests: Sequence[AdmissionRequest], at: datetime) -> list[Reason | None]:
    """One batch of requests in arrival order, against what the sale has left and what each buyer holds
    (`held`: units admitted and not released): None admits, else the reason. A buyer over their limit is
    told so even when the sale is sold out too (the limit is theirs to know)."""
    left, units = remaining, dict(held)
    verdicts: list[Reason | None] = []
    for request in requests:
        reason = admission_refusal(sale, sku_id=request.sku_id, qty=request.qty, at=at)
        if reason is None and sale is not None:
            if units.get(request.user_id, 0) + request.qty > sale.per_buyer_limit:
                reason = "flash_sale_limit"
            elif left < request.qty:
                reason = "flash_sale_sold_out"
            else:
                left -= request.qty
                units[request.user_id] = units.get(request.user_id, 0) + request.qty
        verdicts.append(reason)
    return verdicts


def flash_state(*, starts_at: datetime, ends_at: datetime, remaining: int, now: datetime) -> str:
    """What the product page shows: upcoming (a countdown to the start), running (to the end), sold_out, ended."""
    if now >= ends_at:
        return "ended"
    if now < starts_at:
        return "upcoming"
    return "running" if remaining > 0 else "sold_out"


def pairs(product_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Ordered pairs of distinct products paid for together (both directions), for bought-together counts."""
    ids = sorted(set(product_ids))
    return [(a, b) for a in ids for b in ids if a != b]


# --- reviews ------------------------------------------------------------------------------------------

MAX_REVIEW_IMAGES = 9
# An image of the mall's image store: any base URL (the gateway's or a CDN's), ending in the content-hash name
# the store gave the upload. Nothing else (no `javascript:`, no other site's picture) is shown with a review.
REVIEW_IMAGE = re.compile(r"^(https?://[^\s<>\"'?#]+/|/[^\s<>\"'?#]*/)[0-9a-f]{40}\.(jpg|png|webp)$")


def blocked_term_in(text: str, terms: Iterable[str]) -> str | None:
    """The first blocked term the text holds, ignoring case and the spaces a writer puts between characters
    to slip past (`加 微 信`)."""
    lowered = text.lower()
    squeezed = "".join(lowered.split())
    for term in terms:
        if term in lowered or "".join(term.split()) in squeezed:
            return term
    return None


def review_images_ok(images: Iterable[str]) -> bool:
    return all(REVIEW_IMAGE.match(url) for url in images)


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None  # one decimal; None without reviews
    stars: dict[str, int]  # "1".."5" -> reviews with that many stars


def rating_summary(counts: dict[int, int]) -> RatingSummary:
    total = sum(counts.values())
    stars = {str(star): counts.get(star, 0) for star in range(1, 6)}
    if not total:
        return RatingSummary(0, None, stars)
    return RatingSummary(total, round(sum(s * n for s, n in counts.items()) / total, 1), stars)
