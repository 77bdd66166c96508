"""Dataset distillation on the tabular paper's make_moons data, against its targets.

Distills the training part of ``make_moons(1500, noise)`` with the
configuration of Medvedev & D'yakonov (2020), section 5.2: the "2-layer" model
(one hidden layer of 10 units), 3 internal models, 40 steps x 5 epochs, 4
synthetic rows per class per step, real batch 64, 800 outer iterations. Then
trains 20 freshly initialised networks of the same architecture on the
distilled data only (replaying the learned schedule) and 20 on all the
training data (scikit-learn's MLPClassifier, 500 epochs of Adam, as the paper
trains its reference models), and prints their test accuracies.

Run:  python benchmarks/bench_moons_distillation.py [--max-iter 800] [--noise 0.05 0.25]
      [--json rows.json]
"""

import argparse
import warnings

import numpy as np
from _harness import Report, Timer, add_harness_arguments, limited_threads
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DatasetDistiller, DistilledMLPClassifier, distillation_accuracy

HIDDEN = (10,)
N_TEST_MODELS = 20


def distilled_accuracies(distiller, X_train, y_train, X_test, y_test):
    """Test accuracy of fresh networks trained on the distilled set only."""
    network = DistilledMLPClassifier(HIDDEN, distiller=FrozenEstimator(distiller))
    score = distillation_accuracy(
        network,
        X_train,
        y_train,
        X_test,
        y_test,
        n_models=N_TEST_MODELS,
        random_state=12345,
    )
    return score.scores


def full_data_accuracies(X_train, y_train, X_test, y_test):
    scores = []
    for seed in range(N_TEST_MODELS):
        model = make_pipeline(
            StandardScaler(),
            MLPClassifier(
                HIDDEN, max_iter=500, random_state=seed, tol=0, n_iter_no_change=500
            ),
        )
        with warnings.catch_warnings():
            # 500 full epochs, as the paper trains its reference models.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        scores.append(model.score(X_test, y_test))
    return np.array(scores)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=800)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.05, 0.25])
    parser.add_argument("--random-state", type=int, default=0)
    add_harness_arguments(parser)
    args = parser.parse_args()
    report = Report(__file__, args, threads=1)
    with limited_threads(1):
        rows = measure(args)
    print_rows(args, rows, report)
    report.write(args.json)


def measure(args):
    rows = []
    for noise in args.noise:
        X, y = make_moons(n_samples=1500, noise=noise, random_state=8)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.33, random_state=8
        )
        distiller = DatasetDistiller(
            n_steps=40,
            n_epochs=5,
            samples_per_step=8,
            architectures=(HIDDEN,),
            n_models=3,
            batch_size=64,
            max_iter=args.max_iter,
            random_state=args.random_state,
        )
        with Timer() as timer:
            distiller.fit(X_train, y_train)
        seconds = timer.wall
        distilled = distilled_accuracies(distiller, X_train, y_train, X_test, y_test)
        full = full_data_accuracies(X_train, y_train, X_test, y_test)
        rows.append((noise, full, distilled, seconds, distiller))
    return rows


def print_rows(args, rows, report):
    print(
        f"\nmake_moons(1500, noise), 2-layer model {HIDDEN}, test accuracy over "
        f"{N_TEST_MODELS} fresh initialisations"
    )
    print(
        f"distiller: 40 steps x 5 epochs, 8 rows/step (320 rows), 3 models, "
        f"batch 64, {args.max_iter} outer iterations, outer Adam step "
        f"{rows[0][4].learning_rate}"
    )
    header = (
        f"{'noise':>6} | {'full data (1005 rows)':>22} | {'distilled (320 rows)':>21} "
        f"| {'gap':>6} | {'distill s':>9} | {'s/iter':>6} | learned lrs"
    )
    print(header)
    print("-" * len(header))
    for noise, full, distilled, seconds, distiller in rows:
        print(
            f"{noise:>6.2f} | {full.mean():>13.3f} +- {full.std():.3f} | "
            f"{distilled.mean():>12.3f} +- {distilled.std():.3f} | "
            f"{full.mean() - distilled.mean():>+6.3f} | {seconds:>9.1f} | "
            f"{seconds / distiller.n_iter_:>6.3f} | "
            f"{distiller.lr_schedule_.min():.3f}-{distiller.lr_schedule_.max():.2f}"
        )
        report.row(
            noise=noise,
            full_mean=full.mean(),
            full_std=full.std(),
            distilled_mean=distilled.mean(),
            distilled_std=distilled.std(),
            gap=full.mean() - distilled.mean(),
            distill_seconds=seconds,
            seconds_per_iteration=seconds / distiller.n_iter_,
            learned_lr_min=distiller.lr_schedule_.min(),
            learned_lr_max=distiller.lr_schedule_.max(),
        )


if __name__ == "__main__":
    main()
