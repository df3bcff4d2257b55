-- The categories above each SKU's category, nearest first (sku.changed): a member price set on a parent
-- category covers the SKUs of its subcategories.
ALTER TABLE skus ADD COLUMN category_ancestors text[] NOT NULL DEFAULT '{}';
