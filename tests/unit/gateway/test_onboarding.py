"""The licence number of a merchant application: the 18-character unified social credit code (GB 32100-2015)."""

from __future__ import annotations

import pytest

from services.gateway.domain.onboarding import is_valid_uscc, require_pending, require_valid_licence
from shared.refusal import Refusal

VALID = ["91350100M000100Y43", "91110000600037341L"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code: str) -> None:
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",  # wrong check character
    "91350100M000100Y4",  # 17 characters
    "91350100M000100Y431",  # 19
    "91350100M000I00Y43",  # I is not in the alphabet
    "91350100m000100y43",  # lower case is not the code (require_valid_licence upper-cases first)
    "",
])
def test_invalid_codes(code: str) -> None:
    assert not is_valid_uscc(code)


def test_the_licence_is_normalised_or_refused_with_a_stable_code() -> None:
    assert require_valid_licence(" 91350100m000100y43 ") == "91350100M000100Y43"
    with pytest.raises(Refusal) as refused:
        require_valid_licence("91350100M000100Y44")
    assert (refused.value.status, refused.value.code, refused.value.extra) == \
        (422, "invalid_licence_no", {"field": "licence_no"})


def test_an_application_is_decided_once() -> None:
    require_pending("pending")
    with pytest.raises(Refusal) as refused:
        require_pending("approved")
    assert refused.value.code == "application_decided"
