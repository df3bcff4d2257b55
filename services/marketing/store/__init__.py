"""All SQL of the marketing service (asyncpg, parameters only), one function per query, split by topic."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"
