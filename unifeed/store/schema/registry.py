"""The registry every table of the store joins, its key type and the migrations' record.

The tables are split by domain across this package's modules, each defining
its tables on `metadata`; foreign keys name tables by string ("campaigns.id"),
so a module need not import the one that defines the table it refers to.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)
