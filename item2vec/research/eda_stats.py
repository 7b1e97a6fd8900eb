"""Statistics helpers of the EDA: inequality (Gini, Lorenz), the writing system of a name,
and the raw rows and co-listened pairs the loader's view hides."""

import os
import re
import unicodedata

import numpy as np
import pandas as pd

from ..ingest import formats

# Unicode character-name prefixes -> script; anything else counts as "other".
_SCRIPT_PREFIX = {
    "LATIN": "Latin",
    "FULLWIDTH": "Latin",
    "FEMININE": "Latin",
    "MASCULINE": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "CJK": "Han",
    "IDEOGRAPHIC": "Han",
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "KATAKANA-HIRAGANA": "Kana",
    "HANGUL": "Hangul",
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "THAI": "Thai",
}


def gini(values):
    """Gini coefficient of non-negative values (0 = all equal, 1 = one holds everything)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)


def lorenz(values):
    """Lorenz curve: (share of holders, share of the total), both from 0 to 1."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    cum = np.concatenate([[0.0], np.cumsum(x)])
    return np.linspace(0, 1, len(cum)), cum / max(cum[-1], 1e-300)


def _script(ch):
    return _SCRIPT_PREFIX.get(unicodedata.name(ch, "OTHER").split()[0], "other")


def script_of(name):
    """Script class of a name: "Latin", "Cyrillic", "Han", "Japanese" (kana, with or
    without Han), ..., "Latin + other" for Latin mixed with another script, "mixed",
    or "no letters"."""
    scripts = {_script(ch) for ch in name if ch.isalpha()}
    if not scripts:
        return "no letters"
    if "Kana" in scripts and scripts <= {"Kana", "Han"}:
        return "Japanese"
    if len(scripts) == 1:
        return scripts.pop()
    if "Latin" in scripts:
        return "Latin + other"
    return "mixed"


def stray_suffix(name):
    """True for a Latin name glued to one trailing Han or Hangul character
    ("Paramore\u6500"): the pattern of encoding damage, not of a real name."""
    name = name.strip()
    return (
        len(name) > 2
        and _script(name[-1]) in ("Han", "Hangul")
        and not name[-2].isspace()
        and script_of(name[:-1]) == "Latin"
    )


def mixes_latin_cyrillic(name):
    """True when one word holds both Latin and Cyrillic letters (look-alike letters or styling)."""
    return any({"Latin", "Cyrillic"} <= {_script(ch) for ch in word if ch.isalpha()} for word in name.split())


def raw_duplicates(path, fmt):
    """Duplicate (user, artist) rows of the raw play file, before the loader sums them.

    Returns a DataFrame (user, artist_id, plays) of every row whose pair occurs more
    than once, plus the raw row count; ``(None, None)`` for formats it cannot reread.
    """
    layouts = {
        "kaggle": (formats.KAGGLE_PLAYS, ["user_id", "artist_id", "scrobbles"], ","),
        "hetrec": (formats.HETREC_PLAYS, ["userID", "artistID", "weight"], "\t"),
    }
    if fmt not in layouts or not os.path.isdir(path):
        return None, None
    filename, columns, sep = layouts[fmt]
    raw = formats.read_table(os.path.join(path, filename), columns, sep=sep)[columns]
    raw.columns = ["user", "artist_id", "plays"]
    raw = raw.apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce"))
    dup = raw[raw.duplicated(["user", "artist_id"], keep=False)].dropna().astype(np.int64)
    return dup, len(raw)


def co_listen_pairs(plays, vocab=None):
    """Support of every co-listened artist pair: how many users have both.

    Returns the support values of the distinct pairs (upper triangle of the
    artist-by-artist co-occurrence matrix), restricted to ``vocab`` if given.
    """
    from scipy import sparse

    frame = plays if vocab is None else plays[plays["artist_id"].isin(vocab)]
    users = np.unique(frame["user"].to_numpy(), return_inverse=True)[1]
    artists = np.unique(frame["artist_id"].to_numpy(), return_inverse=True)[1]
    x = sparse.csr_matrix((np.ones(len(frame), dtype=np.int32), (users, artists)))
    co = sparse.triu(x.T @ x, k=1).tocoo()
    return co.data


_TITLED_INSIDE_WORD = re.compile(r"[^\W\d_][!$/|:*]\w")


def title_case_damage(name):
    """True when title-casing visibly changed a stylised name: a capital right after ``!$/|:*``
    inside a word (``Ac/Dc``, ``P!Nk``, ``Ke$Ha``). Needs a title-cased name to mean anything."""
    return bool(_TITLED_INSIDE_WORD.search(name)) and any(c.isupper() for c in name[1:])
