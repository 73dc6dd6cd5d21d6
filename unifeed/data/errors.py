"""The error every reader raises, kept apart so that the table and all readers can share it.

The in-memory table raises it too (recoding to a checkpoint's items), so it
cannot live with the readers, which build on the table.
"""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file is missing or malformed; the message says where."""


def require_file(path: Path) -> Path:
    """`path` as a Path, or a DataFormatError naming it when it is not a file."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file")
    return path
