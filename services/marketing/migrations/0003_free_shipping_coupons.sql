-- Free-shipping coupons (包邮券): they waive the freight of an express order, up to cap_fen, and take nothing
-- off the goods.
ALTER TABLE coupon_templates DROP CONSTRAINT coupon_templates_kind_check;
ALTER TABLE coupon_templates ADD CONSTRAINT coupon_templates_kind_check
    CHECK (kind IN ('fixed', 'percent', 'free_shipping'));
ALTER TABLE coupon_templates DROP CONSTRAINT coupon_templates_check1;
ALTER TABLE coupon_templates ADD CONSTRAINT coupon_templates_amounts_check CHECK (
    (kind = 'fixed' AND amount_fen IS NOT NULL) OR
    (kind = 'percent' AND percent_off_bp IS NOT NULL AND cap_fen IS NOT NULL) OR
    (kind = 'free_shipping' AND cap_fen IS NOT NULL AND amount_fen IS NULL AND percent_off_bp IS NULL));
