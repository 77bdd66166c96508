"""DistilledSearchCV's time against GridSearchCV's, timed in pairs.

Per set and seed, in one process at one thread: ``GridSearchCV(cv=5)`` on the
training rows, then ``DistilledSearchCV(random_state=seed)`` at its defaults on
the same rows (the grid, estimator and split of
``bench_distilled_search_cv.py``, refit included in both), the second right
after the first. The grid search is the same computation at every seed; it
runs again before each distilled search so that every ratio compares two
searches adjacent in time, where ``bench_distilled_search_cv.py`` compares
with a grid search run once per set and only estimates the load in between
(from the confirmed candidates' fits, whose time on one split can differ from
the grid search's mean over five by a fifth either way). Prints the wall
seconds of both and the wall and CPU ratios per pair, then per set the median
and maximum ratios. The grid search comes first in every pair, so the first
pair's grid search also carries the process's one-time costs (imports, first calls).

    python benchmarks/bench_search_time.py --sets moons_noisy,imbalanced \\
        --max-rows 10000 --seeds 0,1,2,3
"""

import argparse
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Report, Timer, add_harness_arguments, limited_threads  # noqa: E402
from bench_distilled_search_cv import GRID, estimator  # noqa: E402
from suite_datasets import load_suite  # noqa: E402

from skdistill import DistilledSearchCV  # noqa: E402


def timed(search, X, y):
    with Timer() as timer:
        search.fit(X, y)
    return timer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="moons_noisy,imbalanced")
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--seeds", default="0,1,2,3")
    args = add_harness_arguments(parser).parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    seeds = [int(s) for s in args.seeds.split(",")]
    report = Report(__file__, args, threads=1)
    print("| set | seed | grid wall s | distilled wall s | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    with limited_threads(1):
        for data in load_suite(args.sets.split(","), max_rows=args.max_rows):
            name = data.name
            if len(data.y) == args.max_rows:
                name = f"{data.name}@{args.max_rows}"
            X, _, y, _ = train_test_split(
                data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
            )
            for seed in seeds:
                grid = timed(GridSearchCV(estimator(), GRID, cv=5), X, y)
                distilled = timed(
                    DistilledSearchCV(estimator(), GRID, cv=5, random_state=seed), X, y
                )
                row = report.row(
                    set=name,
                    training_rows=len(y),
                    seed=seed,
                    grid_wall=grid.wall,
                    grid_cpu=grid.cpu,
                    distilled_wall=distilled.wall,
                    distilled_cpu=distilled.cpu,
                    wall_ratio=distilled.wall / grid.wall,
                    cpu_ratio=distilled.cpu / grid.cpu,
                )
                print(
                    f"| {name} | {seed} | {grid.wall:.1f} | {distilled.wall:.1f} "
                    f"| {row['wall_ratio']:.3f} | {row['cpu_ratio']:.3f} |",
                    flush=True,
                )
    print()
    for name in dict.fromkeys(row["set"] for row in report.rows):
        own = [row for row in report.rows if row["set"] == name]
        wall = [row["wall_ratio"] for row in own]
        cpu = [row["cpu_ratio"] for row in own]
        print(
            f"{name} ({own[0]['training_rows']} training rows): wall ratio median "
            f"{np.median(wall):.3f}, max {max(wall):.3f}; CPU ratio median "
            f"{np.median(cpu):.3f}, max {max(cpu):.3f}"
        )
    report.write(args.json)


if __name__ == "__main__":
    main()
