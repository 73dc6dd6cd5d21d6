"""Numbered schema migrations: `mNNNN_name.py`, each with `upgrade(conn)`.

A migration is applied once, in order, inside its own transaction, and is
recorded in `schema_migrations`. Migrations only ever add: a later change to
an existing table gets its own migration, never an edit of an applied one.
Other modules here (`columns`) are what migrations share, not migrations.
"""
