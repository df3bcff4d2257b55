-- A counter sale of a bare amount (到店消费) has one line of no goods: no SKU, no product.
ALTER TABLE order_lines ALTER COLUMN sku_id DROP NOT NULL;
ALTER TABLE order_lines ALTER COLUMN product_id DROP NOT NULL;
