"""A stand-in for Alipay's open platform for local runs and tests: `gateway.do` with real RSA2 signatures
both ways, OAuth auth codes for test users (nickname, Sesame score), trades, the buyer paying, signed async
notifies with retries, refunds and closes, mini-program subscription messages (recorded for tests). State is
in memory: restart it and the world starts afresh.
"""
