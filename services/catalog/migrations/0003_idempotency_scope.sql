-- Idempotency scopes are named "<what>:<owner id>" (docs/CONTRIBUTING-SERVICES.md): catalog's
-- "catalog.product:<merchant>", "catalog.sku:…" and "catalog.stock:…" become "product:…", "sku:…" and
-- "stock:…". Keys are kept 24 h, so the stored ones move with the code: a retry across the deploy still
-- finds its key.
UPDATE idempotency_keys SET scope = substr(scope, length('catalog.') + 1) WHERE scope LIKE 'catalog.%';
