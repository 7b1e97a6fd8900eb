"""The on-disk cache of the synthetic model (tests/model_cache.py), used by the mutation runs."""

import os

import model_cache

from conftest import SMALL_CONFIG, SYNTHETIC_DATA
from item2vec.model.storage import load_model
from item2vec.training.trainer import TrainConfig, train_and_save

INPUTS = {"data": SYNTHETIC_DATA, "config": SMALL_CONFIG}


def _files(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as handle:
            out[name] = handle.read()
    return out


def test_without_the_variable_every_session_builds_its_own(tmp_path):
    built = []
    for i in range(2):
        model_cache.provide(str(tmp_path / str(i)), INPUTS, built.append, environ={})
    assert built == [str(tmp_path / "0"), str(tmp_path / "1")]
    assert not (tmp_path / "0").exists()  # provide only made what build made


def test_a_cached_build_is_copied_whole_and_never_rebuilt(tmp_path, synthetic_dataset):
    environ = {model_cache.ENV: str(tmp_path / "cache")}
    calls = []

    def build(out):
        calls.append(out)
        train_and_save(synthetic_dataset, out, TrainConfig(**SMALL_CONFIG), progress=False)

    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    model_cache.provide(first, INPUTS, build, environ=environ)
    model_cache.provide(second, INPUTS, build, environ=environ)
    assert calls == [first]
    assert _files(second) == _files(first)
    assert load_model(second).vectors.ids.tolist() == load_model(first).vectors.ids.tolist()
    # Only the finished folder is left in the cache, under its key.
    assert os.listdir(tmp_path / "cache") == [model_cache.key(INPUTS, environ=environ)]
    # Another configuration is another folder.
    model_cache.provide(str(tmp_path / "third"), {**INPUTS, "seed": 2}, build, environ=environ)
    assert len(calls) == 2


def test_the_key_follows_the_code_that_builds_the_folder():
    sources = model_cache.builder_sources()
    assert {"item2vec.errors", "item2vec.model.storage", "item2vec.ingest.cleaning"} <= set(sources)
    assert {"item2vec.training.trainer", "item2vec.research.synthetic", "item2vec.model"} <= set(sources)
    assert not any(name.startswith(("item2vec.query", "item2vec.cli")) for name in sources)
    base = model_cache.key(INPUTS, sources, environ={})
    assert model_cache.key(INPUTS, sources, environ={}) == base
    edited = {**sources, "item2vec.model.storage": sources["item2vec.model.storage"] + b"\n# edit"}
    assert model_cache.key(INPUTS, edited, environ={}) != base
    assert model_cache.key({**INPUTS, "config": {}}, sources, environ={}) != base
    assert model_cache.key(INPUTS, sources, environ={"OPENBLAS_CORETYPE": "Haswell"}) != base


def test_a_mutant_of_a_building_module_is_another_key_and_one_elsewhere_is_not():
    # mutmut's copy of a module holds every mutant; $MUTANT_UNDER_TEST picks the one that runs.
    sources = model_cache.builder_sources()
    base = model_cache.key(INPUTS, sources, environ={})

    def under(mutant):
        return model_cache.key(INPUTS, sources, environ={"MUTANT_UNDER_TEST": mutant})

    trainer = under("item2vec.training.trainer.x_train__mutmut_3")
    assert trainer != base
    assert under("item2vec.training.trainer.x_train__mutmut_4") != trainer
    assert under("item2vec.model.catalog.xǁCatalogǁindex__mutmut_1") != base
    assert under("item2vec.query.recommender.xǁRecommenderǁrank__mutmut_7") == base
    assert under("item2vec.cli.ask_command.x_main__mutmut_1") == base
    assert under("stats") == under("") == base
