"""The HTTP API (FastAPI) under /v1."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unifeed.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazily: the heavy-work process imports this package's schemas and jobs,
    # and must not load the server (and the model, and torch) to do so.
    if name == "create_app":
        from unifeed.api.app import create_app

        return create_app
    raise AttributeError(name)
