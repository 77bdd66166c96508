"""The labels of KDMetaparamTuner: labelled and unlabelled rows (``-1``,
scikit-learn's semi-supervised convention) and the targets of the hard term."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import validate_data

from .._training.splits import validation_split
from .._utils import (
    check_no_missing_labels,
    check_numeric_columns,
    class_indices,
    refuse_lazy,
)

#: The label of an unlabelled row (scikit-learn's semi-supervised convention).
UNLABELLED = -1


def _unlabelled_mask(y):
    """True where ``y`` is the unlabelled marker ``-1`` (numeric labels only;
    text labels have no unlabelled marker)."""
    y = np.asarray(y)
    if y.dtype.kind in "biuf":
        return y == UNLABELLED
    return np.array([isinstance(v, Integral) and v == UNLABELLED for v in y])


def validate_semi_supervised(estimator, X, y):
    """``(X, classes, y_index)`` with ``y_index == -1`` on unlabelled rows.

    Rows whose label is ``-1`` are unlabelled (the convention of
    scikit-learn's semi-supervised estimators); the classes are those of
    the other rows.
    """
    refuse_lazy(estimator, X)
    check_numeric_columns(estimator, X)
    check_no_missing_labels(y)
    X, y = validate_data(estimator, X, y, dtype=np.float64, ensure_min_samples=2)
    unlabelled = _unlabelled_mask(y)
    if unlabelled.all():
        raise ValueError(
            f"Every row of y is -1 (unlabelled). {type(estimator).__name__} needs "
            "labelled rows of at least two classes: the teacher is fitted on "
            "them (unless it is a fitted FrozenEstimator) and the "
            "metaparameters are tuned on them."
        )
    if unlabelled.any() and len(np.unique(y[~unlabelled])) < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs labelled rows of at least two "
            f"classes; the rows not labelled -1 hold one class, "
            f"{y[~unlabelled][0]!r}. A label of -1 marks an unlabelled row: "
            "rename a class called -1 (e.g. with LabelEncoder)."
        )
    classes, labelled_index = class_indices(estimator, y[~unlabelled])
    y_index = np.full(len(y), -1, dtype=np.int64)
    y_index[~unlabelled] = labelled_index
    return X, classes, y_index


def hard_targets(y_index, n_classes, sample_weight):
    """Targets of the hard term, ``(n, n_classes)``: one-hot on labelled
    rows, zero on unlabelled ones.

    With unlabelled rows among the training rows, a minibatch holds a
    fraction ``rho`` of labelled rows (in expectation; weighted when rows
    are drawn by weight); the labelled rows' targets are scaled by ``1 /
    rho``, so that the hard term of a minibatch estimates the mean
    cross-entropy over the labelled rows without bias. All rows labelled:
    plain one-hot rows.
    """
    labelled = y_index >= 0
    targets = np.zeros((len(y_index), n_classes), dtype=np.float64)
    targets[np.flatnonzero(labelled), y_index[labelled]] = 1.0
    if labelled.all():
        return targets
    if sample_weight is None:
        rho = labelled.mean()
    else:
        rho = sample_weight[labelled].sum() / sample_weight.sum()
    return targets / rho


def training_and_validation(estimator, rows, X_val, y_val, rng):
    """``(X_train, y_index_train, X_val, y_val_index, sample_weight)``.

    ``rows`` is ``(X, y_index, sample_weight)`` of the fit. Without ``X_val``
    the validation rows are drawn from the labelled rows by the one validation
    split, every unlabelled row trains, and weighted validation rows are
    resampled once by their weights (the validation objective is a weighted
    mean); ``sample_weight`` is then that of the training rows.
    """
    X, y_index, sample_weight = rows
    labelled = y_index >= 0
    if X_val is None:
        # The validation rows are labelled rows; every unlabelled row trains.
        labelled_rows = np.flatnonzero(labelled)
        train_l, val_l = validation_split(
            y_index[labelled_rows], estimator.validation_fraction, rng
        )
        val = labelled_rows[val_l]
        train = np.sort(
            np.concatenate([labelled_rows[train_l], np.flatnonzero(~labelled)])
        )
        X_train, y_index_train = X[train], y_index[train]
        X_val_, yv_index = X[val], y_index[val]
        if sample_weight is not None:
            # The validation objective is a weighted mean: resample once.
            val_weight, sample_weight = sample_weight[val], sample_weight[train]
            if val_weight.sum() > 0:
                drawn = rng.choice(len(val), len(val), p=val_weight / val_weight.sum())
                X_val_, yv_index = X_val_[drawn], yv_index[drawn]
    else:
        X_val_, y_val_ = validate_data(
            estimator, X_val, y_val, dtype=np.float64, reset=False
        )
        unknown = np.setdiff1d(np.unique(y_val_), estimator.classes_)
        if len(unknown):
            raise ValueError(
                f"y_val holds classes absent from y (its labelled rows): "
                f"{unknown.tolist()!r}."
            )
        yv_index = np.searchsorted(estimator.classes_, y_val_)
        X_train, y_index_train = X, y_index
    return X_train, y_index_train, X_val_, yv_index, sample_weight
