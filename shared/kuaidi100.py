"""快递100's subscribe-and-push protocol (api.kuaidi100.com, 快递信息推送服务), shared by fulfilment's client
and the logistics sandbox that stands in for it.

- Subscribe: a form POST to `https://poll.kuaidi100.com/poll` with `schema=json` and `param=<json {company,
  number, key, parameters: {callbackurl, salt}}>`; the answer is `{result, returnCode, message}`: 200 提交成功,
  501 重复订阅 (already tracked), 600/601 the key is wrong or expired, 700/701/702 the waybill or carrier
  cannot be tracked, 500 their server.
- Push: a form POST to the callbackurl with `param=<json {status, message, lastResult: {state, ischeck, com, nu,
  data: [{time, context, ftime}]}}>` (data complete, newest first) and `sign = MD5(param + salt)`, upper-case
  hex; the receiver answers `{"result": true, "returnCode": "200", "message": "成功"}` or is pushed again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import aiohttp

# lastResult.state: 快递100's main states (without resultv2's finer ones).
STATES = {"0": "in_transit", "1": "collected", "2": "exception", "3": "delivered", "4": "returned_signed",
          "5": "out_for_delivery", "6": "returning", "7": "redirected", "8": "customs", "14": "refused"}
DELIVERED = "3"
ACCEPTED_CODES = frozenset({"200", "501"})  # 501: already subscribed and still tracked, which is what we want
REFUSED_CODES = frozenset({"700", "701", "702"})  # this waybill will never be tracked: no point retrying
PUSH_RECEIVED = {"result": True, "returnCode": "200", "message": "成功"}


def sign(param: str, salt: str) -> str:
    """MD5 over the raw `param` text followed by the salt, upper-case hex (what 快递100's SDKs compare)."""
    return hashlib.md5((param + salt).encode()).hexdigest().upper()  # noqa: S324 - the provider's algorithm


def signature_ok(param: str, given: str, salt: str) -> bool:
    """Constant-time: a guessed signature learns nothing from the time the answer takes."""
    return hmac.compare_digest(sign(param, salt).encode(), given.strip().upper().encode())


@dataclass(frozen=True)
class SubscribeAnswer:
    accepted: bool
    refused: bool  # the provider will never track it (700/701/702)
    code: str
    message: str


class Kuaidi100Client:
    """The subscribe half of the protocol, on the service's shared HTTP session."""

    def __init__(self, session: aiohttp.ClientSession, url: str, key: str, salt: str, callback_url: str,
                 timeout_s: float = 10.0):
        self.session, self.url, self.key, self.salt = session, url, key, salt
        self.callback_url = callback_url
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    @property
    def configured(self) -> bool:
        return bool(self.url and self.key and self.callback_url)

    async def subscribe(self, company: str, number: str, phone: str | None = None) -> SubscribeAnswer:
        """One subscription request; no answer (network, timeout) is code `unreachable`, to be retried."""
        parameters = {"callbackurl": self.callback_url, "salt": self.salt}
        if phone:  # 顺丰 needs the sender's or receiver's phone to track
            parameters["phone"] = phone
        param = json.dumps({"company": company, "number": number, "key": self.key, "parameters": parameters},
                           ensure_ascii=False, separators=(",", ":"))
        try:
            async with self.session.post(self.url, data={"schema": "json", "param": param},
                                         timeout=self.timeout) as resp:
                status, text = resp.status, await resp.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SubscribeAnswer(accepted=False, refused=False, code="unreachable", message=repr(exc)[:200])
        try:
            body = json.loads(text)
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        code = str(body.get("returnCode", status))
        return SubscribeAnswer(accepted=code in ACCEPTED_CODES, refused=code in REFUSED_CODES, code=code,
                               message=str(body.get("message", text[:200])))
