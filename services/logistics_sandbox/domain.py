"""The sandbox's 快递100: subscriptions and each shipment's track as plain state and rules (no I/O)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.kuaidi100 import DELIVERED, sign

BEIJING = timezone(timedelta(hours=8))
FORMAT = "%Y-%m-%d %H:%M:%S"
# What the sandbox's couriers say at each state it can be told to reach (tests and demos).
LINES = {"0": "快件已到达【杭州转运中心】，正发往下一站", "5": "快件正在派送中，派件员：王师傅 13800000000",
         "3": "快件已签收，签收人：本人", "2": "快件异常：地址不详，正在联系收件人", "1": "快件已揽收"}


def answer(ok: bool, code: str, message: str) -> dict[str, Any]:
    return {"result": ok, "returnCode": code, "message": message}


@dataclass
class Shipment:
    company: str
    number: str
    callback_url: str
    salt: str
    state: str = "0"
    data: list[dict[str, str]] = field(default_factory=list)  # newest first, as 快递100 pushes it

    @property
    def polling(self) -> bool:
        return self.state != DELIVERED


class Sandbox:
    def __init__(self, key: str = ""):
        self.key = key
        self.shipments: dict[tuple[str, str], Shipment] = {}

    def subscribe(self, schema: str | None, raw_param: str | None) -> dict[str, Any]:
        """`POST /poll`: the answer 快递100 gives (returnCode 200 accepted, 501 already tracked, 600 bad key,
        700 bad data)."""
        try:
            param = json.loads(raw_param or "")
        except ValueError:
            return answer(False, "700", "param is not JSON")
        if schema not in (None, "", "json") or not isinstance(param, dict):
            return answer(False, "700", "schema must be json, param an object")
        if not param.get("key") or (self.key and param["key"] != self.key):
            return answer(False, "600", "您不是合法的订阅者")
        company, number = str(param.get("company") or ""), str(param.get("number") or "")
        given = param.get("parameters")
        parameters: dict[str, Any] = given if isinstance(given, dict) else {}
        callback = str(parameters.get("callbackurl") or "")
        if not company or not number or len(number) > 32 or not callback.startswith(("http://", "https://")):
            return answer(False, "700", "订阅的数据存在错误（快递公司、单号或回调地址）")
        existing = self.shipments.get((company, number))
        if existing is not None and existing.polling:
            return answer(False, "501", "重复订阅")
        self.shipments[(company, number)] = Shipment(company, number, callback, str(parameters.get("salt") or ""))
        return answer(True, "200", "提交成功")

    def advance(self, company: str, number: str, state: str, now: datetime) -> dict[str, str]:
        """The courier moves the shipment to `state`; returns the signed push form for its callbackurl."""
        shipment = self.shipments[(company, number)]
        # 快递100's times have whole seconds: round up, and keep each line after the one before, so the track
        # reads in order after the mall's own "shipped" line of the same second.
        at = now.astimezone(BEIJING).replace(microsecond=0) + timedelta(seconds=1)
        if shipment.data:
            at = max(at, datetime.strptime(shipment.data[0]["time"], FORMAT).replace(tzinfo=BEIJING)
                     + timedelta(seconds=1))
        stamp = at.strftime(FORMAT)
        shipment.state = state
        shipment.data.insert(0, {"time": stamp, "context": LINES[state], "ftime": stamp})
        return push_form(shipment)


def push_form(shipment: Shipment) -> dict[str, str]:
    delivered = shipment.state == DELIVERED
    param = json.dumps({
        "status": "shutdown" if delivered else "polling", "billstatus": "", "message": "", "autoCheck": "0",
        "comOld": "", "comNew": "",
        "lastResult": {"message": "ok", "state": shipment.state, "status": "200", "condition": "F00",
                       "ischeck": "1" if delivered else "0", "com": shipment.company, "nu": shipment.number,
                       "data": shipment.data}}, ensure_ascii=False, separators=(",", ":"))
    return {"param": param, "sign": sign(param, shipment.salt)}
