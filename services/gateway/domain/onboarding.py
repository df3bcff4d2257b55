"""What a merchant application must hold, and the one state machine of an application."""

from __future__ import annotations

from typing import Literal

from shared.refusal import Refusal

# GB 32100-2015, the unified social credit code (统一社会信用代码): 18 characters from this alphabet (no I, O,
# S, V, Z), the last a check character over the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ApplicationStatus = Literal["pending", "approved", "rejected"]


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    return (len(code) == 18 and all(ch in USCC_ALPHABET for ch in code)
            and uscc_check_character(code[:17]) == code[17])


def require_valid_licence(code: str) -> str:
    """The licence number, upper-cased; 422 `invalid_licence_no` unless it is a valid credit code."""
    normalised = code.strip().upper()
    if not is_valid_uscc(normalised):
        raise Refusal("invalid_licence_no", "The licence number is not a valid 18-character unified social "
                      "credit code (its check character does not match)", 422, field="licence_no")
    return normalised


def require_pending(status: str) -> None:
    """Only a pending application is decided, once: approving or rejecting it again is 409."""
    if status != "pending":
        raise Refusal("application_decided", f"This application was already {status}")
