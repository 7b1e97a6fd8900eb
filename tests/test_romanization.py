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


@pytest.mark.parametrize(
    ("first", "last", "script"),
    [
        (0x3040, 0x30FF, "kana"),  # hiragana, katakana
        (0x31F0, 0x31FF, "kana"),  # katakana phonetic extensions
        (0xFF66, 0xFF9F, "kana"),  # half-width katakana
        (0x4E00, 0x9FFF, "han"),
        (0x3400, 0x4DBF, "han"),  # extension A
        (0xF900, 0xFAFF, "han"),  # compatibility ideographs
        (0x20000, 0x3FFFF, "han"),  # the supplementary ideographic planes
        (0x3005, 0x3005, "han"),  # 々, the repetition mark
        (0xAC00, 0xD7AF, "hangul"),  # syllables
        (0x1100, 0x11FF, "hangul"),  # jamo
        (0x3130, 0x318F, "hangul"),  # compatibility jamo
        (0x0400, 0x052F, "cyrillic"),  # Cyrillic and its supplement
    ],
)
def test_each_script_s_block_ends_where_unicode_ends_it(first, last, script):
    # The neighbours just outside each block are other scripts (or symbols) read by anyascii.
    for inside in (first, last):
        assert romanization._script(chr(inside)) == script, hex(inside)
    for outside in (first - 1, last + 1):
        assert romanization._script(chr(outside)) != script, hex(outside)
        if outside not in (0x3005, 0x3006) or script != "han":
            assert romanization._script(chr(outside)) in (None, "kana", "han", "hangul"), hex(outside)


def test_the_neighbours_of_the_blocks_are_no_script_of_this_module():
    for cp in (0x303F, 0x3004, 0x3006, 0x3100, 0x31EF, 0x3200, 0xFF65, 0xFFA0, 0x33FF, 0x4DC0, 0xA000):
        assert romanization._script(chr(cp)) is None, hex(cp)
    for cp in (
        0xF8FF,
        0xFB00,
        0x1FFFF,
        0x40000,
        0xABFF,
        0xD7B0,
        0x10FF,
        0x1200,
        0x312F,
        0x3190,
        0x03FF,
        0x0530,
    ):
        assert romanization._script(chr(cp)) is None, hex(cp)


def test_apostrophes_and_soft_signs_join_a_word():
    assert romanization.words("Okean Yel’zi") == ["okean", "yelzi"]
    assert romanization.words("D'Angelo") == ["dangelo"]


def test_personal_names_get_the_family_name_apart_only_from_two_to_four_characters():
    # Han alone: the pinyin family name, then the given name as one word (4 characters too).
    assert {"ou yangnana", "yangnana ou"} <= set(romanization.name_keys("欧阳娜娜"))
    assert not [
        k for k in romanization.name_keys("五月天乐团") if k.startswith("wu ") and len(k.split()) == 2
    ]
    # Hangul: 2 to 4 syllables of Hangul, the family name spelt as romanised and as usually written.
    assert {"bo a", "a bo"} <= set(romanization.name_keys("보아"))
    assert {"nam gungminsu", "gungminsu nam"} <= set(romanization.name_keys("남궁민수"))
    assert {"i hyori", "hyori i"} <= set(romanization.name_keys("이효리"))  # the Revised Romanisation's "I"
    assert romanization.name_keys("방탄소년단") == ["bangtansonyeondan"]  # 5 syllables: a band's name


def test_han_with_kana_is_read_as_japanese_only():
    keys = romanization.name_keys("浜崎あゆみ")
    assert not [k for k in keys if k.startswith("bang")], keys  # no pinyin of 浜崎


def test_a_library_missing_is_recorded_as_missing_and_the_others_by_their_version(monkeypatch):
    from importlib import metadata

    libraries = romanization.LIBRARIES
    monkeypatch.setattr(romanization, "LIBRARIES", (*libraries, "no_such_library_here"))
    versions = romanization.library_versions()
    assert versions.pop("no_such_library_here") == "missing"
    assert versions["unidic_lite"] == metadata.version("unidic-lite")
    assert versions["korean_romanizer"] == metadata.version("korean-romanizer")
    assert versions == {m: metadata.version(m.replace("_", "-")) for m in libraries}


def test_the_check_apart_says_in_one_line_which_library_is_missing(tmp_path, monkeypatch):
    """The Spark engine's driver checks the libraries in a child process; a missing one is the
    same one-line error as in-process."""
    from item2vec.errors import MissingExtraError
    from item2vec.training.romanization import check_available_apart

    (tmp_path / "cutlet.py").write_text("raise ImportError('not here', name='cutlet')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    romanization._libraries.cache_clear()  # as in a driver that has not loaded them (this worker may have)
    with pytest.raises(MissingExtraError, match=r"^building a model needs the romanisation .*cutlet"):
        check_available_apart()


def test_a_process_that_holds_the_libraries_checks_without_a_child(monkeypatch):
    """Loaded once here (an earlier check, a model built in this process): nothing left to keep
    out of this process, so no child process is started for the check."""
    import subprocess

    romanization.check_available()

    def no_child(*args, **kwargs):
        raise AssertionError("a child process was started")

    monkeypatch.setattr(subprocess, "run", no_child)
    romanization.check_available_apart()
    romanization._libraries.cache_clear()
    with pytest.raises(AssertionError, match="a child process was started"):
        romanization.check_available_apart()


def test_the_check_apart_reports_a_library_that_breaks_on_import(tmp_path, monkeypatch):
    from item2vec.errors import MissingExtraError
    from item2vec.training.romanization import check_available_apart

    romanization._libraries.cache_clear()  # not loaded here: the check runs in a child
    (tmp_path / "cutlet.py").write_text("raise RuntimeError('broken install')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(MissingExtraError) as caught:
        check_available_apart()
    assert str(caught.value) == (
        "the romanisation libraries of the train extra cannot be loaded: RuntimeError: broken install"
    )
