"""Notifications: buyers' Alipay subscription messages (their one-time template grants, the messages sent from
order events through `alipay.open.app.mini.templatemessage.send`) and merchants' alerts (a new paid order, a
refund request, a pickup order not ready in time) on the console's event stream and the merchant's signed
webhook. Owns the `notifications` schema; it never changes an order (see API.md)."""
