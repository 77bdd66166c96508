"""KDMetaparamTuner: time per student iteration with a hypergradient, torch
(autograd, the reference path) against numpy (closed form), in one run.

Two students, each tuned with a hypergradient at every iteration:

* logistic: the paper's synthetic experiment (``hidden_layer_sizes=()``, 15
  training rows in one full batch, 3 features, 200 validation rows);
* mlp32: a ``(32,)`` ReLU student, 20 features, 3 classes, minibatches of 64
  from 640 training rows, 200 validation rows.

The two paths are timed in turn (reference, fast, reference, fast, ...) on
the same fit, ``--repeats`` times; every pair gives one ratio, and the table
shows the median time per iteration of each path and the median and range of
the ratios. Both paths start from the same weights and follow the same
metaparameter path to float tolerance (the largest difference is printed).

Run:  python benchmarks/bench_kd_speed.py [--repeats 5] [--iterations 400]
"""

import argparse
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

import skdistill._kd_metaparam_tuner as tuner_module
from skdistill._kd_metaparam_tuner import KDMetaparamTuner


def problems(iterations):
    rng = np.random.RandomState(0)
    X = rng.randn(215, 3)
    y = (X[:, 0] * X[:, 1] + 0.5 * rng.randn(215) > 0).astype(int)
    yield (
        "logistic, 15 rows, full batch",
        dict(hidden_layer_sizes=(), batch_size=15, max_iter=iterations),
        X[:15],
        y[:15],
        X[15:],
        y[15:],
    )
    X, y = make_classification(840, 20, n_informative=10, n_classes=3, random_state=0)
    yield (
        "(32,) MLP, batch 64 of 640 rows",
        dict(hidden_layer_sizes=(32,), batch_size=64, max_iter=iterations // 10),
        X[:640],
        y[:640],
        X[640:],
        y[640:],
    )


def timed_fit(params, X, y, X_val, y_val, teacher, numpy_path):
    original = tuner_module._use_numpy_path
    if not numpy_path:
        tuner_module._use_numpy_path = lambda *args: False
    try:
        model = KDMetaparamTuner(
            teacher, **params, lambda_init=0.5, temperature_init=2.0, random_state=0
        )
        start = time.perf_counter()
        model.fit(X, y, X_val=X_val, y_val=y_val)
        seconds = time.perf_counter() - start
    finally:
        tuner_module._use_numpy_path = original
    return seconds / model.t_, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=400)
    args = parser.parse_args()
    header = (
        f"{'student':<34}{'torch ms/it':>12}{'numpy ms/it':>12}"
        f"{'ratio (median, range)':>26}{'max path diff':>15}"
    )
    print(header)
    print("-" * len(header))
    for name, params, X, y, X_val, y_val in problems(args.iterations):
        teacher = FrozenEstimator(LogisticRegression().fit(X, y))
        reference, fast, ratios = [], [], []
        for _ in range(args.repeats):
            t_ref, ref_model = timed_fit(params, X, y, X_val, y_val, teacher, False)
            t_fast, fast_model = timed_fit(params, X, y, X_val, y_val, teacher, True)
            reference.append(t_ref)
            fast.append(t_fast)
            ratios.append(t_ref / t_fast)
        difference = max(
            np.abs(ref_model.lambda_path_ - fast_model.lambda_path_).max(),
            np.abs(ref_model.temperature_path_ - fast_model.temperature_path_).max(),
        )
        print(
            f"{name:<34}{1e3 * np.median(reference):>12.3f}"
            f"{1e3 * np.median(fast):>12.3f}"
            f"{np.median(ratios):>10.1f}x ({min(ratios):.1f}-{max(ratios):.1f})"
            f"{difference:>15.1e}"
        )


if __name__ == "__main__":
    main()
