"""Listening events in the LFM-1b layout: events -> per-user play counts, chunked, with counted repairs."""

import io
import json
import logging
import re

import numpy as np
import pandas as pd
import pytest

from conftest import Stdin
from item2vec.cli import ask_command as ask
from item2vec.cli import train_command as train_item2vec
from item2vec.errors import DataError
from item2vec.ingest.formats import LFM1B_ARTISTS, LFM1B_EVENTS, detect_format, load_dataset, read_lfm1b
from item2vec.model.storage import load_model
from item2vec.research.synthetic import genre_accuracy, genre_of_name, write_lfm1b

SMALL = {"n_users": 300, "n_genres": 4, "artists_per_genre": 30}

#: One line of each fault, appended to a generated file, and what the reader must count.
DIRTY_LINES = [
    "abc\t5\t1\t1\t1200000000",  # user id not an integer
    "7\t\t1\t1\t1200000000",  # empty artist id
    "7\t5.5\t1\t1\t1200000000",  # artist id not an integer
    "4611686018427387904\t5\t1\t1\t1",  # 2**62: out of range under as_int
    "7\t999999\t1\t1\t1200000000",  # artist not in the artist list
    "7\t5\t1\t1\t1200000000\textra",  # 6 fields
    "7\t5\t1\t1",  # 4 fields
    "7\t5\t1\t1\t",  # empty timestamp: read like a missing field
    "7\t5\t1\t1\tyesterday",  # timestamp not an integer
    "7\t5\t1\t1\t-5",  # negative timestamp
    " 7 \t5.0\t1\t1\t1200000000",  # padded, float-typed: a valid (7, 5) event
]
DIRTY_REPAIRS = {
    "play_rows_bad_id": 4,
    "play_rows_unknown_artist": 1,
    "play_rows_malformed": 3,
    "play_rows_bad_timestamp": 2,
}


def naive_counts(folder):
    """Events per (user, artist) of a clean events file, by a plain pandas group-by."""
    events = pd.read_csv(
        folder / LFM1B_EVENTS, sep="\t", header=None, names=["user", "artist_id", "b", "t", "s"]
    )
    return events.groupby(["user", "artist_id"]).size().rename("plays").reset_index().astype("int64")


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("events")
    write_lfm1b(str(folder), 60_000, chunk_events=20_000, seed=3, **SMALL)
    return folder


def test_generated_events_have_the_layout_long_tails_and_planted_genres(events_dir):
    with open(events_dir / LFM1B_EVENTS, encoding="utf-8") as handle:
        first = handle.readline().rstrip("\n").split("\t")
    assert len(first) == 5 and all(field.isdigit() for field in first)
    assert 1108339200 <= int(first[4]) <= 1409443200
    events = pd.read_csv(events_dir / LFM1B_EVENTS, sep="\t", header=None)
    assert abs(len(events) - 60_000) < 600 and events[0].nunique() == 300
    per_user = events.groupby(0).size()
    assert per_user.max() > 5 * per_user.median()  # a few heavy users
    assert (events.groupby(0)[4].apply(lambda s: s.is_monotonic_increasing)).all()
    artists = pd.read_csv(events_dir / LFM1B_ARTISTS, sep="\t", header=None)
    assert len(artists) == 120 and sorted(artists[1].map(genre_of_name).unique()) == [0, 1, 2, 3]


def test_event_counts_equal_a_naive_group_by(events_dir):
    assert detect_format(str(events_dir)) == "lfm1b"
    assert detect_format(str(events_dir / LFM1B_EVENTS)) == "lfm1b"
    data = load_dataset(str(events_dir))
    assert data.format == "lfm1b" and data.repairs == {}
    pd.testing.assert_frame_equal(data.plays, naive_counts(events_dir))
    assert len(data.artists) == 120 and data.artists["name"].iloc[0] == "G0-A1"
    assert set(data.checksums) == {LFM1B_EVENTS, LFM1B_ARTISTS}
    # The events file itself is accepted too.
    pd.testing.assert_frame_equal(load_dataset(str(events_dir / LFM1B_EVENTS), "lfm1b").plays, data.plays)


def test_small_chunks_give_the_same_dataset_as_one_big_chunk(events_dir):
    whole = read_lfm1b(str(events_dir), chunk_rows=10**8)
    for chunk_rows, merge_rows in ((997, 10), (7_000, 5_000)):
        chunked = read_lfm1b(str(events_dir), chunk_rows=chunk_rows, merge_rows=merge_rows)
        pd.testing.assert_frame_equal(chunked.plays, whole.plays)
        pd.testing.assert_frame_equal(chunked.artists, whole.artists)
        assert chunked.repairs == whole.repairs == {}


def test_faulty_events_are_dropped_and_counted(tmp_path, events_dir, caplog):
    expected = naive_counts(events_dir)
    for name in (LFM1B_EVENTS, LFM1B_ARTISTS):
        (tmp_path / name).write_bytes((events_dir / name).read_bytes())
    with open(tmp_path / LFM1B_EVENTS, "a", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(DIRTY_LINES) + "\n")
    with caplog.at_level(logging.WARNING):
        data = read_lfm1b(str(tmp_path), chunk_rows=5_000, max_dropped_share=1)
    assert data.repairs == DIRTY_REPAIRS
    assert "dropped 3 event lines that do not have 5 tab-separated fields" in caplog.text
    at = (expected["user"] == 7) & (expected["artist_id"] == 5)
    if at.any():
        expected.loc[at, "plays"] += 1
    else:
        expected = pd.concat([expected, pd.DataFrame({"user": [7], "artist_id": [5], "plays": [1]})])
        expected = expected.sort_values(["user", "artist_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(data.plays, expected.astype("int64"))


def test_a_damaged_events_file_is_read_when_told_to_go_on(tmp_path):
    # Without --max-dropped-share it stops (tests/test_bad_input_contract.py: "events: too many faulty
    # lines").
    (tmp_path / LFM1B_ARTISTS).write_text("1\tA\n2\tB\n3\t\n5\tE\n", encoding="utf-8")
    good = ["1\t1\t1\t1\t1200000000", "1\t2\t1\t1\t1200000001", "2\t1\t1\t1\t1200000002"] * 30
    (tmp_path / LFM1B_EVENTS).write_text("\n".join(good + DIRTY_LINES) + "\n", encoding="utf-8")
    data = load_dataset(str(tmp_path), max_dropped_share=1)
    assert data.repairs == {**DIRTY_REPAIRS, "artist_names_blank": 1}
    assert data.plays.values.tolist() == [[1, 1, 30], [1, 2, 30], [2, 1, 30], [7, 5, 1]]


def test_train_script_end_to_end_on_events_and_ask_answers(tmp_path, events_dir):
    out = tmp_path / "model"
    argv = ["--data", str(events_dir), "--out", str(out), "--quiet", "--vector-size", "16"]
    code = train_item2vec.main(argv + ["--epochs", "5", "--sample", "0.001", "--seed", "1", "--members", "1"])
    assert code == 0
    with open(out / "metadata.json", encoding="utf-8") as handle:
        assert json.load(handle)["data"]["format"] == "lfm1b"
    model = load_model(str(out))
    share, _ = genre_accuracy(model.vectors.ids, model.vectors.unit, model.catalog.name, topn=5)
    assert share > 0.6  # chance is 0.25 with 4 genres
    answer_out, answer_err = io.StringIO(), io.StringIO()
    code = ask.main(
        ["G1-A3", "--json", "-k", "5", "--model", str(out)], stdin=Stdin(b""), out=answer_out, err=answer_err
    )
    assert code == 0, answer_err.getvalue()
    answer = json.loads(answer_out.getvalue())
    assert answer["artist"] == "G1-A3"
    assert sum(genre_of_name(r["artist"]) == 1 for r in answer["results"]) >= 3


def test_numeric_columns_follow_the_integer_rule_of_every_reader(tmp_path):
    # Chunks that pandas parses as numbers take the readers' fast path; it must read ids by
    # cleaning.as_int's rule (the double of the text: 2**53 + 1 is read as 2**53, as the
    # Spark engine and the other readers read it), refuse 2**62 and fractions.
    (tmp_path / LFM1B_ARTISTS).write_text("1\tA\n2\tB\n", encoding="utf-8")
    lines = [
        "1\t1.0\t1\t1\t1200000000",  # float column: 1.0 is artist 1
        f"{2**53 + 1}\t1\t1\t1\t1200000001",
        f"{2**62}\t1\t1\t1\t1200000002",  # an integer column, 2**62: refused
        f"{2**62 - 1}\t2\t1\t1\t1200000003",  # its double is 2**62: refused too
        "3\t2.5\t1\t1\t1200000004",  # a fraction
        "3\t4611686018427387904.0\t1\t1\t1200000005",  # 2**62 as a float: refused
        "3\t2\t1\t1\t1200000006",
    ]
    (tmp_path / LFM1B_EVENTS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    numeric = read_lfm1b(str(tmp_path), max_dropped_share=1)
    assert numeric.repairs == {"play_rows_bad_id": 4}
    assert numeric.plays.values.tolist() == [[1, 1, 1], [3, 2, 1], [2**53, 1, 1]]
    # The same lines with a text field in each column: the string path gives the same.
    text = "x\tx\t1\t1\t1200000007"
    (tmp_path / LFM1B_EVENTS).write_text("\n".join([*lines, text]) + "\n", encoding="utf-8")
    assert read_lfm1b(str(tmp_path), max_dropped_share=1).plays.equals(numeric.plays)


def test_a_chunk_column_reads_as_the_integer_rule_reads_its_text_whatever_pandas_parsed():
    # _column_ints' fast paths (pandas' int64 or float64 columns) give as_int's (values, ok),
    # int64 values and 0 where refused, as its text path does.
    from item2vec.ingest.cleaning import as_int
    from item2vec.ingest.lfm1b import _column_ints

    columns = [
        pd.Series([7, -3, 2**53 + 1, 2**62 - 1, 2**62, -(2**62), 2**62 + 2**12], dtype=np.int64),
        pd.Series([1.0, -2.0, 2.5, 2.0**62, 2.0**62 - 2**10, float("inf"), float("nan")]),
        pd.Series(["7", " 8 ", "x", "", "1e3", "2.5"], dtype=object),
    ]
    for column in columns:
        values, ok = _column_ints(column)
        expected_values, expected_ok = as_int(column.astype(str))
        assert values.dtype == np.int64 and ok.tolist() == expected_ok.tolist(), column.tolist()
        assert values.tolist() == expected_values.tolist(), column.tolist()


def test_the_artist_list_is_read_as_written_with_long_rows_counted(tmp_path):
    # Names as written, even when every one looks like a number or starts with a quote;
    # a row with a third field is dropped and counted; a bad byte is placed in its file.
    (tmp_path / LFM1B_EVENTS).write_text("1\t1\t1\t1\t1\n1\t2\t1\t1\t1\n2\t3\t1\t1\t1\n", "utf-8")
    (tmp_path / LFM1B_ARTISTS).write_text("1\t007\n2\t1969\n3\t08\n", "utf-8")
    assert read_lfm1b(str(tmp_path)).artists["name"].tolist() == ["007", "1969", "08"]
    (tmp_path / LFM1B_ARTISTS).write_text('1\tA\n2\tB\n3\t"Weird Al" Yankovic\n4\tX\textra\n', "utf-8")
    data = read_lfm1b(str(tmp_path), max_dropped_share=1)
    assert data.artists["name"].tolist() == ["A", "B", '"Weird Al" Yankovic']
    assert data.repairs == {"artist_rows_malformed": 1}
    path = re.escape(str(tmp_path / LFM1B_ARTISTS))
    with pytest.raises(DataError, match=rf"^{path}: 1 of its 4 rows \(25.0%\) cannot be used"):
        read_lfm1b(str(tmp_path))  # more than the 1% allowed by default
    with open(tmp_path / LFM1B_ARTISTS, "wb") as handle:
        handle.write(b"1\tA\n2\t\xff\n")
    with pytest.raises(DataError, match=rf"^{path}: not UTF-8 text \(.* line 2 "):
        read_lfm1b(str(tmp_path), max_dropped_share=1)


def test_numeric_event_columns_with_an_empty_timestamp_a_stray_quote_and_time_zero(tmp_path):
    # An empty field in a column of numbers is a missing field (not a bad timestamp); a stray
    # quote costs its own line only (quotes are not CSV quoting here); timestamp 0 is valid.
    (tmp_path / LFM1B_ARTISTS).write_text("1\tA\n2\tB\n", encoding="utf-8")
    good = ["1\t1\t1\t1\t1200000000", "1\t2\t1\t1\t1200000001"] * 20
    odd = ["2\t1\t1\t1\t", '2\t"1\t1\t1\t1200000002', "3\t1\t1\t1\t0", "3\t2\t1\t1\t1200000003"]
    (tmp_path / LFM1B_EVENTS).write_text("\n".join(good[:20] + odd + good[20:]) + "\n", encoding="utf-8")
    data = read_lfm1b(str(tmp_path), max_dropped_share=1)
    assert data.repairs == {"play_rows_malformed": 1, "play_rows_bad_id": 1}
    assert data.plays.values.tolist() == [[1, 1, 20], [1, 2, 20], [3, 1, 1], [3, 2, 1]]


def test_every_chunk_adds_to_the_repair_counts(tmp_path):
    # The faulty lines spread over several chunks of 4 lines: each kind is counted in full.
    (tmp_path / LFM1B_ARTISTS).write_text("1\tA\n2\tB\n3\t\n5\tE\n", encoding="utf-8")
    good = ["1\t1\t1\t1\t1200000000", "1\t2\t1\t1\t1200000001", "2\t1\t1\t1\t1200000002"] * 30
    (tmp_path / LFM1B_EVENTS).write_text("\n".join(DIRTY_LINES + good) + "\n", encoding="utf-8")
    for chunk_rows in (4, 10**6):
        data = read_lfm1b(str(tmp_path), chunk_rows=chunk_rows, max_dropped_share=1)
        assert data.repairs == {**DIRTY_REPAIRS, "artist_names_blank": 1}, chunk_rows


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("hdfs://h/data", "folder", ("hdfs://h/data/LFM-1b_LEs.txt", "hdfs://h/data/LFM-1b_artists.txt")),
        (
            "hdfs://h/data/LFM-1b_LEs.txt/",
            "folder",
            ("hdfs://h/data/LFM-1b_LEs.txt/", "hdfs://h/data/LFM-1b_artists.txt"),
        ),
        ("/d/LFM-1b_LEs.txt/", "folder", ("/d/LFM-1b_LEs.txt/", "/d/LFM-1b_artists.txt")),
        (
            "hdfs://h/data/events.txt",
            "file",
            ("hdfs://h/data/events.txt", "hdfs://h/data/LFM-1b_artists.txt"),
        ),
        # Only slashes are stripped from the end: names ending in other characters keep them.
        ("hdfs://h/XX", "file", ("hdfs://h/XX", "hdfs://h/LFM-1b_artists.txt")),
        (
            "/d/LFM-1b_LEs.txtX",
            "folder",
            ("/d/LFM-1b_LEs.txtX/LFM-1b_LEs.txt", "/d/LFM-1b_LEs.txtX/LFM-1b_artists.txt"),
        ),
    ],
)
def test_event_paths_as_an_engine_sees_its_file_system(path, kind, expected):
    # The Spark engine's view: a folder of part files named like the events file is the events
    # "file" (its artist file beside it); a data folder holds both files.
    import posixpath

    from item2vec.ingest.lfm1b import event_paths

    assert event_paths(path, kind=lambda p: kind if p == path else None, join=posixpath.join) == expected
