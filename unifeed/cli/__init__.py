"""The ``unifeed`` command line: demo, train, eval, bench.

Only this package prints; library code logs or returns.
"""

from unifeed.cli.commands import app, main

__all__ = ["app", "main"]
