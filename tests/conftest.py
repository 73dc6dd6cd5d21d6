"""Database fixtures: every store and API test runs on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (override with
UNIFEED_TEST_POSTGRES_URL). Each test gets its own schema, dropped after.
Without a server those tests skip, unless UNIFEED_REQUIRE_SERVICES=1 (set by
.ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from unifeed.store import Store

if TYPE_CHECKING:
    from unifeed.llm import EmbeddedModel

POSTGRES = os.environ.get("UNIFEED_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _require_services() -> bool:
    return os.environ.get("UNIFEED_REQUIRE_SERVICES", "") not in ("", "0", "false")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    import psycopg

    try:
        with psycopg.connect(
            POSTGRES.replace("postgresql+psycopg", "postgresql"), connect_timeout=5
        ):
            pass
    except psycopg.OperationalError as e:
        message = f"PostgreSQL is not reachable at {POSTGRES}: {e}".strip()
        if _require_services():
            pytest.fail(f"{message} (UNIFEED_REQUIRE_SERVICES is set, so this is an error)")
        pytest.skip(message)
    return POSTGRES


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections live in a fresh, empty schema."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    plain = postgres_server.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in postgres_server else "?"
    # The application name tells this test's sessions from those of other
    # test runs on the same server (tests/api/test_reliability.py waits on them).
    yield f"{postgres_server}{sep}options=-csearch_path%3D{name}&application_name={name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each back-end."""
    s = Store(database_url)
    s.migrate()
    yield s
    s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'unifeed.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def smollm2() -> EmbeddedModel:
    """The embedded SmolLM2, loaded once for the whole session (as a process loads it once)."""
    from unifeed.llm import EmbeddedModel

    return EmbeddedModel()
