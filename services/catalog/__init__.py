"""Catalog: merchants, stores, categories, products and SKUs, stock and reservations, search, favourites,
recommendations. Owns the `catalog` schema; publishes sku.changed, store.changed, stock.reserved/rejected."""

# pg_trgm gives fuzzy, typo-tolerant matching; with a UTF-8 ctype it builds trigrams from Chinese characters too.
EXTENSIONS = ("pg_trgm",)
