"""Payments: Alipay and Huabei trades with verified notifies, stored value with a double-entry ledger,
pay-later bills, Sesame deposit waivers, refunds through the original legs, reconciliation."""
