"""The synthetic column of Table 2 of "Metaparameter optimization in knowledge
distillation", on the authors' own data and teacher, with KDMetaparamTuner.

Recipe (the authors' code: ``code/synthetic_funcs.py`` and
``notebooks/synthetic_data_experiment.ipynb`` of
Intelligent-Systems-Phystech/Gorpinich-BS-Thesis):

* data: ``numpy.random.seed(42)``; 430 rows ``x = randn(430, 2)``, then
  ``y = (sign(x1 x2 + 0.5 randn(430)) + 1) // 2``; rows 0-199 train the
  teacher, rows 200-214 the student, rows 230-429 are the test set, which is
  also the validation set of the tuner (rows 215-229 are unused);
* teacher: a logistic regression (torch ``Linear(3, 2)`` initialised after
  ``torch.manual_seed(42)``) on ``[x1, x2, (sign x1 + sign x2 > 0.1)]``, 20000
  full-batch SGD steps at learning rate 1e-2 (test accuracy 0.69);
* student: a linear model (``hidden_layer_sizes=()``) on ``[x1, x2,
  sign(x1 x2)]``, 2000 full-batch SGD steps at learning rate 1.0, validation
  cross-entropy at ``T_val = 0.1`` on the test set, metaparameter SGD at 0.1
  with the hypergradient clipped by value at 0.01, ``lambda_1`` in [0, 1] and
  ``T`` in [0.1, 10], initial ``lambda_1 ~ U(0, 1)``, ``T = 10**U(-1, 1)``.

The ``--runs`` runs share data and teacher and differ in the initial (or, for
the random baseline, fixed) metaparameters and in the student's seed. The
table gives the mean test accuracy (maximum over runs in brackets), the mean
validation cross-entropy at ``T_val`` (the tuner's objective), the mean wall
time of one run and the hypergradient evaluations per run.

Run:  python benchmarks/bench_kd_synthetic.py [--runs 10] [--methods ...]
"""

import argparse
import time

import numpy as np
import torch
from scipy.special import logsumexp
from scipy.stats import loguniform, uniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV

from skdistill._kd.tuner import KDMetaparamTuner
from skdistill._utils import torch_threads


def authors_data():
    """Student features, labels and the row blocks of the authors' notebook."""
    rng = np.random.RandomState(42)
    x = rng.randn(430, 2)
    y = ((np.sign(x[:, 0] * x[:, 1] + rng.randn(430) * 0.5) + 1) // 2).astype(int)
    X = np.column_stack([x, np.sign(x[:, 0] * x[:, 1])])
    blocks = {
        "teacher": slice(0, 200),
        "student": slice(200, 215),
        "test": slice(230, 430),
    }
    return X, y, blocks


class TorchLogisticTeacher(ClassifierMixin, BaseEstimator):
    """The authors' teacher: logistic regression on ``[x1, x2, both positive]``.

    It reads ``x1, x2`` from the first two columns of the student's features
    and builds its own third feature, so teacher and student can share ``X``.
    """

    def __init__(self, n_steps=20000, learning_rate=1e-2, seed=42):
        self.n_steps = n_steps
        self.learning_rate = learning_rate
        self.seed = seed

    @staticmethod
    def _features(X):
        X = np.asarray(X, dtype=np.float64)
        both_positive = (np.sign(X[:, 0]) + np.sign(X[:, 1]) > 0.1).astype(float)
        features = np.column_stack([X[:, :2], both_positive])
        return torch.as_tensor(features, dtype=torch.float32)

    def fit(self, X, y):
        self.classes_, y_index = np.unique(y, return_inverse=True)
        features = self._features(X)
        target = torch.as_tensor(y_index, dtype=torch.int64)
        # torch.nn.Linear draws its initialisation from the global generator;
        # fork_rng gives the authors' manual_seed(42) without leaking it.
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            self.model_ = torch.nn.Linear(3, len(self.classes_))
        optimizer = torch.optim.SGD(self.model_.parameters(), lr=self.learning_rate)
        # One thread: on a busy machine torch's spinning worker threads make
        # these 20000 tiny steps many times slower.
        with torch_threads(1):
            for _ in range(self.n_steps):
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(self.model_(features), target)
                loss.backward()
                optimizer.step()
        return self

    def predict_proba(self, X):
        with torch.no_grad():
            logits = self.model_(self._features(X))
        return torch.softmax(logits.double(), dim=1).numpy()

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


STUDENT = dict(
    hidden_layer_sizes=(),
    learning_rate_init=1.0,
    batch_size=15,
    max_iter=2000,
    val_temperature=0.1,
)
# The paper's recipe: plain gradient steps in T (the estimator's defaults are
# Adam steps in log T; method "defaults" runs those).
TUNED = dict(meta_learning_rate=0.1, meta_gradient_clip=0.01, meta_optimizer="sgd")
FIXED = dict(meta_learning_rate=0.0)


def method_table(lam0, temp0, lam_rand, temp_rand):
    start = dict(lambda_init=lam0, temperature_init=temp0, **TUNED)
    linear = dict(trajectory="linear", e1=10, e2=10)
    return {
        "defaults": dict(lambda_init=lam0, temperature_init=temp0),
        "defaults-linear": dict(lambda_init=lam0, temperature_init=temp0, **linear),
        "without": dict(lambda_init=1.0, **FIXED),
        "naive": dict(lambda_init=0.5, temperature_init=1.0, **FIXED),
        "random": dict(lambda_init=lam_rand, temperature_init=temp_rand, **FIXED),
        "gradient": dict(temperature_step="linear", **start),
        "gradient-fd": dict(
            hypergradient="finite_difference", temperature_step="linear", **start
        ),
        "gradient-logT": dict(temperature_step="log", **start),
        "linear": dict(temperature_step="linear", **linear, **start),
        "linear-paper": dict(
            trajectory="linear-paper", e1=10, e2=10, temperature_step="linear", **start
        ),
        "linear-logT": dict(temperature_step="log", **linear, **start),
    }


LABELS = {
    "teacher": "(teacher, for reference)",
    "without": "Without distillation",
    "naive": "Naive (lambda=0.5, T=1)",
    "random": "Random metaparameters",
    "gradient": "Gradient-based (exact)",
    "gradient-fd": "Gradient-based (finite difference)",
    "gradient-logT": "Gradient-based, steps in log T",
    "linear": "Linear trajectory e1=e2=10",
    "linear-paper": "Linear trajectory, paper literal",
    "linear-logT": "Linear trajectory, steps in log T",
    "search": "RandomizedSearchCV, n_iter=5",
    "defaults": "Estimator defaults (Adam, log T)",
    "defaults-linear": "Estimator defaults, linear traj.",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--methods",
        nargs="+",
        default=[
            "without",
            "naive",
            "random",
            "gradient",
            "gradient-logT",
            "linear",
            "linear-paper",
            "linear-logT",
            "search",
            "defaults",
            "defaults-linear",
        ],
        choices=[k for k in LABELS if k != "teacher"],
    )
    parser.add_argument(
        "--meta-gradient-clip",
        type=float,
        default=0.01,
        help="clip of the hypergradient by value (the authors' 0.01); 0 = none",
    )
    args = parser.parse_args()
    TUNED["meta_gradient_clip"] = args.meta_gradient_clip or None

    X, y, blocks = authors_data()
    X_s, y_s = X[blocks["student"]], y[blocks["student"]]
    X_test, y_test = X[blocks["test"]], y[blocks["test"]]
    teacher = FrozenEstimator(
        TorchLogisticTeacher().fit(X[blocks["teacher"]], y[blocks["teacher"]])
    )
    rows = {}

    def record(key, model, seconds, n_hyper):
        # The tuner's objective: the validation cross-entropy at T_val = 0.1.
        logits = model.predict_log_proba(X_test) / 0.1
        log_proba = logits - logsumexp(logits, axis=1, keepdims=True)
        index = np.searchsorted(model.classes_, y_test)
        val_ce = -log_proba[np.arange(len(y_test)), index].mean()
        accuracy = model.score(X_test, y_test)
        rows.setdefault(key, []).append((accuracy, val_ce, seconds, n_hyper))

    for run in range(args.runs):
        record("teacher", teacher, 0.0, 0)
        rng = np.random.RandomState(run)
        lam0, temp0 = rng.uniform(0, 1), 10 ** rng.uniform(-1, 1)
        lam_rand, temp_rand = rng.uniform(0, 1), 10 ** rng.uniform(-1, 1)
        methods = method_table(lam0, temp0, lam_rand, temp_rand)
        for key in args.methods:
            start = time.perf_counter()
            if key == "search":
                model = search_then_refit(teacher, X_s, y_s, X_test, y_test, run)
            else:
                model = KDMetaparamTuner(
                    teacher, **STUDENT, **methods[key], random_state=run
                )
                model.fit(X_s, y_s, X_val=X_test, y_val=y_test)
            seconds = time.perf_counter() - start
            record(key, model, seconds, getattr(model, "n_hypergradient_steps_", 0))
        print(f"run {run + 1}/{args.runs} done", flush=True)

    print()
    print(
        f"Synthetic experiment on the authors' data, {args.runs} runs, "
        f"meta_gradient_clip={TUNED['meta_gradient_clip']}"
    )
    header = (
        f"{'method':<36}{'accuracy (max)':>16}{'val CE':>9}"
        f"{'wall s/run':>12}{'hypergrads':>12}"
    )
    print(header)
    print("-" * len(header))
    for key, values in rows.items():
        accuracy, val_ce, seconds, n_hyper = (
            np.array(v) for v in zip(*values, strict=True)
        )
        print(
            f"{LABELS[key]:<36}{accuracy.mean():>9.3f} ({accuracy.max():.3f})"
            f"{val_ce.mean():>9.2f}{seconds.mean():>12.2f}{n_hyper.mean():>12.0f}"
        )


def search_then_refit(teacher, X_s, y_s, X_test, y_test, run):
    """The comparison a user would run instead of the paper's hyperopt (5
    trials): candidates with fixed (lambda_1, T), each trained on the student
    rows and scored on the validation rows the tuner sees; the best refitted."""
    X_all = np.vstack([X_s, X_test])
    y_all = np.concatenate([y_s, y_test])
    split = PredefinedSplit(np.r_[np.full(len(y_s), -1), np.zeros(len(y_test), int)])
    search = RandomizedSearchCV(
        KDMetaparamTuner(teacher, **STUDENT, **FIXED, random_state=run),
        {"lambda_init": uniform(0, 1), "temperature_init": loguniform(0.1, 10)},
        n_iter=5,
        cv=split,
        refit=False,
        random_state=run,
    ).fit(X_all, y_all, X_val=X_test, y_val=y_test)
    best = KDMetaparamTuner(teacher, **STUDENT, **FIXED, random_state=run)
    best.set_params(**search.best_params_)
    return best.fit(X_s, y_s, X_val=X_test, y_val=y_test)


if __name__ == "__main__":
    main()
