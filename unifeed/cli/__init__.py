"""The ``unifeed`` command line: demo, serve, train, eval.

Only this package prints; library code logs or returns.
"""

from unifeed.cli.commands import app, main

__all__ = ["app", "main"]
