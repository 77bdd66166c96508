"""Distilled set versus the baselines of the distillation papers, on digits.

Sucholutsky & Schonlau (2019), section 4.2 (after Wang et al. 2018): a
distilled set is compared with sets of the same size made of random real rows,
the best of several random sets ("optimized real"), per-class k-means centroids
and per-class averages, each used to train the networks; and with a
1-nearest-neighbour classifier on random real rows and on k-means centroids.
Run with 10 distilled rows (one per class) and with 5 (fewer than the 10
classes: only soft labels can speak for every class).

Data: sklearn.datasets.load_digits, train_test_split(test_size=0.33,
random_state=0), features standardised on the training part.

Usage::

    python benchmarks/bench_baselines_digits.py              # recorded setting
    python benchmarks/bench_baselines_digits.py --quick      # smoke run
    python benchmarks/bench_baselines_digits.py --json rows.json  # and the rows as JSON
"""

import argparse

from _harness import Report, Timer, add_harness_arguments, limited_threads
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdistill import DatasetDistiller
from skdistill._eval.metrics import comparison_table
from skdistill._tabular.baselines import (
    ClassMeanSampler,
    KMeansSampler,
    OptimizedRealSampler,
    RandomRealSampler,
)
from skdistill._tabular.classifier import DistilledMLPClassifier

ARCHITECTURES = {"linear": (), "(32,)": (32,), "(64, 32)": (64, 32)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-iter",
        type=int,
        default=1500,
        help="outer iterations of each distillation",
    )
    parser.add_argument(
        "--n-epochs",
        type=int,
        default=10,
        help="internal gradient steps over the distilled rows",
    )
    parser.add_argument(
        "--n-models",
        type=int,
        default=20,
        help="freshly initialised test networks per cell",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: --max-iter 30 --n-models 3"
    )
    add_harness_arguments(parser, seed=0)
    args = parser.parse_args()
    if args.quick:
        args.max_iter, args.n_models = 30, 3
    report = Report(__file__, args, threads=1)
    with Timer() as total, limited_threads(1):
        measure(args, report)
    print(f"\nwall time: {total.wall:.0f} s")
    report.write(args.json)


def measure(args, report):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.33, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    # Networks on real rows: Adam, up to 500 epochs.
    estimator = DistilledMLPClassifier(
        max_iter=500, learning_rate_init=0.01, n_iter_no_change=50
    )
    for n_rows in (10, 5):
        # One step over all n_rows synthetic rows, taken n_epochs times with
        # learned rates, distilled for the three test architectures at once.
        distiller = DatasetDistiller(
            n_steps=1,
            n_epochs=args.n_epochs,
            samples_per_step=n_rows,
            architectures=tuple(ARCHITECTURES.values()),
            n_models=3,
            batch_size=256,
            max_iter=args.max_iter,
            random_state=args.seed,
        )
        with Timer() as timer:
            distiller.fit(X_train, y_train)
        print(
            f"\n{n_rows} rows: distilled in {timer.wall:.0f} s "
            f"({distiller.get_params()})",
            flush=True,
        )
        baselines = {
            "random real": RandomRealSampler(n_samples=n_rows),
            "optimized real": OptimizedRealSampler(n_samples=n_rows, n_candidates=20),
            "k-means": KMeansSampler(n_samples=n_rows),
            "average real": ClassMeanSampler(n_samples=n_rows),
        }
        table = comparison_table(
            X_train,
            y_train,
            X_test,
            y_test,
            {f"distilled ({n_rows} rows)": distiller},
            baselines=baselines,
            knn=("random real", "k-means"),
            architectures=ARCHITECTURES,
            schedules=("distilled", "strategy2"),
            estimator=estimator,
            n_models=args.n_models,
            random_state=args.seed,
        )
        print(
            f"\nDigits, {n_rows} rows; test accuracy (r_M in parentheses), "
            f"{args.n_models} networks per cell\n"
        )
        print(table.to_markdown(ratio=True), flush=True)
        report.table(table, distilled_rows=n_rows, distill_seconds=timer.wall)


if __name__ == "__main__":
    main()
