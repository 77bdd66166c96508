"""Which of the distiller's defaults costs the transfer of a distilled set to
another architecture?

A set distilled for a 2-layer network (make_moons, the cross-architecture
setting of ``bench_cross_architecture.py``) trains fresh 2-layer and 4-layer
networks; the distiller runs at today's defaults with one default set to the
papers' value, and at the papers' values with one set to today's. Columns:
outer iterations, the replay accuracy of 10 fresh networks of each
architecture, the learned learning rates' mean and maximum, and the median
distance of a distilled row to its nearest real row.

    python benchmarks/bench_transfer_defaults.py --seeds 0,1
    python benchmarks/bench_transfer_defaults.py --seeds 0,1 --params lr_max=1.0

With ``--params``: one row, today's defaults plus the parameters. Everything
runs on one thread (torch, BLAS).
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import parse_params  # noqa: E402

from skdistill import (  # noqa: E402
    DatasetDistiller,
    DistilledMLPClassifier,
    distillation_accuracy,
)

#: The papers' values of the four defaults that changed since.
PAPER_DEFAULTS = {
    "init": "noise",
    "validation_fraction": None,
    "learning_rate": 0.003,
    "average_decay": None,
}


def transfer_ablation(seeds, n_nets=10, params=None):
    """Which default costs the transfer of a set distilled for a 2-layer
    network to a 4-layer one? The cross-architecture setting (make_moons,
    n_steps=40, n_epochs=5, samples_per_step=8, n_models=3, batch_size=64,
    max_iter=800), the distiller at today's defaults with one default set to
    the papers' value, and at the papers' values with one set to today's.
    With ``params`` (``--params``): only today's defaults plus ``params``."""
    from sklearn.datasets import make_moons
    from sklearn.neighbors import NearestNeighbors

    X, y = make_moons(n_samples=1500, noise=0.05, random_state=8)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.33, random_state=8
    )
    variants = {"today's defaults": {}}
    for key, value in PAPER_DEFAULTS.items():
        variants[f"today's, {key}={value}"] = {key: value}
    variants["the papers' defaults"] = dict(PAPER_DEFAULTS)
    for key in PAPER_DEFAULTS:
        papers = {k: v for k, v in PAPER_DEFAULTS.items() if k != key}
        variants[f"the papers', {key} today's"] = papers
    if params:
        variants = {
            "today's, " + ", ".join(f"{k}={v}" for k, v in params.items()): params
        }
    print(
        "| distiller | seed | outer iterations | (10,) | (10, 10, 10) "
        "| learned rate mean / max | row to nearest real row, median |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, params in variants.items():
        for seed in seeds:
            distiller = DatasetDistiller(
                architectures=((10,),),
                n_steps=40,
                n_epochs=5,
                samples_per_step=8,
                n_models=3,
                batch_size=64,
                max_iter=800,
                random_state=seed,
                **params,
            ).fit(X_train, y_train)
            cells = []
            for hidden in ((10,), (10, 10, 10)):
                score = distillation_accuracy(
                    DistilledMLPClassifier(
                        hidden_layer_sizes=hidden,
                        distiller=FrozenEstimator(distiller),
                    ),
                    X_train,
                    y_train,
                    X_test,
                    y_test,
                    n_models=n_nets,
                    random_state=0,
                )
                cells.append(f"{score.mean:.3f} ± {score.std:.3f}")
            lrs = np.asarray(distiller.lr_schedule_)
            rows = np.asarray(distiller.distilled_X_).reshape(-1, X.shape[1])
            distance = NearestNeighbors(n_neighbors=1).fit(X_train).kneighbors(rows)
            print(
                f"| {name} | {seed} | {distiller.n_iter_} | {cells[0]} | {cells[1]} "
                f"| {lrs.mean():.2f} / {lrs.max():.2f} "
                f"| {np.median(distance[0]):.3f} |",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds")
    parser.add_argument(
        "--params",
        help="one row: today's defaults plus these DatasetDistiller parameters",
    )
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        transfer_ablation(seeds, params=parse_params(args.params))


if __name__ == "__main__":
    main()
