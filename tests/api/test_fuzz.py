"""Property-based fuzzing of the /v1 API from its own OpenAPI spec (schemathesis).

Valid and invalid requests, with the operator key, against a real server on
SQLite and PostgreSQL: whatever a client sends, the answer is never a 5xx.
A few items exist beforehand so that feeds and events get past the
unknown-reference check into the code behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from unifeed.api import create_app
from unifeed.api.server import running_server
from unifeed.settings import Settings

KEY = "fuzz-test-operator-key-0123"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEED_ITEMS = [{"id": f"i{k}", "kind": "post", "text": f"seed item {k}"} for k in range(5)]
FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)


def _settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        operator_key=KEY,
        encoder="hashing",
        reload_seconds=0.05,
    )


@pytest.fixture
def api_schema(database_url: str, tmp_path: Path) -> Iterator[schemathesis.BaseSchema]:
    with running_server(_settings(database_url, tmp_path)) as base:
        httpx.post(
            f"{base}/v1/items", json={"items": SEED_ITEMS}, headers=AUTH, timeout=30
        ).raise_for_status()
        yield schemathesis.openapi.from_url(f"{base}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(FUZZ, max_examples=25)
def test_no_input_makes_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error], timeout=30)


@pytest.mark.slow
@schema.parametrize()
@settings(FUZZ, max_examples=500)
def test_no_input_makes_a_server_error_long(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error], timeout=30)


# Found by the long run: a time whose UTC offset carries it past year 1 or
# 9999 overflowed in the validator (OverflowError, not ValueError) -> 500.
@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:06", "9999-12-31T23:59:59-00:01"])
def test_times_beyond_the_calendar_are_a_422(when: str, database_url: str, tmp_path: Path) -> None:
    app = create_app(_settings(database_url, tmp_path))
    with TestClient(app, headers=AUTH, raise_server_exceptions=False) as client:
        r = client.post("/v1/items", json={"items": [{"id": "a", "created_at": when}]})
        assert r.status_code == 422, r.text
        event = {"event_id": "e", "user_id": "u", "item_id": "i0", "action": "click"}
        r = client.post("/v1/events", json={"events": [{**event, "timestamp": when}]})
        assert r.status_code == 422, r.text
