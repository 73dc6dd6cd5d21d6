"""Persistence: users, items, events and feed requests in SQLite or PostgreSQL."""

from unifeed.store.events import UnknownReference
from unifeed.store.store import Catalogue, EventTable, Store

__all__ = ["Catalogue", "EventTable", "Store", "UnknownReference"]
