"""Catalog use cases shared by the API, the event handlers and the seed."""
