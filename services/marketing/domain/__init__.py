"""Pure marketing rules: no I/O, no asyncio. Split by topic."""
