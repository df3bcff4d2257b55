-- The platform's hold on merchants (gateway events merchant.suspended / merchant.reinstated).
ALTER TABLE merchants ADD COLUMN suspended_at timestamptz;
ALTER TABLE merchants ADD COLUMN licence_no text NOT NULL DEFAULT '';

-- The products a suspension took off sale (they were active then): exactly these come back on reinstatement,
-- so every buyer-facing query keeps its one rule, `products.active`.
CREATE TABLE suspended_products (
    product_id   text PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    merchant_id  text NOT NULL REFERENCES merchants (id)
);
CREATE INDEX suspended_products_merchant ON suspended_products (merchant_id);
