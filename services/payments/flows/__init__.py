"""Payments' use cases, one module per topic: `refunding`, `bills` (pay-later), `huabei`,
`notify` (Alipay's asynchronous notify) and `checks` (asking Alipay about a trade).
`paying` stays beside this package: it still raises `AlipayUnavailable` as a `shared.http.Problem`, which
no business slot may import (tests/unit/test_service_shape.py)."""
