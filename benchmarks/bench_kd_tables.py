"""KDMetaparamTuner on real tables: a gradient-boosting teacher distilled into
a small MLP student, with tuned and fixed (lambda_1, T), on sets of the suite.

For every set: a stratified 70/30 train/test split (seed 0); the teacher,
``HistGradientBoostingClassifier(random_state=0)``, is fitted on the whole
training part and passed frozen to every student. Two uses:

* compression: the student sees every training row and its label;
* few labels: the student sees 5 % of the training rows (at least 50),
  stratified, with their labels; the teacher labels them softly.

Students (``(32,)`` ReLU MLP, SGD at 0.1, batches of 64, as many epochs as
give about ``--iterations`` student iterations; every method validates on the
same stratified 20 % of the student's rows, which it does not train on):

* no KD: ``lambda_1 = 1``; naive: ``(0.5, 1)``; random: ``lambda_1 ~ U(0,
  1)``, ``T = 10**U(-1, 1)`` (one draw per set);
* tuned: hypergradient from ``(0.5, 1)`` (``--meta-learning-rate``, default
  1.0: the estimator's default 0.1 barely moves the metaparameters on these
  sets within the budget), steps in T, and in log T; tuned + linear
  trajectory (``e1 = e2 = 10``);
* search: ``RandomizedSearchCV`` over fixed ``(lambda_1, T)`` (``lambda_1 ~
  U(0, 1)``, ``T ~ log-uniform(0.1, 10)``), ``--search-iter`` candidates,
  3-fold CV on the student's rows, best refitted.

Printed: test accuracy per set and method, student wall time (teacher
excluded), and the summary of the goals (tuned >= naive on >= 80 % of sets in
few labels; tuned >= search at <= 1/5 of its time).

Run:  python benchmarks/bench_kd_tables.py [--sets ...] [--iterations 400]
      [--max-rows 3000] [--search-iter 5] [--meta-learning-rate 1.0]
      [--uses "few labels" compression]
"""

import argparse
import time

import numpy as np
from scipy.stats import loguniform, uniform
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from suite_datasets import load_suite

from skdistill._kd.tuner import KDMetaparamTuner

DEFAULT_SETS = [
    "wine",
    "breast_cancer",
    "digits",
    "biopsy",
    "fishing",
    "anes96",
    "hmda",
    "classes7",
    "moons_noisy",
]
METHODS = ["no KD", "naive", "random", "tuned", "tuned logT", "tuned+lin", "search"]


def student_rows(y_train, use, rng):
    if use == "compression":
        return np.arange(len(y_train))
    n = max(50, int(round(0.05 * len(y_train))))
    if n >= len(y_train):
        return np.arange(len(y_train))
    rows, _ = train_test_split(
        np.arange(len(y_train)), train_size=n, stratify=y_train, random_state=rng
    )
    return np.sort(rows)


def run_set(data, use, args):
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.3, stratify=data.y, random_state=0
    )
    teacher = FrozenEstimator(
        HistGradientBoostingClassifier(random_state=0).fit(X_train, y_train)
    )
    rows = student_rows(y_train, use, 0)
    X_s, y_s = X_train[rows], y_train[rows]
    # A budget in student iterations, so that 50 rows train as long as 3000.
    n_fit = len(y_s) - int(round(0.2 * len(y_s)))
    epochs = int(np.ceil(args.iterations / np.ceil(n_fit / 64)))
    student = dict(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.1,
        batch_size=64,
        max_iter=epochs,
        validation_fraction=0.2,
        random_state=0,
    )
    rng = np.random.RandomState(0)
    lam_rand, temp_rand = rng.uniform(0, 1), 10 ** rng.uniform(-1, 1)
    fixed = dict(meta_learning_rate=0.0)
    tuned = dict(
        lambda_init=0.5,
        temperature_init=1.0,
        meta_learning_rate=args.meta_learning_rate,
    )
    configs = {
        "no KD": dict(lambda_init=1.0, **fixed),
        "naive": dict(lambda_init=0.5, temperature_init=1.0, **fixed),
        "random": dict(lambda_init=lam_rand, temperature_init=temp_rand, **fixed),
        "tuned": dict(**tuned),
        "tuned logT": dict(temperature_step="log", **tuned),
        "tuned+lin": dict(trajectory="linear", e1=10, e2=10, **tuned),
    }
    results = {"teacher": (teacher.score(X_test, y_test), 0.0)}
    for name in METHODS:
        start = time.perf_counter()
        if name == "search":
            model = RandomizedSearchCV(
                KDMetaparamTuner(teacher, **student, **fixed),
                {"lambda_init": uniform(0, 1), "temperature_init": loguniform(0.1, 10)},
                n_iter=args.search_iter,
                cv=3,
                random_state=0,
            ).fit(X_s, y_s)
        else:
            model = KDMetaparamTuner(teacher, **student, **configs[name]).fit(X_s, y_s)
        results[name] = (model.score(X_test, y_test), time.perf_counter() - start)
    return len(y_s), results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--max-rows", type=int, default=3000)
    parser.add_argument("--search-iter", type=int, default=5)
    parser.add_argument("--meta-learning-rate", type=float, default=1.0)
    parser.add_argument("--uses", nargs="+", default=["few labels", "compression"])
    args = parser.parse_args()
    suite = load_suite(args.sets, max_rows=args.max_rows)

    for use in args.uses:
        print(f"\n== {use} ==  (test accuracy; student seconds in brackets)")
        header = f"{'set':<14}{'rows':>6}{'teacher':>9}" + "".join(
            f"{m:>17}" for m in METHODS
        )
        print(header)
        print("-" * len(header))
        table = []
        for data in suite:
            n_rows, results = run_set(data, use, args)
            table.append(results)
            cells = "".join(
                f"{results[m][0]:>9.3f} ({results[m][1]:>5.1f})" for m in METHODS
            )
            print(f"{data.name:<14}{n_rows:>6}{results['teacher'][0]:>9.3f}{cells}")
        means = "".join(
            f"{np.mean([r[m][0] for r in table]):>9.3f} "
            f"({np.mean([r[m][1] for r in table]):>5.1f})"
            for m in METHODS
        )
        print(f"{'mean':<14}{'':>6}{'':>9}{means}")
        for tuned in ("tuned", "tuned logT", "tuned+lin"):
            wins_naive = sum(r[tuned][0] >= r["naive"][0] for r in table)
            wins_search = sum(r[tuned][0] >= r["search"][0] for r in table)
            time_ratio = np.mean([r[tuned][1] / r["search"][1] for r in table])
            print(
                f"{tuned:<11}: >= naive on {wins_naive}/{len(table)} sets, "
                f">= search on {wins_search}/{len(table)} sets, "
                f"time / search time {time_ratio:.2f} (mean over sets)"
            )


if __name__ == "__main__":
    main()
