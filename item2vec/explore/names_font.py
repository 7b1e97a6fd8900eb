"""The page's own font for names in CJK scripts, Hangul and Cyrillic.

A machine without CJK fonts (a fresh Debian, a headless server) draws 浜崎あゆみ as empty
boxes, in the answer panel and on the map. The page therefore carries a subset of Noto Sans
CJK JP (SIL Open Font License 1.1; ``assets/fonts/OFL.txt``) that holds exactly the
characters of the shipped catalogue's names in those scripts: ``assets/fonts/names.woff``,
with the list of its characters beside it (``names.txt``: those it draws, then those its
source lacks), inlined by :func:`font_face`
and declared with a ``unicode-range``, so it draws those characters and nothing else.

The subset is rebuilt, after a change of the catalogue, by::

    python -m item2vec.explore.names_font --model models/ \\
        --font /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

(Debian's ``fonts-noto-cjk``; fontTools, which the ``eval`` extra installs). A page built
for a model with other characters says how many its font lacks; those fall back to the
browser's own fonts.
"""

import argparse
import base64
import logging
import os
import sys
from importlib import resources

from ..errors import ExitCode

log = logging.getLogger(__name__)

#: The CSS name of the face.
FAMILY = "Item2vec Names"
FONT, CHARACTERS, LICENSE = "fonts/names.woff", "fonts/names.txt", "fonts/OFL.txt"
#: Code point ranges the face draws: Cyrillic, CJK punctuation, kana, Hangul, CJK ideographs,
#: compatibility ideographs, half- and full-width forms.
RANGES = (
    (0x0400, 0x052F),
    (0x1100, 0x11FF),
    (0x3000, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)


def in_ranges(c):
    """Whether the face is meant to draw ``c``."""
    return any(low <= ord(c) <= high for low, high in RANGES)


def wanted(texts):
    """The characters of ``texts`` in :data:`RANGES`, sorted."""
    return sorted({c for text in texts for c in text if in_ranges(c)})


def _asset(name):
    return resources.files(__package__).joinpath("assets", name)


def _lines():
    return (_asset(CHARACTERS).read_text(encoding="utf-8").split("\n") + ["", ""])[:2]


def covered():
    """The characters the shipped subset holds (``names.txt``, first line)."""
    return set(_lines()[0])


def lacking():
    """Characters of the catalogue the source font has no glyph for (``names.txt``, second line)."""
    return set(_lines()[1])


def font_face(texts):
    """The ``@font-face`` rule of the subset, inlined; logs the characters of ``texts`` it lacks.

    Returns
    -------
    str
        CSS: the face :data:`FAMILY`, its WOFF as a ``data:`` URL, its ``unicode-range``.
    """
    # Characters the source font lacks too (Noto Sans CJK has no Ukrainian і) cannot be helped.
    missing = [c for c in wanted(texts) if c not in covered() and c not in lacking()]
    if missing:
        log.warning(
            "%d characters of the names are not in the page's font (they fall back to the browser's "
            "fonts): rebuild it with python -m item2vec.explore.names_font",
            len(missing),
        )
    data = base64.b64encode(_asset(FONT).read_bytes()).decode("ascii")
    ranges = ", ".join(f"U+{low:04X}-{high:04X}" for low, high in RANGES)
    return (
        f'@font-face {{ font-family: "{FAMILY}"; font-display: block; '
        f"src: url(data:font/woff;base64,{data}) format('woff'); unicode-range: {ranges}; }}"
    )


def build_subset(font_path, characters, out_dir, license_text, font_number=0):
    """Write ``names.woff``, ``names.txt`` and ``OFL.txt`` for ``characters`` to ``out_dir``.

    The subset is renamed (the OFL forbids a modified font the original's reserved names),
    keeps the original's copyright notice, and holds only the glyphs of ``characters``.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(font_path, fontNumber=font_number, lazy=False)
    available = set(font.getBestCmap())
    absent = [c for c in characters if ord(c) not in available]
    characters = [c for c in characters if ord(c) in available]
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []  # no vertical forms, ligatures or locale variants: names only
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    original = font["name"].getDebugName(4)
    names = {1: FAMILY, 3: f"{FAMILY} (subset of {original})", 4: FAMILY, 6: FAMILY.replace(" ", "")}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    font.flavor = "woff"
    font.recalcTimestamp = False  # the source font's dates: the same subset gives the same bytes
    os.makedirs(out_dir, exist_ok=True)
    font.save(os.path.join(out_dir, os.path.basename(FONT)))
    with open(os.path.join(out_dir, os.path.basename(CHARACTERS)), "w", encoding="utf-8") as handle:
        # First line: the characters the subset draws; second: those its source lacks.
        handle.write("".join(characters) + "\n" + "".join(absent) + "\n")
    notice = font["name"].getDebugName(0) or ""
    with open(os.path.join(out_dir, os.path.basename(LICENSE)), "w", encoding="utf-8") as handle:
        handle.write(f"{os.path.basename(FONT)}: a subset of {original}, renamed {FAMILY}.\n{notice}\n\n")
        handle.write(license_text)
    return characters


def debian_license(path="/usr/share/doc/fonts-noto-cjk/copyright"):
    """The SIL Open Font License text of Debian's ``fonts-noto-cjk`` copyright file."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    block = text.split("License: SIL-1.1\n", 2)[2].split("\nLicense: ", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in block.splitlines()]
    return "\n".join("" if line == "." else line for line in lines).strip() + "\n"


def main(argv=None):
    """Rebuild the shipped subset from a Noto Sans CJK file and a model's names; returns the exit code."""
    from ..model.storage import load_model

    parser = argparse.ArgumentParser(
        prog="python -m item2vec.explore.names_font", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", default="models", help="the model whose names the font must draw")
    parser.add_argument("--font", required=True, help="Noto Sans CJK (.ttc or .otf)")
    parser.add_argument("--font-number", type=int, default=0, help="the face of a .ttc (default 0: JP)")
    parser.add_argument(
        "--license",
        default="/usr/share/doc/fonts-noto-cjk/copyright",
        help="Debian's copyright file of the font, whose SIL Open Font License text goes beside the subset",
    )
    args = parser.parse_args(argv)
    names = load_model(args.model).catalog.names
    want = wanted(names)
    out_dir = os.path.dirname(str(_asset(FONT)))
    got = build_subset(args.font, want, out_dir, debian_license(args.license), args.font_number)
    print(f"wrote {out_dir}: {len(got)} of the {len(want)} characters wanted", file=sys.stderr)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
