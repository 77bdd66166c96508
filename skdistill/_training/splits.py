"""The one validation split of the package."""

import numpy as np
from sklearn.model_selection import train_test_split


def validation_split(y_index, fraction, rng):
    """Row indices ``(train, validation)``: ``fraction`` of the rows set aside,
    stratified by class.

    The split is scikit-learn's ``train_test_split(..., stratify=y_index)``, the
    one MLPClassifier's early stopping makes: the validation part has
    ``ceil(fraction * n_samples)`` rows and every class its share of them.

    A stratified split does not exist when a class has a single row, or when
    the validation (or training) part would have fewer rows than there are
    classes. Then every class gives ``round(fraction * n_c)`` of its ``n_c``
    rows, keeping at least one for training, and when that sets nothing aside,
    one row of the largest class is set aside. Either way every class keeps
    training rows; only when every class has a single row is there no split
    (ValueError).

    Parameters
    ----------
    y_index : ndarray of shape (n_samples,)
        The class index of every row.
    fraction : float in (0, 1)
        The share of the rows set aside.
    rng : numpy.random.RandomState
        One integer is drawn from it (the seed of the split), whichever rule
        applies.

    Returns
    -------
    train, validation : ndarray of int
        Row indices, in the random order of the split.
    """
    y_index = np.asarray(y_index)
    indices = np.arange(len(y_index))
    seed = rng.randint(np.iinfo(np.int32).max)
    counts = np.bincount(np.unique(y_index, return_inverse=True)[1])
    n_val = int(np.ceil(fraction * len(y_index)))
    n_classes = len(counts)
    if counts.min() >= 2 and min(n_val, len(y_index) - n_val) >= n_classes:
        return tuple(
            train_test_split(
                indices, test_size=fraction, stratify=y_index, random_state=seed
            )
        )
    return _per_class_split(y_index, fraction, np.random.RandomState(seed))


def _per_class_split(y_index, fraction, rng):
    """The split of `validation_split` when no stratified split exists."""
    classes, counts = np.unique(y_index, return_counts=True)
    if counts.max() < 2:
        raise ValueError(
            "Cannot set aside validation rows: every class has a single sample, "
            "which it needs for training. Give more samples (or, where fit "
            "takes them, an explicit X_val and y_val)."
        )
    train, val = [], []
    for c, n_c in zip(classes, counts):
        rows = rng.permutation(np.flatnonzero(y_index == c))
        n_val = min(n_c - 1, int(round(fraction * n_c)))
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    if sum(len(v) for v in val) == 0:
        largest = int(np.argmax(counts))
        val[largest], train[largest] = train[largest][:1], train[largest][1:]
    return np.concatenate(train), np.concatenate(val)
