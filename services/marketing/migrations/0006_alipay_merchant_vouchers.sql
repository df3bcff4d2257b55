-- Coupons as Alipay merchant vouchers (商家券), issue 19. A template published at Alipay has an activity; a
-- coupon of it claimed by a buyer with an Alipay id is sent into their card package (`voucher_code` once
-- sent). Every report to Alipay (send, use, refund) is a row made in the transaction of the change it reports,
-- keyed by the `out_biz_no` Alipay sees: the same change handled twice makes no second row, and Alipay treats
-- the same out_biz_no again as the same request. The voucher job pushes the rows not reported yet.
CREATE TABLE alipay_voucher_activities (
    template_id   text PRIMARY KEY REFERENCES coupon_templates (id),
    merchant_id   text NOT NULL,
    activity_id   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE coupons
    ADD COLUMN alipay_user_id  text,
    ADD COLUMN voucher_code    text;

CREATE TABLE alipay_voucher_reports (
    out_biz_no    text PRIMARY KEY,
    coupon_id     text NOT NULL REFERENCES coupons (id),
    action        text NOT NULL CHECK (action IN ('send', 'use', 'refund')),
    order_id      text,
    total_fen     bigint,
    created_at    timestamptz NOT NULL,
    reported_at   timestamptz,
    attempts      int NOT NULL DEFAULT 0,
    last_error    text
);
CREATE INDEX alipay_voucher_reports_pending ON alipay_voucher_reports (created_at) WHERE reported_at IS NULL;
CREATE INDEX alipay_voucher_reports_coupon ON alipay_voucher_reports (coupon_id);
