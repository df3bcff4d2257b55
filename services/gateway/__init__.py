"""The gateway: the only public entry. Mini-program clients and merchant staff call it; it authenticates,
rate-limits and routes each call of the contract (docs/API-CONTRACT.md) to the owning service."""

EXTENSIONS: tuple[str, ...] = ()
