"""The artist catalogue (model/catalog.py): every artist of the data, its listeners and co-listeners."""

import numpy as np
import pandas as pd
import pytest

from item2vec.ingest.formats import load_dataset
from item2vec.model.catalog import Catalog
from item2vec.research.synthetic import write_kaggle


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Five artists, the last one never played; users with raw ids far from 0..U-1."""
    plays = pd.DataFrame(
        {
            "user": [700, 700, 900, 900, 900, 50, 50, 700],
            "artist_id": [3, 10, 10, 3, 20, 20, 30, 30],
            "plays": [5, 1, 2, 7, 1, 1, 4, 2],
        }
    )
    artists = pd.DataFrame({"artist_id": [20, 3, 10, 30, 40], "name": ["T", "C", "J", "Th", "Never"]})
    folder = tmp_path_factory.mktemp("catalog-data")
    write_kaggle(str(folder), plays, artists)
    return load_dataset(str(folder))


def test_from_dataset_holds_every_artist_its_listeners_and_their_renumbered_users(dataset):
    catalog = Catalog.from_dataset(dataset, ([1, 3], ["cee", "tee aitch"]))
    assert catalog.ids.tolist() == [3, 10, 20, 30, 40] and len(catalog) == 5
    assert catalog.names == ["C", "J", "T", "Th", "Never"]
    # Users 50, 700, 900 become 0, 1, 2; an artist nobody played has no users, not a missing row.
    assert [catalog.users_of(i).tolist() for i in catalog.ids] == [[1, 2], [1, 2], [0, 2], [0, 1], []]
    assert catalog.listeners.tolist() == [2, 2, 2, 2, 0]
    assert catalog.listen_indptr.tolist() == [0, 2, 4, 6, 8, 8]
    assert catalog.listen_indptr.dtype == np.int64 and catalog.listen_users.dtype == np.int32
    assert catalog.romanized_rows.tolist() == [1, 3] and catalog.romanized_keys == ["cee", "tee aitch"]
    assert catalog.shared_listeners(3, [10, 20, 30, 40, 99]) == [2, 1, 1, 0, 0]


def test_arrays_are_int64_whatever_they_are_given_as(dataset):
    # A Spark-built catalogue arrives as int32 columns; the saved model's arrays are int64.
    small = Catalog(
        np.array([1, 2], np.int32),
        ["a", "b"],
        np.array([1, 1], np.int32),
        np.array([0, 1, 2], np.int32),
        [0, 0],
    )
    assert small.ids.dtype == small.listeners.dtype == small.listen_indptr.dtype == np.int64
    assert small.listen_users.dtype == np.int32 and small.romanized_rows.dtype == np.int64
    assert small.romanized_keys == [] and small.romanized_of(0) == []


def test_an_unknown_artist_has_no_users_and_no_listeners(dataset):
    catalog = Catalog.from_dataset(dataset)
    unknown = catalog.users_of(4)
    assert unknown.shape == (0,) and unknown.dtype == np.int32
    assert catalog.index(4) == -1 and catalog.listeners_of(4) == 0 and catalog.listeners_of(10) == 2
    assert catalog.shared_listeners(4, [3, 10]) == [0, 0]
    assert catalog.name(30) == "Th"


def test_romanized_of_gives_the_keys_of_that_row_only():
    catalog = Catalog(
        [1, 2, 3], ["x", "y", "z"], [1, 1, 1], [0, 1, 2, 3], [0, 0, 0], ([1, 1, 2], ["a", "b", "c"])
    )
    assert [catalog.romanized_of(row) for row in range(3)] == [[], ["a", "b"], ["c"]]


def test_the_arrays_written_hold_the_latin_keys_and_int64_ids_and_counts(dataset):
    from item2vec.model.catalog import catalog_arrays, encode_names

    catalog = Catalog.from_dataset(dataset, ([1, 3], ["cee", "tee aitch"]))
    arrays = catalog.arrays()
    assert arrays["romanized_rows"].tolist() == [1, 3]
    assert bytes(arrays["romanized_ascii"]).decode("ascii") == "ceetee aitch"
    assert arrays["romanized_offsets"].tolist() == [0, 3, 12]
    assert bytes(arrays["names_utf8"]).decode("utf-8") == "CJTThNever"
    # Given as int32 (a Spark-built catalogue), written as int64.
    given = catalog_arrays(np.array([1, 2], np.int32), ["a", "b"], np.array([1, 0], np.int32), [0])
    assert given["artist_ids"].dtype == given["listeners"].dtype == np.int64
    assert given["romanized_rows"].tolist() == [] and given["romanized_offsets"].tolist() == [0]
    assert bytes(encode_names(["Sigur Rós"])[0]) == "Sigur Rós".encode()
