"""Marketing: coupons, fission, store claim codes, nearby and credit-gated offers, points, member levels."""
