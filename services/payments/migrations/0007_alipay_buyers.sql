-- The mall's buyers by their Alipay user id (2088...), as the gateway reports them at sign-in
-- (user.alipay_linked): a payer Alipay names at a store's counter who is one of them owns the counter sale.
CREATE TABLE alipay_buyers (
    alipay_user_id  text PRIMARY KEY,
    user_id         text NOT NULL,
    linked_at       timestamptz NOT NULL
);
