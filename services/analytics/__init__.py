"""Analytics: facts built from every event, and the merchant metrics and console built on them."""
