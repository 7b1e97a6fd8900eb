"""Name lookup: exact, case/accent/space-insensitive, Cyrillic, fuzzy, ambiguous, by id."""

import numpy as np
import pytest

from item2vec.errors import UnknownArtistError
from item2vec.model.catalog import Catalog
from item2vec.query import formatting
from item2vec.query.names import NameIndex, ascii_key, normalize, plural, skeleton

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


# -- the keys and notes, exactly (mutation survivors) ------------------------------------------


def test_keys_exactly():
    assert normalize("  The\tBeatles \u3000") == "the beatles"
    assert ascii_key(" Erlend  Øye ") == "erlend oye" and ascii_key("A  B") == "a b"
    assert skeleton("P!Nk") == skeleton("pink") == "pink" and skeleton("Blink - 182") == "blink182"
    assert [plural(n, "listener") for n in (0, 1, 2)] == ["0 listeners", "1 listener", "2 listeners"]


def test_the_same_name_fact_names_the_chosen_and_the_others_most_listened_first():
    catalog = Catalog(
        np.array([3, 5, 8, 9]),
        ["Red", "RED", "Blue", "red"],
        np.array([1, 7, 2, 4]),
        np.zeros(5, np.int64),
        np.empty(0),
    )
    hit = NameIndex(catalog).resolve("red ")
    assert hit.facts(catalog) == [
        {
            "fact": "same_name",
            "name": "RED",
            "chosen": {"artist_id": 5, "name": "RED", "listeners": 7},
            "others": [
                {"artist_id": 9, "name": "red", "listeners": 4},
                {"artist_id": 3, "name": "Red", "listeners": 1},
            ],
        }
    ]
    assert NameIndex(catalog).resolve("Blue").facts(catalog) == []


def _index(names, listeners=None):
    ids = np.arange(1, len(names) + 1)
    listeners = np.ones(len(names), dtype=np.int64) if listeners is None else np.asarray(listeners)
    return NameIndex(Catalog(ids, names, listeners, np.zeros(len(names) + 1, np.int64), np.empty(0)))


def _suggestions(index, typed):
    with pytest.raises(UnknownArtistError) as caught:
        index.resolve(typed)
    return caught.value.suggestions


def test_a_name_is_scored_by_the_better_of_both_scorers():
    # "cdbc a" is close to "dbca" by edit ratio (80) but not as a token set (60); "dc" 67 by both.
    assert _suggestions(_index(["dc", "cdbc a"]), "dbca") == ["cdbc a", "dc"]


def test_a_misspelling_without_the_article_is_scored_against_the_name_without_it():
    # "betles" is 92 from "beatles" but 71 from "the beatles"; "Beat Les" scores 86.
    assert _suggestions(_index(["Beat Les", "The Beatles"]), "betles") == ["The Beatles", "Beat Les"]


def test_a_one_letter_name_is_not_suggested_for_a_longer_one():
    # Rapidfuzz's default scorer (WRatio) would give "A" 90 for "kanye".
    assert _suggestions(_index(["A", "Kanye West"]), "kanye") == ["Kanye West"]


def test_at_most_five_suggestions_the_best_known_of_equal_scores_however_many():
    # 30 names equally close to what was typed: the five with the most listeners, not
    # the first five rapidfuzz happens to return.
    names = [f"abcx{c}" for c in "0123456789abcdefghijklmnopqrst"]  # each 80 from "abcx-"
    listeners = list(range(1, 31))
    assert _suggestions(_index(names, listeners), "abcx-") == names[::-1][:5]


def test_completion_gives_at_most_fifty_names():
    index = _index([f"band {i:02d}" for i in range(60)])
    assert len(index.complete("band")) == 50


def test_lookup_rules_that_only_a_catalogue_of_odd_names_shows():
    # An artist named "#1" is found by its name before "#1" is read as id 1.
    index = _index(["Other", "#1", "Beatles", "\u200b"])
    assert index.resolve("#1").artist_id == 2 and index.resolve(" #1 ").artist_id == 2
    assert index.resolve("#2").artist_id == 2
    # "The Beatles" typed finds an artist listed without the article.
    assert index.resolve("The Beatles").artist_id == 3
    # A query whose ASCII form is empty matches no artist whose ASCII form is empty.
    assert ascii_key("\u200b\u200b") == "" and normalize("\u200b\u200b") != normalize("\u200b")
    with pytest.raises(UnknownArtistError):
        index.resolve("\u200b\u200b")


@pytest.mark.parametrize("query", ["", "   ", None, 5])
def test_an_empty_or_non_text_query_is_an_empty_name(query):
    with pytest.raises(UnknownArtistError) as caught:
        _index(["A"]).resolve(query)
    assert (
        str(caught.value) == "Empty artist name: type the name of an artist."
        and caught.value.suggestions == []
    )


def test_ids_and_the_longest_name_looked_up():
    long_name = "x" * 300  # MAX_QUERY_LENGTH: still looked up; one more is refused unread
    index = _index(["First", "B", long_name])
    hit = index.resolve("id:1")
    assert (hit.artist_id, hit.name, hit.others) == (1, "First", [])
    assert index.resolve("#2").name == "B" and index.resolve(long_name).artist_id == 3
    with pytest.raises(UnknownArtistError) as caught:
        index.resolve(long_name + "x")
    assert str(caught.value) == "Unknown artist '" + "x" * 77 + "...'." and caught.value.suggestions == []


@pytest.mark.parametrize("query", ["id:999", "\u0301\u0301"], ids=["unknown id", "only combining marks"])
def test_queries_that_name_nothing_say_so_without_suggestions(query):
    with pytest.raises(UnknownArtistError) as caught:
        _index(["A", "B"]).resolve(query)
    assert str(caught.value) == f"Unknown artist {query!r}." and caught.value.suggestions == []


# -- rules the mutation run of names.py found unpinned -------------------------------------------


@pytest.mark.parametrize(
    ("typed", "bare"),
    [
        ('"Metallica"', "Metallica"),
        (" \u00abMetallica\u00bb ", "Metallica"),
        ("\u300c \u5d50 \u300d", "\u5d50"),
        ('""', ""),  # two characters: a pair of quotes around nothing
        ('"Weird Al" Yankovic', '"Weird Al" Yankovic'),  # the last character must close the first
        ('Weird "Al"', 'Weird "Al"'),
        ("Malcolm X", "Malcolm X"),  # no opening quote: nothing closes it
        ('"', '"'),
    ],
)
def test_unquote_takes_off_one_pair_of_matching_quotes(typed, bare):
    from item2vec.query.names import unquote

    assert unquote(typed) == bare


def test_a_pair_of_quotes_around_nothing_is_unknown_as_typed():
    with pytest.raises(UnknownArtistError) as caught:
        _index(["A"]).resolve('""')
    assert (caught.value.query, caught.value.suggestions) == ('""', [])


def test_a_blank_query_is_reported_as_typed():
    with pytest.raises(UnknownArtistError) as caught:
        _index(["A"]).resolve(" \t ")
    assert caught.value.query == " \t "


def test_the_keys_of_non_ascii_names():
    # Turkish dotless i, typed in lower or upper case ("IŞIK" casefolds to "işik").
    assert normalize("ışık") == normalize("IŞIK") == "isik"
    # Non-ASCII names go through ascii_key; punctuation and spaces still vanish entirely.
    assert skeleton("Sigur Rós - Ágætis") == "sigurrosagaetis"


def test_a_name_picked_by_id_says_so():
    index = _index(["Red", "red"], [5, 1])
    assert index.resolve("id:2").by_id is True
    assert index.resolve("id:2").artist_id == 2 and index.resolve("red").by_id is False


def test_a_name_with_a_trailing_space_is_found_by_its_name_before_id_syntax():
    # Readers other than the Kaggle one keep a name's spaces: "#1 " typed exactly is that
    # artist (id 2), not id 1 read from "#1".
    index = _index(["One", "#1 "])
    assert index.resolve("#1 ").artist_id == 2


def test_spellings_of_different_names_under_one_key_take_the_most_listened():
    # "JayZ" finds "Jay Z" and "Jay-Z" by their skeleton; neither is 5x better known, so
    # the one with more listeners answers, whichever comes first in the catalogue.
    index = _index(["Jay Z", "Jay-Z"], [10, 20])
    hit = index.resolve("JayZ")
    assert (hit.artist_id, hit.others, hit.matched) == (2, [1], None)


def test_the_better_known_spelling_answers_under_its_own_name():
    index = _index(["Blink 182", "Blink-182"], [1, 150])
    hit = index.resolve("Blink 182")
    assert (hit.artist_id, hit.name, hit.matched) == (2, "Blink-182", 1)


def test_the_same_name_fact_of_a_better_known_answer_is_about_the_spelling_typed():
    catalog = Catalog(
        np.array([1, 2, 3]),
        ["Blink 182", "BLINK 182", "Blink-182"],
        np.array([2, 1, 150]),
        np.zeros(4, np.int64),
        np.empty(0),
    )
    hit = NameIndex(catalog).resolve("Blink 182")
    assert (hit.artist_id, hit.matched, hit.others) == (3, 1, [2])
    same_name, better = hit.facts(catalog)
    assert same_name["name"] == "Blink 182" and same_name["chosen"]["artist_id"] == 1
    assert better["typed"]["artist_id"] == 1 and better["used"]["artist_id"] == 3


def test_better_known_never_offers_the_artist_itself_and_keys_every_name_when_asked_to():
    # factor 1 and no minimum: everyone at least as listened qualifies, the artist itself
    # too, and the table keys the whole catalogue (down to the least listened).
    index = _index(["Blink 182", "Blink-182", "Other"], [3, 2, 0])
    assert index.better_known(1, factor=1, at_least=0) is None
    assert index.better_known(2, factor=1, at_least=0) == 0
    assert index.better_known(3, factor=1, at_least=0) is None


def test_an_empty_catalogue_finds_no_name():
    with pytest.raises(UnknownArtistError):
        _index([]).resolve("Blink 182")


def test_each_name_s_spellings_are_keyed_once(monkeypatch):
    # The explorer page looks up every key of the catalogue: a name is keyed the first time only.
    from item2vec.query import names

    index = _index(["Blink 182", "Blink-182", "Other"], [1, 150, 20])
    keyed = []
    real = names.skeleton
    monkeypatch.setattr(names, "skeleton", lambda text: keyed.append(text) or real(text))
    assert [index.better_known(i) for i in (1, 1, 3, 3)] == [1, 1, None, None]
    assert sorted(keyed) == ["Blink 182", "Blink-182", "Other"]
