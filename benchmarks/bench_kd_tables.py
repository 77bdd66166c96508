"""KDMetaparamTuner on real tables: a gradient-boosting teacher distilled into
a small MLP student, in two uses, on sets of the suite.

For every set and seed: a stratified 70/30 train/test split (the seed); the
teacher, ``HistGradientBoostingClassifier(random_state=0)``, is fitted on the
whole training part with all its labels and passed frozen to every student
(the model a user has and wants to distil). Two uses:

* few labels: 5 % of the training rows (at least 50, stratified) keep their
  labels, every other training row is given unlabelled (``y = -1``): the
  student learns the teacher's soft labels on them;
* compression: every training row keeps its label; with ``--transfer munge``,
  ``perturb`` or ``distilled`` the student also gets a synthetic transfer set
  of ``--transfer-size`` times the training rows (default 4), made once per
  set and seed by the generator of ``transfer_set=`` and given to every
  student as unlabelled rows (``y = -1``), which the frozen teacher labels
  softly (as ``transfer_set=`` does inside a fit; made once, the search's 16
  fits do not remake it). Its seconds are a column of their own, not part of
  the students' (default ``none``).

Students: ``(32,)`` ReLU MLPs, SGD at 0.1, batches of 64, as many epochs as
give about ``--iterations`` student iterations (the no-KD student, which
trains on the labelled rows alone, gets the same number of iterations); every
student validates on a stratified 20 % of the labelled rows.

* no KD: an MLP on the labelled rows alone (``lambda_1 = 1``);
* naive: fixed ``(lambda_1, T) = (0.5, 1)``; random: the expected accuracy
  of one random draw, ``lambda_1 ~ U(0, 1)``, ``T ~ log-uniform(0.1, 10)``,
  estimated as the mean over ``--random-draws`` draws (default 3) of their
  own for every set and seed;
* tuned: the estimator's defaults (hypergradient from ``(0.5, 1)``), and the
  same with the linear trajectory (``trajectory="linear"``);
* search: ``RandomizedSearchCV`` over fixed ``(lambda_1, T)`` (the random
  draw's distributions), ``--search-iter`` candidates, 3-fold CV (accuracy on
  the labelled rows of each fold), best refitted.

Printed per use: test accuracy per set (mean over seeds), the search's and
the tuned student's seconds (and the transfer set's), inference milliseconds
per 1k rows of the student and of the teacher (one thread each, best call),
then the targets and, with several seeds, each tuned student's difference
with the search per set (mean over the seeds and its standard error).
``--json`` also keeps the tuned students' paths of
``(lambda_1, T)`` (every 10th iteration) and validation losses (per epoch).

Run:  python benchmarks/bench_kd_tables.py [--uses "few labels" compression]
      [--sets ...] [--seeds 0 1] [--iterations 1500] [--max-rows 3000]
      [--search-iter 5] [--random-draws 3] [--transfer none]
      [--transfer-size 4] [--json out.json]
      [--tuned-params meta_optimizer=sgd meta_learning_rate=1.0]
      [--report saved.json more.json]  (print saved runs, fit nothing)
"""

import argparse
import json
import time
import zlib

import numpy as np
import torch
from scipy.stats import loguniform, uniform
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from suite_datasets import load_suite
from threadpoolctl import threadpool_limits

import skdistill._kd.students as students_module
from skdistill._kd.transfer import make_transfer_set
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
METHODS = ["no KD", "naive", "random", "tuned", "tuned+lin", "search"]
TUNED = ["tuned", "tuned+lin"]


def labelled_accuracy(estimator, X, y):
    """Accuracy on the labelled rows (a scorer for the search's folds)."""
    labelled = y != -1
    return estimator.score(X[labelled], y[labelled])


def ms_per_1k(predict_proba, X, repeats=7, max_repeats=101, min_seconds=0.5):
    """Best milliseconds of ``predict_proba`` on 1000 rows: at least
    ``repeats`` calls, more (up to ``max_repeats``) until ``min_seconds`` have
    passed, so that a fast model is timed often enough to find a call the
    shared machine did not interrupt."""
    rows = X[np.arange(1000) % len(X)]
    best, spent, calls = np.inf, 0.0, 0
    while calls < repeats or (spent < min_seconds and calls < max_repeats):
        start = time.perf_counter()
        predict_proba(rows)
        elapsed = time.perf_counter() - start
        best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    return 1e3 * best


def split_and_teacher(data, seed):
    """The seed's split (a stratified test third) with integer class codes, and
    the frozen teacher fitted on the training part:
    ``X_train, X_test, codes, y_test, teacher``."""
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.3, stratify=data.y, random_state=seed
    )
    # Integer class codes: -1 marks the unlabelled rows.
    classes, codes = np.unique(y_train, return_inverse=True)
    y_test = np.searchsorted(classes, y_test)
    teacher = FrozenEstimator(
        HistGradientBoostingClassifier(random_state=0).fit(X_train, codes)
    )
    return X_train, X_test, codes, y_test, teacher


def with_transfer_rows(kind, X_train, y_student, teacher, n_rows, seed, **options):
    """``X_train`` and ``y_student`` followed by ``n_rows`` transfer rows of
    ``kind``, unlabelled (-1)."""
    synthetic, _ = make_transfer_set(
        kind,
        X_train,
        n_rows,
        np.random.RandomState(seed),
        labels=teacher.predict(X_train),
        **options,
    )
    X = np.vstack([X_train, synthetic])
    return X, np.concatenate([y_student, np.full(len(synthetic), -1)])


def run_set(data, use, seed, args):
    X_train, X_test, codes, y_test, teacher = split_and_teacher(data, seed)
    y_train = codes
    if use == "few labels":
        n = max(50, int(round(0.05 * len(y_train))))
        rows, _ = train_test_split(
            np.arange(len(y_train)),
            train_size=min(n, len(y_train) - len(np.unique(y_train))),
            stratify=y_train,
            random_state=seed,
        )
        y_student = np.full(len(y_train), -1, dtype=np.int64)
        y_student[rows] = codes[rows]
        transfer = {}
        n_student = len(y_train)
    else:
        y_student = codes
    transfer_seconds = 0.0
    if use == "compression" and args.transfer != "none":
        start = time.perf_counter()
        X_train, y_student = with_transfer_rows(
            args.transfer,
            X_train,
            y_student,
            teacher,
            int(round(args.transfer_size * len(y_train))),
            seed,
            hidden_layer_sizes=(32,),
        )
        transfer_seconds = time.perf_counter() - start
    n_student = len(y_student)
    transfer = {}
    labelled = y_student != -1

    def epochs(n_rows):
        # A budget in student iterations, whatever the number of rows.
        return int(np.ceil(args.iterations / np.ceil(0.8 * n_rows / 64)))

    student = dict(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.1,
        batch_size=64,
        validation_fraction=0.2,
        random_state=seed,
    )
    # Draws of their own for every set and seed (a single draw per seed would
    # be one guess shared by every set).
    rng = np.random.RandomState([seed, zlib.crc32(data.name.encode())])
    draws = [
        (rng.uniform(0, 1), 10 ** rng.uniform(-1, 1)) for _ in range(args.random_draws)
    ]
    fixed = dict(meta_learning_rate=0.0, max_iter=epochs(n_student), **transfer)
    tuned = dict(max_iter=epochs(n_student), **transfer)
    for pair in args.tuned_params:
        key, value = pair.split("=", 1)
        if value in ("True", "False", "None"):
            tuned[key] = {"True": True, "False": False, "None": None}[value]
            continue
        try:
            tuned[key] = float(value) if "." in value else int(value)
        except ValueError:
            tuned[key] = value
    configs = {
        "naive": dict(lambda_init=0.5, temperature_init=1.0, **fixed),
        "tuned": dict(**tuned),
        "tuned+lin": dict(trajectory="linear", e1=10, e2=10, **tuned),
    }
    results = {
        "teacher": teacher.score(X_test, y_test),
        "teacher ms/1k": ms_per_1k(teacher.predict_proba, X_test),
        "rows": int(len(y_train)),
        "labelled": int(labelled.sum()),
        "transfer s": transfer_seconds,
    }
    paths = {}
    for name in METHODS:
        start = time.perf_counter()
        if name == "no KD":
            model = KDMetaparamTuner(
                teacher,
                lambda_init=1.0,
                meta_learning_rate=0.0,
                max_iter=epochs(labelled.sum()),
                **student,
            ).fit(X_train[labelled], y_student[labelled])
        elif name == "search":
            model = RandomizedSearchCV(
                KDMetaparamTuner(teacher, **student, **fixed),
                {"lambda_init": uniform(0, 1), "temperature_init": loguniform(0.1, 10)},
                n_iter=args.search_iter,
                cv=3,
                scoring=labelled_accuracy,
                random_state=seed,
            ).fit(X_train, y_student)
        elif name == "random":
            # The expected accuracy of one random draw: the mean over draws.
            scores, val_ce = [], []
            for lam, temperature in draws:
                model = KDMetaparamTuner(
                    teacher,
                    lambda_init=lam,
                    temperature_init=temperature,
                    **student,
                    **fixed,
                ).fit(X_train, y_student)
                scores.append(model.score(X_test, y_test))
                val_ce.append(model.validation_loss_curve_[-1])
            paths["random draws"] = dict(draws=draws, scores=scores, val_ce=val_ce)
        else:
            # --tuned-params may override the students' common settings.
            model = KDMetaparamTuner(teacher, **{**student, **configs[name]})
            model.fit(X_train, y_student)
        results[name + " s"] = time.perf_counter() - start
        results[name] = (
            float(np.mean(scores)) if name == "random" else model.score(X_test, y_test)
        )
        if name == "tuned":
            results["student ms/1k"] = ms_per_1k(model.predict_proba, X_test)
            results["tuned lambda"] = model.lambda_
            results["tuned T"] = model.temperature_
        if name == "search":
            paths["search best"] = {
                key: float(value) for key, value in model.best_params_.items()
            }
        else:
            # The tuner's objective at the end: validation cross-entropy.
            results[name + " val CE"] = (
                float(np.mean(val_ce))
                if name == "random"
                else model.validation_loss_curve_[-1]
            )
        if name in TUNED:
            paths[name] = dict(
                lam=model.lambda_path_[::10].tolist(),
                T=model.temperature_path_[::10].tolist(),
                val_loss=list(model.validation_loss_curve_),
            )
    return results, paths


def mean_over_seeds(runs):
    return {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}


def header():
    return (
        f"{'set':<14}{'rows':>6}{'lab':>6}{'teacher':>8}"
        + "".join(f"{m:>10}" for m in METHODS)
        + f"{'search s':>9}{'tuned s':>8}{'trans s':>8}{'lam':>6}{'T':>6}"
        f"{'stud ms':>8}{'teach ms':>9}"
    )


def row(name, r):
    return (
        f"{name:<14}{r['rows']:>6.0f}{r['labelled']:>6.0f}{r['teacher']:>8.3f}"
        + "".join(f"{r[m]:>10.3f}" for m in METHODS)
        + f"{r['search s']:>9.1f}{r['tuned s']:>8.1f}{r['transfer s']:>8.1f}"
        f"{r['tuned lambda']:>6.2f}{r['tuned T']:>6.2f}"
        f"{r['student ms/1k']:>8.2f}{r['teacher ms/1k']:>9.2f}"
    )


def report(use, table, per_seed=None):
    mean = {k: np.mean([r[k] for r in table]) for k in table[0]}
    print(
        f"{'mean':<14}{'':>12}{mean['teacher']:>8.3f}"
        + "".join(f"{mean[m]:>10.3f}" for m in METHODS)
        + f"{mean['search s']:>9.1f}{mean['tuned s']:>8.1f}{mean['transfer s']:>8.1f}"
    )
    n = len(table)
    for tuned in TUNED:
        near = 0.02 if use == "few labels" else 0.01
        near_teacher = sum(r[tuned] >= r["teacher"] - near - 1e-12 for r in table)
        wins = sum(r[tuned] >= r["search"] - 1e-12 for r in table)
        ratio = np.mean([r[tuned + " s"] / r["search s"] for r in table])
        print(
            f"{tuned:<10}: >= teacher - {near:.2f} on {near_teacher}/{n} sets; "
            f"- no KD {mean[tuned] - mean['no KD']:+.3f} (mean); "
            f">= search on {wins}/{n} sets at {ratio:.2f} of its time "
            f"(mean of per-set ratios); - random {mean[tuned] - mean['random']:+.3f}"
        )
    if per_seed and len(per_seed[0][1]) > 1:
        # Which differences stand out of the seed-to-seed spread.
        for tuned in TUNED:
            parts, beyond = [], 0
            for name, runs in per_seed:
                diff = np.array([r[tuned] - r["search"] for r in runs])
                se = diff.std(ddof=1) / np.sqrt(len(diff))
                beyond += diff.mean() < -2 * se - 1e-12
                parts.append(f"{name} {diff.mean():+.3f}+-{se:.3f}")
            print(
                f"{tuned} - search per set (mean over seeds +- standard error): "
                + ", ".join(parts)
                + f"; below the search by more than 2 standard errors on "
                f"{beyond}/{n} sets"
            )
    kd = [m for m in METHODS if m + " val CE" in table[0]]
    lower = sum(r["tuned val CE"] <= r["random val CE"] for r in table)
    print(
        "validation CE at the end (the tuner's objective), mean: "
        + ", ".join(f"{m} {mean[m + ' val CE']:.3f}" for m in kd)
        + f"; tuned <= random on {lower}/{n} sets"
    )
    speedup = [r["teacher ms/1k"] / r["student ms/1k"] for r in table]
    print(
        f"inference: teacher / student time on 1k rows {min(speedup):.1f}x to "
        f"{max(speedup):.1f}x (>= 10x on {sum(s >= 10 for s in speedup)}/{n} sets)"
    )


def print_saved(paths):
    """Print the tables of saved ``--json`` files, their runs merged per set."""
    merged = {}
    for path in paths:
        with open(path) as handle:
            for use, sets in json.load(handle)["uses"].items():
                for name, runs in sets.items():
                    merged.setdefault(use, {}).setdefault(name, []).extend(runs)
    for use, sets in merged.items():
        print(
            f"\n== {use} ==  (test accuracy, mean over runs; seconds; ms per 1k rows)"
        )
        print(header())
        print("-" * len(header()))
        table = [mean_over_seeds(runs) for runs in sets.values()]
        for name, mean in zip(sets, table, strict=True):
            print(row(name, mean))
        report(use, table, list(sets.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uses", nargs="+", default=["few labels", "compression"])
    parser.add_argument("--sets", nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--max-rows", type=int, default=3000)
    parser.add_argument("--search-iter", type=int, default=5)
    parser.add_argument(
        "--random-draws",
        type=int,
        default=3,
        help="random (lambda_1, T) per set and seed; 'random' is their mean",
    )
    parser.add_argument(
        "--transfer",
        default="none",
        choices=["munge", "perturb", "distilled", "none"],
    )
    parser.add_argument("--transfer-size", type=float, default=4.0)
    parser.add_argument(
        "--tuned-params",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="parameters of the tuned students (default: the estimator's)",
    )
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument(
        "--horizon-on",
        choices=["lambda", "both"],
        default="lambda",
        help="metaparameters meta_horizon applies to (the estimator: lambda_1)",
    )
    parser.add_argument(
        "--report",
        nargs="+",
        metavar="JSON",
        help="fit nothing: print the tables of these --json files, the runs of "
        "a set in every file together (e.g. more seeds run later), sets in the "
        "order of the first file",
    )
    args = parser.parse_args()
    students_module.HORIZON_METAPARAMETERS = (True, args.horizon_on == "both")
    # One thread for everything timed (students, teacher, search): the
    # machine is shared, and extra threads wait on each other there.
    torch.set_num_threads(1)
    threadpool_limits(1)
    if args.report:
        print_saved(args.report)
        return
    suite = load_suite(args.sets, max_rows=args.max_rows)

    output = {"args": vars(args), "uses": {}}
    for use in args.uses:
        print(
            f"\n== {use} ==  (test accuracy, mean over seeds; seconds; ms per 1k rows)"
        )
        print(header())
        print("-" * len(header()))
        table, per_seed = [], []
        for data in suite:
            runs, paths = zip(*(run_set(data, use, seed, args) for seed in args.seeds))
            table.append(mean_over_seeds(runs))
            per_seed.append((data.name, runs))
            print(row(data.name, table[-1]), flush=True)
            output["uses"].setdefault(use, {})[data.name] = runs
            output.setdefault("paths", {}).setdefault(use, {})[data.name] = paths
        report(use, table, per_seed)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(output, handle, indent=1)


if __name__ == "__main__":
    main()
