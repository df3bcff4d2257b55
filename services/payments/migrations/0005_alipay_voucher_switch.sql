-- Coupons as Alipay merchant vouchers (商家券), issue 19: switched on per merchant like the other Alipay
-- products (the gateway asks before a template is published at Alipay).
ALTER TABLE alipay_features ADD COLUMN alipay_vouchers boolean NOT NULL DEFAULT false;
