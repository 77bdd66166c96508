"""DistilledSearchCV against GridSearchCV(cv=5) on sets of the benchmark suite.

For every set: a stratified 1/3 test split (seed 0); the estimator is
``Pipeline([StandardScaler(), DistilledMLPClassifier(max_iter=200,
random_state=0)])`` and the grid ``hidden_layer_sizes`` in (4,), (16,), (64,),
(16, 16), (64, 64), (32, 32, 32) times ``alpha`` in 1e-4, 0.1, 3.0 (18
candidates), searched on the training rows by

* ``grid``: ``GridSearchCV(cv=5)`` (the oracle);
* ``distilled``: ``DistilledSearchCV(cv=5, n_confirm="auto",
  confirm_splits="auto")`` (its default first stage, k-means prototypes, on
  the search's default ``first_stage_splits`` unless
  ``--first-stage-splits`` is given), at ``--seeds`` search seeds;
* ``halving``: ``HalvingGridSearchCV(cv=5, resource="n_samples", factor=3)``.

Per search: wall time (fit, refit included) and its ratio to the grid search's;
the pick; the regret in cross-validation accuracy points (the grid search's
best ``mean_test_score`` minus the pick's, read from the grid search's table:
the splits and the estimator's seed are the same, so the scores are the same
numbers); the test accuracy of the refitted pick and the test regret against
the grid search's pick. For the distilled search also the time of the first
stage's set, Kendall's tau between the first-stage scores and the grid
search's ``mean_test_score`` over all candidates, and a load-corrected time:
the machine may be shared, so the confirmed candidates' fits, timed in this
run and in the grid search, give the slowdown of this run against the grid
search's, and the search's time divided by it.

Then, from the same runs, what other ``n_confirm`` and ``confirm_splits``
would have picked: the best of the top ``k`` first-stage candidates by their
mean score over the first ``m`` splits (read from the grid search's
per-split scores, which the cache keeps), its regret, and the
load-corrected time the search would have taken (its own first stage and refit,
divided by the slowdown, plus the grid search's fit times of those ``k``
candidates on ``m`` splits). A cache written before the per-split scores were
kept gives ``m = 5`` only. The summary gives the targets' figures: the
regret's median and maximum, the time summed over the sets, and per set
whether the search is no worse than ``HalvingGridSearchCV`` (regret) at no
more (load-corrected) time.

``--cache PATH`` keeps the grid search's and ``HalvingGridSearchCV``'s results
per set in a JSON file: they do not depend on the distilled search, and are
the longest part of a run. ``--distiller``, ``--params``, ``--n-confirm``,
``--confirm-splits`` and ``--first-stage-splits`` choose the distilled search
measured. ``--max-rows N``
subsamples larger sets to ``N`` rows first (stratified, seed 0; the set is then
named ``name@N``), and ``--reference-only`` only fills the cache.
``--summarise A.json,B.json`` prints the summary of earlier runs' rows merged.
``--replay A.json,B.json --cache PATH`` recomputes, from earlier runs' rows
and the cache's per-split scores, what the same first stages would have
picked with ``n_confirm="auto"`` (today's rule, from the first stage's
held-out rows: ``first_stage_splits="auto"`` folds of ``n / 5`` rows; and the
pilots' choice, read from the run's tau column) and
with ``n_confirm=--n-confirm`` (an int), both at ``confirm_splits="auto"``:
per set and seed, the confirmed count, the regret and the load-corrected time
(the run's first stage and refit, divided by its slowdown, plus the grid
search's fit times of the confirmed candidates on the splits used; the
sweep's rule), then the summary of each (its wall times are the
load-corrected ones). A set whose cache keeps no per-split scores is replayed
only where ``confirm_splits="auto"`` is every split.

    python benchmarks/bench_distilled_search_cv.py                  # 3 sets
    python benchmarks/bench_distilled_search_cv.py --sets crabs --seeds 0,1
    python benchmarks/bench_distilled_search_cv.py --cache ref.json \
        --sets biopsy,anes96,fishing,fair,classes7 --seeds 0,1
    python benchmarks/bench_distilled_search_cv.py --sets diamonds \
        --max-rows 10000 --reference-only --cache ref_diamonds.json
    python benchmarks/bench_distilled_search_cv.py --replay out.json \
        --cache ref.json --n-confirm 3

``--json PATH`` also writes the printed rows, the command and the versions to a
JSON file (see ``_harness.py``).
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np
from scipy.stats import kendalltau
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import (  # noqa: E402
    Report,
    Timer,
    add_harness_arguments,
    limited_threads,
    parse_params,
)
from suite_datasets import load_suite  # noqa: E402

from skdistill import (  # noqa: E402
    DatasetDistiller,
    DistilledMLPClassifier,
    DistilledSearchCV,
    KMeansSampler,
)
from skdistill._model_selection.common import (  # noqa: E402
    _AUTO_FIRST_STAGE_MAX,
    auto_n_confirm,
    auto_n_splits,
)

GRID = {
    "clf__hidden_layer_sizes": [(4,), (16,), (64,), (16, 16), (64, 64), (32, 32, 32)],
    "clf__alpha": [1e-4, 0.1, 3.0],
}
CONFIRM_SWEEP = (1, 2, 3, 5, 8)
SPLITS_SWEEP = (1, 2, 3, 5)


def short(params):
    return (
        f"{params['clf__hidden_layer_sizes']}/a={params['clf__alpha']:g}"
        if params
        else "{}"
    )


def first_stage_label(search):
    """The first stage the search ran, with the pilots' votes (plain:weighted)
    where they chose it."""
    votes = search.first_stage_votes_
    if votes is None:
        return search.first_stage_
    return f"{search.first_stage_} {votes['plain']}:{votes['weighted']}"


def _piloted_weighted(tau_column):
    """Whether a run's pilots kept the weighted first stage, from its tau
    column (``"+0.82 (3 x 1) weighted 19:34"``, ending in `first_stage_label`:
    the votes follow the stage only where the pilots chose it)."""
    words = str(tau_column).split()
    return len(words) >= 2 and words[-2] == "weighted" and ":" in words[-1]


def estimator():
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("clf", DistilledMLPClassifier(max_iter=200, random_state=0)),
        ]
    )


def timed_fit(search, X, y):
    with Timer() as timer:
        search.fit(X, y)
    return search, timer.wall


def make_distiller(kind, params):
    """The ``distiller=`` of the distilled search for ``--distiller``."""
    if kind == "default":
        return None if not params else DatasetDistiller(**params)
    if kind == "kmeans":
        return KMeansSampler(**params)
    raise ValueError(f"unknown --distiller {kind!r}")


def sync_cache(cache, path):
    """Merge the cache file and ``cache`` (runs may share a file)."""
    if not path:
        return
    if os.path.exists(path):
        with open(path) as f:
            for name, entry in json.load(f).items():
                cache.setdefault(name, entry)
    with open(path + ".tmp", "w") as f:
        json.dump(cache, f)
    os.replace(path + ".tmp", path)


def reference_searches(name, X_train, y_train, X_test, y_test, cache, path):
    """GridSearchCV's and HalvingGridSearchCV's results on one set (cached:
    they do not depend on the distilled search)."""
    sync_cache(cache, path)
    if name in cache:
        return cache[name]
    grid, t_grid = timed_fit(GridSearchCV(estimator(), GRID, cv=5), X_train, y_train)
    halving, t_halving = timed_fit(
        HalvingGridSearchCV(
            estimator(), GRID, cv=5, factor=3, resource="n_samples", random_state=0
        ),
        X_train,
        y_train,
    )
    results = grid.cv_results_
    cache[name] = {
        "params": [short(p) for p in results["params"]],
        "mean_test_score": results["mean_test_score"].tolist(),
        "mean_fit_time": results["mean_fit_time"].tolist(),
        "split_test_score": [
            results[f"split{k}_test_score"].tolist() for k in range(grid.n_splits_)
        ],
        "n_splits": grid.n_splits_,
        "grid": {
            "wall": t_grid,
            "best_index": int(grid.best_index_),
            "test": grid.score(X_test, y_test),
        },
        "halving": {
            "wall": t_halving,
            "best_index": results["params"].index(halving.best_params_),
            "test": halving.score(X_test, y_test),
        },
    }
    sync_cache(cache, path)
    return cache[name]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="biopsy,anes96,classes7")
    parser.add_argument("--seeds", default="0", help="DistilledSearchCV seeds")
    parser.add_argument(
        "--distiller",
        default="default",
        choices=("default", "kmeans"),
        help="default: distiller=None; kmeans: KMeansSampler (with --params)",
    )
    parser.add_argument("--params", help="parameters of the distiller, a=1,b=2")
    parser.add_argument("--n-confirm", default="auto")
    parser.add_argument("--confirm-splits", default="auto")
    parser.add_argument(
        "--first-stage-splits",
        help="first_stage_splits of the distilled search ('auto' or an int); "
        "its default when not given",
    )
    parser.add_argument(
        "--first-stage",
        choices=("auto", "plain", "weighted"),
        help="first_stage of the distilled search; its default when not given",
    )
    parser.add_argument(
        "--cache",
        help="JSON file keeping GridSearchCV's and HalvingGridSearchCV's results "
        "per set between runs",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=50_000,
        help="larger sets are subsampled to this many rows (stratified, seed 0) "
        "before the test split; the cache key names the cap when it applies",
    )
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help="only compute (and cache) GridSearchCV's and HalvingGridSearchCV's "
        "results",
    )
    parser.add_argument(
        "--summarise",
        help="print the summary of the rows of earlier runs instead of running: "
        "comma-separated '--json' files (their '.rows' files are read), e.g. the "
        "runs of the small and the large sets together",
    )
    parser.add_argument(
        "--replay",
        help="comma-separated '--json' files of earlier runs: recompute their "
        "picks with n_confirm='auto' and with --n-confirm (an int), from their "
        "first-stage scores and --cache (nothing is run)",
    )
    add_harness_arguments(parser)
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise.split(","))
        return
    if args.replay:
        if not args.cache or args.n_confirm == "auto":
            parser.error("--replay needs --cache and an int --n-confirm")
        replay(args.replay.split(","), args.cache, int(args.n_confirm))
        return
    report = Report(__file__, args)
    seeds = [int(s) for s in args.seeds.split(",")]
    params = parse_params(args.params)
    n_confirm = args.n_confirm if args.n_confirm == "auto" else int(args.n_confirm)
    confirm_splits = (
        args.confirm_splits
        if args.confirm_splits == "auto"
        else int(args.confirm_splits)
    )
    first_stage_option = {}
    if args.first_stage_splits is not None:
        first_stage_option["first_stage_splits"] = (
            args.first_stage_splits
            if args.first_stage_splits == "auto"
            else int(args.first_stage_splits)
        )
    if args.first_stage is not None:
        first_stage_option["first_stage"] = args.first_stage
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows, sweep_rows, cache = [], [], {}
    sets = args.sets.split(",")
    with limited_threads(1):
        suite = sorted(
            load_suite(sets, max_rows=args.max_rows),
            key=lambda d: sets.index(d.name),
        )
    for data in suite:
        key = data.name
        if len(data.y) == args.max_rows:
            key = f"{data.name}@{args.max_rows}"
        X_train, X_test, y_train, y_test = train_test_split(
            data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
        )
        with limited_threads(1):
            ref = reference_searches(
                key, X_train, y_train, X_test, y_test, cache, args.cache
            )
        if args.reference_only:
            print(f"{key}: reference searches cached", flush=True)
            continue
        cv_score = np.array(ref["mean_test_score"])
        t_grid = ref["grid"]["wall"]
        best_cv = cv_score[ref["grid"]["best_index"]]
        grid_test = ref["grid"]["test"]
        print(
            f"{key}: {len(y_train)} training rows; grid search {t_grid:.0f}s, "
            f"pick {ref['params'][ref['grid']['best_index']]}, cv {best_cv:.4f}, "
            f"test {grid_test:.4f}",
            flush=True,
        )
        rows.append(
            (
                key,
                len(y_train),
                "grid",
                "-",
                t_grid,
                1.0,
                ref["params"][ref["grid"]["best_index"]],
                0.0,
                grid_test,
                0.0,
                "",
                "",
                1.0,
                len(data.y),  # the set's rows, test split included
            )
        )
        halving = ref["halving"]
        rows.append(
            (
                key,
                len(y_train),
                "halving",
                "-",
                halving["wall"],
                halving["wall"] / t_grid,
                ref["params"][halving["best_index"]],
                100 * (best_cv - cv_score[halving["best_index"]]),
                halving["test"],
                100 * (grid_test - halving["test"]),
                "",
                "",
                1.0,
            )
        )
        for seed in seeds:
            with limited_threads(1):
                search, t_search = timed_fit(
                    DistilledSearchCV(
                        estimator(),
                        GRID,
                        cv=5,
                        n_confirm=n_confirm,
                        confirm_splits=confirm_splits,
                        **first_stage_option,
                        distiller=make_distiller(args.distiller, params),
                        random_state=seed,
                    ),
                    X_train,
                    y_train,
                )
            results = search.cv_results_
            assert [short(p) for p in results["params"]] == ref["params"]
            confirmed = results["confirmed"]
            used = search.n_splits_
            # The same splits and seeds: the confirmed scores are the grid's.
            if "split_test_score" in ref:
                for k in range(used):
                    np.testing.assert_allclose(
                        results[f"split{k}_test_score"][confirmed],
                        np.array(ref["split_test_score"][k])[confirmed],
                    )
            elif used == ref["n_splits"]:
                np.testing.assert_allclose(
                    results["mean_test_score"][confirmed], cv_score[confirmed]
                )
            distilled = results["mean_distilled_score"]
            tau = kendalltau(distilled, cv_score).statistic
            search_test = search.score(X_test, y_test)
            confirm_time = np.nansum(results["mean_fit_time"]) * used
            # The machine is shared: the confirmed candidates' fits, timed
            # here and in the grid search, give the slowdown of this run
            # against the grid search's, and the load-corrected time.
            per_split = np.array(ref["mean_fit_time"])
            slowdown = confirm_time / (per_split[confirmed].sum() * used)
            rows.append(
                (
                    key,
                    len(y_train),
                    "distilled",
                    seed,
                    t_search,
                    t_search / t_grid,
                    short(search.best_params_),
                    100 * (best_cv - cv_score[search.best_index_]),
                    search_test,
                    100 * (grid_test - search_test),
                    f"{search.distillation_time_:.0f}",
                    f"{tau:+.2f} ({int(confirmed.sum())} x {used}) "
                    + first_stage_label(search),
                    slowdown,
                    distilled.tolist(),
                )
            )
            # What other n_confirm (and, with the grid's split scores, other
            # confirm_splits) would have given, from the same runs: the best
            # of the first stage's top k by its mean over the first m splits.
            first_stage = t_search - confirm_time - search.refit_time_
            order = np.lexsort((np.arange(len(distilled)), -distilled))
            split_scores = np.array(ref.get("split_test_score", [cv_score]))
            sweep_splits = (
                SPLITS_SWEEP if "split_test_score" in ref else (ref["n_splits"],)
            )
            for m in sweep_splits:
                partial = split_scores[:m].mean(axis=0)
                for k in CONFIRM_SWEEP:
                    # Confirmed in the grid's order, as the search does (ties
                    # go to the first).
                    top = np.sort(order[:k])
                    pick = top[np.argmax(partial[top])]
                    wall = (first_stage + search.refit_time_) / slowdown + per_split[
                        top
                    ].sum() * m
                    sweep_rows.append(
                        (
                            key,
                            seed,
                            k,
                            m,
                            100 * (best_cv - cv_score[pick]),
                            wall / t_grid,
                        )
                    )
            print(f"  seed {seed}: {t_search:.0f}s", flush=True)

    if args.reference_only:
        return
    if args.json:
        # The raw rows first: the tables can be printed again from them.
        with open(args.json + ".rows", "w") as f:
            json.dump({"rows": rows, "sweep_rows": sweep_rows}, f)
    print_tables(rows, sweep_rows, seeds, report)
    report.write(args.json)


def print_tables(rows, sweep_rows, seeds, report):
    """The two tables and the targets' summary."""
    print()
    print(
        "| set | rows | search | seed | wall s | time / grid | pick "
        "| cv regret (pts) | test acc | test regret (pts) | first stage s "
        "| tau, first stage vs cv (confirmed x splits) | slowdown | time / grid, "
        "load-corrected |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        name, n, kind, seed, t, ratio, pick, regret, test, test_regret, dt, tau = row[
            :12
        ]
        slowdown = row[12]
        print(
            f"| {name} | {n} | {kind} | {seed} | {t:.0f} | {ratio:.2f} | {pick} | "
            f"{regret:.2f} | {test:.4f} | {test_regret:+.2f} | {dt} | {tau} "
            f"| {slowdown:.2f} | {ratio / slowdown:.2f} |"
        )
        report.row(
            table="searches",
            set=name,
            rows=n,
            search=kind,
            seed=seed,
            wall_seconds=t,
            time_over_grid=ratio,
            pick=pick,
            cv_regret_points=regret,
            test_accuracy=test,
            test_regret_points=test_regret,
            distill_seconds=dt,
            kendall_tau=tau,
            slowdown=slowdown,
        )
    print()
    print(
        "| set | seed | n_confirm | confirm_splits | cv regret (pts) "
        "| time / grid, load-corrected |"
    )
    print("|---|---|---|---|---|---|")
    for name, seed, k, m, regret, ratio in sweep_rows:
        print(f"| {name} | {seed} | {k} | {m} | {regret:.2f} | {ratio:.2f} |")
        report.row(
            table="n_confirm",
            set=name,
            seed=seed,
            n_confirm=k,
            confirm_splits=m,
            cv_regret_points=regret,
            time_over_grid=ratio,
        )
    print()
    for line in summary(rows, seeds):
        print(line)


def summarise(paths):
    """The summary lines of the rows saved by earlier ``--json`` runs, merged
    (every run must have the same seeds)."""
    rows = []
    for path in paths:
        with open(path + ".rows") as f:
            rows += json.load(f)["rows"]
    seeds = sorted({r[3] for r in rows if r[2] == "distilled"})
    print("\n".join(summary(rows, seeds)))


def fold_sizes(n_rows, n_splits=5):
    """Held-out rows of each split of a ``n_splits``-fold cv of ``n_rows``."""
    return [n_rows // n_splits + (k < n_rows % n_splits) for k in range(n_splits)]


def replay(paths, cache_path, n_confirm):
    """What earlier runs' first stages would have picked with
    ``n_confirm="auto"`` and with ``n_confirm`` (see the module's doc)."""
    with open(cache_path) as f:
        cache = json.load(f)
    rows, sweeps = [], []
    for path in paths:
        with open(path + ".rows") as f:
            saved = json.load(f)
        rows += saved["rows"]
        sweeps += saved["sweep_rows"]
    # The first stage and refit of a run, load-corrected, from its sweep rows:
    # (first stage + refit) / slowdown = sweep time - top candidate's fits.
    first_sweep = {}
    for name, seed, k, m, _, ratio in sweeps:
        if k == 1 and (name, seed) not in first_sweep:
            first_sweep[(name, seed)] = (m, ratio)
    replayed = {"auto": [], n_confirm: []}
    print(
        f"| set | training rows | seed | n_confirm auto / {n_confirm} | cv regret "
        f"(pts), auto / {n_confirm} | time / grid, load-corrected, auto / "
        f"{n_confirm} |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        if row[2] != "distilled":
            replayed["auto"].append(row)
            replayed[n_confirm].append(row)
            continue
        name, n_train, seed = row[0], row[1], row[3]
        ref = cache[name]
        cv_score = np.array(ref["mean_test_score"])
        per_split = np.array(ref["mean_fit_time"])
        split_scores = np.array(ref.get("split_test_score", [cv_score] * 5))
        best_cv = cv_score[ref["grid"]["best_index"]]
        t_grid = ref["grid"]["wall"]
        distilled = np.array(row[13])
        order = np.lexsort((np.arange(len(distilled)), -distilled))
        m0, ratio = first_sweep[(name, seed)]
        base = ratio * t_grid - per_split[order[0]] * m0
        test_sizes = fold_sizes(n_train)
        n_first = auto_n_splits(test_sizes, max_splits=_AUTO_FIRST_STAGE_MAX)
        m = auto_n_splits(test_sizes)
        if "split_test_score" not in ref and m != len(split_scores):
            continue
        counts = {
            "auto": auto_n_confirm(
                len(distilled),
                sum(test_sizes[:n_first]),
                pilots_kept_weighted=_piloted_weighted(row[11]),
            ),
            n_confirm: min(n_confirm, len(distilled)),
        }
        line = {}
        for key, k in counts.items():
            top = np.sort(order[:k])  # the grid's order, as the search
            pick = top[np.argmax(split_scores[:m].mean(axis=0)[top])]
            wall = base + per_split[top].sum() * m
            regret = 100 * (best_cv - cv_score[pick])
            line[key] = (k, regret, wall / t_grid)
            replayed[key].append(
                (name, n_train, "distilled", seed, wall, wall / t_grid, "", regret)
                + tuple(row[8:12])
                + (1.0,)
            )
        (ka, ra, ta), (kn, rn, tn) = line["auto"], line[n_confirm]
        print(
            f"| {name} | {n_train} | {seed} | {ka} / {kn} | {ra:.2f} / {rn:.2f} "
            f"| {ta:.2f} / {tn:.2f} |"
        )
    seeds = sorted({r[3] for r in rows if r[2] == "distilled"})
    for key, replayed_rows in replayed.items():
        print()
        print(f"n_confirm={key!r} (times load-corrected):")
        print("\n".join(summary(replayed_rows, seeds)))


def summary(rows, seeds):
    """The targets' figures: regret (median, max), time over the grid search
    (summed; per set of >= 5k rows), and the sets where the distilled search
    is no worse than HalvingGridSearchCV at equal or lower wall time."""
    distilled = [r for r in rows if r[2] == "distilled"]
    grids = {r[0]: r[4] for r in rows if r[2] == "grid"}
    halving = {r[0]: r for r in rows if r[2] == "halving"}
    regrets = [r[7] for r in distilled]
    total = sum(r[4] for r in distilled) / len(seeds)
    corrected = sum(r[4] / r[12] for r in distilled) / len(seeds)
    lines = [
        f"distilled search: cv regret median {np.median(regrets):.2f} pts, max "
        f"{max(regrets):.2f}; wall time summed over the sets "
        f"{total / sum(grids.values()):.2f} of GridSearchCV's "
        f"({corrected / sum(grids.values()):.2f} load-corrected)",
    ]
    wins = 0
    for name in grids:
        runs = [r for r in distilled if r[0] == name]
        regret = np.mean([r[7] for r in runs])
        wall = np.mean([r[4] / r[12] for r in runs])  # load-corrected
        win = regret <= halving[name][7] and wall <= halving[name][4]
        wins += win
        lines.append(
            f"  {name} ({runs[0][1]} training rows): regret mean {regret:.2f} "
            f"(halving {halving[name][7]:.2f}), time / grid "
            f"{wall / grids[name]:.2f} (halving {halving[name][5]:.2f}): "
            f"{'no worse than' if win else 'behind'} halving (times load-corrected)"
        )
    sizes = {r[0]: r[13] for r in rows if r[2] == "grid"}
    large = [name for name in grids if sizes[name] >= 5000]
    if large:
        per_run = [
            (name, r[4] / r[12] / grids[name])
            for name in large
            for r in distilled
            if r[0] == name
        ]
        lines.append(
            "sets of >= 5000 rows: time / grid, load-corrected, per run: "
            + ", ".join(f"{name} {ratio:.2f}" for name, ratio in per_run)
            + f" (max {max(ratio for _, ratio in per_run):.2f})"
        )
    lines.append(
        f"no worse than HalvingGridSearchCV at equal or lower wall time on "
        f"{wins} of {len(grids)} sets ({100 * wins / len(grids):.0f} %)"
    )
    return lines


if __name__ == "__main__":
    main()
