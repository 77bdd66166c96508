"""The teacher of KDMetaparamTuner: fitted (or frozen), checked, and turned
into logits."""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

#: Teacher probabilities are floored at this value before their logarithm is
#: taken as the teacher's logits (a random forest predicts exact zeros).
TEACHER_PROBA_FLOOR = 1e-6


def fit_teacher(teacher, classes, X, y, rng, sample_weight=None):
    """The fitted teacher of KDMetaparamTuner: a clone of ``teacher`` fitted on
    ``(X, y)`` (``GradientBoostingClassifier`` for None; a FrozenEstimator is
    used as is), checked to predict probabilities of exactly ``classes``."""
    teacher_seed = int(rng.randint(np.iinfo(np.int32).max))
    if teacher is None:
        teacher = GradientBoostingClassifier(random_state=teacher_seed)
    elif isinstance(teacher, FrozenEstimator):
        check_is_fitted(teacher)
    else:
        teacher = clone(teacher)
        if teacher.get_params(deep=False).get("random_state", 0) is None:
            teacher.set_params(random_state=teacher_seed)
    if not isinstance(teacher, FrozenEstimator):
        if sample_weight is None:
            teacher.fit(X, y)
        elif has_fit_parameter(teacher, "sample_weight"):
            teacher.fit(X, y, sample_weight=sample_weight)
        else:
            warnings.warn(
                f"The teacher {type(teacher).__name__} does not take "
                "sample_weight in fit; it is fitted without the weights (the "
                "student still uses them).",
                UserWarning,
                stacklevel=4,
            )
            teacher.fit(X, y)
    if not hasattr(teacher, "predict_proba"):
        raise TypeError(
            f"The teacher {type(teacher).__name__} has no predict_proba after "
            "fitting; KDMetaparamTuner needs the teacher's class probabilities "
            "(e.g. SVC(probability=True))."
        )
    teacher_classes = getattr(teacher, "classes_", None)
    if teacher_classes is None:
        raise TypeError(
            f"The fitted teacher {type(teacher).__name__} has no classes_; "
            "its probability columns cannot be matched to the classes of y."
        )
    teacher_classes = np.asarray(teacher_classes)
    unknown = np.setdiff1d(classes, teacher_classes)
    if len(unknown):
        raise ValueError(
            f"The labelled rows of y hold classes the teacher does not know: "
            f"{unknown.tolist()!r} (teacher's classes_ "
            f"{teacher_classes.tolist()!r}); y's labels must be among the "
            "teacher's classes, or -1 for an unlabelled row."
        )
    missing = np.setdiff1d(teacher_classes, classes)
    if len(missing):
        raise ValueError(
            f"The teacher's classes {missing.tolist()!r} have no labelled row "
            f"in y (teacher's classes_ {teacher_classes.tolist()!r}); give "
            "every class at least one labelled row (the metaparameters are "
            "tuned on labelled rows)."
        )
    if teacher_classes.shape != classes.shape or not np.all(teacher_classes == classes):
        raise ValueError(
            f"The teacher's classes_ {teacher_classes.tolist()!r} differ from "
            f"the classes of y {classes.tolist()!r}; the teacher must be "
            "trained on the same set of classes."
        )
    return teacher


def teacher_log_probabilities(teacher, X, classes):
    """The teacher's logits ``f`` of the rows ``X``: the logarithm of its
    probabilities (normalised, floored at `TEACHER_PROBA_FLOOR`)."""
    proba = np.asarray(teacher.predict_proba(X), dtype=np.float64)
    if proba.shape != (X.shape[0], len(classes)):
        raise ValueError(
            f"The teacher's predict_proba returned shape {proba.shape}; "
            f"expected {(X.shape[0], len(classes))}."
        )
    row_sums = proba.sum(axis=1)
    if not np.all(np.isfinite(proba)) or np.any(proba < 0) or np.any(row_sums <= 0):
        raise ValueError(
            "The teacher's predict_proba returned negative or non-finite "
            "values; they must be probabilities."
        )
    proba = proba / row_sums[:, None]
    return np.log(np.maximum(proba, TEACHER_PROBA_FLOOR))
