"""A share group is seen by anyone with the link: it shows the sharer's nickname, never a user id."""

from __future__ import annotations

from urllib.parse import quote

from tests.integration.marketing.conftest import make_campaign, make_template, user

SHARER, FRIEND = "2088000000000001", "2088000000000002"


async def test_a_share_group_names_no_user_ids(market):
    campaign = await make_campaign(market, kind="fission", fission_needed=2)
    await make_template(market, campaign["id"], channel="fission_sharer", amount_fen=1_000)
    await make_template(market, campaign["id"], channel="fission_friend", amount_fen=100)
    opened = await market.post(f"/fission/{campaign['id']}",
                               headers={**user(SHARER), "X-User-Nickname": quote("小王 🌟", safe="")})
    assert opened.status == 201
    group = await opened.json()
    assert group["sharer"] == {"nickname": "小王 🌟"} and group["is_sharer"] is True

    joined = await market.post(f"/fission/groups/{group['id']}/join", headers=user(FRIEND))
    assert joined.status == 200
    seen_by_friend = await joined.text()
    assert SHARER not in seen_by_friend
    assert (await joined.json())["sharer"] == {"nickname": "小王 🌟"}
    assert (await joined.json())["is_sharer"] is False
    seen_by_friend = await (await market.get(f"/fission/groups/{group['id']}", headers=user(FRIEND))).text()
    assert SHARER not in seen_by_friend
    seen_by_sharer = await (await market.get(f"/fission/groups/{group['id']}", headers=user(SHARER))).text()
    assert FRIEND not in seen_by_sharer

    # Without a nickname (or with one that cannot be stored) the group still opens, nameless.
    other = await market.post(f"/fission/{campaign['id']}", headers={**user("2088000000000003"),
                                                                      "X-User-Nickname": "%00%ff"})
    assert other.status == 201 and (await other.json())["sharer"] == {"nickname": None}
