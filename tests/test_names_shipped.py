"""README's table of names in other scripts, checked against the shipped model.

The block between ``<!-- begin scripts -->`` and ``<!-- end scripts -->`` in README.md is
what :func:`scripts_block` computes from ``models/``: per script, how many of the
catalogue's names are found by a Latin spelling, and what the usual spellings of
well-known names find (and what they do not: translations and readings the dictionaries
get wrong). When the model or the lookup changes, the test fails and prints the block to
paste.
"""

import collections
import os

import pytest

from conftest import REPO
from item2vec.errors import UnknownArtistError
from item2vec.model.storage import load_model
from item2vec.query.names import NameIndex
from item2vec.training.romanization import scripts

SHIPPED = os.path.join(REPO, "models")
README = os.path.join(REPO, "README.md")

GROUPS = (
    ("kana", "Japanese (kana, or kana and kanji)"),
    ("han", "Han characters alone (Japanese or Chinese)"),
    ("hangul", "Korean (Hangul)"),
    ("cyrillic", "Cyrillic"),
)
#: Spellings people type for well-known artists of the data, the way a fan or a
#: record shop writes them; the table shows what each finds.
USUAL = [
    "Ayumi Hamasaki",
    "Hamasaki Ayumi",
    "Utada Hikaru",
    "Koda Kumi",
    "Namie Amuro",
    "Nobuo Uematsu",
    "Ai Otsuka",
    "Chihiro Onitsuka",
    "Morning Musume",
    "Arashi",
    "Gilgamesh",
    "Sakamoto Ryuichi",
    "Wang Fei",
    "Lee Hyori",
    "So Nyeo Shi Dae",
    "Mumiy Troll",
    "Mumii Troll",
    "Lyapis Trubetskoy",
    "Leningrad",
    "Joe Hisaishi",
    "Yoko Kanno",
    "Faye Wong",
    "Girls' Generation",
    "TVXQ",
    "Dong Bang Shin Ki",
    "Okean Elzy",
]


def group_of(name):
    found = scripts(name)
    # Kana makes a name Japanese, Hangul Korean (美人圖 beside 미인도), whatever else it holds.
    for key in ("kana", "hangul", "han", "cyrillic"):
        if key in found:
            return key
    return None


def scripts_block(model):
    """The README block: counts per script, then what each usual spelling finds."""
    catalog = model.catalog
    index = NameIndex(catalog)
    names, found = collections.Counter(), collections.Counter()
    for row, name in enumerate(catalog.names):
        group = group_of(name)
        if group is None:
            continue
        names[group] += 1
        artist = int(catalog.ids[row])
        if any(index.resolve(key).artist_id == artist for key in catalog.romanized_of(row)):
            found[group] += 1
    lines = [
        "| names written in | in the catalogue | found by a Latin spelling |",
        "|---|---:|---:|",
    ]
    for key, label in GROUPS:
        lines.append(f"| {label} | {names[key]:,} | {found[key]:,} ({found[key] / names[key]:.0%}) |")
    total, hits = sum(names.values()), sum(found.values())
    lines.append(f"| all of these | {total:,} | {hits:,} ({hits / total:.0%}) |")
    lines += ["", "| typed | finds |", "|---|---|"]
    for typed in USUAL:
        try:
            resolution = index.resolve(typed)
            listeners = catalog.listeners_of(resolution.artist_id)
            result = f"{resolution.name} ({listeners} listener{'' if listeners == 1 else 's'})"
        except UnknownArtistError as exc:
            result = "nothing; suggests " + ", ".join(exc.suggestions[:3]) if exc.suggestions else "nothing"
        lines.append(f"| `{typed}` | {result} |")
    return "\n".join(lines)


def readme_block():
    text = open(README, encoding="utf-8").read()
    return text.split("<!-- begin scripts -->\n", 1)[1].split("<!-- end scripts -->", 1)[0].strip()


def test_readme_table_of_names_in_other_scripts_is_the_shipped_model_s():
    if not os.path.isfile(os.path.join(SHIPPED, "metadata.json")):
        pytest.skip("no shipped model in models/")
    model = load_model(SHIPPED)
    assert len(model.catalog.romanized_keys) > 0, "the shipped model has no Latin spellings: retrain it"
    expected = scripts_block(model)
    assert readme_block() == expected, "README's scripts block should read:\n" + expected
