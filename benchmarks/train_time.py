#!/usr/bin/env python3
"""Training time of the shipped configuration (a bag of members) against one member alone.

Both train on the full data, alternating, so machine load hits them alike. Wall time
is what a user waits for (data loading excluded); CPU seconds (this process and its
member processes) depend much less on what else the machine is doing, and
"ideal wall" is the CPU time divided by the processes that can run at once.

The wall ratio needs idle cores. Linux with ``sched_autogroup_enabled=1`` (this project's
shared VMs) divides CPU time between sessions, not processes: while another session keeps
the cores busy, this one gets its share however many member processes it runs, and the
wall ratio tends to the CPU ratio (about 8), as a busy machine's measurements show.

  python benchmarks/train_time.py --data ../shared/data --repeats 3
"""

import argparse
import dataclasses
import logging
import os
import resource
import sys
import time

import numpy as np

from item2vec.errors import ExitCode
from item2vec.ingest.formats import load_dataset
from item2vec.training.trainer import TrainConfig, train


def _cpu_seconds():
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _autogroup():
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled", encoding="ascii") as handle:
            return handle.read().strip() == "1"
    except OSError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="member processes at once (default: the product's, one per core)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    dataset = load_dataset(args.data)
    shipped = TrainConfig()
    configs = {
        f"shipped ({shipped.members} members)": shipped,
        "one member": dataclasses.replace(shipped, members=1),
    }
    wall = {name: [] for name in configs}
    cpu = {name: [] for name in configs}
    for rep in range(args.repeats):
        for name, config in configs.items():
            load = os.getloadavg()[0]
            cpu0, t0 = _cpu_seconds(), time.perf_counter()
            train(dataset, config, progress=False, processes=args.processes)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(_cpu_seconds() - cpu0)
            print(
                f"run {rep + 1} {name}: {wall[name][-1]:.1f} s wall, {cpu[name][-1]:.1f} CPU s "
                f"(load average before {load:.2f})",
                flush=True,
            )
    ideal = {}
    for name, config in configs.items():
        parallel = min(config.members, args.processes or os.cpu_count() or 1)
        ideal[name] = float(np.median(cpu[name])) / parallel
        print(
            f"median {name}: {np.median(wall[name]):.1f} s wall, {np.median(cpu[name]):.1f} CPU s, "
            f"ideal wall on {parallel} idle core(s) {ideal[name]:.1f} s"
        )
    first, second = (float(np.median(wall[name])) for name in configs)
    print(f"ratio {' / '.join(configs)} (median wall): {first / second:.2f}")
    print(f"ratio on idle cores (ideal walls): {ideal[next(iter(configs))] / ideal['one member']:.2f}")
    print(f"target: shipped <= 5x one member's wall on 2 cores; load average now {os.getloadavg()[0]:.2f}")
    if _autogroup():
        print(
            "note: the kernel shares CPU per session (sched_autogroup_enabled=1); with other sessions "
            "busy, the wall ratio measures their load, the idle-core ratio the program"
        )
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
