"""The evaluation's item2vec models: one Word2Vec run per (training users, seed, config), cached on disk.

A bag of K members (:func:`item2vec.training.trainer.train` with ``members=K``) is K independent
one-seed runs combined by :func:`item2vec.training.trainer.bag_vectors`. The evaluation needs
the members one by one (the one-seed rows of the ablation are member 0), so it trains
them itself, with the product's own :func:`~item2vec.training.trainer.train` and
:func:`~item2vec.training.trainer.member_config`, and combines them with the product's
``bag_vectors``: the bag evaluated is byte for byte the bag ``train`` would build.

Each member is stored as ``<folder>/<key>.npz`` (artist ids and raw vectors). The key
hashes everything that decides its bytes: the training rows of the split (so the data
and the fold), the member's :class:`~item2vec.training.trainer.TrainConfig`, gensim's version and
the source of the training modules (:data:`TRAINING_SOURCES`). Changing the data, the
split layout, a hyperparameter or the training code therefore retrains; a rerun of the
same evaluation loads every member in a fraction of a second. Missing members are
trained in parallel processes (one Word2Vec worker each, the product bag's processes).
"""

import contextlib
import dataclasses
import hashlib
import json
import os

import numpy as np

from ..training.member_pool import run_in_processes
from ..training.trainer import bag_vectors, member_config, train

#: Product sources whose change must retrain every cached member.
TRAINING_SOURCES = ("training/trainer.py", "training/corpus.py", "training/blas.py")


@dataclasses.dataclass(frozen=True)
class Job:
    """One member to train: ``config`` (members=1) on the training users of ``dataset``.

    ``variant`` (optional) trains it another way (:mod:`.leads`): its ``fit(dataset, config)``
    returns what :func:`~item2vec.training.trainer.train` would.
    """

    dataset: object
    config: object
    key: str
    variant: object = None


def _code_digest():
    import gensim

    h = hashlib.sha256(gensim.__version__.encode())
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in TRAINING_SOURCES:
        with open(os.path.join(root, name), "rb") as handle:
            h.update(handle.read())
    return h.hexdigest()


def _rows_digest(dataset):
    import pandas as pd

    hashed = pd.util.hash_pandas_object(dataset.plays[["user", "artist_id", "plays"]], index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def _variant_digest(variant):
    """What decides a variant member's bytes besides the training code: its class, settings, source."""
    import inspect

    h = hashlib.sha256(f"{type(variant).__module__}.{type(variant).__qualname__}".encode())
    h.update(json.dumps(dataclasses.asdict(variant), sort_keys=True).encode())
    with open(inspect.getsourcefile(type(variant)), "rb") as handle:
        h.update(handle.read())
    return h.hexdigest()


def _fit(dataset, config, variant=None):
    # Module level so that a spawned worker process can import and run it.
    if variant is not None:
        return variant.fit(dataset, config)
    trained = train(dataset, config, progress=False)
    return trained.artist_ids, trained.vectors, trained.seconds


class MemberStore:
    """Cached one-seed item2vec runs, trained on demand.

    Parameters
    ----------
    folder : str
        Where the ``.npz`` files go (created when needed).
    processes : int
        Members trained at once, each in its own process with one Word2Vec worker.
    use_cache : bool
        False: ignore existing files (and overwrite them).
    """

    def __init__(self, folder, processes=2, use_cache=True):
        self.folder = folder
        self.processes = max(1, int(processes))
        self.use_cache = use_cache
        self.code = _code_digest()
        self.hits = 0
        self.trained = 0
        self.train_seconds = 0.0
        self._digests = {}
        self._done = set()  # keys trained or found by this store: never trained twice in one run

    def key(self, dataset, config, variant=None):
        """File stem of the member ``config`` (trained by ``variant``, if given) on ``dataset``."""
        rows = self._digests.get(id(dataset))
        if rows is None:
            rows = self._digests[id(dataset)] = _rows_digest(dataset)
        fields = {"rows": rows, "config": dataclasses.asdict(config), "code": self.code}
        if variant is not None:  # absent otherwise, so the keys of plain members stay as they were
            fields["variant"] = _variant_digest(variant)
        payload = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def path(self, key):
        return os.path.join(self.folder, f"{key}.npz")

    def ensure(self, requests, progress=None):
        """Train every requested member not on disk yet.

        Parameters
        ----------
        requests : list of (Dataset, TrainConfig) or (Dataset, TrainConfig, variant)
            One-seed configs (``members=1``, ``workers=1``); a variant of :mod:`.leads`
            trains the member its own way.
        progress : callable, optional
            Called with a short text after each member is ready.
        """
        jobs, seen = [], set()
        for dataset, config, *variant in requests:
            variant = variant[0] if variant else None
            key = self.key(dataset, config, variant)
            if key in seen or key in self._done:
                continue
            seen.add(key)
            if self.use_cache and os.path.exists(self.path(key)):
                self.hits += 1
                self._done.add(key)
                continue
            jobs.append(Job(dataset, config, key, variant))
        if not jobs:
            return
        os.makedirs(self.folder, exist_ok=True)
        # The cache is a build product: a .gitignore inside keeps it out of any commit.
        ignore = os.path.join(self.folder, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as handle:
                handle.write("*\n")
        if self.processes == 1 or len(jobs) == 1:
            for job in jobs:
                self._save(job, _fit(job.dataset, job.config, job.variant), progress)
            return
        # The product bag's processes: spawned, on the pinned BLAS kernels, stopped on Ctrl-C.
        finished = run_in_processes(
            _fit, [(job.dataset, job.config, job.variant) for job in jobs], self.processes
        )
        with contextlib.closing(finished):  # a failed save stops the other members at once
            for i, result in finished:
                self._save(jobs[i], result, progress)

    def _save(self, job, result, progress):
        ids, vectors, seconds = result
        tmp = self.path(job.key) + ".tmp.npz"
        np.savez(tmp, ids=ids, vectors=vectors, seconds=np.float64(seconds))
        os.replace(tmp, self.path(job.key))
        self._done.add(job.key)
        self.trained += 1
        self.train_seconds += seconds
        if progress:
            progress(f"trained seed {job.config.seed}")

    def load(self, dataset, config, variant=None):
        """Artist ids and raw vectors of one member (trained first if missing)."""
        self.ensure([(dataset, config, variant)])
        with np.load(self.path(self.key(dataset, config, variant))) as z:
            return z["ids"], z["vectors"]

    def bag(self, dataset, config, ids, variant=None):
        """Bag vectors of ``config`` (its ``members`` seeds) for the artists ``ids``, unit rows.

        Every member's vocabulary must be exactly ``ids`` (a split's artist set is the
        item2vec vocabulary by construction); rows come out in that order.
        """
        members = []
        for i in range(config.members):
            member_ids, vectors = self.load(dataset, member_config(config, i), variant)
            if not np.array_equal(member_ids, ids):
                raise ValueError("a member's vocabulary differs from the split's artist set")
            members.append(vectors)
        return bag_vectors(members)

    def summary(self):
        """What this run did with the cache, for evaluation.json."""
        return {
            "loaded": self.hits,
            "trained": self.trained,
            "train_cpu_seconds": round(self.train_seconds, 1),
            "processes": self.processes,
        }


def one_seed_requests(datasets, configs, variant=None):
    """(dataset, member config, variant) for every member of every config on every dataset."""
    out = []
    for dataset in datasets:
        for config in configs:
            out.extend((dataset, member_config(config, i), variant) for i in range(config.members))
    return out
