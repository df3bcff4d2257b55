-- Coupons as Alipay merchant vouchers (商家券) and 集分宝 grants, issue 19: switched on per merchant like the
-- other Alipay products (the gateway asks before a template is published at Alipay or a 集分宝 budget is set).
ALTER TABLE alipay_features
    ADD COLUMN alipay_vouchers boolean NOT NULL DEFAULT false,
    ADD COLUMN jifenbao        boolean NOT NULL DEFAULT false;
