"""Request models count a string's length as the published schema does: before surrounding whitespace is
stripped, for a field and for each string of a list (the OpenAPI fuzz run found a padded list item taken)."""

from __future__ import annotations

from typing import Annotated

import pydantic
import pytest
from pydantic import Field

from shared.http.models import StrictModel

Word = Annotated[str, Field(min_length=1, max_length=5)]


class Body(StrictModel):
    name: str = Field(max_length=5)
    words: list[Word] = Field(default_factory=list, max_length=3)


def test_whitespace_is_stripped_from_what_fits():
    assert Body.model_validate({"name": " ab ", "words": [" cd "]}) == Body(name="ab", words=["cd"])


@pytest.mark.parametrize("body", [{"name": "ab    "}, {"name": "ab", "words": ["ok", " 0    "]}])
def test_a_string_longer_than_its_schema_allows_is_refused_even_if_only_whitespace_makes_it_so(body):
    with pytest.raises(pydantic.ValidationError):
        Body.model_validate(body)
