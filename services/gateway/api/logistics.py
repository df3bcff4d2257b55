"""快递100's tracking pushes (the logistics aggregator's signed callbacks), passed to fulfilment as they came."""

from __future__ import annotations

from aiohttp import web

from services.gateway.models import Answer
from services.gateway.routes import Call, Operation


class PushAnswer(Answer):
    """What 快递100 expects back; anything but result true makes it push again."""

    result: bool
    returnCode: str  # noqa: N815 - 快递100's field names
    message: str


async def logistics_notify(call: Call) -> web.StreamResponse:
    """The raw form to fulfilment, which verifies MD5(param + salt) and applies the push once; its JSON answer
    (`{"result": true, "returnCode": "200", "message": "成功"}`, or result false) goes back to 快递100."""
    return await call.up.callback(call.request, "fulfilment", "/logistics/notify", "application/json")


OPERATIONS = [
    Operation("POST", "/api/logistics/notify", logistics_notify,
              "快递100's tracking push (form: param, sign = MD5(param + salt))", "logistics", auth="none",
              raw_body="application/x-www-form-urlencoded", answer=PushAnswer),
]
