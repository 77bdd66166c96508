"""KDMetaparamTuner: time per student iteration with a hypergradient: the
committed tuner before the speed work, its torch path today (autograd, the
reference path) and the numpy path (closed form), in one run.

Two students, each tuned with a hypergradient at every iteration:

* logistic: the paper's synthetic experiment (``hidden_layer_sizes=()``, 15
  training rows in one full batch, 3 features, 200 validation rows);
* mlp32: a ``(32,)`` ReLU student, 20 features, 3 classes, minibatches of 64
  from 640 training rows, 200 validation rows.

The old tuner is ``skdistill/_kd_metaparam_tuner.py`` as committed at
``--reference-commit`` (read with ``git show``, loaded as a module of the
installed package; it uses today's torch helpers, which the speed work did not
change). The three are timed in turn (old, torch, numpy, old, ...) on the same
fit, ``--repeats`` times; every round gives one ratio old / numpy and one torch
/ numpy, and the table shows medians and ranges. All start from the same
weights and follow the same metaparameter path to float tolerance (the
largest difference from the old tuner is printed).

Run:  python benchmarks/bench_kd_speed.py [--repeats 5] [--iterations 400]
      [--reference-commit 2e63258]
"""

import argparse
import importlib.util
import pathlib
import subprocess
import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

import skdistill
import skdistill._kd.tuner as tuner_module
from skdistill._kd.tuner import KDMetaparamTuner


def committed_tuner(commit):
    """KDMetaparamTuner as committed at ``commit``, as a module of skdistill."""
    root = pathlib.Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "-C", str(root), "show", f"{commit}:skdistill/_kd_metaparam_tuner.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    name = "skdistill._kd_metaparam_tuner_committed"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "skdistill"
    sys.modules[name] = module
    exec(compile(source, f"{commit}:_kd_metaparam_tuner.py", "exec"), module.__dict__)
    return module.KDMetaparamTuner


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


def timed_fit(params, X, y, X_val, y_val, teacher, numpy_path, cls=KDMetaparamTuner):
    original = tuner_module._use_numpy_path
    if not numpy_path:
        tuner_module._use_numpy_path = lambda *args: False
    try:
        model = cls(
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
    parser.add_argument("--reference-commit", default="2e63258")
    args = parser.parse_args()
    old_class = committed_tuner(args.reference_commit)
    print(f"skdistill at {pathlib.Path(skdistill.__file__).parent}")
    header = (
        f"{'student':<34}{'old ms/it':>10}{'torch ms/it':>12}{'numpy ms/it':>12}"
        f"{'old/numpy (median, range)':>28}{'torch/numpy':>13}{'max diff':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, params, X, y, X_val, y_val in problems(args.iterations):
        teacher = FrozenEstimator(LogisticRegression().fit(X, y))
        old, reference, fast, ratios, torch_ratios = [], [], [], [], []
        for _ in range(args.repeats):
            fit = (params, X, y, X_val, y_val, teacher)
            t_old, old_model = timed_fit(*fit, False, cls=old_class)
            t_ref, _ = timed_fit(*fit, False)
            t_fast, fast_model = timed_fit(*fit, True)
            old.append(t_old)
            reference.append(t_ref)
            fast.append(t_fast)
            ratios.append(t_old / t_fast)
            torch_ratios.append(t_ref / t_fast)
        difference = max(
            np.abs(old_model.lambda_path_ - fast_model.lambda_path_).max(),
            np.abs(old_model.temperature_path_ - fast_model.temperature_path_).max(),
        )
        print(
            f"{name:<34}{1e3 * np.median(old):>10.3f}"
            f"{1e3 * np.median(reference):>12.3f}{1e3 * np.median(fast):>12.3f}"
            f"{np.median(ratios):>12.1f}x ({min(ratios):.1f}-{max(ratios):.1f})"
            f"{np.median(torch_ratios):>12.1f}x{difference:>10.1e}"
        )


if __name__ == "__main__":
    main()
