"""Seconds of DatasetDistiller.fit needed to reach 97 % of the final replay accuracy.

On three sets of the benchmark suite (wine, breast_cancer, digits; a stratified
70/30 split), a distiller with default parameters is fitted with ``max_iter``
25, 50, 100, 200 and 400, all with ``random_state=0`` (so that the fit with k
iterations is the first k iterations of the longer ones), each fit timed. The
replay accuracy of every distilled set is ``distillation_accuracy`` of 10
fresh (10,) networks trained on it with its learned schedule. The final
accuracy is the 400-iteration one; the script prints the fit seconds of the
shortest fit within 97 % of it.

Run it under two versions of skdistill to compare them, e.g. ``env
PYTHONPATH=/path/to/other python benchmarks/bench_time_to_quality.py``.
Needs the suite's data sets (``pip install -e .[bench]``; these three ship
with scikit-learn).

Run:  python benchmarks/bench_time_to_quality.py
"""

import time

import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from suite_datasets import load_suite

from skdistill import DatasetDistiller, DistilledMLPClassifier, distillation_accuracy

SETS = ("wine", "breast_cancer", "digits")
ITERATIONS = (25, 50, 100, 200, 400)


def main():
    torch.set_num_threads(1)
    print("set             iterations  fit seconds  replay accuracy")
    for data in load_suite(SETS):
        X_train, X_test, y_train, y_test = train_test_split(
            data.X, data.y, test_size=0.3, stratify=data.y, random_state=0
        )
        curve = []
        for max_iter in ITERATIONS:
            start = time.perf_counter()
            distiller = DatasetDistiller(max_iter=max_iter, random_state=0).fit(
                X_train, y_train
            )
            seconds = time.perf_counter() - start
            network = DistilledMLPClassifier(
                (10,), distiller=FrozenEstimator(distiller)
            )
            score = distillation_accuracy(
                network, X_train, y_train, X_test, y_test, n_models=10, random_state=0
            )
            curve.append((max_iter, seconds, score.mean))
            print(f"{data.name:<15} {max_iter:>10} {seconds:12.2f} {score.mean:16.3f}")
        final = curve[-1][2]
        reached = next(c for c in curve if c[2] >= 0.97 * final)
        print(
            f"{data.name:<15} 97 % of the final accuracy {final:.3f} after "
            f"{reached[0]} iterations: {reached[1]:.2f} s"
        )


if __name__ == "__main__":
    main()
