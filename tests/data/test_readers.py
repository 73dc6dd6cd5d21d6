"""Sequence, pair and event-table readers, and the dispatching `read_dataset`."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from unifeed.data import DataFormatError, read_dataset, read_events, read_pairs, read_sequences
from unifeed.data.interactions import DEFAULT_ACTION, ITEM_KINDS, Interactions
from unifeed.data.readers import _looks_like_pairs

Reader = Callable[[Path], Interactions]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def items_of(data: Interactions, user: str) -> list[str]:
    code = list(data.user_ids).index(user)
    return [data.item_ids[i] for i in data.sequence(code)]


# ---------------------------------------------------------------- sequences / pairs
def test_read_sequences(tmp_path: Path) -> None:
    path = write(tmp_path / "seq.txt", "1 10 11 12\n\n2 11 13\n")
    data = read_sequences(path)
    assert data.name == "seq"
    assert items_of(data, "1") == ["10", "11", "12"]
    assert items_of(data, "2") == ["11", "13"]
    assert data.offsets.tolist() == [0, 3, 5]


def test_read_sequences_malformed_line(tmp_path: Path) -> None:
    path = write(tmp_path / "seq.txt", "1 10 11\n2\n")
    with pytest.raises(DataFormatError, match=r"seq\.txt:2: expected 'user item"):
        read_sequences(path)


def test_read_pairs(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.txt", "1 10\n1 11\n2 10\n")
    data = read_pairs(path, name="p")
    assert data.name == "p"
    assert items_of(data, "1") == ["10", "11"]
    assert items_of(data, "2") == ["10"]


def test_read_pairs_malformed_line(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.txt", "1 10\n\n1 11 12\n")
    with pytest.raises(DataFormatError, match=r"pairs\.txt:3: expected 'user item'"):
        read_pairs(path)


@pytest.mark.parametrize("reader", [read_sequences, read_pairs, read_events, read_dataset])
def test_missing_file(tmp_path: Path, reader: Reader) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(DataFormatError, match=f"{path}: no such file"):
        reader(path)


@pytest.mark.parametrize("reader", [read_sequences, read_pairs])
def test_empty_text_file(tmp_path: Path, reader: Reader) -> None:
    with pytest.raises(DataFormatError, match="no interactions found"):
        reader(write(tmp_path / "empty.txt", "\n\n"))


# ---------------------------------------------------------------- events: CSV
def test_read_events_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "log.csv",
        "user_id,item_id,action,timestamp,value\n"
        "u1,007,click,200,\n"
        "u2,a,like,50,1.5\n"
        "u1,a,,100,2\n",
    )
    data = read_events(path)
    assert data.name == "log"
    assert items_of(data, "u1") == ["a", "007"]  # "007" stays text, sorted by time
    assert data.timestamp.tolist() == [100, 200, 50]
    assert [data.action_names[a] for a in data.action] == [DEFAULT_ACTION, "click", "like"]
    assert data.value[0] == 2.0
    assert np.isnan(data.value[1])
    assert data.value[2] == 1.5


def test_read_events_only_user_and_item(tmp_path: Path) -> None:
    data = read_events(write(tmp_path / "log.csv", "user_id,item_id\nu,b\nu,a\n"))
    assert items_of(data, "u") == ["b", "a"]  # file order is the time
    assert data.action_names == (DEFAULT_ACTION,)
    assert np.isnan(data.value).all()


def test_read_events_custom_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "who,what,when,title\nu,a,2,Alpha\nu,b,1,Beta\n")
    data = read_events(path, user="who", item="what", timestamp="when", item_text="title")
    assert items_of(data, "u") == ["b", "a"]
    assert data.item_text == ["Alpha", "Beta"]


def test_read_events_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user,product\nu,a\n")
    with pytest.raises(DataFormatError) as err:
        read_events(path)
    message = str(err.value)
    assert "missing column(s) 'user_id', 'item_id'" in message
    assert "available columns: 'user', 'product'" in message


def test_read_events_chosen_optional_column_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id\nu,a\n")
    with pytest.raises(DataFormatError, match=r"missing column.*'ts'"):
        read_events(path, timestamp="ts")
    with pytest.raises(DataFormatError, match=r"missing column.*'title'"):
        read_events(path, item_text="title")


def test_read_events_ignores_a_column_named_none(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id,timestamp\nu,a,9\nu,b,1\n")
    assert items_of(read_events(path, timestamp=None), "u") == ["a", "b"]


def test_read_events_iso_timestamps(tmp_path: Path) -> None:
    path = write(
        tmp_path / "log.csv",
        "user_id,item_id,timestamp\n"
        "u,a,1970-01-01T00:01:40\n"
        "u,b,1970-01-01 00:00:50+00:00\n"
        "u,c,1970-01-01T01:00:30+01:00\n",
    )
    data = read_events(path)
    assert items_of(data, "u") == ["c", "b", "a"]
    assert data.timestamp.tolist() == [30, 50, 100]


def test_read_events_equal_times_keep_file_order(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id,timestamp\nu,x,5\nu,y,5\nu,z,1\nu,w,5\n")
    assert items_of(read_events(path), "u") == ["z", "x", "y", "w"]


def test_read_events_bad_timestamp_names_line(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id,timestamp\nu,a,5\nu,b,yesterday\n")
    with pytest.raises(DataFormatError, match=r"log\.csv:3: expected unix seconds .*'yesterday'"):
        read_events(path)


def test_read_events_bad_value_names_line(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id,value\nu,a,1\nu,b,2\nu,c,lots\n")
    with pytest.raises(DataFormatError, match=r"log\.csv:4: expected a number .*'lots'"):
        read_events(path)


def test_read_events_empty_ids_name_the_line(tmp_path: Path) -> None:
    # A blank line and a quoted two-line field sit before the bad row, so the
    # line number must come from the file, not the row index.
    path = write(
        tmp_path / "log.csv",
        'user_id,item_id,title\nu,a,"two\nlines"\n\nu,b,ok\n ,c,no user\n',
    )
    with pytest.raises(DataFormatError, match=r"log\.csv:6: empty 'user_id'"):
        read_events(path, item_text="title")
    path = write(tmp_path / "log.csv", "user_id,item_id\nu,a\nu,\n")
    with pytest.raises(DataFormatError, match=r"log\.csv:3: empty 'item_id'"):
        read_events(path)


def test_read_events_item_text_first_non_empty(tmp_path: Path) -> None:
    path = write(
        tmp_path / "log.csv",
        "user_id,item_id,title\nu,a,\nu,a,First\nu,a,Second\nu,b,\n",
    )
    assert read_events(path, item_text="title").item_text == ["First", None]


def test_read_events_item_kind(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id,kind\nu,a,video\nu,b,\nu,c,ad\n")
    data = read_events(path, item_kind="kind")
    assert data.item_kind is not None
    assert [ITEM_KINDS[k] for k in data.item_kind] == ["video", "item", "ad"]
    write(path, "user_id,item_id,kind\nu,a,video\nu,b,reel\n")
    with pytest.raises(DataFormatError, match=r"log\.csv:3: expected an item kind .*'reel'"):
        read_events(path, item_kind="kind")


def test_read_events_csv_gz(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("user_id,item_id,timestamp\nu,a,2\nu,b,1\nu,\n")
    with pytest.raises(DataFormatError, match=r"log\.csv\.gz:4: empty 'item_id'"):
        read_events(path)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("user_id,item_id,timestamp\nu,a,2\nu,b,1\n")
    data = read_events(path)
    assert data.name == "log"
    assert items_of(data, "u") == ["b", "a"]


def test_read_events_unreadable_csv(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="empty file"):
        read_events(write(tmp_path / "log.csv", ""))
    with pytest.raises(DataFormatError, match="cannot read as csv"):
        read_events(write(tmp_path / "log.csv", "user_id,item_id\nu,a\nu,b,c,d\n"))
    with pytest.raises(DataFormatError, match="no interactions found"):
        read_events(write(tmp_path / "log.csv", "user_id,item_id\n"))


def test_read_events_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"expected a \.csv, \.csv\.gz or \.parquet"):
        read_events(write(tmp_path / "log.json", "{}"))


# ---------------------------------------------------------------- events: Parquet
def test_parquet_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 2, 1, 1],
            "item_id": ["a", "b", "c", "d"],
            "action": ["view", "view", "buy", "view"],
            "timestamp": [30, 10, 10, 10],
            "value": [1.0, np.nan, 3.0, 4.0],
            "title": ["A", "B", "C", ""],
        }
    )
    parquet = tmp_path / "log.parquet"
    frame.to_parquet(parquet)
    csv_path = tmp_path / "log.csv"
    frame.to_csv(csv_path, index=False)

    for data in (read_events(parquet, item_text="title"), read_events(csv_path, item_text="title")):
        assert list(data.user_ids) == ["1", "2"]
        assert items_of(data, "1") == ["c", "d", "a"]
        assert data.timestamp.tolist() == [10, 10, 30, 10]
        assert [data.action_names[a] for a in data.action] == ["buy", "view", "view", "view"]
        np.testing.assert_array_equal(data.value, np.array([3, 4, 1, np.nan], np.float32))
        assert data.item_text == ["A", "B", "C", None]


def test_parquet_datetime_column(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "user_id": ["u", "u"],
            "item_id": ["a", "b"],
            "timestamp": pd.to_datetime(["2001-09-09T01:46:40Z", "1970-01-01T00:00:05Z"]),
        }
    )
    path = tmp_path / "log.parquet"
    frame.to_parquet(path)
    data = read_events(path)
    assert items_of(data, "u") == ["b", "a"]
    assert data.timestamp.tolist() == [5, 1_000_000_000]


def test_parquet_missing_id_names_row(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pd.DataFrame({"user_id": ["u", None], "item_id": [1, 2]}).to_parquet(path)
    with pytest.raises(DataFormatError, match=r"log\.parquet: row 2: empty 'user_id'"):
        read_events(path)


def test_parquet_nullable_integer_ids_stay_integers(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pd.DataFrame({"user_id": [7.0, 8.0], "item_id": [1.0, 2.0]}).to_parquet(path)
    data = read_events(path)
    assert list(data.user_ids) == ["7", "8"]
    assert list(data.item_ids) == ["1", "2"]


def test_parquet_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pd.DataFrame({"uid": ["u"], "item_id": ["a"]}).to_parquet(path)
    with pytest.raises(DataFormatError, match=r"missing column.*'user_id'.*available.*'uid'"):
        read_events(path)


def test_unreadable_parquet(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="cannot read as parquet"):
        read_events(write(tmp_path / "log.parquet", "not parquet"))


# ---------------------------------------------------------------- read_dataset
def test_sniff_pairs_and_sequences(tmp_path: Path) -> None:
    assert _looks_like_pairs(write(tmp_path / "a.txt", "1 10\n1 11\n2 12\n"))
    # Two tokens on every line but no user continues: a sequence file of length-1 users.
    assert not _looks_like_pairs(write(tmp_path / "b.txt", "1 10\n2 11\n3 12\n"))
    assert not _looks_like_pairs(write(tmp_path / "c.txt", "1 10\n1 11\n2 12 13\n"))
    assert not _looks_like_pairs(write(tmp_path / "d.txt", ""))


def test_read_dataset_text_files(tmp_path: Path) -> None:
    pairs = read_dataset(write(tmp_path / "pairs.txt", "\n1 10\n1 11\n2 12\n"))
    assert items_of(pairs, "1") == ["10", "11"]
    seqs = read_dataset(write(tmp_path / "seqs.txt", "1 10 11 12\n2 12\n"))
    assert items_of(seqs, "1") == ["10", "11", "12"]
    # Read as pairs, "1 1" then "1 2" would be user 1's items; as sequences each
    # line is a user with one item, and the sniffer must not tell them apart wrongly.
    assert read_dataset(write(tmp_path / "ones.txt", "5 1\n6 2\n")).n_users == 2


def test_read_dataset_event_tables(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "user_id,item_id\nu,a\n")
    assert read_dataset(path, name="mine").name == "mine"
    parquet = tmp_path / "log.parquet"
    pd.DataFrame({"user_id": ["u"], "item_id": ["a"]}).to_parquet(parquet)
    assert len(read_dataset(parquet)) == 1


def test_read_dataset_movielens_folders(tmp_path: Path) -> None:
    ml100k = tmp_path / "ml100k"
    ml100k.mkdir()
    write(ml100k / "u.data", "1\t2\t3\t4\n")
    assert read_dataset(ml100k).name == "ml-100k"
    ml1m = tmp_path / "ml1m"
    ml1m.mkdir()
    write(ml1m / "ratings.dat", "1::2::3::4\n")
    assert read_dataset(ml1m).name == "ml-1m"
    only_movies = tmp_path / "movies_only"
    only_movies.mkdir()
    write(only_movies / "movies.dat", "1::Film (2000)::Drama\n")
    with pytest.raises(DataFormatError, match=r"ratings\.dat: no such file"):
        read_dataset(only_movies)


def test_read_dataset_unknown(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"unknown folder layout.*u.data"):
        read_dataset(tmp_path)
    with pytest.raises(DataFormatError, match=r"unknown data format '\.json'.*MovieLens"):
        read_dataset(write(tmp_path / "x.json", "{}"))
    with pytest.raises(DataFormatError, match=r"no such file"):
        read_dataset(tmp_path / "nowhere")
