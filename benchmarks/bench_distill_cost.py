"""Distillation CPU seconds: the defaults against other parameters, set by set.

For every suite set of at most 10k rows (``suite_datasets.py``; ``--sets`` to
choose): the training part of ``bench_suite.py``'s split (stratified 2/3, seed
0), standardised; ``DatasetDistiller(architectures=((32, 32),),
random_state=--seed)`` fitted with its defaults and then with ``--params``, one
after the other in this process, so that both see the same load on a shared
machine. Prints the process CPU seconds of each ``fit`` (torch on one thread)
and its outer iterations, and the totals. The numba kernels are compiled before
the first set, so no fit pays for the compilation.

    python benchmarks/bench_distill_cost.py --params n_epochs=24,n_models=2

``--then``, ``--extend`` and ``--min-steps`` time the progressive horizon of
``bench_horizon.py`` (both runs) in place of the fit at ``--params``.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import parse_params  # noqa: E402
from bench_horizon import fit_progressive  # noqa: E402
from suite_datasets import SUITE_NAMES, load_suite  # noqa: E402

from skdistill import DatasetDistiller  # noqa: E402

HIDDEN = (32, 32)
MAX_ROWS = 10_000


def cpu_seconds(X, y, params, seed):
    distiller = DatasetDistiller(architectures=(HIDDEN,), random_state=seed, **params)
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        distiller.fit(X, y)
    return time.process_time() - start, distiller.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="", help="e.g. n_epochs=24,n_models=2")
    parser.add_argument("--then", default="", help="see bench_horizon.py")
    parser.add_argument("--extend", choices=("last", "repeat"), default="last")
    parser.add_argument("--min-steps", type=int, help="see bench_horizon.py")
    parser.add_argument("--sets", help=f"comma-separated, of {SUITE_NAMES}")
    parser.add_argument("--seed", type=int, default=0, help="distillation seed")
    args = parser.parse_args()
    if not args.params and not args.then:
        parser.error("give --params or --then: the setting timed against the defaults")
    params = parse_params(args.params)
    then = parse_params(args.then) if args.then else None
    label = args.params + (f" then {args.then}" if then is not None else "")
    if then is not None and args.min_steps is not None:
        label += f" (min steps {args.min_steps})"
    names = args.sets.split(",") if args.sets else None
    rng = np.random.RandomState(0)
    X_warm, y_warm = rng.randn(60, 3), np.arange(60) % 2
    DatasetDistiller(max_iter=5, random_state=0).fit(X_warm, y_warm)  # compile
    print(f"DatasetDistiller(architectures=({HIDDEN},)); seed {args.seed}")
    print(f"| set | rows | defaults: CPU s | iters | {label}: CPU s | iters |")
    print("|---|---|---|---|---|---|")
    totals = np.zeros(2)
    for data in load_suite(names):
        if len(data.y) > MAX_ROWS and names is None:
            continue
        X, _, y, _ = train_test_split(
            data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
        )
        X = StandardScaler().fit_transform(X)
        base = cpu_seconds(X, y, {}, args.seed)
        _, seconds, n_iter = fit_progressive(
            X, y, params, then, args.seed, args.extend, args.min_steps
        )
        other = seconds, n_iter
        totals += base[0], other[0]
        print(
            f"| {data.name} | {len(data.y)} | {base[0]:.1f} | {base[1]} | "
            f"{other[0]:.1f} | {other[1]} |",
            flush=True,
        )
    print(f"total CPU s: defaults {totals[0]:.1f}, {label} {totals[1]:.1f}")


if __name__ == "__main__":
    main()
