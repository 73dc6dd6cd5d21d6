"""Readers for interaction files. Each returns an `Interactions` table.

Errors name the file and, for a malformed line, its 1-based line number.
"""

from __future__ import annotations

import csv
import gzip
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from unifeed.data.errors import DataFormatError, require_file
from unifeed.data.interactions import DEFAULT_ACTION, ITEM_KINDS, Interactions
from unifeed.data.movielens import read_movielens_1m, read_movielens_100k


def _token_lines(path: Path) -> Iterator[tuple[int, list[str], str]]:
    """(line number, whitespace-separated tokens, raw line) of each non-empty line."""
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if parts:
                yield lineno, parts, line


def read_sequences(path: str | Path, *, name: str | None = None) -> Interactions:
    """One user per line, ``user item item ...`` in chronological order."""
    path = require_file(Path(path))
    users: list[str] = []
    items: list[str] = []
    for lineno, parts, line in _token_lines(path):
        if len(parts) < 2:
            raise DataFormatError(
                f"{path}:{lineno}: expected 'user item [item ...]', got {line.strip()!r}"
            )
        users.extend([parts[0]] * (len(parts) - 1))
        items.extend(parts[1:])
    if not users:
        raise DataFormatError(f"{path}: no interactions found")
    return Interactions.from_events(users, items, name=name or path.stem)


def read_pairs(path: str | Path, *, name: str | None = None) -> Interactions:
    """One ``user item`` pair per line, grouped by user, in chronological order."""
    path = require_file(Path(path))
    users: list[str] = []
    items: list[str] = []
    for lineno, parts, line in _token_lines(path):
        if len(parts) != 2:
            raise DataFormatError(f"{path}:{lineno}: expected 'user item', got {line.strip()!r}")
        users.append(parts[0])
        items.append(parts[1])
    if not users:
        raise DataFormatError(f"{path}: no interactions found")
    return Interactions.from_events(users, items, name=name or path.stem)


# ---------------------------------------------------------------- event tables
def read_events(
    path: str | Path,
    *,
    user: str = "user_id",
    item: str = "item_id",
    action: str | None = "action",
    timestamp: str | None = "timestamp",
    value: str | None = "value",
    item_text: str | None = None,
    item_kind: str | None = None,
    name: str | None = None,
) -> Interactions:
    """Read a table of events (``.csv``, ``.csv.gz`` or ``.parquet``) with named columns.

    Only the user and item columns are required. The action, timestamp and
    value columns are used when present under their default names; a name the
    caller chose must exist, and None ignores the column. Timestamps may be
    unix seconds or ISO 8601 strings (naive ones are taken as UTC); without
    them the row order is the time. `item_text` / `item_kind` name optional
    per-item columns, of which each item's first non-empty value is kept.
    """
    path = require_file(Path(path))
    frame, fmt = _read_frame(path)

    required = [user, item]
    for column, default in ((action, "action"), (timestamp, "timestamp"), (value, "value")):
        if column is not None and column != default:
            required.append(column)
    required += [c for c in (item_text, item_kind) if c is not None]
    missing = [c for c in dict.fromkeys(required) if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))}; "
            f"available columns: {', '.join(map(repr, frame.columns))}"
        )
    if frame.empty:
        raise DataFormatError(f"{path}: no interactions found")

    def where(row: int) -> str:
        if fmt == "csv":
            return f"{path}:{_csv_line_of_row(path, row)}"
        return f"{path}: row {row + 1}"

    # Optional columns absent under their default names are simply not used.
    timestamp, value, action = (
        c if c in frame.columns else None for c in (timestamp, value, action)
    )
    users = _ids(frame[user], user, where)
    items = _ids(frame[item], item, where)
    times = None if timestamp is None else _unix_seconds(frame[timestamp], timestamp, where)
    values = None if value is None else _numbers(frame[value], value, where)
    actions = None
    if action is not None:
        actions = _texts(frame[action]).replace("", DEFAULT_ACTION).to_numpy()

    text = None
    if item_text is not None:
        text = _first_per_item(items, _texts(frame[item_text]))
    kinds = None
    if item_kind is not None:
        kind_values = _texts(frame[item_kind])
        unknown = ~kind_values.isin(("", *ITEM_KINDS))
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataFormatError(
                f"{where(row)}: expected an item kind in column {item_kind!r} "
                f"(one of {', '.join(ITEM_KINDS)}), got {kind_values.iloc[row]!r}"
            )
        kinds = _first_per_item(items, kind_values)

    return Interactions.from_events(
        users,
        items,
        times,
        actions,
        values,
        item_text=text,
        item_kind=kinds,
        name=name or _stem(path),
    )


def _event_format(path: Path) -> str | None:
    lower = path.name.lower()
    if lower.endswith((".csv", ".csv.gz")):
        return "csv"
    if lower.endswith(".parquet"):
        return "parquet"
    return None


def _stem(path: Path) -> str:
    lower = path.name.lower()
    for suffix in (".csv.gz", ".csv", ".parquet", ".txt"):
        if lower.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


def _read_frame(path: Path) -> tuple[pd.DataFrame, str]:
    fmt = _event_format(path)
    if fmt is None:
        raise DataFormatError(f"{path}: expected a .csv, .csv.gz or .parquet file")
    try:
        if fmt == "csv":
            # Everything as text, nothing as NaN: ids such as "007" or "NA"
            # must survive, and empty cells must stay visible as errors.
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            frame.columns = [str(c).strip() for c in frame.columns]
        else:
            frame = pd.read_parquet(path)
            frame.columns = [str(c) for c in frame.columns]
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"{path}: empty file, expected a header line") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pa.ArrowException) as e:
        raise DataFormatError(f"{path}: cannot read as {fmt}: {e}") from None
    return frame.reset_index(drop=True), fmt


def _csv_line_of_row(path: Path, row: int) -> int:
    """The 1-based file line where data row `row` starts.

    Found by re-reading the file (only on the error path) because pandas
    skips blank lines and quoted fields may span lines, so the row index
    alone does not give the line.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        seen = -1
        while True:
            start = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                return start
            if record:
                seen += 1
                if seen == row:
                    return start


def _missing(column: pd.Series) -> pd.Series:
    return column.isna() | (column.astype(str).str.strip() == "")


def _texts(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), "").astype(str).str.strip()


def _ids(column: pd.Series, label: str, where: Callable[[int], str]) -> np.ndarray:
    empty = _missing(column)
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataFormatError(f"{where(row)}: empty {label!r}, expected an id")
    # Parquet integer ids come back as floats when the column is nullable;
    # "7.0" must still name the same id as "7".
    if pd.api.types.is_float_dtype(column) and (column % 1 == 0).all():
        column = column.astype("int64")
    return _texts(column).to_numpy()


def _numbers(column: pd.Series, label: str, where: Callable[[int], str]) -> np.ndarray:
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & ~_missing(column)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            f"{where(row)}: expected a number in column {label!r}, got {column.iloc[row]!r}"
        )
    return numbers.to_numpy(dtype=np.float64)


def _unix_seconds(column: pd.Series, label: str, where: Callable[[int], str]) -> np.ndarray:
    empty = _missing(column)
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataFormatError(f"{where(row)}: empty {label!r}, expected a time")
    if pd.api.types.is_bool_dtype(column):
        raise DataFormatError(f"{where(0)}: expected a time in column {label!r}, got booleans")
    if not pd.api.types.is_datetime64_any_dtype(column):
        numbers = pd.to_numeric(column, errors="coerce")
        is_number = numbers.notna().to_numpy()
        # Fractional seconds are floored rather than rejected: logs often carry them.
        seconds = np.floor(numbers.to_numpy(dtype=np.float64, na_value=0.0)).astype(np.int64)
        if is_number.all():
            return seconds
        # A value that is not a number is read as an ISO time; only one that is
        # neither names its line.
        texts = _texts(column)
        times = pd.to_datetime(texts[~is_number], utc=True, format="ISO8601", errors="coerce")
        bad = np.zeros(len(column), dtype=bool)
        bad[~is_number] = times.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                f"{where(row)}: expected unix seconds or an ISO 8601 time in column "
                f"{label!r}, got {texts.iloc[row]!r}"
            )
        seconds[~is_number] = _datetime_seconds(times)
        return seconds
    return _datetime_seconds(column)


def _datetime_seconds(column: pd.Series) -> np.ndarray:
    if column.dt.tz is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((column - pd.Timestamp(0)) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def _first_per_item(items: np.ndarray, values: pd.Series) -> dict[str, str]:
    keep = (values != "").to_numpy()
    pairs = pd.DataFrame({"item": items[keep], "value": values.to_numpy()[keep]})
    pairs = pairs.drop_duplicates("item", keep="first")
    return dict(zip(pairs["item"], pairs["value"], strict=True))


# ---------------------------------------------------------------- dispatch
_SNIFF_LINES = 200


def read_dataset(path: str | Path, *, name: str | None = None) -> Interactions:
    """Read any supported data set, choosing the reader from what `path` is.

    A folder with ``u.data`` is MovieLens 100K, one with ``movies.dat`` or
    ``ratings.dat`` MovieLens 1M; ``.csv``/``.csv.gz``/``.parquet`` are event
    tables; a ``.txt`` file whose first lines all hold two tokens, with a user
    repeated on consecutive lines, is a pair file, any other ``.txt`` a
    sequence file.
    """
    path = Path(path)
    if path.is_dir():
        if (path / "u.data").is_file():
            return read_movielens_100k(path, name=name)
        if (path / "movies.dat").is_file() or (path / "ratings.dat").is_file():
            return read_movielens_1m(path, name=name)
        raise DataFormatError(
            f"{path}: unknown folder layout; expected a MovieLens folder holding "
            "u.data (100K) or ratings.dat and movies.dat (1M)"
        )
    require_file(path)
    if _event_format(path) is not None:
        return read_events(path, name=name)
    if path.suffix.lower() == ".txt":
        if _looks_like_pairs(path):
            return read_pairs(path, name=name)
        return read_sequences(path, name=name)
    raise DataFormatError(
        f"{path}: unknown data format {path.suffix or '(no suffix)'!r}; expected a MovieLens "
        "folder, an event table (.csv, .csv.gz, .parquet) or a .txt file of "
        "'user item item ...' sequences or 'user item' pairs"
    )


def _looks_like_pairs(path: Path) -> bool:
    rows: list[list[str]] = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if parts:
                rows.append(parts)
            if len(rows) >= _SNIFF_LINES:
                break
    if not rows or any(len(r) != 2 for r in rows):
        return False
    # A sequence file whose users each have one item also has two tokens per
    # line; only a user continuing on the next line marks a pair file.
    return any(a[0] == b[0] for a, b in itertools.pairwise(rows))
