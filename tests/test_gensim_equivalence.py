"""The numpy query path answers exactly like gensim's KeyedVectors, and never imports gensim.

Importing gensim takes most of a second, so ``ask.py`` reimplements
``most_similar`` in numpy (:mod:`item2vec.model.vectors`); these tests pin that
reimplementation to gensim on a small trained model and check that the query
path's imports stay light.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from gensim.models import Word2Vec

from conftest import REPO
from item2vec.model.vectors import ArtistVectors, unit_rows
from item2vec.research.synthetic import make_plays
from item2vec.training.corpus import build_sentences

TOL = 1e-5
HEAVY = ("gensim", "pandas", "scipy", "tqdm", "sklearn", "matplotlib", "implicit")


@pytest.fixture(scope="module")
def spaces():
    """gensim KeyedVectors and our ArtistVectors holding the same trained vectors."""
    plays, _ = make_plays(n_users=300, n_genres=4, artists_per_genre=25, seed=11)
    vocab = np.unique(plays["artist_id"].to_numpy())
    sentences = build_sentences(plays, vocab, "none", 1, seed=3)
    model = Word2Vec(
        sentences, vector_size=16, window=50, min_count=1, sg=1, negative=5, epochs=3, seed=5, workers=1
    )
    keyed = model.wv
    ids = np.array([int(k) for k in keyed.index_to_key])
    order = np.argsort(ids)
    ours = ArtistVectors(ids[order], unit_rows(keyed.vectors[order]))
    return keyed, ours


def assert_same(gensim_result, ours_result):
    keys = [int(k) for k, _ in gensim_result]
    scores = np.array([s for _, s in gensim_result])
    ids, our_scores = ours_result
    assert ids.tolist() == keys
    np.testing.assert_allclose(our_scores, scores, atol=TOL, rtol=0)


def test_single_artist_queries_match_gensim(spaces):
    keyed, ours = spaces
    for artist_id in ours.ids:
        assert_same(keyed.most_similar(str(artist_id), topn=10), ours.most_similar(int(artist_id), topn=10))


def test_positive_and_negative_combinations_match_gensim(spaces):
    keyed, ours = spaces
    rng = np.random.default_rng(0)
    shapes = [(2, 0), (1, 1), (2, 1), (3, 2), (0, 1)]
    for n_pos, n_neg in shapes * 8:
        chosen = rng.choice(ours.ids, size=n_pos + n_neg, replace=False)
        pos, neg = [int(i) for i in chosen[:n_pos]], [int(i) for i in chosen[n_pos:]]
        expected = keyed.most_similar(positive=[str(i) for i in pos], negative=[str(i) for i in neg], topn=15)
        assert_same(expected, ours.most_similar(pos, neg, topn=15))


def test_allowed_mask_equals_filtering_gensims_full_ranking(spaces):
    keyed, ours = spaces
    allowed = np.arange(len(ours)) % 3 != 0
    allowed_keys = {str(i) for i in ours.ids[allowed]}
    for artist_id in ours.ids[:20]:
        full = keyed.most_similar(str(artist_id), topn=len(ours))
        expected = [(k, s) for k, s in full if k in allowed_keys][:7]
        assert_same(expected, ours.most_similar(int(artist_id), topn=7, allowed=allowed))


def heavy_modules_loaded(model_dir, before=""):
    """Heavy modules present after ``ask.py`` answers one query in a fresh interpreter."""
    code = (
        f"import sys, runpy\n{before}\n"
        f"sys.argv = ['ask.py', 'g0-a1', '--model', {model_dir!r}]\n"
        "try:\n    runpy.run_path('ask.py', run_name='__main__')\n"
        "except SystemExit as exit:\n    code = exit.code\n"
        f"print(code, ' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": REPO},
    )
    status, _, loaded = done.stderr.strip().splitlines()[-1].partition(" ")
    assert status == "0", done.stderr
    assert "g0-a" in done.stdout  # it really answered
    return loaded.split()


def test_query_path_imports_no_heavy_library(synthetic_model_dir):
    assert heavy_modules_loaded(synthetic_model_dir) == []


def test_heavy_import_check_detects_a_heavy_import(synthetic_model_dir):
    # The check above must be able to fail: the same run with pandas imported first reports it.
    assert "pandas" in heavy_modules_loaded(synthetic_model_dir, before="import pandas")
