"""Reading and cleaning: hand-made frames and files with known faults."""

import logging

import pandas as pd
import pytest

from item2vec.errors import DataError
from item2vec.ingest.formats import clean, load_dataset


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


def test_missing_folder_and_files_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="no such data folder"):
        load_dataset(tmp_path / "nowhere")
    with pytest.raises(DataError, match="found neither the Kaggle files"):
        load_dataset(tmp_path)


def test_missing_column_names_the_file(tmp_path):
    (tmp_path / "lastfm_artist_list.csv").write_text("artist_id,artist_name\n1,A\n")
    (tmp_path / "lastfm_user_scrobbles.csv").write_text("user_id,artist_id,plays\n1,1,3\n")
    with pytest.raises(DataError, match=r"lastfm_user_scrobbles\.csv: missing column scrobbles"):
        load_dataset(tmp_path)


def test_real_files_load_with_the_documented_faults():
    from conftest import shared_data_or_skip

    data = load_dataset(shared_data_or_skip())
    assert data.n_users == 1892
    assert len(data.artists) == 17493
    assert data.repairs == {"play_rows_duplicate_summed": 69}
    assert len(data.plays) == 92792 - 69
