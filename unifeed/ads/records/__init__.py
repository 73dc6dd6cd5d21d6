"""Every read and write of the ads' tables, one module per family of tables.

The domain modules of `unifeed.ads` (pacing, budgets, billing rules,
attribution, reports, learning) call these typed methods and hold no SQL, so
a query is found in one place and its cost read in one place.
`unifeed.store` keeps the feed's own tables; it never imports ads. This
`__init__` imports nothing: a record module imports the ads' value types
(`Campaign`, `Objective`), which import the ledger, which imports its records.
"""
