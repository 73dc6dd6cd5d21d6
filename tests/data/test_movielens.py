"""MovieLens 100K and 1M folders, built small in tmp_path, plus the shared copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from unifeed.data import DataFormatError, Interactions, read_movielens_1m, read_movielens_100k
from unifeed.data.movielens import ML1M_OCCUPATIONS, ML100K_GENRES

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

FLAGS = {"Action": 1, "Comedy": 5, "Drama": 8}


def flags(*genres: str) -> str:
    bits = ["0"] * len(ML100K_GENRES)
    for g in genres:
        bits[FLAGS[g]] = "1"
    return "|".join(bits)


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("latin-1"))
    return path


def make_100k(folder: Path, *, genre_file: bool = True) -> Path:
    folder.mkdir()
    # Not in time order; user 1 has two events at time 50, "20" before "10" in the file.
    write(folder / "u.data", "1\t30\t4\t90\n2\t10\t5\t70\n1\t20\t3\t50\n1\t10\t1\t50\n")
    write(
        folder / "u.item",
        f"10|Amélie (2001)|01-Jan-2001||http://x|{flags('Comedy')}\n"
        f"20|Heat|15-Dec-1995||http://y|{flags('Action', 'Drama')}\n"
        f"30|Untitled|||http://z|{flags()}\n",
    )
    write(folder / "u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n")
    if genre_file:
        write(folder / "u.genre", "".join(f"{g}|{i}\n" for i, g in enumerate(ML100K_GENRES)) + "\n")
    return folder


def make_1m(folder: Path) -> Path:
    folder.mkdir()
    write(folder / "ratings.dat", "7::3::5::300\n7::1::2::100\n9::3::4::100\n7::2::3::100\n")
    write(
        folder / "movies.dat",
        "1::Léon (1994)::Crime|Drama\n2::Heat (1995)::Action\n3::Untitled (2000)::\n",
    )
    write(folder / "users.dat", "7::F::25::12::55117\n9::M::1::0::00000\n")
    return folder


def items_of(data: Interactions, user: str) -> list[str]:
    code = list(data.user_ids).index(user)
    return [data.item_ids[i] for i in data.sequence(code)]


def text_of(data: Interactions, item: str) -> str | None:
    assert data.item_text is not None
    return data.item_text[list(data.item_ids).index(item)]


# ---------------------------------------------------------------- 100K
def test_read_100k(tmp_path: Path) -> None:
    data = read_movielens_100k(make_100k(tmp_path / "ml"))
    assert data.name == "ml-100k"
    assert (data.n_users, data.n_items, len(data)) == (2, 3, 4)
    assert data.action_names == ("rating",)
    # Sorted by time; the tie at time 50 keeps file order ("20" then "10").
    assert items_of(data, "1") == ["20", "10", "30"]
    assert data.timestamp[data.offsets[0] : data.offsets[1]].tolist() == [50, 50, 90]
    assert data.value[data.offsets[0] : data.offsets[1]].tolist() == [3.0, 1.0, 4.0]
    assert data.value.dtype == np.float32


def test_100k_text_is_latin1_title_and_genres(tmp_path: Path) -> None:
    data = read_movielens_100k(make_100k(tmp_path / "ml"))
    assert text_of(data, "10") == "Amélie (2001) | Comedy"
    assert text_of(data, "20") == "Heat (1995) | Action, Drama"  # year from the release date
    assert text_of(data, "30") == "Untitled"


def test_100k_user_attributes(tmp_path: Path) -> None:
    data = read_movielens_100k(make_100k(tmp_path / "ml"))
    attrs = data.user_attributes
    assert attrs is not None
    assert list(attrs.columns) == ["age", "gender", "occupation", "zip"]
    assert attrs["age"].dtype == np.int64
    assert attrs.iloc[list(data.user_ids).index("2")].tolist() == [53, "F", "other", "94043"]


def test_100k_without_genre_file_uses_standard_names(tmp_path: Path) -> None:
    data = read_movielens_100k(make_100k(tmp_path / "ml", genre_file=False))
    assert text_of(data, "20") == "Heat (1995) | Action, Drama"


def test_100k_custom_genre_file(tmp_path: Path) -> None:
    folder = make_100k(tmp_path / "ml")
    write(folder / "u.genre", "Calm|1\nLoud|0\n")
    write(folder / "u.item", "10|A (2000)|||u|1|1\n20|B (2000)|||u|0|1\n")
    data = read_movielens_100k(folder)
    assert text_of(data, "10") == "A (2000) | Loud, Calm"
    assert text_of(data, "20") == "B (2000) | Calm"


def test_100k_only_ratings(tmp_path: Path) -> None:
    folder = tmp_path / "ml"
    folder.mkdir()
    write(folder / "u.data", "1\t2\t3\t4\n")
    data = read_movielens_100k(folder, name="tiny")
    assert data.name == "tiny"
    assert data.item_text is None
    assert data.user_attributes is None


def test_100k_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"absent/u\.data: no such file"):
        read_movielens_100k(tmp_path / "absent")


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("u.data", "1\t2\t3\t4\n1\t2\t3\n", r"u\.data:2: expected 4 fields 'user<TAB>item"),
        ("u.data", "1\t2\t3\t4\n\n1\t2\t4.5\t4\n", r"u\.data:3: expected an integer rating"),
        ("u.data", "1\t2\t3\tnoon\n", r"u\.data:1: expected an integer timestamp, got 'noon'"),
        ("u.item", "10|A|||u|0\n", r"u\.item:1: expected 24 fields 'id\|title"),
        ("u.item", f"10|A|||u|{flags()[:-1]}x\n", r"u\.item:1: expected genre flags 0 or 1"),
        (
            "u.user",
            "1|24|M|technician|85711\n2|old|F|other|1\n",
            r"u\.user:2: expected an integer age",
        ),
        ("u.genre", "Action|one\n", r"u\.genre:1: expected an integer genre index"),
        ("u.genre", "Action|0\nDrama|2\n", r"u\.genre: genre indices \[0, 2\]"),
    ],
)
def test_100k_malformed_lines(tmp_path: Path, file: str, content: str, message: str) -> None:
    folder = make_100k(tmp_path / "ml")
    write(folder / file, content)
    with pytest.raises(DataFormatError, match=message):
        read_movielens_100k(folder)


def test_100k_empty_ratings(tmp_path: Path) -> None:
    folder = make_100k(tmp_path / "ml")
    write(folder / "u.data", "\n")
    with pytest.raises(DataFormatError, match="no interactions found"):
        read_movielens_100k(folder)


# ---------------------------------------------------------------- 1M
def test_read_1m(tmp_path: Path) -> None:
    data = read_movielens_1m(make_1m(tmp_path / "ml"))
    assert data.name == "ml-1m"
    assert (data.n_users, data.n_items, len(data)) == (2, 3, 4)
    assert items_of(data, "7") == ["1", "2", "3"]  # the tie at 100 keeps file order
    assert data.value[:3].tolist() == [2.0, 3.0, 5.0]
    assert text_of(data, "1") == "Léon (1994) | Crime, Drama"
    assert text_of(data, "3") == "Untitled (2000)"
    attrs = data.user_attributes
    assert attrs is not None
    assert attrs.iloc[0].tolist() == [25, "F", "programmer", "55117"]
    assert attrs.iloc[1].tolist() == [1, "M", "other", "00000"]


def test_1m_missing_ratings(tmp_path: Path) -> None:
    folder = make_1m(tmp_path / "ml")
    (folder / "ratings.dat").unlink()
    with pytest.raises(DataFormatError, match=r"ratings\.dat: no such file"):
        read_movielens_1m(folder)


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("ratings.dat", "1::2::3::4\n1::2::3\n", r"ratings\.dat:2: expected 4 fields 'UserID"),
        ("ratings.dat", "1::2::x::4\n", r"ratings\.dat:1: expected an integer rating, got 'x'"),
        ("ratings.dat", "1::2::3::4.5\n", r"ratings\.dat:1: expected an integer timestamp"),
        ("movies.dat", "1::Film\n", r"movies\.dat:1: expected 3 fields 'MovieID::Title::Genres'"),
        ("users.dat", "7::F::25::99::1\n", r"users\.dat:1: expected occupation code 0-20"),
        ("users.dat", "7::F::young::1::1\n", r"users\.dat:1: expected an integer age"),
    ],
)
def test_1m_malformed_lines(tmp_path: Path, file: str, content: str, message: str) -> None:
    folder = make_1m(tmp_path / "ml")
    write(folder / file, content)
    with pytest.raises(DataFormatError, match=message):
        read_movielens_1m(folder)


def test_1m_occupation_names() -> None:
    assert len(ML1M_OCCUPATIONS) == 21
    assert ML1M_OCCUPATIONS[12] == "programmer"
    assert ML1M_OCCUPATIONS[20] == "writer"


# ---------------------------------------------------------------- shared copies
@pytest.mark.skipif(
    not (SHARED_DATA / "ml-100k" / "u.data").is_file(),
    reason=f"MovieLens 100K not present at {SHARED_DATA / 'ml-100k'}",
)
def test_shared_ml_100k() -> None:
    data = read_movielens_100k(SHARED_DATA / "ml-100k")
    assert (len(data), data.n_users, data.n_items) == (100_000, 943, 1_682)
    assert data.item_text is not None
    assert all(t for t in data.item_text)
    assert text_of(data, "1") == "Toy Story (1995) | Animation, Children's, Comedy"
    assert data.user_attributes is not None
    assert data.user_attributes["age"].notna().all()
    assert set(np.unique(data.value)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    for u in range(data.n_users):
        times = data.timestamp[data.offsets[u] : data.offsets[u + 1]]
        assert (np.diff(times) >= 0).all()


@pytest.mark.skipif(
    not (SHARED_DATA / "ml-1m" / "movies.dat").is_file()
    or (SHARED_DATA / "ml-1m" / "ratings.dat").is_file(),
    reason=f"needs {SHARED_DATA / 'ml-1m'} present without ratings.dat",
)
def test_shared_ml_1m_without_ratings_names_the_file() -> None:
    with pytest.raises(DataFormatError, match=r"ml-1m/ratings\.dat: no such file"):
        read_movielens_1m(SHARED_DATA / "ml-1m")
