"""Who may call: the operator's API keys and the dashboard's signed-out sessions."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table

from unifeed.store.schema.registry import ID, metadata

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("role", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Dashboard sessions signed out before they expired (a session is a signed
# cookie; this is what makes signing out end it): by the hash of the
# session's token, kept until the session would have expired anyway.
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),  # sha256 hex
    Column("expires_at", DateTime, nullable=False),
)
