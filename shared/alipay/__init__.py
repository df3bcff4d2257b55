"""Alipay open platform (`gateway.do`) for the mall: RSA2 signing, an asyncio client, notify verification.

Used by the gateway (login: `alipay.system.oauth.token`, the Sesame score), by payments (trades, refunds,
notifies) and by notifications (mini-program subscription messages). The same code talks to the real
Alipay or to our sandbox: only the gateway URL and keys differ.
"""

from shared.alipay.client import (
    AlipayClient,
    AlipayError,
    AlipayResponseError,
    CancelResult,
    FundAuthResult,
    OauthToken,
    RefundQueryResult,
    RefundResult,
    TradePayResult,
    TradeQueryResult,
    UserInfo,
)
from shared.alipay.keys import KeyPair, generate_key_pair, load_pem, write_dev_keys
from shared.alipay.signing import (
    SignatureError,
    extract_response_content,
    sign_content,
    sign_rsa2,
    signed_response,
    verify_notify,
    verify_rsa2,
)

__all__ = [
    "AlipayClient", "AlipayError", "AlipayResponseError", "CancelResult", "FundAuthResult",
    "KeyPair", "OauthToken", "RefundQueryResult",
    "RefundResult", "SignatureError", "TradePayResult", "TradeQueryResult", "UserInfo", "extract_response_content",
    "generate_key_pair", "load_pem", "sign_content", "sign_rsa2", "signed_response", "verify_notify",
    "verify_rsa2", "write_dev_keys",
]
