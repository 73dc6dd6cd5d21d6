"""An API client over the real app (lifespan, store, rankers), per database back-end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from unifeed.api import create_app
from unifeed.settings import Settings

KEY = "test-operator-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def make_settings(data_dir: Path, database_url: str | None = None, **kw: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        operator_key=KEY,
        encoder="hashing",
        reload_seconds=0.05,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=AUTH) as c:
        yield c
