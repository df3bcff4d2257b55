-- A SKU's shipping weight in grams (NULL: not given; freight by weight then uses the merchant's default).
ALTER TABLE skus ADD COLUMN weight_g int CHECK (weight_g > 0);
