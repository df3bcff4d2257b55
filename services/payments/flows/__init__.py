"""Payments' use cases, one module per topic: `paying` (paying an order, top-ups, a trade's outcome),
`refunding`, `bills` (pay-later), `huabei`, `notify` (Alipay's asynchronous notify) and `checks` (asking
Alipay about a trade)."""
