"""sample_weight in DatasetDistiller: weighted minibatch draws vs repeated rows.

``DatasetDistiller.fit(X, y, sample_weight=w)`` draws each outer iteration's
real minibatch with replacement, with probability proportional to ``w`` (and
weights the standardisation). This checks that the choice distills what the
weights ask for: integer weights should give about the distillation of the
data with every row repeated ``w`` times, and differ from ignoring them.

Data: ``make_moons(900, noise=0.2)``, split in half. The weights favour one
region of the plane: rows with ``x0 > 0.5`` get weight 4, the others 1 (the
test rows too, so the test accuracy is weighted the same way). Three fits per
seed, each with the same settings: weighted (the weights), repeated (the
training rows repeated ``w`` times, no weights), and unweighted (the weights
ignored). Each distilled set is scored by the weighted test accuracy of 10
fresh one-hidden-layer networks trained on it; the script prints the mean over
the seeds and the seconds per fit.

With the defaults the k-means start and the early-stopping validation
accuracy do not see the weights; ``--draws-only`` (``init="noise"``,
``validation_fraction=None``) isolates the weighted draws.

Run:  python benchmarks/bench_sample_weight.py [--max-iter 300] [--seeds 3]
      [--draws-only]
"""

import argparse
import time

import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

from skdistill import DatasetDistiller, DistilledMLPClassifier, distillation_accuracy


def weights_of(X):
    return np.where(X[:, 0] > 0.5, 4, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--draws-only",
        action="store_true",
        help="init='noise', validation_fraction=None: only the minibatch draws "
        "see the weights (the k-means start and early stopping do not)",
    )
    args = parser.parse_args()
    settings = {"init": "noise", "validation_fraction": None} if args.draws_only else {}

    X, y = make_moons(900, noise=0.2, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0
    )
    w_train, w_test = weights_of(X_train), weights_of(X_test)
    # Weighted test accuracy: every test row counts w times.
    X_eval, y_eval = np.repeat(X_test, w_test, axis=0), np.repeat(y_test, w_test)
    X_rep, y_rep = np.repeat(X_train, w_train, axis=0), np.repeat(y_train, w_train)

    results = {"weighted": [], "repeated": [], "unweighted": []}
    seconds = {name: [] for name in results}
    for seed in range(args.seeds):
        for name in results:
            distiller = DatasetDistiller(
                n_steps=5,
                n_epochs=2,
                max_iter=args.max_iter,
                random_state=seed,
                **settings,
            )
            start = time.perf_counter()
            if name == "weighted":
                distiller.fit(X_train, y_train, sample_weight=w_train)
            elif name == "repeated":
                distiller.fit(X_rep, y_rep)
            else:
                distiller.fit(X_train, y_train)
            seconds[name].append(time.perf_counter() - start)
            network = DistilledMLPClassifier((10,), distiller=distiller.distilled_)
            score = distillation_accuracy(
                network, None, None, X_eval, y_eval, n_models=10, random_state=seed
            )
            results[name].append(score.mean)

    print(
        f"make_moons(900, noise=0.2), weights 4 for x0 > 0.5 else 1; "
        f"{args.seeds} seeds, max_iter={args.max_iter}, "
        + ("init='noise', no validation" if args.draws_only else "default init/stop")
    )
    print(f"{'fit':<12} {'weighted test acc.':>20} {'per seed':>28} {'s/fit':>7}")
    for name, accs in results.items():
        per_seed = " ".join(f"{a:.3f}" for a in accs)
        print(
            f"{name:<12} {np.mean(accs):>20.3f} {per_seed:>28} "
            f"{np.mean(seconds[name]):>7.2f}"
        )


if __name__ == "__main__":
    main()
