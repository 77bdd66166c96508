"""The synthetic experiment of "Metaparameter optimization in knowledge
distillation", section 4.1, with KDMetaparamTuner.

Data: x1, x2 ~ N(0, 1); x3 = [sign(x1) + sign(x2) > 0]; y = sign(x1 x2 + delta),
delta ~ N(0, 0.5) (0.5 read as the standard deviation). The teacher sees the
modified feature x3' = [sign(x1) + sign(x2) + 0.1 > 0] instead of x3 and is a
logistic regression trained by 20000 SGD updates (100 epochs of 200 per-sample
steps) with learning rate 1e-2 on its own 200 objects. The student, a linear
model (``hidden_layer_sizes=()``), trains on 15 other objects for 2000
full-batch SGD iterations with learning rate 1.0; the validation set is the
test set of 200 objects, and T_val = 0.1. Each method is run ``--runs`` times
(fresh data, teacher and initial metaparameters per run) and the table gives
the mean test accuracy (the maximum over runs in brackets), the mean
cross-entropy on the validation (= test) set at T_val (the tuner's objective),
the mean wall time of one run of the method (teacher excluded: it is fitted
once per run and shared, frozen) and the hypergradient evaluations per run.

Run:  python benchmarks/bench_kd_synthetic.py [--runs 10] [--max-iter 2000]
      [--meta-learning-rate 0.1] [--search-iter 2 5]
"""

import argparse
import time

import numpy as np
from scipy.special import logsumexp
from scipy.stats import loguniform, uniform
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skdistill._kd_metaparam_tuner import KDMetaparamTuner


def make_objects(n, rng):
    """Student features (x1, x2, x3) and labels of the synthetic recipe."""
    x = rng.normal(size=(n, 2))
    delta = rng.normal(scale=0.5, size=n)
    x3 = (np.sign(x[:, 0]) + np.sign(x[:, 1]) > 0).astype(float)
    y = np.sign(x[:, 0] * x[:, 1] + delta).astype(int)
    return np.column_stack([x, x3]), y


def teacher_features(X):
    """The teacher's feature space: x3 replaced by [sign x1 + sign x2 + 0.1 > 0]."""
    x3 = (np.sign(X[:, 0]) + np.sign(X[:, 1]) + 0.1 > 0).astype(float)
    return np.column_stack([X[:, :2], x3])


def fit_teacher(X, y, seed):
    sgd = SGDClassifier(
        loss="log_loss",
        penalty=None,
        learning_rate="constant",
        eta0=1e-2,
        max_iter=100,  # epochs: 100 x 200 objects = 20000 SGD updates
        tol=None,
        random_state=seed,
    )
    return make_pipeline(FunctionTransformer(teacher_features), sgd).fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--max-iter", type=int, default=2000)
    parser.add_argument("--meta-learning-rate", type=float, default=0.1)
    parser.add_argument("--search-iter", type=int, nargs="+", default=[2, 5])
    args = parser.parse_args()

    student = dict(
        hidden_layer_sizes=(),
        learning_rate_init=1.0,
        batch_size=15,
        max_iter=args.max_iter,
        val_temperature=0.1,
    )
    fixed = dict(meta_learning_rate=0.0)
    tuned = dict(meta_learning_rate=args.meta_learning_rate)
    rows = {}

    def record(name, model, seconds, n_hyper, X_test, y_test):
        # The tuner's objective: the validation cross-entropy at T_val = 0.1.
        logits = model.predict_log_proba(X_test) / 0.1
        log_proba = logits - logsumexp(logits, axis=1, keepdims=True)
        index = np.searchsorted(model.classes_, y_test)
        val_ce = -log_proba[np.arange(len(y_test)), index].mean()
        accuracy = model.score(X_test, y_test)
        rows.setdefault(name, []).append((accuracy, val_ce, seconds, n_hyper))

    for run in range(args.runs):
        rng = np.random.RandomState(run)
        X_teacher, y_teacher = make_objects(200, rng)
        X_student, y_student = make_objects(15, rng)
        X_test, y_test = make_objects(200, rng)
        teacher = FrozenEstimator(fit_teacher(X_teacher, y_teacher, run))
        record("(teacher, for reference)", teacher, 0.0, 0, X_test, y_test)
        # Initial metaparameters of the gradient-based methods (section 4).
        lam0, temp0 = rng.uniform(0, 1), 10 ** rng.uniform(-1, 1)
        # Metaparameters of the "random" baseline.
        lam_rand, temp_rand = rng.uniform(0, 1), rng.uniform(0.1, 10)

        methods = {
            "Without distillation": dict(lambda_init=1.0, **fixed),
            "Naive (lambda=0.5, T=1)": dict(
                lambda_init=0.5, temperature_init=1.0, **fixed
            ),
            "Random metaparameters": dict(
                lambda_init=lam_rand, temperature_init=temp_rand, **fixed
            ),
            "Gradient-based (exact)": dict(
                lambda_init=lam0, temperature_init=temp0, **tuned
            ),
            "Gradient-based (finite difference)": dict(
                lambda_init=lam0,
                temperature_init=temp0,
                hypergradient="finite_difference",
                **tuned,
            ),
            "Linear trajectory, e1=e2=10": dict(
                lambda_init=lam0,
                temperature_init=temp0,
                trajectory="linear",
                e1=10,
                e2=10,
                **tuned,
            ),
        }
        for name, params in methods.items():
            start = time.perf_counter()
            model = KDMetaparamTuner(teacher, **student, **params, random_state=run)
            model.fit(X_student, y_student, X_val=X_test, y_val=y_test)
            seconds = time.perf_counter() - start
            n_hyper = model.n_hypergradient_steps_
            record(name, model, seconds, n_hyper, X_test, y_test)

        # The comparison a user would run: a randomized search over fixed
        # (lambda_1, T), every candidate trained on the 15 objects and scored on
        # the same validation set the tuner sees; the best is refitted on the 15.
        X_all = np.vstack([X_student, X_test])
        y_all = np.concatenate([y_student, y_test])
        split = PredefinedSplit(np.r_[np.full(15, -1), np.zeros(200, dtype=int)])
        for n_iter in args.search_iter:
            start = time.perf_counter()
            search = RandomizedSearchCV(
                KDMetaparamTuner(teacher, **student, **fixed, random_state=run),
                {
                    "lambda_init": uniform(0, 1),
                    "temperature_init": loguniform(0.1, 10),
                },
                n_iter=n_iter,
                cv=split,
                refit=False,
                random_state=run,
            ).fit(X_all, y_all, X_val=X_test, y_val=y_test)
            best = KDMetaparamTuner(teacher, **student, **fixed, random_state=run)
            best.set_params(**search.best_params_)
            best.fit(X_student, y_student, X_val=X_test, y_val=y_test)
            seconds = time.perf_counter() - start
            name = f"RandomizedSearchCV, n_iter={n_iter}"
            record(name, best, seconds, 0, X_test, y_test)
        print(f"run {run + 1}/{args.runs} done", flush=True)

    print()
    print(
        f"Synthetic experiment, {args.runs} runs, student: linear, "
        f"{args.max_iter} iterations, meta_learning_rate="
        f"{args.meta_learning_rate}"
    )
    header = (
        f"{'method':<36}{'accuracy (max)':>16}{'val CE':>9}"
        f"{'wall s/run':>12}{'hypergrads':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, values in rows.items():
        accuracy, val_ce, seconds, n_hyper = (
            np.array(v) for v in zip(*values, strict=True)
        )
        print(
            f"{name:<36}{accuracy.mean():>9.3f} ({accuracy.max():.3f})"
            f"{val_ce.mean():>9.2f}{seconds.mean():>12.2f}{n_hyper.mean():>12.0f}"
        )


if __name__ == "__main__":
    main()
