#!/usr/bin/env python3
"""Training time of the shipped item2vec configuration against the untuned v1.0 defaults.

Both train on the full data with workers=1, alternating, so machine load hits them
alike; prints each run, the medians and their ratio.

  python benchmarks/train_time.py --data ../shared/data --repeats 3
"""

import argparse
import logging
import os
import sys

import numpy as np

from item2vec.data import load_dataset
from item2vec.research.evaluate import UNTUNED
from item2vec.train import TrainConfig, train


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    dataset = load_dataset(args.data)
    configs = {"shipped": TrainConfig(), "untuned v1.0": TrainConfig(**UNTUNED)}
    seconds = {name: [] for name in configs}
    for rep in range(args.repeats):
        for name, config in configs.items():
            seconds[name].append(train(dataset, config, progress=False).seconds)
            print(f"run {rep + 1} {name}: {seconds[name][-1]:.1f} s", flush=True)
    medians = {name: float(np.median(s)) for name, s in seconds.items()}
    for name, m in medians.items():
        print(f"median {name}: {m:.1f} s")
    print(f"ratio shipped / untuned: {medians['shipped'] / medians['untuned v1.0']:.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
