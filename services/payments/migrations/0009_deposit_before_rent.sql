-- A Sesame deposit-free rental's deposit is frozen before its rent is paid (the pay step refuses a rental whose
-- freeze is not confirmed, 409 deposit_not_frozen): the deposit is asked for (deposit-auth) before any payment
-- exists, so it no longer names one. A held (`trade`) deposit still names the payment that collected it.
ALTER TABLE deposits ALTER COLUMN payment_id DROP NOT NULL;
