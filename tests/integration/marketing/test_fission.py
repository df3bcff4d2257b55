"""Fission share groups: N joins unlock the sharer's coupon exactly once, whatever the concurrency."""

from __future__ import annotations

import asyncio

from tests.integration.marketing.conftest import make_campaign, make_template, user


async def test_groups_unlock_exactly_once_at_n_under_concurrent_joins(market, sql):
    campaign = await make_campaign(market, kind="fission", fission_needed=3)
    reward = await make_template(market, campaign["id"], channel="fission_sharer", amount_fen=1_000)
    gift = await make_template(market, campaign["id"], channel="fission_friend", amount_fen=100, per_user_limit=3)
    opened = await market.post(f"/fission/{campaign['id']}", headers=user("sharer0"))
    group = await opened.json()
    assert opened.status == 201 and (group["joined"], group["needed"], group["unlocked"]) == (0, 3, False)
    reopened = await market.post(f"/fission/{campaign['id']}", headers=user("sharer0"))
    assert (await reopened.json())["id"] == group["id"]
    groups = [group] + [await (await market.post(f"/fission/{campaign['id']}", headers=user(f"sharer{i}"))).json()
                        for i in (1, 2)]

    own = await market.post(f"/fission/groups/{group['id']}/join", headers=user("sharer0"))
    assert own.status == 409 and (await own.json())["code"] == "own_group"

    # 12 friends rush each of three groups at once (the same friends in every group).
    responses = await asyncio.gather(*(market.post(f"/fission/groups/{g['id']}/join", headers=user(f"f{i}"))
                                       for i in range(12) for g in groups))
    assert sorted(r.status for r in responses) == [200] * 9 + [409] * 27
    assert {(await r.json())["code"] for r in responses if r.status == 409} == {"group_complete"}

    for i, g in enumerate(groups):
        final = await (await market.get(f"/fission/groups/{g['id']}", headers=user(f"sharer{i}"))).json()
        assert (final["joined"], final["unlocked"]) == (3, True)
        rewards = await sql.fetch("SELECT id FROM coupons WHERE template_id = $1 AND user_id = $2", reward["id"],
                                  f"sharer{i}")
        assert [r["id"] for r in rewards] == [final["reward_coupon_id"]]
    assert await sql.fetchval("SELECT count(*) FROM coupons WHERE template_id = $1", reward["id"]) == 3
    assert await sql.fetchval("SELECT count(*) FROM coupons WHERE template_id = $1", gift["id"]) == 9
    # The sharer's coupon is a normal coupon from here on.
    mine = await (await market.get("/coupons/mine", headers=user("sharer0"))).json()
    assert [c["template_id"] for c in mine["items"]] == [reward["id"]]


async def test_one_join_per_user_per_group(market):
    campaign = await make_campaign(market, kind="fission", fission_needed=3)
    await make_template(market, campaign["id"], channel="fission_sharer")
    group = await (await market.post(f"/fission/{campaign['id']}", headers=user("s"))).json()
    joins = await asyncio.gather(*(market.post(f"/fission/groups/{group['id']}/join", headers=user("friend"))
                                   for _ in range(5)))
    assert sorted(r.status for r in joins) == [200, 409, 409, 409, 409]
    seen = await (await market.get(f"/fission/groups/{group['id']}", headers=user("friend"))).json()
    assert (seen["joined"], seen["joined_by_me"], seen["unlocked"]) == (1, True, False)
    assert "reward_coupon_id" not in seen
    missing = await market.post("/fission/groups/grp_nope/join", headers=user("friend"))
    assert missing.status == 404
    not_fission = await make_campaign(market)
    assert (await market.post(f"/fission/{not_fission['id']}", headers=user("s"))).status == 404
