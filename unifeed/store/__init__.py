"""Persistence: users, items, events and feed requests in SQLite or PostgreSQL."""

from unifeed.store.store import Catalogue, EventTable, Store, UnknownReference

__all__ = ["Catalogue", "EventTable", "Store", "UnknownReference"]
