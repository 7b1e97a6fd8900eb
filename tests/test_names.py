"""Name lookup: exact, case/accent/space-insensitive, Cyrillic, fuzzy, ambiguous, by id."""

import numpy as np
import pytest

from item2vec.errors import UnknownArtistError
from item2vec.model.catalog import Catalog
from item2vec.query import formatting
from item2vec.query.names import NameIndex, normalize

NAMES = ["Metallica", "Björk", "Ляпис Трубецкой", "Red", "Red", "The Beatles", "Sigur Rós", "Beatallica"]
LISTENERS = [224, 172, 10, 22, 2, 480, 80, 3]


@pytest.fixture(scope="module")
def index():
    ids = np.arange(1, len(NAMES) + 1)
    catalog = Catalog(ids, NAMES, LISTENERS, np.zeros(len(NAMES) + 1, dtype=np.int64), np.empty(0))
    return NameIndex(catalog)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("Metallica", 1),
        ("metallica", 1),
        ("  METALLICA ", 1),
        ("bjork", 2),
        ("BJÖRK", 2),
        ("ляпис  трубецкой", 3),
        ("sigur ros", 7),
        ("id:6", 6),
        ("#8", 8),
    ],
)
def test_lookup_is_lenient(index, typed, expected):
    assert index.resolve(typed).artist_id == expected


def test_ambiguous_name_takes_the_most_listened_and_says_so(index):
    hit = index.resolve("red")
    assert hit.artist_id == 4 and hit.others == [5]
    [fact] = hit.facts(index.catalog)
    assert fact["fact"] == "same_name" and [o["artist_id"] for o in fact["others"]] == [5]
    note = formatting.note(fact)
    assert "2 artists are named 'Red'" in note and "id:5" in note
    assert index.resolve("id:5").artist_id == 5


def test_unknown_name_suggests_close_names(index):
    with pytest.raises(UnknownArtistError) as caught:
        index.resolve("metalica")
    assert caught.value.suggestions[0] == "Metallica"
    assert str(caught.value).startswith("Unknown artist 'metalica'. Did you mean: Metallica")
    assert index.resolve("beatles").name == "The Beatles"  # without its article: found, not suggested


def test_nothing_close_gives_no_suggestions(index):
    with pytest.raises(UnknownArtistError) as caught:
        index.resolve("zzzzzzzzzz")
    assert caught.value.suggestions == []
    assert "Did you mean" not in str(caught.value)


def test_normalize_folds_compatibility_forms():
    assert normalize("ＡＢＣ") == "abc"  # full-width letters (NFKC)
    assert normalize("Straße") == normalize("STRASSE")  # casefold, not lower
    assert normalize("a \t b") == "a b"


def test_completion_prefers_popular_artists(index):
    assert index.complete("be") == ["Beatallica"]
    assert index.complete("")[0] == "The Beatles"
