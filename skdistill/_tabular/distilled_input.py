"""The distilled training set of DistilledMLPClassifier: its distiller fitted
or reused, and the data checked against it."""

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._data.dataset import (
    DistilledDataset,
    check_known_classes,
    distilled_dataset_of,
)
from .._data.streaming import is_lazy, is_table_source
from .._utils import check_numeric_columns


def distilled_training_set(estimator, X, y, sample_weight=None):
    """The distilled dataset ``estimator`` trains on: its ``distiller`` fitted
    on ``(X, y)`` (a clone), or reused (a FrozenEstimator, a DistilledDataset).

    ``X, y`` are checked against the dataset; sets ``n_features_in_``,
    ``feature_names_in_``, ``classes_``, ``distiller_``, ``distilled_``,
    ``input_mean_``, ``input_scale_`` and ``input_transform_`` of ``estimator``.
    """
    fitted = isinstance(estimator.distiller, (DistilledDataset, FrozenEstimator))
    if sample_weight is not None and fitted:
        raise ValueError(
            "sample_weight has no effect with a fitted distiller (a "
            "FrozenEstimator or a DistilledDataset): its dataset is made "
            "already. Pass the weights to the distiller's own fit."
        )
    if isinstance(estimator.distiller, DistilledDataset):
        distiller = estimator.distiller
    elif not fitted and (X is None or y is None):
        raise ValueError(_refit_needs_data(estimator, X, y))
    else:
        distiller = clone(estimator.distiller)  # a FrozenEstimator clones to itself
        check_numeric_columns(estimator, X)
        if sample_weight is None:
            distiller.fit(X, y)
        else:
            distiller.fit(X, y, sample_weight=sample_weight)
    dataset = distilled_dataset_of(distiller)
    _check_mlp_rows(estimator, dataset)
    if is_table_source(X):
        # The distiller read the parquet table, and its features are
        # every column but the label: they are the dataset's.
        estimator.n_features_in_ = dataset.n_features
        vars(estimator).pop("feature_names_in_", None)
        if dataset.feature_names is not None:
            estimator.feature_names_in_ = dataset.feature_names.astype(object)
    elif is_lazy(X):
        # The distiller read the collection lazily; reading it again here
        # to check it would compute all of it. Its columns are known.
        if X.shape[1] != dataset.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the distilled dataset has "
                f"{dataset.n_features}."
            )
        estimator.n_features_in_ = dataset.n_features
        vars(estimator).pop("feature_names_in_", None)
        if hasattr(X, "columns"):
            estimator.feature_names_in_ = np.asarray(
                [str(c) for c in X.columns], dtype=object
            )
    elif X is None and y is None and fitted:
        estimator.n_features_in_ = dataset.n_features
        vars(estimator).pop("feature_names_in_", None)
        if dataset.feature_names is not None:
            estimator.feature_names_in_ = dataset.feature_names.astype(object)
    else:
        y_shape = () if y is None else np.asarray(y).shape
        if len(y_shape) == 2 and y_shape[1] > 1:
            raise ValueError(
                "With a distiller, y must hold class labels (the distiller "
                f"learns its own soft labels); got y of shape {y_shape}."
            )
        X, y = validate_data(estimator, X, y, dtype=np.float64)
        check_classification_targets(y)
        if X.shape[1] != dataset.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the distilled dataset has "
                f"{dataset.n_features}: the distiller was fitted on other data."
            )
        check_known_classes(dataset, y)
    estimator.classes_ = dataset.classes.copy()
    estimator.distiller_ = distiller
    estimator.distilled_ = dataset
    estimator.input_mean_ = None if dataset.mean is None else dataset.mean.copy()
    estimator.input_scale_ = None if dataset.scale is None else dataset.scale.copy()
    estimator.input_transform_ = dataset.feature_transform
    return dataset


def _check_mlp_rows(estimator, dataset):
    """A ValueError unless ``dataset`` was learned for MLPs on flat rows."""
    name = type(estimator).__name__
    if dataset.network is not None:
        raise ValueError(
            f"{name} trains an MLP, but the distilled dataset was learned for "
            f"networks of the {dataset.network['name']} family (its network "
            f"{dataset.network!r}): an MLP replaying it would not learn what the "
            "dataset teaches. Train the network it was learned for instead "
            "(TextConvNetClassifier for a TextConvNet dataset)."
        )
    if len(dataset.row_shape) != 1:
        raise ValueError(
            f"{name} trains an MLP on flat rows, but the distilled dataset's "
            f"rows have shape {dataset.row_shape}."
        )


def _refit_needs_data(estimator, X, y):
    """The error of a fit without data whose distiller must be refitted."""
    name = type(estimator).__name__
    missing = (
        f"This {name} estimator requires y to be passed, but the target y is None"
        if y is None
        else f"{name}.fit got y but no X"
    )
    return (
        f"{missing}: distiller={type(estimator.distiller).__name__}(...) is cloned "
        "and refitted in fit, which needs X and y. To train on the set a fitted "
        "distiller d has already learned, pass distiller=FrozenEstimator(d) (from "
        "sklearn.frozen) or distiller=d.distilled_."
    )
