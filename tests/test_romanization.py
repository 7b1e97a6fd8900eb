"""The Latin spellings of names in other scripts, computed when a model is built."""

import numpy as np
import pytest

from item2vec.model.catalog import Catalog
from item2vec.query.names import NameIndex, skeleton
from item2vec.training import romanization


@pytest.mark.parametrize(
    "name, spellings",
    [
        ("浜崎あゆみ", ["hamasaki ayumi", "ayumi hamasaki"]),  # kana and kanji, read as Japanese
        ("倖田來未", ["kouda kumi", "koda kumi", "kumi koda"]),  # long vowels also written short
        ("嵐", ["arashi", "lan"]),  # Han alone: Japanese and Chinese readings
        ("周杰伦", ["zhou jielun", "jielun zhou"]),  # pinyin, given name first too
        ("이효리", ["ihyori", "lee hyori", "hyori lee"]),  # Revised Romanisation, usual family names
        ("소녀시대", ["sonyeosidae", "sonyeoshidae"]),
        ("Мумий Тролль", ["mumiy troll", "mumii troll", "mumy troll", "mumij troll"]),  # several schemes
        ("Океан Ельзи", ["okean elzi", "okean yelzi"]),  # soft signs dropped inside a word
    ],
)
def test_usual_spellings_are_among_a_name_s_keys(name, spellings):
    keys = romanization.name_keys(name)
    assert set(spellings) <= set(keys), keys
    assert all(k == " ".join(k.split()) and k.isascii() and k == k.lower() for k in keys)
    assert len(keys) == len(set(keys)) <= romanization.MAX_KEYS_PER_NAME


@pytest.mark.parametrize("name", ["Metallica", "Björk", "Ｆｕｌｌｗｉｄｔｈ", "Μ-Ziq", "عمر دياب", "#####"])
def test_names_in_latin_and_other_scripts_anyascii_reads_get_none(name):
    assert romanization.name_keys(name) == []


def test_catalogue_keys_by_row_feed_the_name_index():
    names = ["Metallica", "浜崎あゆみ", "Arashi", "嵐", "Мумий Тролль"]
    rows, keys = romanization.catalog_keys(names)
    assert rows == sorted(rows) and set(rows) == {1, 3, 4}
    ids = np.arange(10, 15)
    catalog = Catalog(ids, names, [50, 37, 1, 6, 8], np.zeros(6, dtype=np.int64), np.empty(0), (rows, keys))
    index = NameIndex(catalog)
    assert index.resolve("Hamasaki Ayumi").artist_id == 11
    assert index.resolve("mumii-troll").artist_id == 14
    # The Latin "Arashi" (1 listener) is a rarely listened spelling of 嵐 (6): the lookup prefers 嵐.
    found = index.resolve("Arashi")
    assert found.artist_id == 13 and found.matched == 12
    assert index.resolve("id:12").artist_id == 12  # id:N picks exactly
    assert skeleton("Hamasaki-Ayumi") in {skeleton(k) for k in keys}


def test_the_libraries_are_recorded():
    versions = romanization.library_versions()
    assert set(versions) == set(romanization.LIBRARIES)
    assert "missing" not in versions.values()
