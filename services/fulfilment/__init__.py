"""Fulfilment: buyers' addresses, merchants' freight templates and pickup stores, the delivery of each order
(its address snapshot or pickup store), pickup codes and their verification. Owns the `fulfilment` schema.
orders keeps the order's status; fulfilment is the source of the delivery facts (see API.md)."""
