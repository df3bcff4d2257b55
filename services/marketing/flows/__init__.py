"""Marketing's use cases, one module per topic: `claims` (issuing coupons), `pricing` (quotes and
redemptions), `levels` (member levels) and `points`."""
