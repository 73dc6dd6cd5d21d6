"""Apply the numbered migrations in unifeed/store/migrations that a database lacks."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType

from sqlalchemy import Engine, insert, select, text

from unifeed.store import migrations, schema

log = logging.getLogger(__name__)

_NAME = re.compile(r"^m(\d{4})_(\w+)$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: ModuleType


def available() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        m = _NAME.match(info.name)
        if m:
            module = importlib.import_module(f"{migrations.__name__}.{info.name}")
            found.append(Migration(int(m.group(1)), m.group(2), module))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def applied_versions(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        schema.schema_migrations.create(conn, checkfirst=True)
        conn.commit()
        return set(conn.execute(select(schema.schema_migrations.c.version)).scalars())


def upgrade(engine: Engine) -> list[int]:
    """Apply pending migrations; returns the versions applied now.

    `engine` should open write transactions (Store.writer), so that on SQLite
    the check-then-apply below holds the write lock throughout.
    """
    done = applied_versions(engine)
    applied = []
    for mig in available():
        if mig.version in done:
            continue
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two servers starting at once must not both apply a migration.
                conn.execute(text("SELECT pg_advisory_xact_lock(7311)"))
            recorded = conn.execute(
                select(schema.schema_migrations.c.version).where(
                    schema.schema_migrations.c.version == mig.version
                )
            ).first()
            if recorded:
                continue
            mig.module.upgrade(conn)
            conn.execute(
                insert(schema.schema_migrations).values(
                    version=mig.version,
                    name=mig.name,
                    applied_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
        log.info("applied migration %04d_%s", mig.version, mig.name)
        applied.append(mig.version)
    return applied
