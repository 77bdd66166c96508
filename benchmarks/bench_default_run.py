"""The distiller's default run on its default architecture, against three networks.

For each suite set (``suite_datasets.py``; ``--sets``) and distillation seed
(``--seeds``): the stratified 1/3 test split of ``bench_suite.py`` (seed 0),
standardised; ``DatasetDistiller(random_state=seed)`` at its defaults (the
default architecture ``((10,),)``, the single long run where it applies) and
with ``n_models=3`` (three networks over 8 epochs, the run before it); the
replay of 5 fresh ``(10,)`` networks (``distillation_accuracy``) on the test
rows. Prints the replays per seed and their mean.

    python benchmarks/bench_default_run.py --sets fishing,yogurt,digits --seeds 0,1,2
"""

import argparse
import os
import sys
import warnings

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from suite_datasets import load_suite  # noqa: E402

from skdistill import (  # noqa: E402
    DatasetDistiller,
    DistilledMLPClassifier,
    distillation_accuracy,
)

PLANS = {"n_models=3": {"n_models": 3}, "defaults": {}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", required=True, help="comma-separated suite sets")
    parser.add_argument("--seeds", default="0,1,2", help="distillation seeds")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    print("| set | " + " | ".join(f"{p}: replay per seed | mean" for p in PLANS) + " |")
    print("|---|" + "---|---|" * len(PLANS))
    for data in load_suite(args.sets.split(",")):
        X, X_test, y, y_test = train_test_split(
            data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
        )
        scaler = StandardScaler().fit(X)
        X, X_test = scaler.transform(X), scaler.transform(X_test)
        cells = []
        for params in PLANS.values():
            scores = []
            for seed in seeds:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    distiller = DatasetDistiller(random_state=seed, **params).fit(X, y)
                    clf = DistilledMLPClassifier(
                        (10,), distiller=FrozenEstimator(distiller)
                    )
                    score = distillation_accuracy(
                        clf, X, y, X_test, y_test, n_models=5, random_state=0
                    )
                scores.append(score.mean)
            cells.append(
                " / ".join(f"{s:.3f}" for s in scores) + f" | {np.mean(scores):.3f}"
            )
        print(f"| {data.name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
