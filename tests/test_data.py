"""Reading and cleaning: hand-made frames and files with known faults."""

import logging

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item2vec.errors import DataError
from item2vec.ingest.cleaning import header_names, utf8_problem
from item2vec.ingest.formats import (
    check_dropped,
    clean,
    load_dataset,
    read_table,
)


def _clean(plays_rows, artist_rows):
    plays = pd.DataFrame(plays_rows, columns=["user", "artist_id", "plays"]).astype(str)
    artists = pd.DataFrame(artist_rows, columns=["artist_id", "name"]).astype(str)
    return clean(plays, artists, "plays.csv", "artists.csv", "test", checksums={}, max_dropped_share=1)


def test_duplicate_pairs_are_summed_and_counted(caplog):
    with caplog.at_level(logging.WARNING):
        data = _clean([(1, 10, 5), (1, 10, 7), (1, 11, 1), (2, 10, 3)], [(10, "Mum"), (11, "Jay-Z")])
    pairs = {(u, a): p for u, a, p in data.plays.itertuples(index=False)}
    assert pairs == {(1, 10): 12, (1, 11): 1, (2, 10): 3}
    assert data.repairs == {"play_rows_duplicate_summed": 1}
    assert "summed 1 duplicate" in caplog.text


def test_bad_rows_are_dropped_and_reported(caplog):
    with caplog.at_level(logging.WARNING):
        data = _clean(
            [
                (1, 10, 5),
                (1, 99, 5),
                (1, 11, "abc"),
                (2, 10, -3),
                (2, 11, 0),
                (2, 10, 2.5),
                ("x", 10, 4),
                (3, 11, 8),
            ],
            [(10, "A"), (11, "B")],
        )
    assert sorted(map(tuple, data.plays.to_numpy().tolist())) == [(1, 10, 5), (3, 11, 8)]
    assert data.repairs == {"play_rows_unknown_artist": 1, "play_rows_bad_count": 4, "play_rows_bad_id": 1}
    assert "not in the artist list" in caplog.text
    assert "not a positive integer" in caplog.text


def test_artists_are_identified_by_id_not_name():
    data = _clean([(1, 12094, 5), (2, 12096, 5), (3, 12094, 1)], [(12094, "Red"), (12096, "Red")])
    assert data.artists["name"].tolist() == ["Red", "Red"]
    assert data.listeners().to_dict() == {12094: 2, 12096: 1}


@pytest.mark.realdata
def test_real_files_load_with_the_documented_faults():
    from conftest import shared_data_or_skip

    data = load_dataset(shared_data_or_skip())
    assert data.n_users == 1892
    assert len(data.artists) == 17493
    assert data.repairs == {"play_rows_duplicate_summed": 69}
    assert len(data.plays) == 92792 - 69


# -- every repair pinned: key, count, logged line, result (mutation testing found them loose) --


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_artist_repairs_are_counted_under_their_keys_and_logged_exactly(caplog):
    artists = [
        (10, "First"),
        (10, "Second"),  # a repeated id: the first row's name survives
        ("x", "Bad"),
        (11, "   "),  # blank after stripping: named after its id
        (12, "  Padded  "),
        (9, "Nine"),
    ]
    with caplog.at_level(logging.WARNING):
        data = _clean([(1, 10, 1), (1, 11, 2), (2, 12, 3), (2, 9, 4)], artists)
    assert data.artists.values.tolist() == [[9, "Nine"], [10, "First"], [11, "(unnamed #11)"], [12, "Padded"]]
    assert data.artists.index.tolist() == [0, 1, 2, 3]
    assert data.repairs == {"artist_rows_bad_id": 1, "artist_rows_duplicate_id": 1, "artist_names_blank": 1}
    assert _warnings(caplog) == [
        "dropped 1 artist rows whose id is not an integer between -2**62 and 2**62",
        "dropped 1 artist rows repeating an earlier id",
        "named 1 artists with a blank name after their id",
    ]


def test_play_repairs_are_counted_under_their_keys_and_logged_exactly(caplog):
    plays = [
        (1, 10, 5),
        (1, 10, 7),  # summed into the first: 12
        (1, 10, 1),  # and this one: 2 rows summed away
        ("u", 10, 1),
        (2, 99, 1),  # artist not in the list
        (3, 10, 0),
        (3, 10, str(10**30)),  # a positive integer, but not below 2**62
        (4, 10, 2**62 - 512),  # the largest float64 below 2**62: kept
    ]
    with caplog.at_level(logging.WARNING):
        data = _clean(plays, [(10, "A")])
    assert data.plays.values.tolist() == [[1, 10, 13], [4, 10, 2**62 - 512]]
    assert data.repairs == {
        "play_rows_bad_id": 1,
        "play_rows_bad_count": 2,
        "play_rows_unknown_artist": 1,
        "play_rows_duplicate_summed": 2,
    }
    assert _warnings(caplog) == [
        "dropped 1 play rows whose user or artist id is not an integer between -2**62 and 2**62",
        "dropped 2 play rows whose play count is not a positive integer below 2**62",
        "dropped 1 play rows whose artist id is not in the artist list",
        "summed 2 duplicate (user, artist) rows into their first occurrence",
    ]


def test_user_ids_that_are_not_numbers_are_numbered_in_order_of_appearance():
    # Last.fm-360K's users are SHA-1s: more than half not integers, so all are numbered;
    # a blank user is dropped as a bad id.
    plays = [("b" * 40, 10, 1), ("a" * 40, 10, 1), ("b" * 40, 11, 1), ("", 11, 1), ("7", 11, 1)]
    data = _clean(plays, [(10, "A"), (11, "B")])
    assert data.plays.values.tolist() == [[0, 10, 1], [0, 11, 1], [1, 10, 1], [3, 11, 1]]
    assert data.repairs == {"play_rows_bad_id": 1}


def test_integer_user_ids_are_kept_when_exactly_half_or_fewer_are_not_numbers():
    # One of two users numeric: 0.5 is not "more than half", so the ids are numbered instead.
    data = _clean([(5, 10, 1), ("u", 10, 1)], [(10, "A")])
    assert sorted(data.plays["user"].tolist()) == [0, 1]
    data = _clean([(5, 10, 1), (6, 10, 1), ("u", 10, 1)], [(10, "A")])
    assert sorted(data.plays["user"].tolist()) == [5, 6]


def _limit_error(plays, artists):
    plays = pd.DataFrame(plays, columns=["user", "artist_id", "plays"]).astype(str)
    artists = pd.DataFrame(artists, columns=["artist_id", "name"]).astype(str)
    return plays, artists


def test_summed_duplicates_do_not_count_as_dropped_and_long_rows_do():
    # 100 play rows: 1 summed duplicate is not a loss; 1 long row (read but skipped) is.
    rows = [(u, 10, 1) for u in range(99)] + [(0, 10, 1)]
    plays, artists = _limit_error(rows, [(10, "A")])
    clean(plays, artists, "p.csv", "a.csv", "test", checksums={}, max_dropped_share=0.001)
    plays.attrs["rows_too_long"] = 1
    with pytest.raises(DataError) as caught:
        clean(plays, artists, "p.csv", "a.csv", "test", checksums={}, max_dropped_share=0.001)
    assert str(caught.value).startswith("p.csv: 1 of its 101 rows (1.0%) cannot be used, more than the 0% ")


def test_long_artist_rows_count_towards_the_artist_files_limit():
    plays, artists = _limit_error([(1, 10, 1)], [(10, "A")] * 1 + [(i, "x") for i in range(11, 110)])
    artists.attrs["rows_too_long"] = 2
    with pytest.raises(
        DataError, match=r"^a.csv: 2 of its 102 rows \(2.0%\) cannot be used, more than the 1% "
    ):
        clean(plays, artists, "p.csv", "a.csv", "test", checksums={}, max_dropped_share=0.01)


def test_exactly_the_allowed_share_is_accepted_and_the_message_says_what_to_do():
    check_dropped("p.csv", 1, 100, 0.01)
    check_dropped("p.csv", 5, 0, 0.01)  # no rows: nothing to compare (the empty-file errors say it)
    with pytest.raises(DataError) as caught:
        check_dropped("p.csv", 2, 100, 0.01, unknown=2, artists_path="a.csv")
    assert str(caught.value) == (
        "p.csv: 2 of its 100 rows (2.0%) cannot be used (2 of them name an artist id missing from a.csv), "
        "more than the 1% a sound file loses; the file looks damaged or truncated (see the warnings above). "
        "Fix it, or pass --max-dropped-share 1 to train on the rest anyway"
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "user_id;artist_id;scrobbles",
            "missing columns user_id, artist_id, scrobbles; found "
            "'user_id;artist_id;scrobbles' (only one column: is the delimiter ','?)",
        ),
        (
            "1,2,3",
            "missing columns user_id, artist_id, scrobbles; found '1', '2', '3' "
            "(the first line holds numbers: is the header line missing?)",
        ),
        (  # as written: pandas would read the columns as numbers (42, 3.5) if not told they are text
            "0042,7,3.50",
            "missing columns user_id, artist_id, scrobbles; found '0042', '7', '3.50' "
            "(the first line holds numbers: is the header line missing?)",
        ),
        (
            "user_id,artist,scrobbles,a,b,c,d",
            "missing column artist_id; found 'user_id', 'artist', 'scrobbles', 'a', 'b', 'c'",
        ),
        ("\ufeffuser_id , artist_id,scrobbles", None),
    ],
)
def test_header_problems_are_named_exactly(tmp_path, header, message):
    path = tmp_path / "plays.csv"
    path.write_text(header + "\n1,2,3\n", encoding="utf-8")
    if message is None:  # a byte-order mark and blanks around names are not problems
        assert read_table(str(path), ["user_id", "artist_id", "scrobbles"], ",").columns.tolist()[:3] == [
            "user_id",
            "artist_id",
            "scrobbles",
        ]
        return
    with pytest.raises(DataError) as caught:
        read_table(str(path), ["user_id", "artist_id", "scrobbles"], ",")
    assert str(caught.value) == f"{path}: {message}"


@given(
    prefix=st.lists(st.sampled_from([b"a", b"\n", "é".encode(), "€".encode()]), max_size=40).map(b"".join),
    bad=st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xc3(", b"\xed\xa0\x80"]),
    suffix=st.sampled_from([b"", b"x\n", b"\nx", "é".encode()]),
    chunk=st.integers(1, 9),
)
@settings(max_examples=150, deadline=None)
def test_utf8_problem_names_the_real_line_and_byte_whatever_the_chunk(
    tmp_path_factory, prefix, bad, suffix, chunk
):
    data = prefix + bad + suffix
    path = tmp_path_factory.mktemp("utf8") / "f.csv"
    path.write_bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        expected = f"{exc.reason} at line {line} (byte {exc.start})"
    assert utf8_problem(str(path), chunk=chunk) == expected


def test_utf8_problem_is_none_for_valid_text(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("héllo\nwörld\n".encode() * 3)
    assert utf8_problem(str(path), chunk=2) is None


def test_names_that_pandas_would_read_as_missing_or_quoted_stay_as_written(tmp_path):
    # keep_default_na=False: "NA", "null" and "nan" are names; tab files are read without
    # quoting, so a name holding double quotes keeps them.
    (tmp_path / "artists.dat").write_text(
        'id\tname\turl\tpictureURL\n1\tNA\tu\tp\n2\tnull\tu\tp\n3\t"Weird Al" Yankovic\tu\tp\n4\tnan\tu\tp\n',
        encoding="utf-8",
    )
    (tmp_path / "user_artists.dat").write_text(
        "userID\tartistID\tweight\n7\t1\t5\n7\t2\t1\n8\t3\t2\n8\t4\t9\n", encoding="utf-8"
    )
    data = load_dataset(str(tmp_path))
    assert data.artists["name"].tolist() == ["NA", "null", '"Weird Al" Yankovic', "nan"]
    assert {c: str(t) for c, t in data.plays.dtypes.items()} == {
        "user": "int64",
        "artist_id": "int64",
        "plays": "int64",
    }
    assert str(data.artists["artist_id"].dtype) == "int64"


def test_two_missing_columns_are_both_named(tmp_path):
    path = tmp_path / "plays.csv"
    path.write_text("user_id,x,y\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_table(str(path), ["user_id", "artist_id", "scrobbles"], ",")
    assert str(caught.value) == f"{path}: missing columns artist_id, scrobbles; found 'user_id', 'x', 'y'"


def test_header_names_lose_blanks_and_a_byte_order_mark_only():
    # (The Spark engine's reader keeps the mark; pandas drops it itself.)
    assert header_names(["\ufeffuser_id ", " Xfactor", "x\ufeff"]) == ["user_id", "Xfactor", "x\ufeff"]


def test_listeners_per_artist_every_artist_by_default_or_only_the_heard_sorted_by_id():
    # User 1 lists only artist 30, users 2 and 3 artist 10: by user, 30 comes first.
    data = _clean([(1, 30, 1), (2, 10, 1), (3, 10, 1)], [(30, "C"), (20, "B"), (10, "A")])
    assert data.listeners().to_dict() == {10: 2, 20: 0, 30: 1}
    heard = data.listeners(heard_only=True)
    assert heard.index.tolist() == [10, 30] and heard.tolist() == [2, 1]


def test_long_artist_rows_and_an_artist_list_without_ids_are_said_exactly(caplog):
    plays, artists = _limit_error([(1, 10, 1)], [(10, "A")] * 1 + [(i, "x") for i in range(11, 300)])
    artists.attrs["rows_too_long"] = 2
    with caplog.at_level(logging.WARNING):
        data = clean(plays, artists, "p.csv", "a.csv", "test", checksums={}, max_dropped_share=0.01)
    assert data.repairs["artist_rows_malformed"] == 2
    assert "dropped 2 artist rows with more fields than the header" in _warnings(caplog)
    plays, artists = _limit_error([(1, 10, 1)], [("x", "A"), ("y", "B")])
    with pytest.raises(DataError) as caught:
        clean(plays, artists, "p.csv", "a.csv", "test", checksums={}, max_dropped_share=1)
    assert str(caught.value) == "a.csv: no artist rows with an integer id"


def test_a_quoted_name_holding_commas_is_one_field_of_a_kaggle_file(tmp_path):
    # The Kaggle files are CSV: a name with commas is quoted, and read as one field.
    (tmp_path / "lastfm_artist_list.csv").write_text(
        'artist_id,artist_name\n1,"Crosby, Stills, Nash & Young"\n2,"Earth, Wind & Fire"\n3,Mum\n',
        encoding="utf-8",
    )
    (tmp_path / "lastfm_user_scrobbles.csv").write_text(
        "user_id,artist_id,scrobbles\n7,1,5\n7,2,1\n8,3,2\n", encoding="utf-8"
    )
    data = load_dataset(str(tmp_path))
    assert data.artists["name"].tolist() == ["Crosby, Stills, Nash & Young", "Earth, Wind & Fire", "Mum"]
    assert data.repairs == {}


def test_a_file_longer_than_pandas_read_chunk_is_read_as_text_to_its_end(tmp_path):
    # pandas reads a long file in chunks of 2**18 rows and, unless told that every column is
    # text, guesses each chunk's types apart: the rows after the first chunk came back as
    # numbers, which the cleaning (that parses text) took for bad rows.
    n = 2**18 + 10
    artists = "artist_id,artist_name\n" + "".join(f"{a},a{a}\n" for a in range(50))
    plays = "user_id,artist_id,scrobbles\n" + "".join(f"{i // 50},{i % 50},{1 + i % 7}\n" for i in range(n))
    (tmp_path / "lastfm_artist_list.csv").write_text(artists, encoding="utf-8")
    (tmp_path / "lastfm_user_scrobbles.csv").write_text(plays, encoding="utf-8")
    data = load_dataset(str(tmp_path))
    assert data.repairs == {}
    assert len(data.plays) == n and int(data.plays["plays"].sum()) == sum(1 + i % 7 for i in range(n))


def test_each_kind_of_special_file_is_named():
    import stat

    from item2vec.ingest.cleaning import not_regular

    assert not_regular(stat.S_IFREG | 0o644) is None
    kinds = (stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK, stat.S_IFDIR)
    assert [not_regular(kind | 0o644) for kind in kinds] == [
        "a FIFO (named pipe)",
        "a character device",
        "a block device",
        "a socket",
        "a special file",
    ]


def test_a_data_file_that_cannot_be_read_as_text_is_refused_with_its_reason(tmp_path, monkeypatch):
    import os

    from item2vec.ingest.cleaning import check_text_file, read_table

    def refused(path):
        with pytest.raises(DataError) as caught:
            check_text_file(str(path))
        return str(caught.value)

    assert refused(tmp_path / "missing.csv") == f"{tmp_path / 'missing.csv'}: file not found"
    assert refused(tmp_path) == f"{tmp_path}: is a folder, expected a file"
    os.mkfifo(tmp_path / "pipe")  # opened without waiting for a writer, then refused
    assert refused(tmp_path / "pipe") == (
        f"{tmp_path / 'pipe'}: is a FIFO (named pipe), not a regular file; give the data file itself"
    )
    (tmp_path / "empty.csv").write_bytes(b"")
    assert refused(tmp_path / "empty.csv") == f"{tmp_path / 'empty.csv'}: file is empty"
    (tmp_path / "nul.csv").write_bytes(b"a,b\n\x00")
    assert refused(tmp_path / "nul.csv") == f"{tmp_path / 'nul.csv'}: not a text file (contains NUL bytes)"
    # Only the first 64 KiB are looked at for NUL bytes.
    (tmp_path / "late.csv").write_bytes(b"a" * (1 << 16) + b"\x00")
    check_text_file(str(tmp_path / "late.csv"))
    (tmp_path / "header.csv").write_text("user,artist\n")
    with pytest.raises(DataError, match=f"^{tmp_path / 'header.csv'}: has a header but no rows$"):
        read_table(str(tmp_path / "header.csv"), ["user", "artist"], ",")
    (tmp_path / "long.csv").write_text("user,artist\n1,2,3\n")
    assert read_table(str(tmp_path / "long.csv"), ["user", "artist"], ",").attrs["rows_too_long"] == 1
    (tmp_path / "latin.csv").write_bytes(b"user,artist\n1,caf\xe9\n")
    with pytest.raises(DataError) as caught:
        read_table(str(tmp_path / "latin.csv"), ["user", "artist"], ",")
    assert (
        str(caught.value)
        == f"{tmp_path / 'latin.csv'}: not UTF-8 text (invalid continuation byte at line 2 (byte 17))"
    )

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    (tmp_path / "locked.csv").write_text("user,artist\n1,2\n")
    monkeypatch.setattr(os, "open", denied)
    assert refused(tmp_path / "locked.csv") == f"{tmp_path / 'locked.csv'}: cannot read: Permission denied"


def test_a_plays_file_with_no_usable_row_is_refused_with_its_count():
    from item2vec.ingest.cleaning import finish_plays

    with pytest.raises(DataError) as caught:
        finish_plays({}, (3, 0, 0, 0), "plays.tsv", "artists.dat", 0.5)
    assert str(caught.value) == (
        "plays.tsv: none of its 3 rows is usable (see the warnings above for what was wrong)"
    )
