"""Property-based tests (hypothesis): name lookup and command-line handling under arbitrary text.

* normalisation and lookup never crash on any Unicode, and any known name typed
  in any casing, with any extra spacing, resolves to that artist;
* ``safe`` never lets a control character or escape sequence through;
* ``ask.main`` given arbitrary arguments and arbitrary bytes on stdin never
  raises, returns a documented exit code, and never echoes a control character.
"""

import io
import os
import unicodedata

import numpy as np
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from item2vec.cli import ask_command as ask
from item2vec.errors import UnknownArtistError
from item2vec.model.catalog import Catalog
from item2vec.query.formatting import safe
from item2vec.query.names import NameIndex, Resolution, normalize

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Everything Python can hold in a str, lone surrogates included (they arrive from
#: undecodable command-line bytes via surrogateescape).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def make_index(names):
    ids = np.arange(1, len(names) + 1, dtype=np.int64)
    listeners = np.arange(len(names), 0, -1)
    return NameIndex(
        Catalog(ids, names, listeners, np.zeros(len(names) + 1, dtype=np.int64), np.empty(0, dtype=np.int32))
    )


FIXED = make_index(["Metallica", "Björk", "Ляпис Трубецкой", "Red", "Red", "The Beatles", "!!!", "#1 Dads"])


@SETTINGS
@given(ANY_TEXT)
def test_normalize_never_crashes_and_is_idempotent(text):
    key = normalize(text)
    assert isinstance(key, str)
    assert normalize(key) == key


@SETTINGS
@given(ANY_TEXT)
def test_lookup_of_any_text_resolves_or_says_unknown(text):
    try:
        hit = FIXED.resolve(text)
    except UnknownArtistError as exc:
        assert all(name in FIXED.catalog.names for name in exc.suggestions)
        assert "\n" not in str(exc) and "\x1b" not in str(exc)
    else:
        assert isinstance(hit, Resolution) and hit.artist_id in FIXED.catalog.ids


# Names as real catalogues have them: letters of any script, digits, punctuation and
# single spaces inside, no leading or trailing space.
NAME_CHARS = st.characters(categories=("L", "M", "N", "P", "S"))
NAMES = st.lists(st.text(NAME_CHARS, min_size=1, max_size=12), min_size=1, max_size=3).map(" ".join)


def _recase(name, choices):
    out = []
    for char, choice in zip(name, choices, strict=False):
        out.append((char, char.upper(), char.lower(), char.title(), char.casefold())[choice])
    return "".join(out)


CASE_CHOICES = st.lists(st.integers(0, 4), min_size=40, max_size=40)
SPACES = st.sampled_from([" ", "  ", "\t", "\u00a0", " \u3000 "])


@SETTINGS
@given(st.lists(NAMES, min_size=1, max_size=8), st.integers(0, 7), CASE_CHOICES, SPACES)
@example(["ı"], 0, [1] * 40, " ")  # Turkish dotless i typed as "I"
@example(["#1", "x"], 0, [0] * 40, " ")  # a name that looks like id syntax
def test_any_known_name_in_any_casing_and_spacing_resolves_to_that_artist(names, target, choices, space):
    keys = [normalize(n) for n in names]
    # Names that differ only in case or accents are one name to a user ("Red" and "RED"
    # are the ambiguity case, tested elsewhere), and a name must say something.
    assume(all(keys) and len(set(keys)) == len(keys))
    index = make_index(names)
    target %= len(names)
    name = names[target]
    typed = space + _recase(name, choices).replace(" ", space) + space
    hit = index.resolve(typed)
    assert hit.artist_id == target + 1, (names, typed)


@SETTINGS
@given(ANY_TEXT, st.integers(1, 200))
def test_safe_never_passes_a_control_character(text, limit):
    shown = safe(text, limit)
    assert not any(unicodedata.category(c) in HIDDEN for c in shown)
    assert shown.isprintable() or all(
        c.isprintable() or c == " " or unicodedata.category(c) == "Zs" for c in shown
    )


# -- the command line ---------------------------------------------------------------------

OPTIONS = [
    "--top",
    "-k",
    "--plus",
    "--minus",
    "--min-listeners",
    "--explain",
    "--json",
    "--batch",
    "--model",
    "-",
    "--",
    "-h",
    "--help",
    "--he",
    "--top=",
    "-k0",
    "g0-a1",
    "G0-A1 ",
    "id:3",
    "#2",
    "1000",
    "1001",
    "-1",
    "0",
    "99999999999999999999",
    "\x1b[2J",
    "\u009b31m",
    "\udcff",
]
ARGS = st.lists(st.one_of(st.sampled_from(OPTIONS), ANY_TEXT), max_size=6)
EXIT_CODES = {0, 1, 2, 3}


def _visible(text):
    """No character of ``text`` may drive a terminal: only printable ones and newlines."""
    return all(c == "\n" or c.isprintable() or unicodedata.category(c) == "Zs" for c in text)


@SETTINGS
@given(ARGS, st.binary(max_size=300))
def test_cli_with_arbitrary_arguments_returns_a_documented_code(
    tmp_path_factory, synthetic_model_dir, argv, stdin_bytes
):
    # A scratch working directory, so "--batch <text>" cannot name a file of the repository.
    here = os.getcwd()
    os.chdir(tmp_path_factory.getbasetemp())
    try:
        out, err = io.StringIO(), io.StringIO()
        stdin = io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8")
        code = ask.main(["--model", synthetic_model_dir] + argv, stdin=stdin, out=out, err=err)
    finally:
        os.chdir(here)
    assert code in EXIT_CODES
    assert "Traceback" not in err.getvalue()
    assert _visible(out.getvalue()) and _visible(err.getvalue())
    if code == 2:
        assert len(err.getvalue().splitlines()) == 1


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_fast_paths_give_the_full_unicode_results(text):
    from anyascii import anyascii

    from item2vec.query.names import _normalize_unicode

    assert normalize(text) == _normalize_unicode(text)
    assert anyascii(text) == text  # so ascii_key may skip it for ASCII keys
