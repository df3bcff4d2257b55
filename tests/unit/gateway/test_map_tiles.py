"""The console's map tiles (MALL_CONSOLE_MAP_TILES): their origin goes into the console's img-src, so only a
plain http(s) host may be configured (nothing that could add a directive to the policy)."""

from __future__ import annotations

import pytest

from services.gateway.settings import GatewaySettings, tile_origin
from shared.edge import page_csp


def test_the_tile_origin_is_allowed_for_images_only():
    origin = tile_origin("https://{s}.tile.example.cn:8443/{z}/{x}/{y}.png")
    assert origin == "https://*.tile.example.cn:8443"
    policy = page_csp("n0nce", (origin,))
    assert "img-src 'self' data: https://*.tile.example.cn:8443;" in policy
    assert "script-src 'self';" in policy and policy.count("tile.example.cn") == 1


@pytest.mark.parametrize("template", ["ftp://tiles.example/{z}/{x}/{y}.png", "/tiles/{z}/{x}/{y}.png",
                                      "https://a.example;script-src */{z}/{x}/{y}.png"])
def test_a_template_that_names_no_plain_host_is_refused_at_start(template: str):
    with pytest.raises(ValueError, match="MALL_CONSOLE_MAP_TILES"):
        GatewaySettings(console_map_tiles=template)
