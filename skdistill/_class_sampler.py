"""The base of the baseline samplers: small sets built class by class.

A baseline sampler (``_tabular/baselines.py``, ``_text/baselines.py``) builds a
small training set from the rows of every class, without learning: the base
validates the data, deals the rows of the set to the classes, keeps the fitted
state (``X_resampled_``, ``y_resampled_``, ``sampling_strategy_`` and the set as
a `DistilledDataset`, ``distilled_``) and provides ``fit_resample``.
"""

import numpy as np
from sklearn.base import BaseEstimator, _fit_context

from ._data.dataset import DistilledDataset
from ._training.constraints import AUTO_COUNT
from ._utils import (
    DocLinkMixin,
    ResampleContainers,
    ResampledFeatureNamesMixin,
    check_local_random_state,
    sampler_tags,
    validate_labelled_data,
)


def rows_per_class(class_sizes, n_samples):
    """How many rows each class gets out of ``n_samples`` ("auto": one each)."""
    class_sizes = np.asarray(class_sizes)
    n_classes = len(class_sizes)
    if n_samples == "auto":
        return np.ones(n_classes, dtype=int)
    counts = np.full(n_classes, n_samples // n_classes, dtype=int)
    # The remainder goes to the most frequent classes (stable: label order).
    favoured = np.argsort(-class_sizes, kind="stable")[: n_samples % n_classes]
    counts[favoured] += 1
    return counts


class _ClassSampler(DocLinkMixin, ResampledFeatureNamesMixin, BaseEstimator):
    """Shared machinery: validation, per-class allocation, fitted state.

    Subclasses implement ``_sample_class(X_class, n_rows, rng)`` returning
    ``(n_rows, n_features)`` rows built from the rows of one class.
    """

    _parameter_constraints: dict = {
        "n_samples": AUTO_COUNT,
        "random_state": ["random_state"],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Build the small set from ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted resampler; the set is in ``X_resampled_``,
            ``y_resampled_``.
        """
        X, self.classes_, y_index = self._validate_input(X, y)
        class_sizes = np.bincount(y_index, minlength=len(self.classes_))
        counts = self._rows_per_class(class_sizes)
        too_many = np.flatnonzero(counts > class_sizes)
        if too_many.size:
            c = too_many[0]
            raise ValueError(
                f"n_samples={self.n_samples} asks for {counts[c]} rows of class "
                f"{self.classes_[c].tolist()!r}, which has only {class_sizes[c]}; "
                "lower n_samples."
            )
        rng = check_local_random_state(self.random_state)
        X_small, y_small = self._sample_set(X, y_index, counts, rng)
        self.X_resampled_ = X_small
        self.y_resampled_ = self.classes_[y_small]
        self.sampling_strategy_ = {
            label: int(n) for label, n in zip(self.classes_.tolist(), counts)
        }
        self.distilled_ = self._dataset(X_small, y_small)
        return self

    def _validate_input(self, X, y):
        """``(X, classes, y_index)``. A baseline set can be drawn from any
        labelled data, even one class."""
        return validate_labelled_data(self, X, y, min_samples=1, min_classes=1)

    def _rows_per_class(self, class_sizes):
        """Rows of the set per class (see `rows_per_class`)."""
        return rows_per_class(class_sizes, self.n_samples)

    def _dataset(self, X_small, y_small, **fields):
        """The `DistilledDataset` of the set: one-hot labels, and no learned
        run (one step, no schedule), so that a classifier trains on it the
        ordinary way. ``fields`` add to or replace the dataset's fields."""
        fields = {
            "feature_names": getattr(self, "feature_names_in_", None),
            "provenance": {"method": type(self).__name__, "params": self.get_params()},
            **fields,
        }
        return DistilledDataset(
            X_small, np.eye(len(self.classes_))[y_small], self.classes_, **fields
        )

    def fit_resample(self, X, y):
        """Build the small set and return it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : ndarray, DataFrame or list of shape (n_resampled, n_features)
            The rows of the small set, grouped by class, in the container of
            ``X`` (a DataFrame keeps its columns; a float dtype is kept).
        y_resampled : ndarray, Series, DataFrame or list of shape (n_resampled,)
            Their class labels, in the container of ``y`` (one-hot rows when
            ``y`` is one-hot).
        """
        containers = ResampleContainers(X, y)
        self.fit(containers.X_fit, containers.y_fit)
        return (
            containers.X(self._resampled_rows()),
            containers.y(self.y_resampled_.copy(), self.classes_),
        )

    def _resampled_rows(self):
        """The rows `fit_resample` returns (a sampler whose input is not rows
        overrides it)."""
        return self.X_resampled_.copy()

    def _sample_set(self, X, y_index, counts, rng):
        """The small set ``(rows, class indices)``, grouped by class."""
        X_parts, y_parts = [], []
        for c, n_rows in enumerate(counts):
            if n_rows:
                X_parts.append(self._sample_class(X[y_index == c], int(n_rows), rng))
                y_parts.append(np.full(n_rows, c))
        return np.concatenate(X_parts), np.concatenate(y_parts)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = False
        return sampler_tags(tags)
