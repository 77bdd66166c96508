"""Cross-architecture table of Medvedev & D'yakonov (2020), Tables 1 and 2.

Data distilled for a 1-layer (linear, ``()``), a 2-layer (``(10,)``) and a
4-layer (``(10, 10, 10)``) network, each tested on all three architectures with
the learned schedule and the three strategies of section 5.3 (Table 1); then
data distilled for all three architectures at once (Table 2).

Paper setting: make_moons(n_samples=1500, noise=0.05, random_state=8), a 2:1
split, n_steps=40, n_epochs=5, samples_per_step=8, n_models=3, batch_size=64,
max_iter=800 (50 outer epochs).

Usage::

    python benchmarks/bench_cross_architecture.py              # paper setting
    python benchmarks/bench_cross_architecture.py --max-iter 200
    python benchmarks/bench_cross_architecture.py --quick       # smoke run
    python benchmarks/bench_cross_architecture.py --json rows.json  # rows as JSON
    python benchmarks/bench_cross_architecture.py --params lr_max=1.0
"""

import argparse

from _harness import (
    Report,
    Timer,
    add_harness_arguments,
    limited_threads,
    parse_params,
)
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

from skdistill import DatasetDistiller
from skdistill._eval.metrics import comparison_table
from skdistill._tabular.classifier import DistilledMLPClassifier

ARCHITECTURES = {"1-layer": (), "2-layer": (10,), "4-layer": (10, 10, 10)}
SCHEDULES = ("distilled", "strategy1", "strategy2", "strategy3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-iter",
        type=int,
        default=800,
        help="outer iterations of each distillation (paper: 800)",
    )
    parser.add_argument(
        "--n-models",
        type=int,
        default=25,
        help="freshly initialised test networks per cell",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: --max-iter 20 --n-models 5"
    )
    parser.add_argument(
        "--params", help="extra DatasetDistiller parameters, e.g. lr_max=1.0"
    )
    add_harness_arguments(parser, seed=0)
    args = parser.parse_args()
    if args.quick:
        args.max_iter, args.n_models = 20, 5
    report = Report(__file__, args, threads=1)
    with Timer() as total, limited_threads(1):
        measure(args, report)
    print(f"\nwall time: {total.wall:.0f} s")
    report.write(args.json)


def measure(args, report):
    X, y = make_moons(n_samples=1500, noise=0.05, random_state=8)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.33, random_state=8
    )
    config = dict(
        n_steps=40,
        n_epochs=5,
        samples_per_step=8,
        n_models=3,
        batch_size=64,
        max_iter=args.max_iter,
        random_state=args.seed,
        **parse_params(args.params),
    )
    print(
        f"distiller: {config} (other parameters: default); "
        f"test networks per cell: {args.n_models}"
    )
    # Test networks on ordinary data: Adam, 500 epochs (the paper's "original").
    estimator = DistilledMLPClassifier(
        max_iter=500, learning_rate_init=0.01, n_iter_no_change=500
    )
    distillers = {}
    for name, hidden in ARCHITECTURES.items():
        with Timer() as timer:
            distillers[name] = DatasetDistiller(architectures=(hidden,), **config).fit(
                X_train, y_train
            )
        print(
            f"distilled for {name}: {timer.wall:.0f} s, final "
            f"objective {distillers[name].loss_curve_[-1]:.3f}",
            flush=True,
        )
    table1 = comparison_table(
        X_train,
        y_train,
        X_test,
        y_test,
        distillers,
        architectures=ARCHITECTURES,
        schedules=SCHEDULES,
        estimator=estimator,
        n_models=args.n_models,
        random_state=args.seed,
    )
    print(
        "\nTable 1: data distilled for one architecture (rows), tested on each "
        "(columns)\n"
    )
    print(table1.to_markdown(), flush=True)
    report.table(table1, table="Table 1")

    joint = DatasetDistiller(architectures=tuple(ARCHITECTURES.values()), **config)
    with Timer() as timer:
        joint.fit(X_train, y_train)
    print(
        f"\ndistilled for all three: {timer.wall:.0f} s, final "
        f"objective {joint.loss_curve_[-1]:.3f}"
    )
    table2 = comparison_table(
        X_train,
        y_train,
        X_test,
        y_test,
        {"all three": joint},
        architectures=ARCHITECTURES,
        schedules=SCHEDULES,
        estimator=estimator,
        include_original=False,
        n_models=args.n_models,
        random_state=args.seed,
    )
    print("\nTable 2: data distilled for all three architectures at once\n")
    print(table2.to_markdown())
    report.table(table2, table="Table 2")


if __name__ == "__main__":
    main()
