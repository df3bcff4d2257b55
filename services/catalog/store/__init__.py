"""All SQL of the catalog service, one module per topic, one function per query (parameters only)."""

import asyncpg

from shared.db import Database

Conn = asyncpg.Connection | Database  # reads run on either; writes take the transaction's connection
