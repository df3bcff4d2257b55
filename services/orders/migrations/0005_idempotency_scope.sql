-- Idempotency scopes are named "<what>:<owner id>" (docs/CONTRIBUTING-SERVICES.md). Orders' placements and
-- changes of orders kept their keys under the bare user id; they are now under "order:<user id>". Keys are
-- kept 24 h, so the stored ones move with the code: a client retrying across the deploy still finds its key.
UPDATE idempotency_keys SET scope = 'order:' || scope;
