-- A copy of catalog's SKUs as far as delivery needs them, kept from sku.changed (the highest revision wins):
-- the product (which stores offer it for pickup) and the shipping weight (freight by weight).
CREATE TABLE skus (
    sku_id       text PRIMARY KEY,
    product_id   text NOT NULL,
    merchant_id  text NOT NULL,
    weight_g     int,
    revision     bigint NOT NULL
);
CREATE INDEX skus_merchant_product ON skus (merchant_id, product_id);

-- The products a store hands over at its counter; NULL: all of the merchant's products.
ALTER TABLE stores ADD COLUMN product_ids text[];
