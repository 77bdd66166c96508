"""Long learned runs: replay of distilled sets against the full-data MLP, per seed.

A short loop over distillation seeds for the settings of the horizon section of
``doc/dataset_distiller.md`` (``unroll_window``, ``n_epochs``,
``feature_steps``). For every set and seed: ``DatasetDistiller(architectures=
((32, 32),), random_state=seed, **params)``, its CPU seconds, and the replay
measured exactly as the benchmark that owns the set measures it:

* a suite set (``suite_datasets.py``) as ``bench_suite.py`` does: the stratified
  1/3 test split (seed 0), standardised, ``distillation_accuracy`` of 5 fresh
  (32, 32) networks, against ``MLPClassifier((32, 32), max_iter=500)`` on all
  training rows (3 seeds);
* a table of ``bench_robustness.py`` (``heavy_tails``, ...) as it does: 3 replays
  per distillation (seeds ``1000 * seed + k``), balanced accuracy where the
  table asks for it, against the full-data MLP over the same seeds.

    python benchmarks/bench_horizon.py --sets heavy_tails,fishing --seeds 0,1
    python benchmarks/bench_horizon.py --sets fishing --seeds 0,1,2,3,4 \\
        --params n_epochs=16,unroll_window=40
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_robustness  # noqa: E402
import bench_suite  # noqa: E402
from _harness import parse_params  # noqa: E402
from suite_datasets import SUITE_NAMES, load_suite  # noqa: E402

from skdistill import (  # noqa: E402
    DatasetDistiller,
    DistilledMLPClassifier,
    distillation_accuracy,
)

HIDDEN = (32, 32)


def load(name, seeds):
    """``(X, X_test, y, y_test, replay, full)``: the standardised split, a
    replay scorer ``replay(distiller, seed)`` and the full-data score."""
    if name in bench_robustness.TABLES:
        (X, X_te, y, y_te), balanced = bench_robustness.TABLES[name](False)
        scaler = StandardScaler().fit(X)
        X, X_te = scaler.transform(X), scaler.transform(X_te)

        def replay(distiller, seed):
            frozen = FrozenEstimator(distiller)
            scores = []
            for k in range(bench_robustness.REPLAY_MODELS):
                clf = DistilledMLPClassifier(
                    HIDDEN, distiller=frozen, random_state=1000 * seed + k
                ).fit(X, y)
                scores.append(bench_robustness.score(y_te, clf.predict(X_te), balanced))
            return float(np.mean(scores))

        full = bench_robustness.full_mlp(X, y, X_te, y_te, seeds, balanced)
        return X, X_te, y, y_te, replay, full
    (data,) = load_suite([name])
    X, X_te, y, y_te = train_test_split(
        data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
    )
    scaler = StandardScaler().fit(X)
    X, X_te = scaler.transform(X), scaler.transform(X_te)

    def replay(distiller, seed):
        clf = DistilledMLPClassifier(HIDDEN, distiller=FrozenEstimator(distiller))
        score = distillation_accuracy(clf, X, y, X_te, y_te, n_models=5, random_state=0)
        return score.mean

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full, _ = bench_suite.mlp_accuracy(X, y, X_te, y_te, range(3), max_iter=500)
    return X, X_te, y, y_te, replay, full


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = list(SUITE_NAMES) + list(bench_robustness.TABLES)
    parser.add_argument("--sets", required=True, help=f"comma-separated, of {names}")
    parser.add_argument("--seeds", default="0,1", help="distillation seeds")
    parser.add_argument(
        "--params", default="", help="DatasetDistiller parameters, e.g. n_epochs=16"
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    params = parse_params(args.params)
    print(f"DatasetDistiller(architectures=({HIDDEN},), {args.params}); seeds {seeds}")
    print(
        "| set | full MLP | replay per seed | mean | % of full | % per seed | "
        "lowest % | CPU s | iters |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        if name not in names:
            parser.error(f"unknown set {name!r}; choose from {names}")
        X, _, y, _, replay, full = load(name, seeds)
        scores, cpu, iters = [], [], []
        for seed in seeds:
            distiller = DatasetDistiller(
                architectures=(HIDDEN,), **{**params, "random_state": seed}
            )
            start = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                distiller.fit(X, y)
            cpu.append(time.process_time() - start)
            iters.append(distiller.n_iter_)
            scores.append(replay(distiller, seed))
        per_seed = " / ".join(f"{s:.3f}" for s in scores)
        ratios = 100 * np.asarray(scores) / full
        print(
            f"| {name} | {full:.3f} | {per_seed} | {np.mean(scores):.3f} | "
            f"{np.mean(ratios):.1f} | {' / '.join(f'{r:.1f}' for r in ratios)} | "
            f"{ratios.min():.1f} | {np.mean(cpu):.1f} | "
            f"{' / '.join(map(str, iters))} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
