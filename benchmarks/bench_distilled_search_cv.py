"""DistilledSearchCV against GridSearchCV(cv=5) on sets of the benchmark suite.

For every set: a stratified 1/3 test split (seed 0); the estimator is
``Pipeline([StandardScaler(), DistilledMLPClassifier(max_iter=200,
random_state=0)])`` and the grid ``hidden_layer_sizes`` in (4,), (16,), (64,),
(16, 16), (64, 64), (32, 32, 32) times ``alpha`` in 1e-4, 0.1, 3.0 (18
candidates), searched on the training rows by

* ``grid``: ``GridSearchCV(cv=5)`` (the oracle);
* ``distilled``: ``DistilledSearchCV(cv=5, n_confirm="auto")`` (the default
  distiller, configured from the grid), at ``--seeds`` search seeds;
* ``halving``: ``HalvingGridSearchCV(cv=5, resource="n_samples", factor=3)``.

Per search: wall time (fit, refit included) and its ratio to the grid search's;
the pick; the regret in cross-validation accuracy points (the grid search's
best ``mean_test_score`` minus the pick's, read from the grid search's table:
the splits and the estimator's seed are the same, so the scores are the same
numbers); the test accuracy of the refitted pick and the test regret against
the grid search's pick. For the distilled search also the distillation time and
Kendall's tau between the first-stage scores and the grid search's
``mean_test_score`` over all candidates.

Then, from the same runs, what other ``n_confirm`` would have picked: the best
cross-validated of the top ``k`` first-stage candidates, its regret, and the
wall time the search would have taken (its own first stage plus the grid
search's fit times of those ``k`` candidates and the refit).

    python benchmarks/bench_distilled_search_cv.py                  # 3 sets
    python benchmarks/bench_distilled_search_cv.py --sets crabs --seeds 0,1

``--json PATH`` also writes the printed rows, the command and the versions to a
JSON file (see ``_harness.py``).
"""

import argparse
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

from _harness import Report, Timer, add_harness_arguments  # noqa: E402
from suite_datasets import load_suite  # noqa: E402

from skdistill import DistilledMLPClassifier, DistilledSearchCV  # noqa: E402

GRID = {
    "clf__hidden_layer_sizes": [(4,), (16,), (64,), (16, 16), (64, 64), (32, 32, 32)],
    "clf__alpha": [1e-4, 0.1, 3.0],
}
CONFIRM_SWEEP = (1, 2, 3, 5, 8)


def short(params):
    return (
        f"{params['clf__hidden_layer_sizes']}/a={params['clf__alpha']:g}"
        if params
        else "{}"
    )


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="biopsy,anes96,classes7")
    parser.add_argument("--seeds", default="0", help="DistilledSearchCV seeds")
    add_harness_arguments(parser)
    args = parser.parse_args()
    report = Report(__file__, args)
    seeds = [int(s) for s in args.seeds.split(",")]
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows, sweep_rows = [], []
    for data in load_suite(args.sets.split(",")):
        X_train, X_test, y_train, y_test = train_test_split(
            data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
        )
        grid, t_grid = timed_fit(
            GridSearchCV(estimator(), GRID, cv=5), X_train, y_train
        )
        cv_score = grid.cv_results_["mean_test_score"]
        fit_times = grid.cv_results_["mean_fit_time"] * grid.n_splits_
        best_cv = cv_score[grid.best_index_]
        grid_test = grid.score(X_test, y_test)
        print(
            f"{data.name}: {len(y_train)} training rows; grid search {t_grid:.0f}s, "
            f"pick {short(grid.best_params_)}, cv {best_cv:.4f}, test {grid_test:.4f}",
            flush=True,
        )
        rows.append(
            (
                data.name,
                "grid",
                "-",
                t_grid,
                1.0,
                short(grid.best_params_),
                0.0,
                grid_test,
                0.0,
                "",
                "",
            )
        )
        halving, t_halving = timed_fit(
            HalvingGridSearchCV(
                estimator(), GRID, cv=5, factor=3, resource="n_samples", random_state=0
            ),
            X_train,
            y_train,
        )
        pick = grid.cv_results_["params"].index(halving.best_params_)
        halving_test = halving.score(X_test, y_test)
        rows.append(
            (
                data.name,
                "halving",
                "-",
                t_halving,
                t_halving / t_grid,
                short(halving.best_params_),
                100 * (best_cv - cv_score[pick]),
                halving_test,
                100 * (grid_test - halving_test),
                "",
                "",
            )
        )
        for seed in seeds:
            search, t_search = timed_fit(
                DistilledSearchCV(estimator(), GRID, cv=5, random_state=seed),
                X_train,
                y_train,
            )
            results = search.cv_results_
            confirmed = results["confirmed"]
            # The same splits and seeds: the confirmed scores are the grid's.
            np.testing.assert_allclose(
                results["mean_test_score"][confirmed], cv_score[confirmed]
            )
            distilled = results["mean_distilled_score"]
            tau = kendalltau(distilled, cv_score).statistic
            search_test = search.score(X_test, y_test)
            rows.append(
                (
                    data.name,
                    "distilled",
                    seed,
                    t_search,
                    t_search / t_grid,
                    short(search.best_params_),
                    100 * (best_cv - cv_score[search.best_index_]),
                    search_test,
                    100 * (grid_test - search_test),
                    f"{search.distillation_time_:.0f}",
                    f"{tau:+.2f}",
                )
            )
            # What other n_confirm would have given, from the same runs.
            confirm_time = np.nansum(results["mean_fit_time"]) * search.n_splits_
            first_stage = t_search - confirm_time - search.refit_time_
            order = np.lexsort((np.arange(len(distilled)), -distilled))
            for k in CONFIRM_SWEEP:
                top = order[:k]
                pick = top[np.argmax(cv_score[top])]
                wall = first_stage + fit_times[top].sum() + search.refit_time_
                sweep_rows.append(
                    (
                        data.name,
                        seed,
                        k,
                        100 * (best_cv - cv_score[pick]),
                        wall / t_grid,
                    )
                )
            print(f"  seed {seed}: {t_search:.0f}s", flush=True)

    print()
    print(
        "| set | search | seed | wall s | time / grid | pick | cv regret (pts) "
        "| test acc | test regret (pts) | distill s | tau, first stage vs cv |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, kind, seed, t, ratio, pick, regret, test, test_regret, dt, tau in rows:
        print(
            f"| {name} | {kind} | {seed} | {t:.0f} | {ratio:.2f} | {pick} | "
            f"{regret:.2f} | {test:.4f} | {test_regret:+.2f} | {dt} | {tau} |"
        )
        report.row(
            table="searches",
            set=name,
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
        )
    print()
    print("| set | seed | n_confirm | cv regret (pts) | time / grid |")
    print("|---|---|---|---|---|")
    for name, seed, k, regret, ratio in sweep_rows:
        print(f"| {name} | {seed} | {k} | {regret:.2f} | {ratio:.2f} |")
        report.row(
            table="n_confirm",
            set=name,
            seed=seed,
            n_confirm=k,
            cv_regret_points=regret,
            time_over_grid=ratio,
        )
    distilled = [r for r in rows if r[1] == "distilled"]
    grids = {r[0]: r[3] for r in rows if r[1] == "grid"}
    total = sum(r[3] for r in distilled) / len(seeds)
    print()
    print(
        f"distilled search: median cv regret "
        f"{np.median([r[6] for r in distilled]):.2f} pts, max "
        f"{max(r[6] for r in distilled):.2f}; wall time summed over the sets "
        f"{total / sum(grids.values()):.2f} of the grid search's"
    )
    report.write(args.json)


if __name__ == "__main__":
    main()
