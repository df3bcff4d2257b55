"""The sandbox's HTTP face: `POST /poll` (快递100's subscription, form-encoded) and the `/sandbox/*` endpoints
that tests and demos use to move a shipment along (each move is pushed, signed, to the subscriber)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web

from services.logistics_sandbox.domain import Sandbox, push_form
from services.logistics_sandbox.pusher import Pusher
from shared.http import NotFound, StrictModel, json_response, parse_body

routes = web.RouteTableDef()

SANDBOX = web.AppKey("sandbox", Sandbox)
PUSHER = web.AppKey("pusher", Pusher)


@routes.post("/poll")
async def poll(request: web.Request) -> web.Response:
    form = await request.post()
    schema, param = form.get("schema"), form.get("param")
    body = request.app[SANDBOX].subscribe(schema if isinstance(schema, str) else None,
                                          param if isinstance(param, str) else None)
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


class AdvanceBody(StrictModel):
    """0 在途 in transit, 1 揽收 collected, 5 派件 out for delivery, 3 签收 delivered, 2 疑难 exception."""

    state: Literal["0", "1", "2", "3", "5"]


def _shipment_key(request: web.Request) -> tuple[str, str]:
    key = (request.match_info["company"], request.match_info["number"])
    if key not in request.app[SANDBOX].shipments:
        raise NotFound("Nobody subscribed to this waybill", code="shipment_not_found")
    return key


@routes.post("/sandbox/shipments/{company}/{number}/advance")
async def advance(request: web.Request) -> web.Response:
    company, number = _shipment_key(request)
    body = await parse_body(request, AdvanceBody)
    sandbox = request.app[SANDBOX]
    form = sandbox.advance(company, number, body.state, datetime.now(UTC))
    request.app[PUSHER].send(sandbox.shipments[(company, number)].callback_url, form)
    return json_response({"company": company, "number": number, "state": body.state, "push": form})


@routes.post("/sandbox/shipments/{company}/{number}/repush")
async def repush(request: web.Request) -> web.Response:
    """The last push once more, byte for byte (快递100 repeats pushes; the mall must count them once)."""
    company, number = _shipment_key(request)
    shipment = request.app[SANDBOX].shipments[(company, number)]
    form = push_form(shipment)
    request.app[PUSHER].send(shipment.callback_url, form)
    return json_response({"company": company, "number": number, "state": shipment.state, "push": form})


@routes.get("/sandbox/shipments/{company}/{number}")
async def show(request: web.Request) -> web.Response:
    shipment = request.app[SANDBOX].shipments[_shipment_key(request)]
    pushes = [{"form": p.form, "attempts": p.attempts, "delivered": p.delivered}
              for p in request.app[PUSHER].pushes if f'"nu":"{shipment.number}"' in p.form["param"]]
    return json_response({"company": shipment.company, "number": shipment.number, "state": shipment.state,
                          "callbackurl": shipment.callback_url, "data": shipment.data, "pushes": pushes})


@routes.get("/sandbox/shipments")
async def list_shipments(request: web.Request) -> web.Response:
    return json_response({"items": [{"company": s.company, "number": s.number, "state": s.state}
                                    for s in request.app[SANDBOX].shipments.values()]})
