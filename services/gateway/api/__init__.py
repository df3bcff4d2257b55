"""The public API, split by topic; each module exports OPERATIONS for the route table."""
