"""An offline, interactive artist explorer in one self-contained HTML file.

    item2vec-explore --model models/ --out explorer.html

The page holds a search box with the lookup rules of ``ask.py``, the answer
``ask.py ARTIST --explain --discover X`` gives for the chosen artist at the position X of
a slider (every position of the dial), and a 2-D map of every artist with a vector.
Nothing is computed twice in two languages where it matters: every answer is
precomputed here by :meth:`item2vec.query.recommender.Recommender.answer_positions`
with ``ask.py``'s defaults and embedded as a packed table, so the page shows exactly
what the console would, whatever the ranking rule becomes. The page only looks
answers up; it ranks nothing itself.

Building needs the ``explore`` extra (plotly for the map's JavaScript, scikit-learn
for the layout); :mod:`item2vec.query.recommender` and ``ask.py`` never import this package.
"""

from .lookup_tables import answer_tables, dial_table, name_tables, unicode_tables
from .page import MARKER, ExploreError, build_page, check_target, is_explorer_file, page_data, write_page

__all__ = [
    "MARKER",
    "ExploreError",
    "answer_tables",
    "build_page",
    "check_target",
    "dial_table",
    "is_explorer_file",
    "name_tables",
    "page_data",
    "unicode_tables",
    "write_page",
]
