#!/usr/bin/env python3
"""How much two seeds of one Word2Vec configuration agree: the reason the shipped model is a bag.

The shipped vectors hold each member's unit vectors side by side (item2vec.training.trainer.bag_vectors),
so every member can be read back from the model folder. For every artist with at least
``--min-listeners`` listeners, compare its ten nearest neighbours in two members; print the
mean overlap over every pair of members.

  python benchmarks/seed_agreement.py --model models
"""

import argparse
import itertools
import json
import os
import sys

import numpy as np

from item2vec import load_model
from item2vec.errors import ExitCode
from item2vec.model.arrays import rows_of
from item2vec.query.recommender import DEFAULT_TOP


def neighbours(block, queries, k):
    unit = block / np.linalg.norm(block, axis=1, keepdims=True)
    sims = unit[queries] @ unit.T
    sims[np.arange(len(queries)), queries] = -np.inf
    return np.argsort(-sims, axis=1)[:, :k]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models")
    parser.add_argument("--min-listeners", type=int, default=5)
    parser.add_argument(
        "-k", type=int, default=DEFAULT_TOP, help=f"neighbours compared (default {DEFAULT_TOP}, as ask.py)"
    )
    args = parser.parse_args(argv)
    model = load_model(args.model)
    with open(os.path.join(args.model, "metadata.json"), encoding="utf-8") as handle:
        config = json.load(handle)["hyperparameters"]
    members, size = config.get("members", 1), config["vector_size"]
    if members < 2:
        print("error: the model has one member; train one with --members 2 or more", file=sys.stderr)
        return ExitCode.USAGE
    vectors = np.asarray(model.vectors.unit)
    listeners = model.catalog.listeners[rows_of(model.catalog.ids, model.vectors.ids)]
    queries = np.flatnonzero(listeners >= args.min_listeners)
    tops = [neighbours(vectors[:, i * size : (i + 1) * size], queries, args.k) for i in range(members)]
    overlaps = [
        np.mean([len(set(x) & set(y)) / args.k for x, y in zip(tops[a], tops[b], strict=True)])
        for a, b in itertools.combinations(range(members), 2)
    ]
    print(
        f"{len(queries)} artists with >= {args.min_listeners} listeners, {members} members: "
        f"overlap@{args.k} of two members' neighbours, mean {np.mean(overlaps):.3f} "
        f"(pairs from {min(overlaps):.3f} to {max(overlaps):.3f})"
    )
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
