"""Seconds of DistilledSearchCV's first stage on suite sets, to compare commits.

The search at its defaults on the first split of ``StratifiedKFold(5)`` of every
set (``cv=[split]``, one candidate confirmed, no refit), the grid and estimator
of ``bench_distilled_search_cv.py``. Prints every set's first-stage scores (to
check that two commits train the same networks) and the search's seconds.
Time two commits by running this script from a checkout of each, in turn, as
whole processes.

    python benchmarks/bench_first_stage_speed.py --sets fair,diamonds
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_distilled_search_cv import GRID, estimator  # noqa: E402
from suite_datasets import load_suite  # noqa: E402

from skdistill import DistilledSearchCV  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="fair,diamonds")
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--first-stage", help="first_stage (its default if not given)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    options = {} if args.first_stage is None else {"first_stage": args.first_stage}
    for data in load_suite(args.sets.split(","), max_rows=args.max_rows):
        split = next(StratifiedKFold(5).split(data.X, data.y))
        start = time.perf_counter()
        search = DistilledSearchCV(
            estimator(),
            GRID,
            cv=[split],
            n_confirm=1,
            refit=False,
            random_state=0,
            **options,
        ).fit(data.X, data.y)
        seconds = time.perf_counter() - start
        scores = np.round(search.cv_results_["mean_distilled_score"], 4).tolist()
        print(f"{data.name}: {seconds:.1f} s, first-stage scores {scores}")


if __name__ == "__main__":
    main()
