"""The tabular benchmark suite: distilled data vs full data and baselines.

For every set of ``suite_datasets.load_suite()``: a stratified 1/3 test split
(seed 0), the features standardised with the training part's statistics, then

* ``full``: scikit-learn ``MLPClassifier((32, 32), max_iter=500)`` on all
  training rows, test accuracy averaged over 3 seeds, and seconds per fit;
* ``replay``: a ``DatasetDistiller(architectures=((32, 32),))`` with its
  defaults otherwise (plus ``--params``) is fitted once (``distill s``); the
  test accuracy of ``--n-models`` fresh (32, 32) networks trained on the
  distilled set with the learned schedule (``distillation_accuracy``);
* ``long``: the better of the lengthened schedules ``strategy2`` and
  ``strategy3`` (10 repeats) on the same distilled set;
* same-size baselines, one set each (size = the distilled set's), trained the
  ordinary way with ``MLPClassifier((32, 32), max_iter=2000)``, 5 seeds:
  per-class k-means centroids (``KMeansSampler``), random real rows
  (``RandomRealSampler``), class means (``ClassMeanSampler``); a class with
  fewer training rows than its share gives all its rows;
* ``LogisticRegression`` and 1-NN on the full data, on the distilled rows (hard
  labels) and on the k-means prototypes.

Then the summary against the suite's targets (``doc/benchmark_suite.md``).

Budget mode, ``--rows-per-class 1,10,50``: the same split and standardisation;
for every set and every ``k``, ``DatasetDistiller(architectures=((32, 32),),
n_samples_per_class=k)`` (defaults otherwise, plus ``--params``), its replay by
``--n-models`` fresh (32, 32) networks with the learned schedule, against
per-class k-means centroids (``KMeansSampler``), herding (``HerdingSampler``)
and random real rows (``RandomRealSampler``), ``k`` rows of every class (all of
a class's rows when it has fewer: the ``capped`` column), each trained with
``MLPClassifier((32, 32), max_iter=2000)`` over 5 seeds; LogisticRegression and
1-NN on the distilled rows (hard labels) and on each baseline; distillation
wall and CPU seconds. ``--ablation`` adds the same distillation with the rows
kept at their k-means start (soft labels and learning rates learned) and with
hard labels. The summary compares the replay with the k-means MLP at each
budget.

    python benchmarks/bench_suite.py                       # the whole suite
    python benchmarks/bench_suite.py --sets glass,moons_noisy --params init=\\"real\\"
    python benchmarks/bench_suite.py --quick               # smoke test
    python benchmarks/bench_suite.py --params random_state=1  # distillation seed
    python benchmarks/bench_suite.py --rows-per-class 1,10,50 --json budget.json

``--then``, ``--extend`` and ``--min-steps`` replace the distillation by the
progressive horizon of ``bench_horizon.py`` (a second, longer run from the
first's best set; its CPU seconds and iterations are those of both runs)::

    python benchmarks/bench_suite.py --full-cache full.json \\
        --params n_iter_no_change=50 \\
        --then n_models=2,n_iter_no_change=100,n_epochs=24 --min-steps 240
"""

import argparse
import contextlib
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import (  # noqa: E402
    Report,
    Timer,
    add_harness_arguments,
    limited_threads,
    parse_params,
)
from suite_datasets import SUITE_NAMES, load_suite  # noqa: E402

import skdistill._tabular.distiller as distiller_module  # noqa: E402
from skdistill import (  # noqa: E402
    ClassMeanSampler,
    DatasetDistiller,
    DistilledMLPClassifier,
    HerdingSampler,
    KMeansSampler,
    RandomRealSampler,
    distillation_accuracy,
)

HIDDEN = (32, 32)
QUICK_SETS = ("iris", "wine", "crabs")


def baseline_set(sampler, X, y, n_rows):
    """``n_rows`` rows dealt evenly over the classes (capped at a class's size)."""
    classes, counts = np.unique(y, return_counts=True)
    share = np.full(len(classes), n_rows // len(classes))
    share[np.argsort(-counts, kind="stable")[: n_rows % len(classes)]] += 1
    X_parts, y_parts = [], []
    for c, k, size in zip(classes, share, counts):
        if k == 0:
            continue
        mask = y == c
        part = sampler.set_params(n_samples=int(min(k, size)))
        X_c, y_c = part.fit_resample(X[mask], y[mask])
        X_parts.append(X_c)
        y_parts.append(y_c)
    return np.concatenate(X_parts), np.concatenate(y_parts)


def mlp_accuracy(X, y, X_test, y_test, seeds, max_iter):
    scores, seconds = [], []
    for seed in seeds:
        start = time.perf_counter()
        model = MLPClassifier(HIDDEN, max_iter=max_iter, random_state=seed).fit(X, y)
        seconds.append(time.perf_counter() - start)
        scores.append(model.score(X_test, y_test))
    return float(np.mean(scores)), float(np.mean(seconds))


def fixed_model_accuracy(model, X, y, X_test, y_test):
    if len(np.unique(y)) < 2:
        return float(np.mean(y_test == y[0]))
    return float(model.fit(X, y).score(X_test, y_test))


def run_set(data, params, n_models, full_seeds, full_cache=None, progressive=None):
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    row = {
        "set": data.name,
        "rows": len(data.y),
        "features": data.X.shape[1],
        "classes": len(np.unique(data.y)),
    }
    if full_cache is not None and data.name in full_cache:
        row["full"], row["full_s"] = full_cache[data.name]
    else:
        row["full"], row["full_s"] = mlp_accuracy(
            X_train, y_train, X_test, y_test, full_seeds, max_iter=500
        )
        if full_cache is not None:
            full_cache[data.name] = (row["full"], row["full_s"])

    # --params random_state=N distills with another seed (the split, the
    # networks and the baselines keep theirs).
    params = {"random_state": 0, **params}
    start, start_cpu = time.perf_counter(), time.process_time()
    if progressive is None:
        distiller = DatasetDistiller(architectures=(HIDDEN,), **params)
        distiller.fit(X_train, y_train)
        row["n_iter"] = distiller.n_iter_
    else:  # --then: the progressive horizon of bench_horizon.py
        from bench_horizon import fit_progressive

        seed = params.pop("random_state")
        distiller, _, row["n_iter"] = fit_progressive(
            X_train, y_train, params, *progressive[:1], seed, *progressive[1:]
        )
    row["distill_s"] = time.perf_counter() - start
    # CPU seconds of this (single-threaded) process: the cost on one core,
    # which wall time on a shared machine overstates.
    row["distill_cpu"] = time.process_time() - start_cpu
    n_syn = len(distiller.distilled_X_)
    row["n_syn"] = n_syn
    frozen = FrozenEstimator(distiller)
    for schedule in ("distilled", "strategy2", "strategy3"):
        clf = DistilledMLPClassifier(HIDDEN, distiller=frozen, schedule=schedule)
        score = distillation_accuracy(
            clf, X_train, y_train, X_test, y_test, n_models=n_models, random_state=0
        )
        row[schedule], row[schedule + "_std"] = score.mean, score.std
    long = max(("strategy2", "strategy3"), key=lambda s: row[s])
    row["long"], row["long_name"] = row[long], long[-1]

    X_syn = distiller.distilled_X_
    y_syn = distiller.classes_[np.argmax(distiller.distilled_y_, axis=1)]
    seeds = range(5)
    samplers = {
        "kmeans": KMeansSampler(random_state=0),
        "random": RandomRealSampler(random_state=0),
        "means": ClassMeanSampler(random_state=0),
    }
    sets = {}
    for name, sampler in samplers.items():
        X_b, y_b = baseline_set(sampler, X_train, y_train, n_syn)
        sets[name] = (X_b, y_b)
        row[name], _ = mlp_accuracy(X_b, y_b, X_test, y_test, seeds, max_iter=2000)
    lr = LogisticRegression(max_iter=2000)
    knn = KNeighborsClassifier(n_neighbors=1)
    for name, (X_s, y_s) in {
        "full": (X_train, y_train),
        "syn": (X_syn, y_syn),
        "kmeans": sets["kmeans"],
    }.items():
        row["lr_" + name] = fixed_model_accuracy(lr, X_s, y_s, X_test, y_test)
        if name != "full":
            row["nn_" + name] = fixed_model_accuracy(knn, X_s, y_s, X_test, y_test)
    return row


COLUMNS = [
    ("set", "set", "{}"),
    ("rows", "rows", "{}"),
    ("features", "feat", "{}"),
    ("classes", "cls", "{}"),
    ("n_syn", "syn rows", "{}"),
    ("full", "full MLP", "{:.3f}"),
    ("full_s", "fit s", "{:.1f}"),
    ("distilled", "replay", "{:.3f}"),
    ("distilled_std", "±", "{:.3f}"),
    ("ratio", "% of full", "{:.1f}"),
    ("long", "long", "{:.3f}"),
    ("long_name", "strat", "{}"),
    ("kmeans", "k-means MLP", "{:.3f}"),
    ("random", "random MLP", "{:.3f}"),
    ("means", "means MLP", "{:.3f}"),
    ("lr_full", "LR full", "{:.3f}"),
    ("lr_syn", "LR syn", "{:.3f}"),
    ("lr_kmeans", "LR k-means", "{:.3f}"),
    ("nn_syn", "1NN syn", "{:.3f}"),
    ("nn_kmeans", "1NN k-means", "{:.3f}"),
    ("distill_s", "distill s", "{:.1f}"),
    ("distill_cpu", "CPU s", "{:.1f}"),
    ("n_iter", "iters", "{}"),
]


def markdown_row(row):
    return "| " + " | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS) + " |"


def summary(rows):
    ratios = np.array([r["ratio"] for r in rows])
    worst = rows[int(np.argmin(ratios))]
    beats = [r["distilled"] >= r["kmeans"] for r in rows]
    lr_gap = np.array([100 * (r["lr_syn"] - r["lr_kmeans"]) for r in rows])
    small = [r["distill_s"] for r in rows if r["rows"] <= 10_000]
    small_cpu = [r["distill_cpu"] for r in rows if r["rows"] <= 10_000]
    lost = [r["set"] for r, b in zip(rows, beats) if not b]
    lines = [
        f"median replay / full-data MLP: {np.median(ratios):.1f} % (target >= 98 %)",
        f"worst set: {worst['set']} at {worst['ratio']:.1f} % (target >= 93 %); "
        f"sets below 93 %: {[r['set'] for r in rows if r['ratio'] < 93]}",
        f"distilled replay >= same-size k-means MLP on {sum(beats)}/{len(rows)} "
        f"sets = {100 * np.mean(beats):.0f} % (target >= 90 %); lost on: {lost}",
        f"LR on distilled - LR on k-means prototypes, points: mean "
        f"{lr_gap.mean():+.1f}, median {np.median(lr_gap):+.1f}, worst "
        f"{lr_gap.min():+.1f} ({rows[int(np.argmin(lr_gap))]['set']}) "
        "(target >= -3)",
        "max distillation seconds, sets <= 10k rows: "
        + (f"{max(small):.1f} wall, {max(small_cpu):.1f} CPU" if small else "n/a")
        + " (target <= 20 on one core)",
    ]
    return lines


# ---------------------------------------------------------------------------
# Budget mode: k rows per class (--rows-per-class 1,10,50).

BUDGET_METHODS = ("syn", "kmeans", "herding", "random")
BUDGET_COLUMNS = [
    ("set", "set", "{}"),
    ("k", "k/class", "{}"),
    ("n_syn", "rows", "{}"),
    ("capped", "capped", "{}"),
    ("mlp_syn", "replay", "{:.3f}"),
    ("mlp_syn_std", "±", "{:.3f}"),
    ("mlp_kmeans", "k-means MLP", "{:.3f}"),
    ("mlp_herding", "herding MLP", "{:.3f}"),
    ("mlp_random", "random MLP", "{:.3f}"),
    ("lr_syn", "LR syn", "{:.3f}"),
    ("lr_kmeans", "LR k-means", "{:.3f}"),
    ("lr_herding", "LR herding", "{:.3f}"),
    ("lr_random", "LR random", "{:.3f}"),
    ("nn_syn", "1NN syn", "{:.3f}"),
    ("nn_kmeans", "1NN k-means", "{:.3f}"),
    ("nn_herding", "1NN herding", "{:.3f}"),
    ("nn_random", "1NN random", "{:.3f}"),
    ("distill_s", "distill s", "{:.1f}"),
    ("distill_cpu", "CPU s", "{:.1f}"),
    ("n_iter", "iters", "{}"),
]


@contextlib.contextmanager
def rows_frozen():
    """An ablation: inside the block, `DatasetDistiller` keeps its synthetic
    rows where ``init`` put them (per-class k-means centroids by default) and
    learns only the soft labels and the learning rates.

    The outer optimiser of the distiller gets a zero gradient for the rows
    (its first tensor), so Adam never moves them.
    """

    class FrozenRowsAdam(distiller_module.Adam):
        def step(self, grads):
            super().step([torch.zeros_like(grads[0]), *grads[1:]])

    original = distiller_module.Adam
    distiller_module.Adam = FrozenRowsAdam
    try:
        yield
    finally:
        distiller_module.Adam = original


def replay_score(distiller, X_train, y_train, X_test, y_test, n_models):
    clf = DistilledMLPClassifier(HIDDEN, distiller=FrozenEstimator(distiller))
    return distillation_accuracy(
        clf, X_train, y_train, X_test, y_test, n_models=n_models, random_state=0
    )


def budget_rows(data, budgets, params, n_models, ablation=False):
    """One row per budget ``k`` (rows per class) of one suite set."""
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    n_classes = len(np.unique(y_train))
    smallest = int(np.bincount(np.unique(y_train, return_inverse=True)[1]).min())
    params = {"random_state": 0, **params}
    lr = LogisticRegression(max_iter=2000)
    knn = KNeighborsClassifier(n_neighbors=1)
    samplers = {
        "kmeans": KMeansSampler(random_state=0),
        "herding": HerdingSampler(),
        "random": RandomRealSampler(random_state=0),
    }
    for k in budgets:
        row = {
            "set": data.name,
            "k": k,
            "n_syn": k * n_classes,
            # A class with at most k training rows: its baseline share is all
            # of its rows.
            "capped": "yes" if smallest <= k else "",
        }
        distiller = DatasetDistiller(
            architectures=(HIDDEN,), n_samples_per_class=k, **params
        )
        with Timer() as timer:
            distiller.fit(X_train, y_train)
        row["distill_s"], row["distill_cpu"] = timer.wall, timer.cpu
        row["n_iter"] = distiller.n_iter_
        score = replay_score(distiller, X_train, y_train, X_test, y_test, n_models)
        row["mlp_syn"], row["mlp_syn_std"] = score.mean, score.std
        if ablation:
            # How much is the labels, how much the rows: the same fit with
            # the rows fixed at their start, and with hard labels.
            with rows_frozen():
                fixed = clone(distiller).fit(X_train, y_train)
            hard = clone(distiller).set_params(soft_labels=False).fit(X_train, y_train)
            for name, model in (("fixed_rows", fixed), ("hard_labels", hard)):
                row["mlp_" + name] = replay_score(
                    model, X_train, y_train, X_test, y_test, n_models
                ).mean
        sets = {
            "syn": (
                distiller.distilled_X_,
                distiller.classes_[np.argmax(distiller.distilled_y_, axis=1)],
            )
        }
        for name, sampler in samplers.items():
            sets[name] = baseline_set(sampler, X_train, y_train, k * n_classes)
            row["mlp_" + name], _ = mlp_accuracy(
                *sets[name], X_test, y_test, range(5), max_iter=2000
            )
        for name in BUDGET_METHODS:
            X_s, y_s = sets[name]
            row["lr_" + name] = fixed_model_accuracy(lr, X_s, y_s, X_test, y_test)
            row["nn_" + name] = fixed_model_accuracy(knn, X_s, y_s, X_test, y_test)
        yield row


def budget_summary(rows, budgets):
    """Distilled replay against per-class k-means at every budget."""
    lines = []
    for k in budgets:
        at_k = [r for r in rows if r["k"] == k]
        if not at_k:
            continue
        gap = np.array([100 * (r["mlp_syn"] - r["mlp_kmeans"]) for r in at_k])
        level = gap >= -0.5
        behind = [f"{r['set']} ({g:+.1f})" for r, g in zip(at_k, gap) if g < -0.5]
        others = {
            name: np.mean([100 * (r["mlp_syn"] - r["mlp_" + name]) for r in at_k])
            for name in ("herding", "random")
        }
        lines.append(
            f"k={k}: replay >= k-means MLP - 0.5 points on {level.sum()}/{len(at_k)}"
            f" sets = {100 * level.mean():.0f} % (target >= 90 %); mean gap "
            f"{gap.mean():+.1f} points (target at k=10: >= +2), median "
            f"{np.median(gap):+.1f}; behind on: {behind or 'none'}; mean gap to "
            f"herding {others['herding']:+.1f}, to random {others['random']:+.1f}"
        )
        for model in ("lr", "nn"):
            gap_m = np.array(
                [100 * (r[f"{model}_syn"] - r[f"{model}_kmeans"]) for r in at_k]
            )
            lines.append(
                f"       {model.upper()} on distilled - on k-means: mean "
                f"{gap_m.mean():+.1f}, median {np.median(gap_m):+.1f} points"
            )
        wall = np.median([r["distill_s"] for r in at_k])
        cpu = max(r["distill_cpu"] for r in at_k)
        lines.append(
            f"       distillation seconds: median {wall:.1f} wall, max {cpu:.1f} CPU"
        )
    return lines


def budget_table(rows, columns):
    """The markdown table of budget rows."""
    return [
        "| " + " | ".join(title for _, title, _ in columns) + " |",
        "|" + "---|" * len(columns),
        *(
            "| " + " | ".join(fmt.format(row[key]) for key, _, fmt in columns) + " |"
            for row in rows
        ),
    ]


def budget_from_json(path, budgets):
    """Print the table and the summary of a (possibly partial) budget run."""
    with open(path) as f:
        report = json.load(f)
    rows = report["rows"]
    columns = BUDGET_COLUMNS
    if rows and "mlp_fixed_rows" in rows[0]:
        columns = [
            *columns[:6],
            ("mlp_fixed_rows", "fixed rows", "{:.3f}"),
            ("mlp_hard_labels", "hard labels", "{:.3f}"),
            *columns[6:],
        ]
    print(f"{report['command']}\n")
    print("\n".join(budget_table(rows, columns)))
    print()
    budgets = budgets or sorted({r["k"] for r in rows})
    print("\n".join(budget_summary(rows, budgets)))
    uncapped = [r for r in rows if not r["capped"]]
    if len(uncapped) < len(rows):
        print("\nWithout the capped rows (a class with at most k training rows):")
        print("\n".join(budget_summary(uncapped, budgets)))


def budget_main(args, params, names):
    budgets = [int(k) for k in args.rows_per_class.split(",")]
    if args.from_json:
        return budget_from_json(args.from_json, budgets)
    suite = load_suite(names)
    if names:  # the order asked for (e.g. the fast sets first)
        suite.sort(key=lambda d: names.index(d.name))
    report = Report(__file__, args, threads=1)
    header = (
        f"DatasetDistiller(architectures=({HIDDEN},), n_samples_per_class=k"
        + "".join(f", {k}={v!r}" for k, v in {"random_state": 0, **params}.items())
        + f"); replay over {args.n_models} fresh {HIDDEN} networks; baselines "
        "(k rows per class): MLPClassifier((32, 32), max_iter=2000), 5 seeds; "
        "LogisticRegression and 1-NN on each set"
    )
    lines = [
        header,
        "",
        "| " + " | ".join(title for _, title, _ in BUDGET_COLUMNS) + " |",
        "|" + "---|" * len(BUDGET_COLUMNS),
    ]
    columns = BUDGET_COLUMNS
    if args.ablation:
        columns = [
            *columns[:6],
            ("mlp_fixed_rows", "fixed rows", "{:.3f}"),
            ("mlp_hard_labels", "hard labels", "{:.3f}"),
            *columns[6:],
        ]
        lines[2:] = [
            "| " + " | ".join(title for _, title, _ in columns) + " |",
            "|" + "---|" * len(columns),
        ]
    print("\n".join(lines), flush=True)
    rows = []
    with warnings.catch_warnings(), limited_threads(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for data in suite:
            for row in budget_rows(data, budgets, params, args.n_models, args.ablation):
                rows.append(report.row(**row))
                lines.append(
                    "| "
                    + " | ".join(fmt.format(row[key]) for key, _, fmt in columns)
                    + " |"
                )
                print(lines[-1], flush=True)
                report.write(args.json)  # after every row: partial runs count
    lines.append("")
    for line in budget_summary(rows, budgets):
        lines.append(line)
        print(line)
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--sets", help=f"comma-separated subset of {SUITE_NAMES}")
    parser.add_argument("--output", help="also write the table to this file")
    parser.add_argument(
        "--params", help="extra DatasetDistiller parameters, e.g. max_iter=100"
    )
    parser.add_argument("--n-models", type=int, default=5)
    parser.add_argument(
        "--full-cache",
        help="JSON file that keeps the full-data MLP results between runs "
        "(they do not depend on the distiller)",
    )
    parser.add_argument(
        "--rows-per-class",
        metavar="K1,K2,...",
        help="budget mode: distil k rows per class (n_samples_per_class=k) for "
        "each k and compare with per-class k-means, herding and random rows of "
        "the same size, e.g. 1,10,50",
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="budget mode: also distil with the rows fixed at their k-means "
        "start (labels and learning rates learned) and with hard labels",
    )
    parser.add_argument(
        "--from-json",
        metavar="PATH",
        help="budget mode: print the table and the summary of the rows a (partial) "
        "run wrote with --json, without running anything",
    )
    parser.add_argument(
        "--then",
        help="progressive horizon: a second distillation from the first's best "
        "set, at --params updated by these (see bench_horizon.py)",
    )
    parser.add_argument("--extend", choices=("last", "repeat"), default="last")
    parser.add_argument("--min-steps", type=int, help="see bench_horizon.py")
    add_harness_arguments(parser)
    args = parser.parse_args(argv)
    progressive = None
    if args.then and args.rows_per_class:
        parser.error("--then measures the default sizes; not with --rows-per-class")
    if args.then:
        progressive = (parse_params(args.then), args.extend, args.min_steps)

    params = parse_params(args.params)
    names = args.sets.split(",") if args.sets else None
    if args.rows_per_class:
        if args.quick:
            names = names or list(QUICK_SETS)
            params.setdefault("max_iter", 30)
        return budget_main(args, params, names)
    full_seeds = range(3)
    if args.quick:
        names = names or list(QUICK_SETS)
        params.setdefault("max_iter", 30)
        full_seeds = range(1)
    suite = load_suite(names)

    header = (
        f"DatasetDistiller(architectures=({HIDDEN},)"
        + "".join(f", {k}={v!r}" for k, v in {"random_state": 0, **params}.items())
        + ")"
        + (
            f", then {args.then} (rates: {args.extend}, min steps: {args.min_steps})"
            if args.then
            else ""
        )
        + f"; replay over {args.n_models} fresh {HIDDEN} networks; "
        "baselines: MLPClassifier on same-size sets, 5 seeds"
    )
    lines = [
        header,
        "",
        "| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    print("\n".join(lines), flush=True)
    full_cache = None
    if args.full_cache:
        full_cache = {}
        if os.path.exists(args.full_cache):
            with open(args.full_cache) as f:
                full_cache = json.load(f)
    rows = []
    report = Report(__file__, args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for data in suite:
            row = run_set(
                data, params, args.n_models, full_seeds, full_cache, progressive
            )
            row["ratio"] = 100 * row["distilled"] / row["full"]
            rows.append(report.row(**row))
            lines.append(markdown_row(row))
            print(lines[-1], flush=True)
            report.write(args.json)
            if args.full_cache:  # after every row: a stopped run keeps them
                with open(args.full_cache, "w") as f:
                    json.dump(full_cache, f)
    lines.append("")
    for line in summary(rows):
        lines.append(line)
        print(line)
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
