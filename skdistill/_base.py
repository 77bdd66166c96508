"""The shared base of the torch estimators, and the checks it is built from.

:class:`DatasetDistiller`, :class:`DistilledMLPClassifier` and
:class:`KDMetaparamTuner` differ in what they learn, not in their plumbing:
validating labelled data, checking network sizes, seeding local random streams,
holding torch's thread setting for the length of a fit, standardising features,
running an iterative loop with progress and a divergence check, and forgetting
a half-made fitted state when a fit fails. All of that lives here, once.
"""

import contextlib
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._data.streaming import is_lazy, is_table_source
from ._engine.outer_state import OuterState
from ._training.constraints import FIT_CONTROLS
from ._utils import (
    DocLinkMixin,
    ProgressReporter,
    ResampleContainers,
    ResampledFeatureNamesMixin,
    check_finite_loss,
    check_local_random_state,
    forget_fitted_state,
    sampler_tags,
    torch_generator,
    torch_threads,
    validate_labelled_data,
)
from ._version import __version__


def check_hidden_layer_sizes(hidden_layer_sizes, name="hidden_layer_sizes"):
    """``hidden_layer_sizes`` as a tuple of positive ints; ``()`` is linear.

    A single int means one hidden layer of that width, as in MLPClassifier.
    """
    if isinstance(hidden_layer_sizes, Integral) and not isinstance(
        hidden_layer_sizes, bool
    ):
        hidden_layer_sizes = (hidden_layer_sizes,)
    if not isinstance(hidden_layer_sizes, (tuple, list)) or not all(
        isinstance(w, Integral) and not isinstance(w, bool) and w >= 1
        for w in hidden_layer_sizes
    ):
        raise ValueError(
            f"{name} must be an int or a tuple of positive ints, e.g. (32,) for one "
            "hidden layer of 32 units or () for a linear (softmax-regression) "
            f"model; got {hidden_layer_sizes!r}."
        )
    return tuple(int(w) for w in hidden_layer_sizes)


def check_architectures(architectures):
    """A non-empty tuple of hidden-layer-size tuples."""
    message = (
        "architectures must be a non-empty tuple of hidden-layer-size tuples, "
        "e.g. ((10,),) for one hidden layer of 10 units or ((), (10,)) for a "
        f"linear model and a one-hidden-layer MLP; got {architectures!r}."
    )
    if not isinstance(architectures, (tuple, list)) or len(architectures) == 0:
        raise ValueError(message)
    checked = []
    for hidden in architectures:
        if not isinstance(hidden, (tuple, list)):
            raise ValueError(message)
        try:
            checked.append(check_hidden_layer_sizes(hidden))
        except ValueError:
            raise ValueError(message) from None
    return tuple(checked)


def check_device(device):
    """A torch device this package runs on: the CPU, or CUDA where available."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device name.") from exc
    if device.type not in ("cpu", "cuda"):
        raise ValueError(
            f"device={str(device)!r} is not supported; use 'cpu' or 'cuda'."
        )
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was requested but CUDA is not available on "
            "this machine; use device='cpu'."
        )
    return device


def fit_standardisation(X, sample_weight=None):
    """``(mean, scale)`` of the columns of ``X`` (StandardScaler's), weighted
    by ``sample_weight`` when given.

    Constant columns get scale 1. Raises a ValueError, naming the remedy, when
    the variance overflows float64.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        scaler = StandardScaler().fit(X, sample_weight=sample_weight)
        finite = (
            np.isfinite(scaler.var_).all()
            and np.isfinite((X - scaler.mean_) / scaler.scale_).all()
        )
    # StandardScaler takes an overflowed variance for a constant feature.
    if not finite:
        raise ValueError(
            "X has values too large to standardise in float64 (their variance "
            "overflows); rescale X before fitting."
        )
    return scaler.mean_, scaler.scale_


def run_iterations(estimator, n_iterations, step, *, advice, stop=None):
    """Run an iterative fit: ``step(i)`` for ``i = 1 .. n_iterations``.

    ``step`` does one iteration and returns its loss: a number, or an array
    with one loss per network of a stack (their mean is recorded). This wires
    what every iterative fit needs: the loss is checked (a NaN or infinite loss
    raises `DivergenceError` with ``advice``, the parameter to lower), appended
    to ``estimator.loss_curve_`` and reported when ``estimator.verbose`` is
    set; ``stop(i, loss)`` (``loss`` as ``step`` returned it) returning True
    ends the loop early, e.g. a stopper of ``_training/stopping.py``.

    Returns
    -------
    n_iter : int
        Iterations run.
    """
    name = type(estimator).__name__
    progress = ProgressReporter(name, n_iterations, estimator.verbose)
    estimator.loss_curve_ = []
    for iteration in range(1, n_iterations + 1):
        losses = step(iteration)
        loss = float(np.mean(losses)) if np.ndim(losses) else float(losses)
        check_finite_loss(loss, iteration, name, advice)
        estimator.loss_curve_.append(loss)
        progress.update(iteration, loss)
        if stop is not None and stop(iteration, losses):
            break
    return iteration


class TorchEstimatorBase(DocLinkMixin, BaseEstimator):
    """Plumbing shared by the estimators that train torch networks.

    Subclasses have the parameters ``random_state``, ``verbose`` and
    ``n_threads``, and wrap the body of ``fit`` in `_fitting`.
    """

    @contextlib.contextmanager
    def _fitting(self):
        """The context of a fit: torch at ``n_threads`` threads (the caller's
        setting restored afterwards), and a fit that fails leaves the estimator
        unfitted instead of half-updated."""
        try:
            with torch_threads(self.n_threads):
                yield
        except BaseException:
            forget_fitted_state(self)
            raise

    def _validate_labelled(self, X, y, **kwargs):
        """``(X, classes, y_index)``; see `validate_labelled_data`."""
        return validate_labelled_data(self, X, y, **kwargs)

    def _random_streams(self, device="cpu"):
        """A local numpy RandomState and a torch Generator seeded from it.

        Every random number of a fit comes from these two, never from a global
        stream, so ``random_state`` fixes the fit to the bit.
        """
        rng = check_local_random_state(self.random_state)
        return rng, torch_generator(rng, device=device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def initial_rows(init, X_std, y_index, row_class, rng):
    """Starting synthetic rows of a distillation method, of shape
    ``row_class.shape + (n_features,)``, shared by the tabular and text distillers.

    ``"real"`` draws rows of each row's class (without replacement while the
    class has enough); ``"kmeans"`` places them at the class's k-means
    centroids. Classes absent from ``y_index`` keep zeros.
    """
    rows = np.zeros((*row_class.shape, X_std.shape[1]))
    for c in np.unique(row_class):
        slots = row_class == c
        n_rows = int(slots.sum())
        X_class = X_std[y_index == c]
        if len(X_class) == 0:
            continue
        if init == "real":
            chosen = rng.choice(len(X_class), n_rows, replace=n_rows > len(X_class))
            rows[slots] = X_class[chosen]
            continue
        n_clusters = min(n_rows, len(np.unique(X_class, axis=0)))
        kmeans = KMeans(
            n_clusters=n_clusters,
            n_init=1,
            random_state=rng.randint(np.iinfo(np.int32).max),
        ).fit(X_class)
        # More rows than distinct points: the centroids are dealt again.
        rows[slots] = kmeans.cluster_centers_[np.arange(n_rows) % n_clusters]
    return rows


class BaseDistiller(ResampledFeatureNamesMixin, TorchEstimatorBase):
    """Base of the distillation methods: resamplers whose fit makes a
    :class:`DistilledDataset`.

    A method is a subclass that implements ``_distill(X, y_index)``: given the
    validated rows (float64) and the class index of each, return the distilled
    dataset. This base validates the data, holds the fit's context (threads,
    clean-up after a failure), keeps the dataset as ``distilled_`` with its
    parts as ``distilled_X_``, ``distilled_y_``, ``distilled_step_`` and
    ``lr_schedule_``, records the provenance, and provides ``fit_resample``
    (the resampler convention of imbalanced-learn). Subclasses have the
    parameters ``n_threads``, ``random_state``, ``verbose`` and
    ``resample_labels`` (``"hard"`` or ``"soft"``), whose constraints they
    merge into theirs: ``{**BaseDistiller._parameter_constraints, ...}``.
    """

    _parameter_constraints: dict = {
        "resample_labels": [StrOptions({"hard", "soft"})],
        **FIT_CONTROLS,
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Distill ``(X, y)`` into a small synthetic dataset.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; numeric, finite.
        y : array-like of shape (n_samples,)
            Class labels; at least two classes.

        Returns
        -------
        self : object
            The fitted distiller; the dataset is ``distilled_``.
        """
        return self._fit_distiller(X, y)

    def _fit_distiller(self, X, y, sample_weight=None):
        """The body of `fit`. A method that supports weights overrides `fit`
        with a ``sample_weight`` parameter and passes them here; ``_distill``
        reads them as ``self._sample_weight`` (None without weights)."""
        with self._fitting():
            dataset = self._distill_input(X, y, sample_weight)
            dataset.add_provenance(
                method=type(self).__name__,
                params=self._recorded_params(),
                skdistill_version=__version__,
            )
            self.distilled_ = dataset
            self.distilled_X_ = dataset.X
            self.distilled_y_ = dataset.y
            self.distilled_step_ = dataset.step
            self.lr_schedule_ = dataset.lr_schedule
            counts = np.bincount(
                np.argmax(dataset.y, axis=1), minlength=len(self.classes_)
            )
            self.sampling_strategy_ = {
                label: int(n) for label, n in zip(self.classes_.tolist(), counts)
            }
        return self

    def _distill_input(self, X, y, sample_weight):
        """The distilled dataset of the data given to `fit`: validated rows in
        memory go to ``_distill``, a Dask collection or a parquet table to
        ``_distill_lazy``. Sets ``classes_``. A method whose input is not
        rows of numbers (texts) overrides it with its own validation."""
        if is_lazy(X) or is_table_source(X):
            if sample_weight is not None:
                raise ValueError(
                    "sample_weight is not supported with a Dask collection or "
                    "a parquet table; load X first or leave the weights out."
                )
            return self._distill_lazy(X, y)
        X, self.classes_, y_index = self._validate_labelled(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
        self._sample_weight = sample_weight
        try:
            return self._distill(X, y_index)
        finally:
            del self._sample_weight

    def _recorded_params(self):
        """The parameters recorded in the provenance of the dataset (all of
        them; a method leaves out those too large to record)."""
        return self.get_params()

    def _distill(self, X, y_index):
        """The distilled dataset of ``(X, classes_[y_index])``."""
        raise NotImplementedError

    def _outer_state(self, rows, row_class, n_total_steps, lr_init, **options):
        """The `OuterState` of the outer loop, from the starting ``rows`` and
        their classes: learned as ``soft_labels`` and ``learn_lr`` say, moved
        by Adam at ``learning_rate`` (the parameters of a dataset distiller);
        ``options`` go to `OuterState` (``average_decay``)."""
        return OuterState(
            rows,
            row_class,
            len(self.classes_),
            n_total_steps,
            lr_init,
            soft_labels=self.soft_labels,
            learn_lr=self.learn_lr,
            learning_rate=self.learning_rate,
            **options,
        )

    def _run_outer_loop(self, outer_iteration, advice, stop=None):
        """Run the outer loop, ``outer_iteration(iteration)`` for at most
        ``max_iter`` iterations (`run_iterations`, with its ``advice`` and
        ``stop``), and set ``n_iter_``."""
        self.n_iter_ = run_iterations(
            self, self.max_iter, outer_iteration, advice=advice, stop=stop
        )

    def _distill_lazy(self, X, y):
        """The distilled dataset of a Dask collection or a parquet table;
        methods that read their data lazily implement it (with `_scan_lazy`)."""
        raise TypeError(
            f"{type(self).__name__} needs its data in memory, and X is a Dask "
            "collection or a parquet table: load it first (.compute() for Dask). "
            "DatasetDistiller reads both lazily."
        )

    def _scan_lazy(self, X, y, **scan_params):
        """One pass over a Dask collection or a parquet table (`StreamedRows.scan`
        with ``scan_params``); sets what validate_data would. Returns the rows."""
        from ._data.streaming import lazy_rows

        rows = lazy_rows(X, y).scan(**scan_params)
        self.classes_ = rows.classes
        self.n_features_in_ = rows.n_features
        if rows.feature_names is not None:
            self.feature_names_in_ = rows.feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # from an earlier fit, as validate_data does
        return rows

    def fit_resample(self, X, y, **fit_params):
        """Distill ``(X, y)`` and return the synthetic dataset.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        **fit_params : dict
            Passed to `fit`, e.g. ``sample_weight`` where the method takes it
            (in an imblearn Pipeline: ``<step>__sample_weight``).

        Returns
        -------
        X_resampled : ndarray, DataFrame or list of shape (n_distilled, n_features)
            The synthetic rows, in the units of ``X`` and in its container: a
            DataFrame with the columns of ``X`` when ``X`` is one, a list for a
            list; a float dtype of ``X`` is kept.
        y_resampled : ndarray, Series, DataFrame or list
            Hard labels ``(n_distilled,)`` (the class of largest soft label) or,
            with ``resample_labels="soft"``, the soft-label matrix
            ``(n_distilled, n_classes)`` (a DataFrame whose columns are the
            classes for pandas ``y``); in the container of ``y``, and one-hot
            when ``y`` is one-hot.
        """
        if is_lazy(X) or is_lazy(y) or is_table_source(X):
            # fit reads a Dask collection or a parquet table lazily; looking
            # into it here would read it. The rows come back in pandas when X
            # has columns (a parquet table's label column names y).
            self.fit(X, y, **fit_params)
            X_res, y_res = self._resampled_rows(), self._resampled_labels()
            if hasattr(X, "columns") or is_table_source(X):
                import pandas as pd

                table = is_table_source(X)
                columns = self.feature_names_in_ if table else X.columns
                X_res = pd.DataFrame(X_res, columns=list(columns))
                y_res = (
                    pd.DataFrame(y_res, columns=self.classes_)
                    if y_res.ndim == 2
                    else pd.Series(y_res, name=y if table else getattr(y, "name", None))
                )
            return X_res, y_res
        containers = ResampleContainers(X, y)
        self.fit(containers.X_fit, containers.y_fit, **fit_params)
        return (
            containers.X(self._resampled_rows()),
            containers.y(self._resampled_labels(), self.classes_),
        )

    def _resampled_rows(self):
        """The rows `fit_resample` returns: the distilled rows in the units of
        ``X`` (a method whose input is not rows overrides it)."""
        check_is_fitted(self)
        return self.distilled_X_.copy()

    def _resampled_labels(self):
        check_is_fitted(self)
        if self.resample_labels == "soft":
            return self.distilled_y_.copy()
        return self.distilled_.hard_labels

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return sampler_tags(tags)
