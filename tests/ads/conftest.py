"""The API fixtures (settings, client) and the small ads market of the ads tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.ads.market import seed_market
from tests.api.conftest import AUTH, client, make_settings, settings
from unifeed.ads.config import DeliveryConfig
from unifeed.api import create_app

__all__ = ["client", "settings"]


def open_market(
    tmp_path: Path, database_url: str, delivery: DeliveryConfig | None = None
) -> Iterator[tuple[TestClient, object, dict]]:
    """The 3-topic world of the serving tests, trained, plus one food advertiser."""
    settings = make_settings(tmp_path, database_url)
    with TestClient(create_app(settings, delivery=delivery), headers=AUTH) as client:
        yield client, settings, seed_market(client, settings)


@pytest.fixture
def market(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, object, dict]]:
    yield from open_market(tmp_path, database_url)


@pytest.fixture
def eager_market(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, object, dict]]:
    """The same, with throttled (reach) campaigns entering every auction from the start,
    and a reserve that a reach campaign's starting bid clears for a new person only."""
    config = DeliveryConfig(start_rate=1.0, reserve_minor=10.0)
    yield from open_market(tmp_path, database_url, config)
