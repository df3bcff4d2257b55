-- Payment-success coupons (支付有礼), issue 19: a campaign kind whose coupons (channel pay_gift) are offered on
-- the payment-success page of the merchant's paid orders, one claim per paid order (the primary key says so).
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_check CHECK (kind IN ('coupon', 'fission', 'pay_gift'));
ALTER TABLE coupon_templates DROP CONSTRAINT coupon_templates_channel_check;
ALTER TABLE coupon_templates ADD CONSTRAINT coupon_templates_channel_check
    CHECK (channel IN ('public', 'store_code', 'fission_sharer', 'fission_friend', 'pay_gift'));

CREATE TABLE pay_gift_claims (
    order_id      text PRIMARY KEY REFERENCES paid_orders (order_id),
    user_id       text NOT NULL,
    coupon_id     text NOT NULL REFERENCES coupons (id),
    claimed_at    timestamptz NOT NULL
);
