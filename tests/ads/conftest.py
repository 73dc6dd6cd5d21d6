"""The API fixtures (settings, client) for the ads tests."""

from tests.api.conftest import client, settings

__all__ = ["client", "settings"]
