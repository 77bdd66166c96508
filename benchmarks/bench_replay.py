"""Replay of a distilled set: DistilledMLPClassifier.fit and distillation_accuracy.

A distiller is fitted once at the tabular paper's configuration (one hidden
layer of 10, 3 models, 40 x 5 steps, 8 rows per step, make_moons, noise 0.25;
a short fit: only the distilled set's shape matters here). Then, timed:

* ``fit``: ``DistilledMLPClassifier(distiller=FrozenEstimator(d)).fit`` --
  one network replaying the distilled set with its learned schedule, 10
  repeats (2000 steps) -- ``--fits`` times;
* ``accuracy``: ``distillation_accuracy(..., n_models=20)`` -- 20 networks
  replaying it, batched -- ``--evaluations`` times.

Each prints its seconds per call (median). Run it under two versions of
skdistill to compare them, e.g. ``env PYTHONPATH=/path/to/other python
benchmarks/bench_replay.py``; the timed part is most of the process's time.

Run:  python benchmarks/bench_replay.py [--fits 20] [--evaluations 5] [--json rows.json]
"""

import argparse
import statistics

from _harness import Report, Timer, add_harness_arguments, limited_threads
from sklearn.datasets import make_moons
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from skdistill import DatasetDistiller, DistilledMLPClassifier, distillation_accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=20)
    parser.add_argument("--evaluations", type=int, default=5)
    add_harness_arguments(parser)
    args = parser.parse_args()
    report = Report(__file__, args, threads=1)
    with limited_threads(1):
        measure(args, report)
    report.write(args.json)


def measure(args, report):
    X, y = make_moons(n_samples=1500, noise=0.25, random_state=8)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    distiller = DatasetDistiller(
        n_steps=40, n_epochs=5, samples_per_step=8, max_iter=20, random_state=0
    ).fit(X_train, y_train)
    network = DistilledMLPClassifier((10,), distiller=FrozenEstimator(distiller))

    times = []
    for seed in range(args.fits + 1):  # the first call warms up
        with Timer() as timer:
            fitted = network.set_params(random_state=seed).fit(X_train, y_train)
        times.append(timer.wall)
    accuracy = fitted.score(X_test, y_test)
    print(
        f"fit       {statistics.median(times[1:]):.4f} s per call "
        f"({args.fits} calls; last network's test accuracy {accuracy:.3f})"
    )
    report.row(
        timed="fit",
        seconds_per_call=statistics.median(times[1:]),
        calls=args.fits,
        last_accuracy=accuracy,
    )

    times = []
    for seed in range(args.evaluations + 1):
        with Timer() as timer:
            score = distillation_accuracy(
                network,
                X_train,
                y_train,
                X_test,
                y_test,
                n_models=20,
                random_state=seed,
            )
        times.append(timer.wall)
    print(
        f"accuracy  {statistics.median(times[1:]):.4f} s per call "
        f"({args.evaluations} calls of 20 networks; last {score})"
    )
    report.row(
        timed="accuracy",
        seconds_per_call=statistics.median(times[1:]),
        calls=args.evaluations,
        last_accuracy=score.mean,
        last_accuracy_std=score.std,
    )


if __name__ == "__main__":
    main()
