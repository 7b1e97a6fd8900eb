"""Latin spellings of artist names written in other scripts, computed when a model is built.

People type "Ayumi Hamasaki" for 浜崎あゆみ and "Mumiy Troll" or "Mumii Troll" for Мумий
Тролль. anyascii, which the query path uses, reads every Han character as Chinese
(浜崎あゆみ -> "BangQiayumi") and knows one spelling of Cyrillic, so the usual spellings
of such names are computed here, once, with libraries of the ``train`` extra, and stored
in the model folder (``catalog.npz``, :class:`~item2vec.model.catalog.Catalog`'s
``romanized``): asking needs none of them and pays no start-up time for them.

Per script (a name may have several; Latin parts pass through):

* kana, or Han with kana: Japanese readings, Hepburn, from cutlet (MeCab with UniDic: "Kouda
  Kumi" for 倖田來未, English spellings of loan words, "Spitz") and from pykakasi (its own
  dictionary: "Hamasaki" where UniDic says "Hamazaki"), each also with long vowels written
  short ("Koda", "Otsuka");
* Han alone: the Japanese readings and pinyin without tones (a name in Han alone may be
  either), the pinyin also with the given name first (周杰伦: "Zhou Jielun", "Jielun Zhou");
* Hangul: the Revised Romanisation (korean-romanizer), also with "shi" for its "si"; for a
  personal name of 2-4 syllables also the family name in its usual spellings ("Lee", "Kim",
  "Park": :data:`KOREAN_FAMILY_NAMES`), and given name first;
* Cyrillic: the schemes of :data:`CYRILLIC_SCHEMES` (iuliia), which differ where people's
  spellings differ ("Mumiy", "Mumii", "Mumy", "Mumij").

A name of two words also gets them swapped ("Hamasaki Ayumi"). A key is lower-case ASCII
words separated by single spaces; the query path compares it with what was typed under
:func:`item2vec.query.names.skeleton` (no spaces or punctuation), and offers its words to
the fuzzy suggestions. Translations ("Girls' Generation" for 소녀시대) are not spellings:
they would need alias data the data set does not have.
"""

import functools
import re
import unicodedata

from anyascii import anyascii

from ..errors import MissingExtraError

#: The libraries the keys come from (the ``train`` extra); their versions go into metadata.json.
LIBRARIES = ("cutlet", "fugashi", "unidic_lite", "pykakasi", "pypinyin", "iuliia", "korean_romanizer")
#: iuliia's schemes: the Wikipedia and Yandex spellings people type, the passport (ICAO, used
#: by "Mumii Troll"), the US/UK geographic, metro, scholarly and GOST ones, and Telegram's.
CYRILLIC_SCHEMES = (
    "WIKIPEDIA",
    "YANDEX_MAPS",
    "ICAO_DOC_9303",
    "BGN_PCGN",
    "MOSMETRO",
    "SCIENTIFIC",
    "GOST_7034",
    "TELEGRAM",
    "ALA_LC",
)
#: The usual Latin spellings of the commonest Korean family names, besides the Revised
#: Romanisation's own ("I Hyori" is typed "Lee Hyori").
KOREAN_FAMILY_NAMES = {
    "이": ("lee", "yi", "rhee"),
    "김": ("kim",),
    "박": ("park", "pak"),
    "최": ("choi",),
    "정": ("jung", "chung"),
    "강": ("kang",),
    "조": ("cho",),
    "윤": ("yoon",),
    "장": ("jang", "chang"),
    "임": ("lim",),
    "한": ("han",),
    "오": ("oh",),
    "서": ("suh",),
    "신": ("shin",),
    "권": ("kwon",),
    "황": ("hwang",),
    "안": ("ahn",),
    "송": ("song",),
    "류": ("ryu", "yoo"),
    "유": ("yoo",),
    "전": ("jun", "chun"),
    "홍": ("hong",),
    "고": ("ko",),
    "문": ("moon",),
    "양": ("yang",),
    "손": ("sohn",),
    "배": ("bae",),
    "백": ("paik", "baik"),
    "허": ("huh",),
    "남": ("nam",),
    "노": ("noh", "roh"),
    "하": ("ha",),
    "성": ("sung",),
    "차": ("cha",),
    "구": ("koo",),
    "민": ("min",),
    "진": ("jin",),
    "지": ("ji",),
    "엄": ("um",),
    "채": ("chae",),
    "원": ("won",),
    "천": ("chun",),
    "현": ("hyun",),
    "변": ("byun",),
    "우": ("woo",),
    "주": ("joo",),
}
#: At most this many keys per name (a long mixed name multiplies its variants).
MAX_KEYS_PER_NAME = 48

_WORD = re.compile(r"[0-9a-z]+")
#: Soft and hard signs (ʹ ʺ), apostrophes: marks inside a word, not between words.
_APOSTROPHE = re.compile(r"['`\"]")
_LONG_VOWELS = (("ou", "o"), ("oo", "o"), ("uu", "u"))


def check_available():
    """Raise MissingExtraError unless the romanisation libraries can be imported (before a long run)."""
    _libraries()


def check_available_apart():
    """:func:`check_available` in a child process: the same check and message, without keeping
    the libraries and their dictionaries (about 170 MB) loaded in this process.

    The Spark engine's driver runs beside its JVM until the model is written, after the JVM
    has stopped: only then does it need the libraries. A process that has already loaded
    them (an earlier check or model build in it) has nothing to keep out, and no child is
    started: a child costs about 0.8 s of CPU, each run.
    """
    if _libraries.cache_info().currsize:
        return
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = (
        "import sys\n"
        "from item2vec.errors import MissingExtraError\n"
        "from item2vec.training.romanization import check_available\n"
        "try:\n    check_available()\n"
        "except MissingExtraError as exc:\n    sys.exit('missing: ' + str(exc))\n"
    )
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        if last.startswith("missing: "):
            raise MissingExtraError(last.removeprefix("missing: "))
        raise MissingExtraError(f"the romanisation libraries of the train extra cannot be loaded: {last}")


@functools.cache
def _libraries():
    try:
        import cutlet
        import iuliia
        import pykakasi
        import pypinyin
        from korean_romanizer.romanizer import Romanizer
    except ImportError as exc:
        raise MissingExtraError(
            f"building a model needs the romanisation libraries of the train extra ({exc.name} is "
            "missing): pip install -e '.[train]'"
        ) from None
    # MeCab (under cutlet) finds its dictionary through unidic-lite; say so if that fails.
    try:
        japanese = (cutlet.Cutlet(), cutlet.Cutlet(use_foreign_spelling=False))
    except RuntimeError as exc:
        raise MissingExtraError(
            f"cutlet cannot start MeCab ({str(exc).strip().splitlines()[0]}): pip install unidic-lite"
        ) from None
    schemes = tuple(getattr(iuliia, s) for s in CYRILLIC_SCHEMES)
    return {
        "cutlet": japanese,
        "kakasi": pykakasi.kakasi(),
        "pinyin": pypinyin.lazy_pinyin,
        "iuliia": schemes,
        "korean": Romanizer,
    }


def library_versions():
    """``{library: version}`` of :data:`LIBRARIES` (the keys depend on them, as vectors on gensim)."""
    from importlib import metadata

    names = {"unidic_lite": "unidic-lite", "korean_romanizer": "korean-romanizer"}
    versions = {}
    for module in LIBRARIES:
        try:
            versions[module] = metadata.version(names.get(module, module))
        except metadata.PackageNotFoundError:
            versions[module] = "missing"
    return versions


def _script(c):
    cp = ord(c)
    if 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F:
        return "kana"
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF:
        return "han"
    if cp == 0x3005:  # 々, the Japanese repetition mark
        return "han"
    if 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return "hangul"
    if 0x0400 <= cp <= 0x052F:
        return "cyrillic"
    return None


def scripts(name):
    """The scripts of ``name`` this module romanises: a subset of kana, han, hangul, cyrillic."""
    return {s for s in map(_script, unicodedata.normalize("NFKC", name)) if s}


def words(text):
    """Lower-case ASCII words of a romanisation (diacritics dropped, apostrophes inside a word too).

    >>> words("Okean Yel’zi")
    ['okean', 'yelzi']
    """
    return _WORD.findall(_APOSTROPHE.sub("", anyascii(text).lower()))


def _short_vowels(key):
    for long, short in _LONG_VOWELS:
        key = key.replace(long, short)
    return key


def _orders(parts):
    """The words in order and, for a name of two, swapped."""
    yield parts
    if len(parts) == 2:
        yield parts[::-1]


def _japanese(name, libs):
    readings = [c.romaji(name) for c in libs["cutlet"]]
    readings.append(" ".join(part["hepburn"] or part["orig"] for part in libs["kakasi"].convert(name)))
    for reading in readings:
        parts = words(reading)
        yield parts
        yield [_short_vowels(p) for p in parts]


def _chinese(name, libs):
    syllables = [s for s in libs["pinyin"](name) if s.strip()]
    parts = words(" ".join(syllables))
    yield parts
    han = [c for c in name if _script(c) == "han"]
    if 2 <= len(han) <= 4 and len(han) == len(name.strip()):
        # A personal name: the family name, then the given name as one word, either way round.
        given = "".join(parts[1:])
        yield [parts[0], given]


def _korean(name, libs):
    romanize = libs["korean"]
    revised = words(romanize(name).romanize())
    yield revised
    # 시 is "si" in the Revised Romanisation and "shi" in most names as written ("Dong Bang Shin Ki").
    if any("si" in w for w in revised):
        yield [w.replace("si", "shi") for w in revised]
    plain = name.strip()
    if 2 <= len(plain) <= 4 and all(_script(c) == "hangul" for c in plain):
        given = "".join(words(romanize(plain[1:]).romanize()))
        family = words(romanize(plain[0]).romanize())
        for spelling in (*family, *KOREAN_FAMILY_NAMES.get(plain[0], ())):
            yield [spelling, given]


def _cyrillic(name, libs):
    for scheme in libs["iuliia"]:
        yield words(scheme.translate(name))


_READERS = {
    "kana": (_japanese,),
    "han": (_japanese, _chinese),
    "hangul": (_korean,),
    "cyrillic": (_cyrillic,),
}


def name_keys(name):
    """The Latin keys of one name, best first, without duplicates; ``[]`` for a Latin name.

    >>> name_keys("Мумий Тролль")[:3]
    ['mumy troll', 'mumiy troll', 'mumii troll']
    """
    found = scripts(name)
    if not found:
        return []
    if "kana" in found:
        found.discard("han")  # Han with kana is Japanese
    libs = _libraries()
    text = unicodedata.normalize("NFKC", name)
    keys = {}
    for script in ("kana", "han", "hangul", "cyrillic"):
        if script not in found:
            continue
        for reader in _READERS[script]:
            for parts in reader(text, libs):
                for ordered in _orders(parts):
                    if ordered:
                        keys.setdefault(" ".join(ordered), None)
    return list(keys)[:MAX_KEYS_PER_NAME]


def catalog_keys(names):
    """``(rows, keys)``: every Latin key of every name of a catalogue, by catalogue row.

    Parameters
    ----------
    names : list of str
        The catalogue's names, in its order.

    Returns
    -------
    rows : list of int
        Catalogue row of each key, increasing.
    keys : list of str
    """
    rows, keys = [], []
    for row, name in enumerate(names):
        for key in name_keys(name):
            rows.append(row)
            keys.append(key)
    return rows, keys
