"""Orders: carts, order placement (a saga driven by events), the order state machine, deadlines, refunds."""
