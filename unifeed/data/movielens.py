"""Readers for the GroupLens MovieLens folders (100K and 1M layouts).

GroupLens wrote these files in latin-1, so every file is decoded as latin-1:
reading them as UTF-8 either fails or silently mangles accented titles.
Ratings become events with action "rating" and the star rating as value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from unifeed.data.errors import DataFormatError, require_file
from unifeed.data.interactions import Interactions

ENCODING = "latin-1"
RATING_ACTION = "rating"

# The 100K genre columns, used when a folder lacks u.genre.
ML100K_GENRES: tuple[str, ...] = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

# The 1M users.dat stores occupations as codes; the names (from its README)
# make them comparable with the 100K folder, which stores names.
ML1M_OCCUPATIONS: tuple[str, ...] = (
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)

_YEAR_IN_TITLE = re.compile(r"\(\d{4}\)\s*$")


# ---------------------------------------------------------------- ML-100K
def _read_ratings(
    path: Path, sep: str, layout: str
) -> tuple[list[str], list[str], list[float], list[int]]:
    """The user, item, rating and time columns of a MovieLens ratings file."""
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    times: list[int] = []
    for lineno, (user, item, rating, ts) in _records(path, sep, 4, layout):
        users.append(user)
        items.append(item)
        ratings.append(float(_integer(path, lineno, rating, "rating")))
        times.append(_integer(path, lineno, ts, "timestamp"))
    if not users:
        raise DataFormatError(f"{path}: no interactions found")
    return users, items, ratings, times


def read_movielens_100k(folder: str | Path, *, name: str | None = None) -> Interactions:
    """Read an ML-100K folder: ``u.data`` (required), ``u.item``, ``u.user``, ``u.genre``.

    Item text is ``"Title (year) | Genre, Genre"``; user attributes are a
    DataFrame with columns age (int), gender, occupation, zip. The optional
    files are skipped when absent, since the ratings alone are a data set.
    """
    folder = Path(folder)
    data = require_file(folder / "u.data")
    users, items, ratings, times = _read_ratings(
        data, "\t", "user<TAB>item<TAB>rating<TAB>timestamp"
    )

    text = None
    if (folder / "u.item").is_file():
        genres = _read_genres(folder / "u.genre")
        text = _read_100k_items(folder / "u.item", genres)
    attrs = _read_100k_users(folder / "u.user") if (folder / "u.user").is_file() else None
    return Interactions.from_events(
        users,
        items,
        times,
        [RATING_ACTION] * len(users),
        ratings,
        item_text=text,
        user_attributes=attrs,
        name=name or "ml-100k",
    )


def _read_genres(path: Path) -> tuple[str, ...]:
    if not path.is_file():
        return ML100K_GENRES
    by_index: dict[int, str] = {}
    for lineno, (genre, index) in _records(path, "|", 2, "genre|index"):
        by_index[_integer(path, lineno, index, "genre index")] = genre
    if sorted(by_index) != list(range(len(by_index))):
        raise DataFormatError(f"{path}: genre indices {sorted(by_index)} are not 0..n-1")
    return tuple(by_index[i] for i in range(len(by_index)))


def _read_100k_items(path: Path, genres: tuple[str, ...]) -> dict[str, str]:
    n_fields = 5 + len(genres)
    expected = f"id|title|release date|video release date|IMDb URL|{len(genres)} genre flags"
    text: dict[str, str] = {}
    for lineno, fields in _records(path, "|", n_fields, expected):
        flags = fields[5:]
        bad = [f for f in flags if f not in ("0", "1")]
        if bad:
            raise DataFormatError(f"{path}:{lineno}: expected genre flags 0 or 1, got {bad[0]!r}")
        names = [g for g, f in zip(genres, flags, strict=True) if f == "1"]
        text[fields[0]] = _item_text(fields[1], names, release_date=fields[2])
    return text


def _read_100k_users(path: Path) -> pd.DataFrame:
    rows = []
    for lineno, (user, age, gender, occupation, zip_code) in _records(
        path, "|", 5, "id|age|gender|occupation|zip"
    ):
        rows.append((user, _integer(path, lineno, age, "age"), gender, occupation, zip_code))
    return _user_frame(rows)


# ---------------------------------------------------------------- ML-1M
def read_movielens_1m(folder: str | Path, *, name: str | None = None) -> Interactions:
    """Read an ML-1M folder: ``ratings.dat`` (required), ``movies.dat``, ``users.dat``.

    Same shape as `read_movielens_100k`. In users.dat the age is the lower
    bound of an age band and the occupation a code, which becomes its name.
    """
    folder = Path(folder)
    ratings_path = require_file(folder / "ratings.dat")
    users, items, ratings, times = _read_ratings(
        ratings_path, "::", "UserID::MovieID::Rating::Timestamp"
    )

    text = None
    movies = folder / "movies.dat"
    if movies.is_file():
        text = {}
        for _, (item, title, genres) in _records(movies, "::", 3, "MovieID::Title::Genres"):
            text[item] = _item_text(title, [g for g in genres.split("|") if g])
    attrs = None
    users_path = folder / "users.dat"
    if users_path.is_file():
        rows = []
        for lineno, (user, gender, age, occupation, zip_code) in _records(
            users_path, "::", 5, "UserID::Gender::Age::Occupation::Zip-code"
        ):
            code = _integer(users_path, lineno, occupation, "occupation")
            if not 0 <= code < len(ML1M_OCCUPATIONS):
                raise DataFormatError(
                    f"{users_path}:{lineno}: expected occupation code 0-"
                    f"{len(ML1M_OCCUPATIONS) - 1}, got {occupation!r}"
                )
            age_ = _integer(users_path, lineno, age, "age")
            rows.append((user, age_, gender, ML1M_OCCUPATIONS[code], zip_code))
        attrs = _user_frame(rows)
    return Interactions.from_events(
        users,
        items,
        times,
        [RATING_ACTION] * len(users),
        ratings,
        item_text=text,
        user_attributes=attrs,
        name=name or "ml-1m",
    )


# ---------------------------------------------------------------- helpers
def _records(path: Path, sep: str, n_fields: int, expected: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-empty line, checking the field count."""
    with path.open(encoding=ENCODING, newline="") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split(sep)
            if len(fields) != n_fields:
                raise DataFormatError(
                    f"{path}:{lineno}: expected {n_fields} fields '{expected}', "
                    f"got {len(fields)}: {line!r}"
                )
            yield lineno, fields


def _integer(path: Path, lineno: int, text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DataFormatError(
            f"{path}:{lineno}: expected an integer {what}, got {text!r}"
        ) from None


def _item_text(title: str, genres: list[str], *, release_date: str = "") -> str:
    title = title.strip()
    # MovieLens titles normally carry the year already; add it only when missing.
    year = release_date.strip()[-4:]
    if title and year.isdigit() and not _YEAR_IN_TITLE.search(title):
        title = f"{title} ({year})"
    return f"{title} | {', '.join(genres)}" if genres else title


def _user_frame(rows: list[tuple[str, int, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "age", "gender", "occupation", "zip"])
    frame["age"] = frame["age"].astype("int64")
    return frame.set_index("user_id")
