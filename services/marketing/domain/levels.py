"""Member levels: from a member's net spend at one merchant in a rolling window."""

from __future__ import annotations

from collections.abc import Sequence

BASE_LEVEL = 1


def level_for(spend_fen: int, thresholds_fen: Sequence[int]) -> int:
    """Level 1 for everyone, one more for every threshold the spend reaches (thresholds ascending)."""
    return BASE_LEVEL + sum(1 for t in sorted(thresholds_fen) if spend_fen >= t)


def store_page(merchant_id: str) -> str:
    """The mini-program page a member card opens."""
    return f"/pages/store/index?merchant_id={merchant_id}"
