"""Defaults on odd tables: DatasetDistiller at its defaults vs the full-data MLP.

Every table is generated here (nothing is downloaded): a gene-expression-like
table with thousands of features and tens of training rows, one feature, 40
classes, one positive in 250 and in 1000 (20k rows), features from 1e-6 to 1e9
units, constant and duplicated columns, heavy tails (a sign-preserving
exponential of Gaussian columns; lognormal and Student-t columns), 2-4 training
rows per class, and 10^6 rows in memory. The training part has the size the
case is about; the test part is drawn from the same distribution and is
larger, so that the scores are not noise.

For every table, on inputs standardised with the training part's statistics:

* ``full``: scikit-learn ``MLPClassifier((32, 32))`` on all training rows,
  averaged over ``--seeds`` seeds;
* ``replay``: ``DatasetDistiller(architectures=((32, 32),))`` at its defaults
  otherwise (plus ``--params``), one fit per seed, and the replay of the
  distilled set by fresh (32, 32) networks (``DistilledMLPClassifier``, 3 per
  fit); ``ratio`` = replay / full;
* ``full, mapped`` (tables with heavy-tailed columns only): the full-data MLP
  on the columns as the distiller's default ``feature_transform`` maps them
  (the heavy-tailed columns through their quantiles to Gaussian ones),
  standardised again. The ratio stays against ``full``, the MLP on the
  standardised columns a user would fit.
* ``KD tuner`` (with ``--kd``): ``KDMetaparamTuner(hidden_layer_sizes=(32,
  32))`` at its defaults otherwise (plus ``--kd-params``), one fit per seed
  (mean and per seed);
  ``KD %`` = KD tuner / full.

The score is the balanced accuracy on the imbalanced tables (marked ``bal``)
and the accuracy elsewhere. A fit that raises is reported with the exception;
warnings raised by the fit (e.g. a recovered divergence) are counted.

    python benchmarks/bench_robustness.py                 # all tables, 2 seeds
    python benchmarks/bench_robustness.py --tables gene_expression,heavy_tails
    python benchmarks/bench_robustness.py --quick          # smaller, one seed
    python benchmarks/bench_robustness.py --seeds 4 --first-seed 4   # seeds 4-7
    python benchmarks/bench_robustness.py --kd             # KDMetaparamTuner too
    python benchmarks/bench_robustness.py --kd --kd-params feature_transform=None
    python benchmarks/bench_robustness.py --json out.json
"""

import argparse
import ast
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from skdistill import DatasetDistiller, DistilledMLPClassifier  # noqa: E402
from skdistill._data.feature_transform import fit_quantile_transform  # noqa: E402
from skdistill._engine.feature_steps import heavy_tailed_columns  # noqa: E402

HIDDEN = (32, 32)
REPLAY_MODELS = 3


def _split(X, y, n_train, seed):
    """Stratified ``n_train`` training rows; the rest is the test part."""
    return train_test_split(X, y, train_size=n_train, stratify=y, random_state=seed)


def gene_expression(quick=False):
    """83 samples x 2308 genes, 4 tumour classes of 29/11/18/25 samples, as in
    the small-round-blue-cell-tumour microarray table; 55 training rows.

    Log expression: a per-gene level and spread, six co-expression modules
    shared by all genes at random loadings, and 200 marker genes per class
    shifted by about one standard deviation in that class. The test part has
    the same class shares, 1000 rows.
    """
    rng = np.random.RandomState(0)
    n_genes, n_test = 2308, 1000
    shares = np.array([29, 11, 18, 25]) / 83
    n_total = 55 + n_test
    y = rng.choice(4, size=n_total, p=shares)
    level = rng.normal(6.0, 2.0, n_genes)
    spread = rng.uniform(0.3, 1.2, n_genes)
    modules = rng.normal(size=(n_total, 6)) @ rng.normal(0, 0.5, (6, n_genes))
    shift = np.zeros((4, n_genes))
    markers = rng.permutation(n_genes)[: 4 * 200].reshape(4, 200)
    for c in range(4):
        shift[c, markers[c]] = rng.choice([-1, 1], 200) * rng.uniform(1.0, 2.0, 200)
    noise = rng.normal(size=(n_total, n_genes))
    X = level + spread * (modules + noise + shift[y])
    return _split(X, y, 55, 0), False


def one_feature(quick=False):
    """One feature, 5 classes on overlapping intervals; 3000 training rows."""
    rng = np.random.RandomState(1)
    n = 3000 + 3000
    y = rng.randint(5, size=n)
    X = (y + rng.normal(0, 0.4, n))[:, None] * 3.0 + 10.0
    return _split(X, y, 3000, 1), False


def classes40(quick=False):
    """40 classes, 10 features (8 informative), 4000 training rows."""
    X, y = make_classification(
        n_samples=8000,
        n_features=10,
        n_informative=8,
        n_redundant=0,
        n_classes=40,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=2,
    )
    return _split(X, y, 4000, 2), False


def rare_positive(quick=False):
    """Binary, one positive in 250, 20k training rows (80 positives), 10
    features; balanced accuracy."""
    n_train = 20_000
    X, y = make_classification(
        n_samples=2 * n_train,
        n_features=10,
        n_informative=5,
        weights=[1 - 1 / 250],
        flip_y=0,
        class_sep=1.0,
        random_state=3,
    )
    return _split(X, y, n_train, 3), True


def rarer_positive(quick=False):
    """Binary, one positive in 1000, 20k training rows (20 positives), 10
    features; balanced accuracy."""
    n_train = 20_000
    X, y = make_classification(
        n_samples=2 * n_train,
        n_features=10,
        n_informative=5,
        weights=[1 - 1 / 1000],
        flip_y=0,
        class_sep=1.0,
        random_state=9,
    )
    return _split(X, y, n_train, 9), True


def wide_units(quick=False):
    """8 features in units from 1e-6 to 1e9 (the same table, columns scaled),
    3 classes, 2000 training rows."""
    X, y = make_classification(
        n_samples=4000,
        n_features=8,
        n_informative=6,
        n_classes=3,
        random_state=4,
    )
    X = X * np.logspace(-6, 9, 8) + np.logspace(-5, 10, 8)
    return _split(X, y, 2000, 4), False


def constant_duplicated(quick=False):
    """10 features, two constant columns (0 and 1e6), three duplicated
    columns and one column repeated in other units; 2000 training rows."""
    X, y = make_classification(
        n_samples=4000, n_features=10, n_informative=6, random_state=5
    )
    X = np.column_stack(
        [X, np.zeros(len(X)), np.full(len(X), 1e6), X[:, :3], 1000 * X[:, 4]]
    )
    return _split(X, y, 2000, 5), False


def heavy_tails(quick=False):
    """5 features with heavy tails, ``sign(z) * (exp(|z|) - 1)`` of Gaussian
    columns ``z`` (3 informative), 2 classes, 3000 training rows."""
    Z, y = make_classification(
        n_samples=6000,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        class_sep=0.8,
        random_state=6,
    )
    X = np.sign(Z) * np.expm1(2.0 * np.abs(Z))
    return _split(X, y, 3000, 6), False


def skewed(quick=False):
    """7 features: three lognormal columns ``100 * exp(2 z)`` (one-sided, like
    incomes or concentrations), three Student-t columns of 2 degrees of
    freedom (``z`` mapped through the Gaussian and the t quantiles) and one
    Gaussian column; 3 classes of two clusters each, 4000 training rows.

    A second heavy-tailed table, added after the defaults were chosen on
    ``heavy_tails``, to check them out of sample.
    """
    from scipy.stats import norm, t

    Z, y = make_classification(
        n_samples=8000,
        n_features=7,
        n_informative=5,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=2,
        class_sep=1.0,
        random_state=10,
    )
    X = Z.copy()
    X[:, :3] = 100.0 * np.exp(2.0 * Z[:, :3])
    X[:, 3:6] = t.ppf(norm.cdf(Z[:, 3:6]), df=2)
    return _split(X, y, 4000, 10), False


def few_rows(quick=False):
    """10 classes with 3 training rows each, 20 features (10 informative)."""
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=10,
        n_classes=10,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=7,
    )
    return _split(X, y, 30, 7), False


def million(quick=False):
    """10^6 training rows in memory (10^5 with ``--quick``), 20 features,
    2 classes."""
    n_train = 100_000 if quick else 1_000_000
    X, y = make_classification(
        n_samples=n_train + 20_000,
        n_features=20,
        n_informative=10,
        flip_y=0.05,
        random_state=8,
    )
    return _split(X, y, n_train, 8), False


TABLES = {
    f.__name__: f
    for f in (
        gene_expression,
        one_feature,
        classes40,
        rare_positive,
        rarer_positive,
        wide_units,
        constant_duplicated,
        heavy_tails,
        skewed,
        few_rows,
        million,
    )
}


def parse_params(text):
    """``"a=1,b='x'"`` -> ``{"a": 1, "b": "x"}`` (values are Python literals)."""
    params = {}
    for item in (text or "").split(","):
        if item.strip():
            key, _, value = item.partition("=")
            params[key.strip()] = ast.literal_eval(value.strip())
    return params


def score(y_true, y_pred, balanced):
    if balanced:
        return balanced_accuracy_score(y_true, y_pred)
    return accuracy_score(y_true, y_pred)


def full_mlp(X, y, X_test, y_test, seeds, balanced):
    scores = []
    for seed in seeds:
        model = MLPClassifier(HIDDEN, max_iter=500, random_state=seed).fit(X, y)
        scores.append(score(y_test, model.predict(X_test), balanced))
    return float(np.mean(scores))


def full_mapped(X, y, X_test, y_test, seeds, balanced):
    """The full-data MLP on the columns as the distiller's default feature
    transform maps them (the heavy-tailed columns, judged on all training
    rows, through their quantiles to Gaussian ones), standardised again; None
    on a table without heavy-tailed columns (it is ``full`` there)."""
    heavy = heavy_tailed_columns(X)
    if not heavy.any():
        return None
    transform = fit_quantile_transform(X, np.flatnonzero(heavy))
    scaler = StandardScaler().fit(transform.transform(X))
    X = scaler.transform(transform.transform(X))
    X_test = scaler.transform(transform.transform(X_test))
    return full_mlp(X, y, X_test, y_test, seeds, balanced)


def replay(X, y, X_test, y_test, seeds, balanced, params):
    """Mean replay score over the seeds, the fits' warnings, the wall and CPU
    seconds of a fit, the iterations."""
    scores, caught, seconds, cpu, iters, per_seed = [], [], [], [], [], []
    for seed in seeds:
        distiller = DatasetDistiller(
            architectures=(HIDDEN,), **{**params, "random_state": seed}
        )
        start, start_cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            distiller.fit(X, y)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        iters.append(distiller.n_iter_)
        caught += [str(m.message).split(".")[0] for m in w]
        frozen = FrozenEstimator(distiller)
        for k in range(REPLAY_MODELS):
            clf = DistilledMLPClassifier(
                HIDDEN, distiller=frozen, random_state=1000 * seed + k
            ).fit(X, y)
            scores.append(score(y_test, clf.predict(X_test), balanced))
        per_seed.append(float(np.mean(scores[-REPLAY_MODELS:])))
    return (
        float(np.mean(scores)),
        caught,
        (float(np.mean(seconds)), float(np.mean(cpu))),
        iters,
        per_seed,
    )


def kd_tuner(X, y, X_test, y_test, seeds, balanced, kd_params):
    """KDMetaparamTuner at its defaults (a (32, 32) student) but
    ``kd_params``, one fit per seed: ``(mean score, per-seed scores,
    warnings)``."""
    from skdistill import KDMetaparamTuner

    scores, caught = [], 0
    for seed in seeds:
        model = KDMetaparamTuner(
            hidden_layer_sizes=HIDDEN, random_state=seed, **kd_params
        )
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            model.fit(X, y)
        scores.append(score(y_test, model.predict(X_test), balanced))
        caught += len(w)
    return float(np.mean(scores)), scores, caught


def run_table(name, seeds, params, quick, kd, kd_params=None):
    (X, X_test, y, y_test), balanced = TABLES[name](quick)
    scaler = StandardScaler().fit(X)
    X, X_test = scaler.transform(X), scaler.transform(X_test)
    row = {
        "table": name,
        "rows": len(y),
        "features": X.shape[1],
        "classes": len(np.unique(y)),
        "metric": "bal" if balanced else "acc",
    }
    start = time.perf_counter()
    row["full"] = full_mlp(X, y, X_test, y_test, seeds, balanced)
    row["full_s"] = (time.perf_counter() - start) / len(seeds)
    row["full_mapped"] = full_mapped(X, y, X_test, y_test, seeds, balanced)
    try:
        row["replay"], caught, seconds, row["iters"], row["per_seed"] = replay(
            X, y, X_test, y_test, seeds, balanced, params
        )
        row["distill_s"], row["distill_cpu_s"] = seconds
        row["ratio"] = 100 * row["replay"] / row["full"]
        row["warnings"] = len(caught)
        row["warning_text"] = sorted(set(caught))
        row["error"] = ""
    except Exception as exc:  # noqa: BLE001 -- the benchmark reports it
        row.update(replay=float("nan"), ratio=float("nan"), distill_s=float("nan"))
        row.update(distill_cpu_s=float("nan"), per_seed=[])
        row.update(iters=[], warnings=0, warning_text=[])
        row["error"] = f"{type(exc).__name__}: {str(exc)[:80]}"
    if kd:
        try:
            row["kd"], row["kd_per_seed"], row["kd_warnings"] = kd_tuner(
                X, y, X_test, y_test, seeds, balanced, kd_params or {}
            )
            row["kd_error"] = ""
        except Exception as exc:  # noqa: BLE001
            row["kd"], row["kd_per_seed"], row["kd_warnings"] = float("nan"), [], 0
            row["kd_error"] = f"{type(exc).__name__}: {str(exc)[:80]}"
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", help=f"comma-separated subset of {list(TABLES)}")
    parser.add_argument("--seeds", type=int, default=2, help="distillation seeds")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds first-seed .. +seeds-1"
    )
    parser.add_argument("--quick", action="store_true", help="10^5 rows, one seed")
    parser.add_argument(
        "--params",
        help="extra DatasetDistiller parameters, e.g. lr_init=0.01 (random_state "
        "is the seed of each fit)",
    )
    parser.add_argument("--kd", action="store_true", help="also KDMetaparamTuner")
    parser.add_argument(
        "--kd-params",
        help="extra KDMetaparamTuner parameters, e.g. feature_transform=None",
    )
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    names = args.tables.split(",") if args.tables else list(TABLES)
    unknown = set(names) - set(TABLES)
    if unknown:
        parser.error(f"unknown tables {sorted(unknown)}; choose from {list(TABLES)}")
    seeds = list(
        range(args.first_seed, args.first_seed + (1 if args.quick else args.seeds))
    )
    params = parse_params(args.params)
    header = (
        f"DatasetDistiller(architectures=({HIDDEN},)"
        + "".join(f", {k}={v!r}" for k, v in params.items())
        + f") at seeds {seeds}, {REPLAY_MODELS} replays each; "
        f"full-data MLPClassifier({HIDDEN}) at the same seeds"
    )
    if args.kd:
        kd_params = parse_params(args.kd_params)
        header += (
            f"; KDMetaparamTuner(hidden_layer_sizes={HIDDEN}"
            + "".join(f", {k}={v!r}" for k, v in kd_params.items())
            + ") at the same seeds"
        )
    columns = "| table | rows | feat | cls | metric | full MLP | full MLP, mapped "
    columns += "| replay | % of full "
    columns += "| per seed | distill s | CPU s | iters | warnings | error |"
    if args.kd:
        columns += " KD tuner | KD % | KD per seed | KD warn | KD error |"
    print(header, "", columns, "|---" * (columns.count("|") - 1) + "|", sep="\n")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in names:
            row = run_table(
                name, seeds, params, args.quick, args.kd, parse_params(args.kd_params)
            )
            rows.append(row)
            line = (
                f"| {name} | {row['rows']} | {row['features']} | {row['classes']} "
                f"| {row['metric']} | {row['full']:.3f} | "
                + ("" if row["full_mapped"] is None else f"{row['full_mapped']:.3f}")
                + f" | {row['replay']:.3f} "
                f"| {row['ratio']:.1f} | "
                f"{' / '.join(f'{v:.3f}' for v in row['per_seed'])} "
                f"| {row['distill_s']:.1f} | {row['distill_cpu_s']:.1f} | "
                f"{','.join(map(str, row['iters']))} | {row['warnings']} "
                f"| {row['error']} |"
            )
            if args.kd:
                line += (
                    f" {row['kd']:.3f} | {100 * row['kd'] / row['full']:.1f} "
                    f"| {' / '.join(f'{v:.3f}' for v in row['kd_per_seed'])} "
                    f"| {row['kd_warnings']} | {row['kd_error']} |"
                )
            print(line, flush=True)
    ratios = np.array([r["ratio"] for r in rows])
    failed = [r["table"] for r in rows if r["error"]]
    below = [r["table"] for r in rows if not r["ratio"] >= 93]
    print()
    print(f"errors: {failed}")
    print(f"worst ratio: {np.nanmin(ratios):.1f} %; below 93 %: {below}")
    for r in rows:
        if r["warning_text"]:
            print(f"warnings on {r['table']}: {r['warning_text']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
