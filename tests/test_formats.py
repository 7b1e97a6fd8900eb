"""Input formats besides the Kaggle pair: HetRec 2011 and Last.fm-360K, written here byte for byte."""

import json
import logging

import numpy as np
import pytest

from item2vec.cli import train_command as train_item2vec
from item2vec.errors import DataError
from item2vec.ingest.formats import LASTFM360K_PLAYS, detect_format, load_dataset, read_lastfm360k
from item2vec.model.storage import load_model
from item2vec.model.vectors import ArtistVectors
from item2vec.research.synthetic import genre_accuracy, genre_of_name, sample_lists, write_lastfm360k

MBID_A = "a74b1b7f-71a5-4011-9441-d0b5e4122711"
MBID_B = "cc197bad-dc9c-440d-a5b5-d52ba2e14234"


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return str(path)


# -- HetRec 2011 ----------------------------------------------------------------------------


def write_hetrec(folder):
    write(
        folder / "artists.dat",
        "id\tname\turl\tpictureURL\n"
        "1\tMALICE MIZER\thttp://www.last.fm/music/MALICE+MIZER\thttp://userserve-ak.last.fm/serve/252/10808.jpg\n"
        "2\tBjörk\thttp://www.last.fm/music/Bj%C3%B6rk\t\n"
        '3\t"Weird Al" Yankovic\thttp://www.last.fm/music/%22Weird+Al%22+Yankovic\thttp://x/1.jpg\n'
        "4\tSigur Rós\thttp://www.last.fm/music/Sigur+R%C3%B3s\thttp://x/2.jpg\n",
    )
    write(
        folder / "user_artists.dat",
        "userID\tartistID\tweight\n2\t1\t13883\n2\t2\t11690\n2\t3\t11351\n3\t2\t212\n3\t4\t50\n4\t9\t7\n",
    )  # artist 9 is not in artists.dat
    return str(folder)


def test_hetrec_files_are_detected_and_read(tmp_path, caplog):
    folder = write_hetrec(tmp_path)
    assert detect_format(folder) == "hetrec"
    with caplog.at_level(logging.WARNING):
        data = load_dataset(folder, max_dropped_share=1)
    assert data.format == "hetrec"
    assert data.artists.values.tolist() == [
        [1, "MALICE MIZER"],
        [2, "Björk"],
        [3, '"Weird Al" Yankovic'],
        [4, "Sigur Rós"],
    ]
    assert data.plays.values.tolist() == [
        [2, 1, 13883],
        [2, 2, 11690],
        [2, 3, 11351],
        [3, 2, 212],
        [3, 4, 50],
    ]
    assert data.repairs == {"play_rows_unknown_artist": 1}
    assert set(data.checksums) == {"user_artists.dat", "artists.dat"}


# -- Last.fm-360K ---------------------------------------------------------------------------

#: Rows as in usersha1-artmbid-artname-plays.tsv: sha1, MBID (may be empty), name, plays.
ROWS_360K = [
    ("00000c289a1829a808ac09c00daf10bc3c4e223b", MBID_A, "betty blowtorch", "2137"),
    ("00000c289a1829a808ac09c00daf10bc3c4e223b", MBID_B, "Die Ärzte", "1099"),
    ("00000c289a1829a808ac09c00daf10bc3c4e223b", "", "melissa etheridge", "897"),
    ("00001411dc427966b17297bf4d69e7e193135d89", MBID_A, "Betty Blowtorch", "45"),
    ("00001411dc427966b17297bf4d69e7e193135d89", "", "Die Ärzte", "12"),  # no MBID: another artist
    ("00001411dc427966b17297bf4d69e7e193135d89", MBID_B, "die ärzte", "3"),
    ("00004d2ac9316e22dc007ab2243d6fcb239e707d", MBID_A, "Betty Blowtorch", "10"),
    ("00004d2ac9316e22dc007ab2243d6fcb239e707d", MBID_A, "Betty Blowtorch", "5"),  # duplicate pair
    ("00004d2ac9316e22dc007ab2243d6fcb239e707d", "", "melissa etheridge", "0"),  # zero plays
    ("00004d2ac9316e22dc007ab2243d6fcb239e707d", MBID_B, "Die Ärzte", "many"),  # not a number
    ("", MBID_B, "Die Ärzte", "4"),  # no user
    ("00004d2ac9316e22dc007ab2243d6fcb239e707d", "", "", "4"),  # neither MBID nor name
    ("0000c176103e538d5c9828e695fed4f7ae42dd01", MBID_A, "Betty Blowtorch", "8"),
]


def write_360k(path, rows=ROWS_360K, extra_lines=()):
    lines = ["\t".join(row) for row in rows] + list(extra_lines)
    return write(path, "\n".join(lines) + "\n")


def test_360k_artists_are_mbids_else_names_with_the_most_frequent_spelling(tmp_path, caplog):
    path = write_360k(
        tmp_path / LASTFM360K_PLAYS, extra_lines=["0000c176103e538d5c9828e695fed4f7ae42dd01\tx\ty\t1\t2"]
    )
    with caplog.at_level(logging.WARNING):
        data = load_dataset(path, max_dropped_share=1)
    assert data.format == "lastfm360k"
    names = dict(data.artists.values.tolist())
    # Identities in order of first appearance: MBID_A, MBID_B, "melissa etheridge", "Die Ärzte" without MBID.
    assert names == {1: "Betty Blowtorch", 2: "Die Ärzte", 3: "melissa etheridge", 4: "Die Ärzte"}
    plays = list(map(tuple, data.plays.values.tolist()))
    assert plays == [
        (0, 1, 2137),
        (0, 2, 1099),
        (0, 3, 897),
        (1, 1, 45),
        (1, 2, 3),
        (1, 4, 12),
        (2, 1, 15),
        (3, 1, 8),
    ]
    assert data.repairs == {
        "play_rows_malformed": 1,
        "play_rows_bad_id": 2,
        "play_rows_bad_count": 2,
        "play_rows_duplicate_summed": 1,
    }
    assert "4 tab-separated fields" in caplog.text
    assert data.plays.dtypes.tolist() == [np.int64] * 3


def test_360k_name_is_the_most_frequent_spelling_even_when_another_sorts_first(tmp_path):
    rows = [("u1", MBID_A, "A-ha", "5"), ("u2", MBID_A, "a-ha", "3"), ("u3", MBID_A, "a-ha", "2")]
    data = read_lastfm360k(write_360k(tmp_path / "plays.tsv", rows=rows))
    assert data.artists.values.tolist() == [[1, "a-ha"]]


def test_360k_malformed_lines_count_among_the_rows_of_the_file(tmp_path):
    path = write_360k(tmp_path / "plays.tsv", rows=ROWS_360K[:2], extra_lines=["u\tm\tn\t1\textra"])
    with pytest.raises(DataError) as refused:
        read_lastfm360k(path)
    assert ": 1 of its 3 rows (33.3%) cannot be used" in str(refused.value)


def test_360k_result_does_not_depend_on_the_chunk_size(tmp_path):
    path = write_360k(tmp_path / "plays.tsv")
    assert load_dataset(path, "lastfm360k", max_dropped_share=1).repairs["play_rows_bad_count"] == 2
    whole = read_lastfm360k(path, max_dropped_share=1)
    for chunk_rows in (1, 2, 5):
        chunked = read_lastfm360k(path, chunk_rows=chunk_rows, max_dropped_share=1)
        assert chunked.plays.equals(whole.plays)
        assert chunked.artists.equals(whole.artists)
        assert chunked.repairs == whole.repairs


def test_360k_is_detected_in_a_folder_and_as_a_file(tmp_path):
    path = write_360k(tmp_path / LASTFM360K_PLAYS)
    assert detect_format(str(tmp_path)) == "lastfm360k"
    assert detect_format(path) == "lastfm360k"
    assert load_dataset(str(tmp_path), max_dropped_share=1).plays.equals(
        load_dataset(path, "lastfm360k", max_dropped_share=1).plays
    )


# -- synthetic data at scale ----------------------------------------------------------------


def test_sampled_lists_have_no_repeats_and_respect_the_size_bounds():
    users, artists = sample_lists(
        300,
        n_genres=4,
        artists_per_genre=30,
        max_artists_per_user=50,
        min_artists_per_user=5,
        rng=np.random.default_rng(3),
    )
    assert np.all(np.diff(users) >= 0)
    sizes = np.bincount(users, minlength=300)
    assert sizes.min() >= 5 and sizes.max() == 50
    assert len(np.unique(users * 120 + artists)) == len(users)
    # Power-law popularity: with short lists, the top artist of a genre is far more common than its last.
    _, artists = sample_lists(
        300, n_genres=4, artists_per_genre=30, max_artists_per_user=5, rng=np.random.default_rng(3)
    )
    popularity = np.bincount(artists, minlength=120)
    assert popularity[0] > 5 * popularity[29]


def test_synthetic_360k_file_reads_back_with_planted_genres(tmp_path):
    path = str(tmp_path / LASTFM360K_PLAYS)
    rows = write_lastfm360k(path, 250, n_genres=4, artists_per_genre=30, chunk_users=100, seed=5)
    with open(path, encoding="utf-8") as handle:
        first = handle.readline().rstrip("\n").split("\t")
    assert len(first) == 4 and len(first[0]) == 40 and first[3].isdigit()
    data = load_dataset(str(tmp_path))
    assert len(data.plays) == rows and data.n_users == 250
    # Lower-case variants of MBID artists do not win the display name; no-MBID artists keep theirs.
    assert all(name == name.upper() for name in data.artists["name"])
    assert sorted(data.artists["name"].map(genre_of_name).unique().tolist()) == [0, 1, 2, 3]
    assert data.plays.groupby("user").size().max() <= 50


def test_train_script_end_to_end_on_360k_format(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    write_lastfm360k(str(data_dir / LASTFM360K_PLAYS), 300, n_genres=4, artists_per_genre=30, seed=2)
    out = tmp_path / "model"
    code = train_item2vec.main(
        [
            "--data",
            str(data_dir),
            "--out",
            str(out),
            "--quiet",
            "--vector-size",
            "16",
            "--epochs",
            "5",
            "--sample",
            "0.001",
            "--seed",
            "1",
            "--members",
            "1",
        ]
    )
    assert code == 0
    model = load_model(str(out))
    with open(out / "metadata.json", encoding="utf-8") as handle:
        assert json.load(handle)["data"]["format"] == "lastfm360k"
    assert isinstance(model.vectors, ArtistVectors) and len(model.vectors) > 60
    share, _ = genre_accuracy(model.vectors.ids, model.vectors.unit, model.catalog.name, topn=5)
    assert share > 0.6  # chance is 0.25 with 4 genres


def test_hetrec_and_360k_over_the_dropped_row_limit_are_read_when_told_to_go_on(tmp_path):
    # Both fixtures are small and full of faults on purpose: over 1% of their rows are dropped, which
    # stops a run without --max-dropped-share (tests/test_bad_input_contract.py).
    hetrec = write_hetrec(tmp_path)
    assert load_dataset(hetrec, max_dropped_share=1).repairs == {"play_rows_unknown_artist": 1}
    path = write_360k(tmp_path / "plays.tsv")
    assert load_dataset(path, "lastfm360k", max_dropped_share=1).repairs["play_rows_bad_count"] == 2


# -- finding the format ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("lastfm-360k.tsv", "lastfm360k"),
        ("usersha1-artmbid-artname-plays.tsv", "lastfm360k"),
        ("LFM-1b_LEs.txt", "lfm1b"),
        ("plays.tsv", None),  # a .tsv without 360 in its name
        ("lastfm-360k.csv", None),
        ("usersha1-artmbid-artname-plays.csv", None),
    ],
)
def test_a_data_file_is_known_by_its_name(tmp_path, name, found):
    path = write(tmp_path / name, "")
    if found:
        assert detect_format(path) == found
    else:
        with pytest.raises(DataError) as refused:
            detect_format(path)
        assert str(refused.value) == (
            f"{path}: not a data folder; give the folder that holds lastfm_user_scrobbles.csv and "
            "lastfm_artist_list.csv"
        )


def test_what_no_data_says(tmp_path):
    with pytest.raises(DataError) as refused:
        load_dataset(tmp_path / "nowhere")
    assert str(refused.value) == (
        f"{tmp_path / 'nowhere'}: no such data folder. Download the Kaggle data set 'Last.fm Music Artist "
        "Scrobbles' and pass its folder with --data (see README)."
    )
    with pytest.raises(DataError) as refused:
        detect_format(str(tmp_path))
    assert str(refused.value) == (
        f"{tmp_path}: found neither the Kaggle files (lastfm_user_scrobbles.csv, lastfm_artist_list.csv) "
        "nor the HetRec files (user_artists.dat, artists.dat) nor the Last.fm-360K file "
        "(usersha1-artmbid-artname-plays.tsv) nor LFM-1b events (LFM-1b_LEs.txt, LFM-1b_artists.txt); "
        "see README for where to download them"
    )
    # One file of a pair is not the pair.
    write(tmp_path / "lastfm_user_scrobbles.csv", "")
    write(tmp_path / "artists.dat", "")
    with pytest.raises(DataError, match="found neither"):
        detect_format(str(tmp_path))
    with pytest.raises(DataError) as refused:
        load_dataset(tmp_path, format="csv")
    assert str(refused.value) == "unknown data format 'csv'; choose from hetrec, kaggle, lastfm360k, lfm1b"


def test_the_share_of_rows_a_file_may_lose_reaches_each_reader(tmp_path, caplog):
    # HetRec's play file loses one row of six (an unknown artist): over the 1% limit unless allowed.
    folder = write_hetrec(tmp_path)
    with pytest.raises(DataError, match="user_artists.dat"):
        load_dataset(folder)
    with caplog.at_level(logging.INFO, logger="item2vec.ingest.formats"):
        data = load_dataset(tmp_path, "hetrec", max_dropped_share=0.2)  # a pathlib.Path works too
    assert data.format == "hetrec" and len(data.plays) == 5
    assert "loaded hetrec data: 5 rows, 2 users, 4 artists" in caplog.messages


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("hdfs:///lastfm/360 plays.tsv", "lastfm360k"),  # a space in the name: the whole base name counts
        ("hdfs:///lastfm 1b/LFM-1b_LEs.txt", "lfm1b"),
        ("hdfs:///data/lastfm-360k.tsv/", "lastfm360k"),  # a trailing slash
        ("360.tsv", "lastfm360k"),  # a relative name, no folder
        ("hdfs:///360/plays.tsv", None),  # 360 in a folder's name does not count
        ("hdfs:///data/LFM-1b_LEs.txtX", None),  # only slashes are stripped from the end
    ],
)
def test_a_file_on_any_file_system_is_known_by_its_base_name(path, found):
    # The Spark engine passes its own file system's kind (hdfs://, s3a://).
    if found:
        assert detect_format(path, kind=lambda p: "file") == found
    else:
        with pytest.raises(DataError, match="not a data folder"):
            detect_format(path, kind=lambda p: "file")


def test_360k_fields_are_read_as_written_in_any_chunk(tmp_path, caplog):
    # In chunks of 2 lines the first chunk's users and names all look like numbers: they stay text
    # ("0001" is not user "1", "007" not artist "7"); a quote is part of a name; a play count of 1
    # counts; an artist whose rows never name it gets a name; the repairs are logged in one order.
    lines = [
        "0001\t\t007\t1",
        "1\t\t7\t2",
        "0001\t\t007\t3",
        'u2\t\t"Weird Al" Yankovic\t1',
        "u2\tmbid-x\t\t4",
        "u3\t\t\t1",  # neither an MBID nor a name
        "u3\t\tA\t0",  # no play
        "u3\t\tA\t1\textra",  # 5 fields
    ]
    path = write(tmp_path / LASTFM360K_PLAYS, "\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="item2vec.ingest.formats"):
        data = read_lastfm360k(path, chunk_rows=2, max_dropped_share=1)
    assert data.artists.values.tolist() == [
        [1, "007"],
        [2, "7"],
        [3, '"Weird Al" Yankovic'],
        [4, "(unnamed #4)"],
    ]
    assert data.plays.values.tolist() == [[0, 1, 4], [1, 2, 2], [2, 3, 1], [2, 4, 4]]
    assert caplog.messages == [
        "dropped 1 lines that do not have 4 tab-separated fields",
        "dropped 1 play rows without a user or without both artist id and name",
        "dropped 1 play rows whose play count is not a positive integer below 2**62",
        "summed 1 duplicate (user, artist) rows",
        "named 1 artists that never have a name after their id",
    ]
    assert data.repairs == dict.fromkeys(
        [
            "play_rows_malformed",
            "play_rows_bad_id",
            "play_rows_bad_count",
            "play_rows_duplicate_summed",
            "artist_names_blank",
        ],
        1,
    )
