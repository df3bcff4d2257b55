"""The upstream path a forwarded call takes: a client's part of it can never change the target."""

from __future__ import annotations

import pytest

from services.gateway.upstream import path


@pytest.mark.parametrize(("part", "sent"), [
    ("p_0123456789abcdef", "p_0123456789abcdef"),  # an id: as it is
    ("a-b.c~d_e", "a-b.c~d_e"),
    ("../orders", "..%2Forders"),
    ("x?admin=1", "x%3Fadmin%3D1"),
    ("x#y", "x%23y"),
    ("a:b", "a%3Ab"),
    ("a b", "a%20b"),
    ("手机", "%E6%89%8B%E6%9C%BA"),
    ("100%", "100%25"),
])
def test_each_client_part_is_quoted_whole(part, sent):
    assert path("/products/{id}/skus", id=part) == f"/products/{sent}/skus"


def test_every_part_is_quoted():
    assert path("/merchants/{merchant}/stores/{store}", merchant="m/1", store="s 2") == \
        "/merchants/m%2F1/stores/s%202"
