"""Distillation metrics: distillation accuracy, distillation ratio, comparison table.

Sucholutsky & Schonlau (2019, section 4.1): the *distillation accuracy* of a
small training set is the test accuracy of a model trained on it -- reported
here, as in both papers, as the mean and standard deviation over many freshly
initialised networks; the *distillation ratio* ``r_M`` is that accuracy as a
percentage of the accuracy of the same model trained on the original data.

The networks of one evaluation are trained together, stacked along the batch
axis of :mod:`skdistill._mlp` (20 networks cost about as much as one), through
the very code path of :class:`DistilledMLPClassifier.fit`.
"""

import dataclasses
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from .._base import fit_standardisation
from .._data.dataset import DistilledDataset, distilled_dataset_of
from .._data.feature_transform import learned_rows
from .._engine.schedules import SCHEDULES
from .._tabular.classifier import (
    DistilledMLPClassifier,
    fit_networks,
    stacked_predict,
)
from .._utils import check_no_missing_labels, torch_threads

_PAPER_ARCHITECTURES = {"1-layer": (), "2-layer": (10,), "4-layer": (10, 10, 10)}


@dataclasses.dataclass(frozen=True)
class DistillationScore:
    """Test accuracies of ``n_models`` freshly initialised networks.

    Attributes
    ----------
    mean, std : float
        Mean and (population) standard deviation of ``scores``.
    scores : ndarray of shape (n_models,)
        Test accuracy of every network.
    """

    mean: float
    std: float
    scores: np.ndarray

    def __str__(self):
        return f"{self.mean:.3f} ± {self.std:.3f}"


def _check_n_models(n_models):
    if not isinstance(n_models, Integral) or isinstance(n_models, bool) or n_models < 1:
        raise ValueError(f"n_models must be a positive integer; got {n_models!r}.")
    return int(n_models)


def distillation_accuracy(
    estimator,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    n_models=20,
    random_state=None,
    n_jobs=None,
):
    """Mean and standard deviation of the test accuracy of many fresh networks.

    ``n_models`` copies of ``estimator`` that differ only in their initial
    weights are trained on ``(X_train, y_train)`` -- in one batched run -- and
    scored on ``(X_test, y_test)``. With ``estimator.distiller`` set (e.g. to a
    ``FrozenEstimator`` of a fitted :class:`DatasetDistiller`) they train on the
    distilled set with ``estimator.schedule``; without, on ``(X_train,
    y_train)`` itself (the original data, or a baseline set).

    Every network is trained as a fit of its own would train it (on ordinary
    data each stops on its own loss), so ``n_jobs`` can split them among
    joblib workers with the same result as one batched run. A distiller that
    is not fitted yet is fitted once, before the split. With
    ``early_stopping=True`` the networks of a run stop together, on their mean
    validation score, and are trained in one job.

    Parameters
    ----------
    estimator : DistilledMLPClassifier
        Unfitted template; it is cloned, never modified.
    X_train, y_train : array-like
        Training data (class labels or soft labels).
    X_test, y_test : array-like
        Test data; ``y_test`` holds class labels.
    n_models : int, default=20
        Number of freshly initialised networks.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisations; ``None`` keeps ``estimator.random_state``.
    n_jobs : int, default=None
        Number of joblib workers the networks are split among (``None``: one,
        unless in a :func:`joblib.parallel_backend` context; ``-1``: all
        processors). The scores do not depend on it.

    Returns
    -------
    score : DistillationScore
        ``mean``, ``std`` and the per-network ``scores``.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skdistill import DistilledMLPClassifier
    >>> from skdistill import distillation_accuracy
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    >>> clf = DistilledMLPClassifier((10,), learning_rate_init=0.01, max_iter=50)
    >>> score = distillation_accuracy(clf, X, y, X, y, n_models=5, random_state=0)
    >>> score.scores.shape
    (5,)
    """
    if not isinstance(estimator, DistilledMLPClassifier):
        raise TypeError(
            "distillation_accuracy trains DistilledMLPClassifier networks; got "
            f"{type(estimator).__name__}."
        )
    n_models = _check_n_models(n_models)
    if random_state is not None:
        estimator = clone(estimator).set_params(random_state=random_state)
    n_groups = min(effective_n_jobs(n_jobs), n_models)
    if estimator.early_stopping:
        n_groups = 1
    if n_groups > 1 and estimator.distiller is not None:
        estimator = clone(estimator).set_params(
            distiller=_as_frozen(estimator.distiller, X_train, y_train)
        )
    groups = np.array_split(np.arange(n_models), n_groups)
    predictions = np.concatenate(
        Parallel(n_jobs=n_groups)(
            delayed(_predictions_of_networks)(
                estimator,
                X_train,
                y_train,
                X_test,
                n_models,
                None if n_groups == 1 else group,
            )
            for group in groups
        )
    )
    y_test = _check_test_labels(y_test, predictions.shape[1])
    # accuracy_score validates y_test as ClassifierMixin.score does (mixed
    # label types, lengths).
    scores = np.array([accuracy_score(y_test, p) for p in predictions])
    return DistillationScore(float(scores.mean()), float(scores.std()), scores)


def _predictions_of_networks(estimator, X_train, y_train, X_test, n_models, networks):
    """Predicted classes of the given networks of a stack, ``(len, n_test)``."""
    model, params = fit_networks(
        estimator, X_train, y_train, n_models=n_models, networks=networks
    )
    with torch_threads(model.n_threads):
        return stacked_predict(model, X_test, params)


def _check_test_labels(y_test, n_rows):
    check_no_missing_labels(y_test)
    y_test = column_or_1d(y_test, warn=True)
    if len(y_test) != n_rows:
        raise ValueError(
            f"y_test has {len(y_test)} labels but X_test has {n_rows} rows."
        )
    return y_test


def distillation_ratio(distillation_accuracy, original_accuracy):
    """The distillation ratio ``r_M = 100% * distillation / original accuracy``.

    Sucholutsky & Schonlau (2019), section 4.1; ``M`` is the number of distilled
    rows. Accepts floats, arrays or :class:`DistillationScore` (their means).

    Examples
    --------
    >>> from skdistill import distillation_ratio
    >>> round(distillation_ratio(0.9, 0.95), 2)
    94.74
    """
    distilled, original = (
        np.asarray(a.mean if isinstance(a, DistillationScore) else a, dtype=np.float64)
        for a in (distillation_accuracy, original_accuracy)
    )
    if np.any(original <= 0):
        raise ValueError("original_accuracy must be positive.")
    ratio = 100.0 * distilled / original
    return float(ratio) if ratio.ndim == 0 else ratio


@dataclasses.dataclass
class ComparisonTable:
    """Accuracy of each data source (rows) on each test architecture (columns).

    Attributes
    ----------
    rows : list of str
        Data sources: ``"original"``, distilled sets, baselines.
    columns : list of str
        Test architectures.
    mean, std : ndarray of shape (n_rows, n_columns)
        Mean and standard deviation of the test accuracy.
    sizes : list of int or None
        Rows of training data of each source.
    """

    rows: list
    columns: list
    mean: np.ndarray
    std: np.ndarray
    sizes: list

    def ratio(self, reference="original"):
        """Distillation ratios ``r_M`` (percent) of every cell, per column."""
        ref = self.rows.index(reference)
        return distillation_ratio(self.mean, self.mean[ref][None, :])

    def to_markdown(self, decimals=3, ratio=False):
        """The table as Markdown, cells ``mean ± std`` (optionally with ``r_M``)."""
        ratios = self.ratio() if ratio and "original" in self.rows else None
        header = ["data", "rows", *self.columns]
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        for i, row in enumerate(self.rows):
            cells = []
            for j in range(len(self.columns)):
                cell = f"{self.mean[i, j]:.{decimals}f} ± {self.std[i, j]:.{decimals}f}"
                if ratios is not None and row != "original":
                    cell += f" ({ratios[i, j]:.0f}%)"
                cells.append(cell)
            size = "" if self.sizes[i] is None else str(self.sizes[i])
            lines.append("| " + " | ".join([row, size, *cells]) + " |")
        return "\n".join(lines)

    def to_frame(self):
        """A pandas DataFrame with ``(architecture, "mean"/"std")`` columns."""
        import pandas as pd

        data = {}
        for j, column in enumerate(self.columns):
            data[(column, "mean")] = self.mean[:, j]
            data[(column, "std")] = self.std[:, j]
        return pd.DataFrame(data, index=pd.Index(self.rows, name="data"))

    def __str__(self):
        return self.to_markdown()


def _as_frozen(distiller, X_train, y_train):
    if isinstance(distiller, (FrozenEstimator, DistilledDataset)):
        return distiller
    if not hasattr(distiller, "fit"):
        raise TypeError(
            "distillers must be DatasetDistiller-like estimators (with fit and "
            f"distilled_); got {type(distiller).__name__}."
        )
    try:
        check_is_fitted(distiller)
    except NotFittedError:
        distiller = clone(distiller).fit(X_train, y_train)
    return FrozenEstimator(distiller)


def _named(value, what, example, default_name):
    """``value`` as a dict of names: a dict as is, a list or tuple numbered."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        if len(value) == 1:
            return {default_name: value[0]}
        return {f"{default_name} {i + 1}": v for i, v in enumerate(value)}
    raise TypeError(f"{what} must be a dict of name to {example}; got {value!r}.")


def _names(value, what, example):
    """``value`` as a tuple of strings; a bare string is refused (it would be
    read letter by letter)."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{what} must be a tuple of names, e.g. {example}; got {value!r}"
            + (
                f" (write ({value!r},) for one name)."
                if isinstance(value, str)
                else "."
            )
        )
    if not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} must hold names (strings); got {value!r}.")
    return tuple(value)


def _cell(estimator, hidden, distiller, schedule, X_s, y_s, X_test, y_test, kw):
    model = clone(estimator).set_params(
        hidden_layer_sizes=hidden, distiller=distiller, schedule=schedule
    )
    score = distillation_accuracy(model, X_s, y_s, X_test, y_test, **kw)
    return score.mean, score.std


def _knn_score(sampler, seed, X_train, y_train, X_test, y_test):
    sampler = clone(sampler).set_params(random_state=seed)
    X_b, y_b = sampler.fit_resample(X_train, y_train)
    knn_model = KNeighborsClassifier(n_neighbors=1).fit(X_b, y_b)
    return knn_model.score(X_test, y_test), len(X_b)


def comparison_table(
    X_train,
    y_train,
    X_test,
    y_test,
    distillers,
    *,
    baselines=None,
    knn=(),
    architectures=None,
    schedules=("distilled",),
    estimator=None,
    include_original=True,
    n_models=20,
    random_state=0,
    n_jobs=None,
):
    """The comparison table of the distillation papers for one dataset.

    Rows are data sources -- the original training set, each distilled set
    under each schedule, each baseline set, and 1-nearest-neighbour
    classifiers on baseline sets -- and columns are test architectures. Each
    network cell is the :func:`distillation_accuracy` of ``n_models`` freshly
    initialised networks.

    Every row sees the features as the distilled rows were learned on them,
    so that the table compares the data, not its preprocessing. A distiller
    learns its rows in the space of its training data mapped by its
    ``feature_transform_`` (heavy-tailed columns to Gaussian ones; None when
    no column is mapped) and standardised (StandardScaler's mean and scale),
    and its networks see ``(feature_transform_.transform(X) - mean_) /
    scale_``; the original rows, the baseline resamplers and the kNN rows get
    the training part mapped by the same feature transform (that of the first
    distilled set that has one) and standardised on the training part (the
    test part with the training part's mean and scale), so the table does
    not depend on the units of the features. A distilled set keeps the map
    and the standardisation stored with it, which are these when its
    distiller was fitted on ``X_train`` (unfitted distillers are) without
    sample weights.

    .. versionchanged:: 0.1.0
       The original, baseline and kNN rows are standardised like the
       distilled rows; they used the raw features. They are mapped by the
       distilled sets' feature transform too.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : array-like
        The split. Distillers and baselines see the training part only.
    distillers : DatasetDistiller, DistilledDataset, list or dict of str to either
        Distillers (fitted, frozen, or unfitted -- then fitted once here on the
        training part) or distilled datasets. A dict names their rows, e.g.
        ``{"2-layer": d}``; a list's rows are ``"distilled 1"``,
        ``"distilled 2"``, ...
    baselines : dict of str to resampler, default=None
        Baseline resamplers (``fit_resample``), e.g.
        ``{"random real": RandomRealSampler(n_samples=10)}``; one set is drawn
        from each, and ``n_models`` networks are trained on it.
    knn : tuple of str, default=()
        Names of ``baselines`` for which a 1-nearest-neighbour row is added
        (the paper's kNN baseline). A kNN is deterministic given its set, so its
        mean and std are over ``n_models`` sets drawn with different seeds; the
        value does not depend on the column and is repeated in each.
    architectures : dict of str to tuple, or tuple of tuples, default=None
        Test architectures (a tuple's columns are named by the tuples, e.g.
        ``"(10,)"``); None means the tabular paper's
        ``{"1-layer": (), "2-layer": (10,), "4-layer": (10, 10, 10)}``.
    schedules : tuple of str, default=("distilled",)
        Schedules under which each distilled set is evaluated; a row is named
        ``name`` for ``"distilled"`` and ``"<schedule> + <name>"`` otherwise,
        as in Table 1 of Medvedev & D'yakonov.
    estimator : DistilledMLPClassifier, default=None
        Template of the test networks (its ``hidden_layer_sizes``,
        ``distiller`` and ``schedule`` are set per cell). None means
        ``DistilledMLPClassifier(max_iter=500, learning_rate_init=0.01)``.
    include_original : bool, default=True
        Add the row of networks trained on the whole training set.
    n_models : int, default=20
        Networks per cell.
    random_state : int, default=0
        Seeds the initialisations and the baseline sets.
    n_jobs : int or None, default=None
        Processes (joblib) that compute the cells; ``None`` means 1. Each
        cell trains at the estimator's ``n_threads`` torch threads, and the
        table is identical to ``n_jobs=1``.

    Returns
    -------
    table : ComparisonTable
        ``mean``, ``std``, row and column names; ``table.to_markdown()``.
    """
    n_models = _check_n_models(n_models)
    if architectures is None:
        architectures = _PAPER_ARCHITECTURES
    elif isinstance(architectures, (list, tuple)):
        architectures = {str(tuple(h)): tuple(h) for h in architectures}
    elif not isinstance(architectures, dict):
        raise TypeError(
            "architectures must be a dict of column name to hidden-layer sizes, "
            f"e.g. {{'2-layer': (10,)}}, or a tuple of those sizes; got "
            f"{architectures!r}."
        )
    if estimator is None:
        estimator = DistilledMLPClassifier(max_iter=500, learning_rate_init=0.01)
    if not isinstance(distillers, (dict, list, tuple)):
        distillers = {"distilled": distillers}
    distillers = _named(distillers, "distillers", "DatasetDistiller", "distilled")
    baselines = _named(
        baselines or {},
        "baselines",
        "resampler, e.g. {'random real': RandomRealSampler(10)}",
        "baseline",
    )
    for name, sampler in baselines.items():
        if not hasattr(sampler, "fit_resample"):
            raise TypeError(
                f"baselines[{name!r}] must be a resampler (with fit_resample); got "
                f"{type(sampler).__name__}."
            )
    schedules = _names(schedules, "schedules", "('distilled', 'strategy2')")
    unknown = [s for s in schedules if s not in SCHEDULES]
    if unknown:
        raise ValueError(
            f"unknown schedules {unknown}; choose among {sorted(SCHEDULES)}."
        )
    knn = _names(knn, "knn", "('random real',)")
    unknown = [name for name in knn if name not in baselines]
    if unknown:
        raise ValueError(f"knn names {unknown} are not keys of baselines.")

    frozen = {name: _as_frozen(d, X_train, y_train) for name, d in distillers.items()}
    # The rows not distilled see the training part as the distilled rows see
    # theirs: mapped by the distilled sets' feature transform (the first one
    # that has one), then standardised on the training part.
    transform = next(
        (
            dataset.feature_transform
            for dataset in map(distilled_dataset_of, frozen.values())
            if dataset.feature_transform is not None
        ),
        None,
    )
    X_train_mapped = learned_rows(check_array(X_train, dtype=np.float64), transform)
    mean, scale = fit_standardisation(X_train_mapped)
    X_train_std = (X_train_mapped - mean) / scale
    X_test_std = learned_rows(
        check_array(X_test, dtype=np.float64), transform, mean, scale
    )

    # Every source: (row name, training X, training y, distiller, schedule,
    # test X).
    sources = []
    if include_original:
        sources.append(
            ("original", X_train_std, y_train, None, "distilled", X_test_std)
        )
    for schedule in schedules:
        for name, distiller in frozen.items():
            row = name if schedule == "distilled" else f"{schedule} + {name}"
            sources.append((row, X_train, y_train, distiller, schedule, X_test))
    for name, sampler in baselines.items():
        sampler = clone(sampler).set_params(random_state=random_state)
        X_b, y_b = sampler.fit_resample(X_train_std, y_train)
        sources.append((name, X_b, y_b, None, "distilled", X_test_std))

    # Every cell is independent and seeded: running them in other processes
    # gives the very same table.
    kw = {"n_models": n_models, "random_state": random_state}
    parallel = Parallel(n_jobs=n_jobs)
    cells = parallel(
        delayed(_cell)(
            estimator, hidden, distiller, schedule, X_s, y_s, X_t, y_test, kw
        )
        for _, X_s, y_s, distiller, schedule, X_t in sources
        for hidden in architectures.values()
    )
    n_columns = len(architectures)
    rows, sizes, means, stds = [], [], [], []
    for i, (row, X_s, _, distiller, _, _) in enumerate(sources):
        row_cells = cells[i * n_columns : (i + 1) * n_columns]
        rows.append(row)
        if distiller is None:
            sizes.append(len(X_s))
        else:
            sizes.append(distilled_dataset_of(distiller).n_rows)
        means.append([c[0] for c in row_cells])
        stds.append([c[1] for c in row_cells])

    for name in knn:
        results = parallel(
            delayed(_knn_score)(
                baselines[name],
                random_state + seed,
                X_train_std,
                y_train,
                X_test_std,
                y_test,
            )
            for seed in range(n_models)
        )
        scores = [r[0] for r in results]
        rows.append(f"kNN on {name}")
        sizes.append(results[-1][1])
        means.append([float(np.mean(scores))] * n_columns)
        stds.append([float(np.std(scores))] * n_columns)

    return ComparisonTable(
        rows=rows,
        columns=list(architectures),
        mean=np.asarray(means),
        std=np.asarray(stds),
        sizes=sizes,
    )
