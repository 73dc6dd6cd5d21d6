"""The dashboard: advertisers' and the operator's pages, served by `unifeed serve`."""

from __future__ import annotations

from unifeed.web.app import create_app

__all__ = ["create_app"]
