"""Orders: carts, order placement (a saga driven by events), the order state machine, deadlines, refunds."""

# pg_trgm: the merchant's order list finds part of an order number (`q`) through a trigram index.
EXTENSIONS = ("pg_trgm",)
