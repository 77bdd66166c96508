"""The default first stage of the distilled searches: k-means prototypes of
every class, the classes sharing them equally."""

import math

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.cluster import KMeans

from .._data.dataset import DistilledDataset
from .._training.constraints import AUTO_COUNT
from .._utils import DocLinkMixin, check_local_random_state, validate_labelled_data

#: ``n_samples="auto"``: ``_ROWS_PER_ROOT * sqrt(n_samples)`` prototypes.
_ROWS_PER_ROOT = 5


def auto_n_prototypes(n_samples):
    """Prototypes of ``n_samples="auto"``: ``5 * sqrt(n_samples)``, at most
    half the rows: 50 of 100 rows, 100 of 400, 317 of 4000."""
    return max(1, min(math.ceil(_ROWS_PER_ROOT * math.sqrt(n_samples)), n_samples // 2))


def balanced_counts(class_sizes, n_rows):
    """Rows per class: ``n_rows`` shared equally among the classes, a class
    with fewer rows than its share keeping all of them and leaving the rest to
    the others; a remainder goes to the largest classes."""
    class_sizes = np.asarray(class_sizes, dtype=int)
    counts = np.zeros(len(class_sizes), dtype=int)
    n_rows = min(n_rows, int(class_sizes.sum()))
    open_ = class_sizes > 0
    while n_rows > counts.sum() and open_.any():
        share = max(1, (n_rows - counts.sum()) // open_.sum())
        for c in np.argsort(-class_sizes, kind="stable"):
            if open_[c] and counts.sum() < n_rows:
                counts[c] += min(share, class_sizes[c] - counts[c])
                open_[c] = counts[c] < class_sizes[c]
    return counts


def cluster_classes(X, y_index, counts, rng):
    """K-means centroids of every class: ``counts[c]`` of the rows of class
    ``c`` (at most as many as its distinct rows; one is their mean), each
    k-means seeded from ``rng`` in the classes' order.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y_index : ndarray of shape (n_samples,)
        The class index of every row.
    counts : sequence of int
        Prototypes wanted per class, in the classes' order.
    rng : numpy.random.RandomState
        Draws one k-means seed per class, whatever its count.

    Returns
    -------
    rows : ndarray of shape (n_prototypes, n_features)
    labels : ndarray of shape (n_prototypes,)
        The class index of every prototype.
    """
    parts, labels = [], []
    for c, k in enumerate(counts):
        X_class = X[y_index == c]
        k = int(min(k, len(np.unique(X_class, axis=0))))
        seed = rng.randint(np.iinfo(np.int32).max)
        if k == 1:
            parts.append(X_class.mean(axis=0, keepdims=True))
        else:
            kmeans = KMeans(n_clusters=k, n_init=1, random_state=seed)
            parts.append(kmeans.fit(X_class).cluster_centers_)
        labels.append(np.full(k, c))
    return np.concatenate(parts), np.concatenate(labels)


class ClassPrototypes(DocLinkMixin, BaseEstimator):
    """K-means prototypes of every class, as many per class as it can give.

    The rows of each class are clustered into as many clusters as the class
    gets prototypes, and the centroids are kept with their class as a hard
    label. ``n_samples`` is shared equally among the classes, as
    :class:`~skdistill.KMeansSampler` shares it, except that a class with fewer
    rows than its share keeps all its rows (as prototypes of one row each)
    and leaves the rest to the other classes instead of raising.

    Parameters
    ----------
    n_samples : int or "auto", default="auto"
        Prototypes in the set; ``"auto"``: ``5 * sqrt(n)`` for ``n`` rows, at
        most half of them.

    random_state : int, RandomState instance or None, default=None
        Seeds the k-means initialisations.

    Attributes
    ----------
    distilled_ : DistilledDataset
        The prototypes (without a learned run: a
        :class:`~skdistill.DistilledMLPClassifier` trains on them with Adam,
        as on ordinary rows).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    """

    _parameter_constraints: dict = {
        "n_samples": AUTO_COUNT,
        "random_state": ["random_state"],
    }

    def __init__(self, n_samples="auto", *, random_state=None):
        self.n_samples = n_samples
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Cluster every class's rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted prototypes.
        """
        X, self.classes_, y_index = validate_labelled_data(
            self, X, y, min_samples=1, min_classes=1
        )
        n_rows = (
            auto_n_prototypes(len(y_index))
            if self.n_samples == "auto"
            else self.n_samples
        )
        class_sizes = np.bincount(y_index, minlength=len(self.classes_))
        counts = balanced_counts(class_sizes, n_rows)
        rng = check_local_random_state(self.random_state)
        rows, labels = cluster_classes(X, y_index, counts, rng)
        self.distilled_ = DistilledDataset(
            rows,
            np.eye(len(self.classes_))[labels],
            self.classes_,
            feature_names=getattr(self, "feature_names_in_", None),
            provenance={"method": type(self).__name__, "params": self.get_params()},
        )
        return self
