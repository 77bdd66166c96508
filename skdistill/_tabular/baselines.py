"""Baselines of dataset distillation: small training sets made from real rows.

Wang et al. (2018) and Sucholutsky & Schonlau (2019, section 4.2) compare a
distilled dataset with sets of the same size built without learning: random
real rows per class, the best of several such random sets ("optimized real"),
per-class k-means centroids, and per-class averages. Each baseline here is a
resampler: ``fit_resample(X, y)`` returns the small set ``(X_small,
y_small)``, like :meth:`DatasetDistiller.fit_resample`, so every one drops in
where a distiller does (an ``imblearn`` pipeline, :func:`comparison_table`).
A 1-nearest-neighbour classifier fitted on random real rows or on k-means
centroids is the paper's kNN baseline.

Size: ``n_samples`` rows in total, dealt to the classes as evenly as possible;
when they do not divide evenly, the most frequent classes get one row more
(ties: in the order of ``classes_``). Fewer rows than classes is allowed: only
the ``n_samples`` most frequent classes are represented -- a hard-label set
cannot do better, which is the point of soft-label distillation. A class asked
for more rows than it has raises a ``ValueError``.
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import HasMethods, Interval

from .._class_sampler import _ClassSampler
from .._utils import sampler_tags

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    X_resampled_ : ndarray of shape (n_resampled, n_features_in_)
        The small set, grouped by class in the order of ``classes_``.

    y_resampled_ : ndarray of shape (n_resampled,)
        Its class labels.

    distilled_ : DistilledDataset
        The same set as a :class:`~skdistill.DistilledDataset` (one-hot
        labels, no schedule), for the consumers of distilled data.

    classes_ : ndarray of shape (n_classes,)
        Class labels seen in `fit`.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during `fit`, when ``X`` has string column
        names.

    sampling_strategy_ : dict
        Rows of the set per class label (imbalanced-learn's name for what a
        sampler makes of each class).
"""


class _KeepsRealRows:
    """Mixin of the class samplers that keep real rows: ``_class_rows(X_class,
    n, rng)`` picks ``n`` rows of one class (their positions in ``X_class``),
    and the rows' indices in ``X`` are kept as ``sample_indices_``
    (imbalanced-learn's)."""

    def _sample_set(self, X, y_index, counts, rng):
        index = np.concatenate(
            [
                np.flatnonzero(y_index == c)[
                    self._class_rows(X[y_index == c], int(n), rng)
                ]
                for c, n in enumerate(counts)
                if n
            ]
        )
        self.sample_indices_ = index
        return X[index], y_index[index]

    def __sklearn_tags__(self):
        return sampler_tags(super().__sklearn_tags__(), sample_indices=True)


class RandomRealSampler(_KeepsRealRows, _ClassSampler):
    """Random real rows of every class: the "random real" baseline.

    Parameters
    ----------
    n_samples : int or "auto", default="auto"
        Rows in the set (``"auto"``: one per class), dealt to the classes as
        evenly as possible, the most frequent classes first.

    random_state : int, RandomState instance or None, default=None
        Seeds the choice of rows.
    {attributes}
    sample_indices_ : ndarray of shape (n_resampled,)
        Indices of the chosen rows in the training ``X``.
    See Also
    --------
    OptimizedRealSampler : The best of several random real sets.
    DatasetDistiller : The synthetic set these baselines are compared with.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdistill import RandomRealSampler
    >>> X, y = load_iris(return_X_y=True)
    >>> X_small, y_small = RandomRealSampler(n_samples=6, random_state=0
    ...                                      ).fit_resample(X, y)
    >>> X_small.shape, y_small.tolist()
    ((6, 4), [0, 0, 1, 1, 2, 2])
    """

    def __init__(self, n_samples="auto", *, random_state=None):
        self.n_samples = n_samples
        self.random_state = random_state

    def _class_rows(self, X_class, n, rng):
        # The rows the base class would draw, in the same order.
        return rng.choice(len(X_class), size=n, replace=False)


class OptimizedRealSampler(_ClassSampler):
    """The best of several random real sets: the "optimized real" baseline.

    Draws ``n_candidates`` sets as :class:`RandomRealSampler` does, fits a
    clone of ``estimator`` on each, scores it on the whole training set, and
    keeps the set of the highest score (the first one on ties). The papers keep
    the best 20% of the sets and train on each; a resampler returns one set, so
    this keeps the best.

    Parameters
    ----------
    n_samples : int or "auto", default="auto"
        Rows in the set (``"auto"``: one per class).

    n_candidates : int, default=10
        Random sets drawn.

    estimator : classifier or None, default=None
        The model that scores a candidate set; None means a
        1-nearest-neighbour classifier (cheap, deterministic, defined for any
        set). Pass e.g. a :class:`DistilledMLPClassifier` to choose the set
        by the network it will train.

    n_jobs : int or None, default=None
        Processes (joblib) that score the candidate sets; ``None`` means 1.
        The result is identical to ``n_jobs=1``. A torch estimator keeps its
        own ``n_threads`` in every process.

    random_state : int, RandomState instance or None, default=None
        Seeds the candidate sets.
    {attributes}
    candidate_scores_ : ndarray of shape (n_candidates,)
        Training-set accuracy of the model fitted on each candidate set.

    best_candidate_ : int
        Index of the kept set.

    sample_indices_ : ndarray of shape (n_resampled,)
        Indices of the rows of the kept set in the training ``X``.

    See Also
    --------
    RandomRealSampler : One random real set.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdistill import OptimizedRealSampler
    >>> X, y = load_iris(return_X_y=True)
    >>> sampler = OptimizedRealSampler(n_samples=3, n_candidates=5,
    ...                                random_state=0)
    >>> X_small, y_small = sampler.fit_resample(X, y)
    >>> bool(sampler.candidate_scores_.max() == sampler.candidate_scores_[
    ...     sampler.best_candidate_])
    True
    """

    _parameter_constraints: dict = {
        **_ClassSampler._parameter_constraints,
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "estimator": [None, HasMethods(["fit", "score"])],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        n_samples="auto",
        *,
        n_candidates=10,
        estimator=None,
        n_jobs=None,
        random_state=None,
    ):
        self.n_samples = n_samples
        self.n_candidates = n_candidates
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _sample_set(self, X, y_index, counts, rng):
        y = self.classes_[y_index]
        estimator = (
            KNeighborsClassifier(n_neighbors=1)
            if self.estimator is None
            else self.estimator
        )
        # The candidates are drawn first, in order, from the one stream; only
        # their scoring runs in parallel, so n_jobs does not change the result.
        candidates = [
            np.concatenate(
                [
                    rng.choice(np.flatnonzero(y_index == c), size=n, replace=False)
                    for c, n in enumerate(counts)
                    if n
                ]
            )
            for _ in range(self.n_candidates)
        ]
        one_class_fails = self.estimator is not None
        scores = Parallel(n_jobs=self.n_jobs)(
            delayed(_candidate_score)(estimator, X, y, index, one_class_fails)
            for index in candidates
        )
        self.candidate_scores_ = np.asarray(scores, dtype=np.float64)
        self.best_candidate_ = int(np.argmax(self.candidate_scores_))
        best = candidates[self.best_candidate_]
        self.sample_indices_ = best
        return X[best], y_index[best]

    def __sklearn_tags__(self):
        return sampler_tags(super().__sklearn_tags__(), sample_indices=True)


def _candidate_score(estimator, X, y, index, one_class_fails):
    """Training-set accuracy of ``estimator`` fitted on the rows ``index``."""
    if one_class_fails and len(np.unique(y[index])) < 2:
        return -np.inf  # most classifiers cannot fit one class
    return clone(estimator).fit(X[index], y[index]).score(X, y)


class KMeansSampler(_ClassSampler):
    """Per-class k-means centroids: the "k-means" baseline.

    The rows of each class are clustered into as many clusters as the class
    gets rows, and the centroids are kept (a single row is the class mean).

    Parameters
    ----------
    n_samples : int or "auto", default="auto"
        Rows in the set (``"auto"``: one per class).

    n_init : int, default=3
        k-means restarts per class (see :class:`sklearn.cluster.KMeans`).

    random_state : int, RandomState instance or None, default=None
        Seeds the k-means initialisations.
    {attributes}
    See Also
    --------
    ClassMeanSampler : One average row per class.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdistill import KMeansSampler
    >>> X, y = load_iris(return_X_y=True)
    >>> X_small, y_small = KMeansSampler(n_samples=6, random_state=0
    ...                                  ).fit_resample(X, y)
    >>> X_small.shape
    (6, 4)
    """

    _parameter_constraints: dict = {
        **_ClassSampler._parameter_constraints,
        "n_init": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_samples="auto", *, n_init=3, random_state=None):
        self.n_samples = n_samples
        self.n_init = n_init
        self.random_state = random_state

    def _sample_class(self, X_class, n_rows, rng):
        if n_rows == 1:
            return X_class.mean(axis=0, keepdims=True)
        kmeans = KMeans(
            n_clusters=n_rows,
            n_init=self.n_init,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        return kmeans.fit(X_class).cluster_centers_


class ClassMeanSampler(_ClassSampler):
    """Per-class averages: the "average real" baseline.

    One row per class is the class mean. A class that gets ``k > 1`` rows is
    split at random into ``k`` groups of (nearly) equal size, and each group's
    mean is a row.

    Parameters
    ----------
    n_samples : int or "auto", default="auto"
        Rows in the set (``"auto"``: one per class, the class means).

    random_state : int, RandomState instance or None, default=None
        Seeds the split of a class into groups (unused with one row per class).
    {attributes}
    See Also
    --------
    KMeansSampler : Per-class k-means centroids.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdistill import ClassMeanSampler
    >>> X, y = load_iris(return_X_y=True)
    >>> X_small, y_small = ClassMeanSampler().fit_resample(X, y)
    >>> bool((X_small[0] == X[y == 0].mean(axis=0)).all())
    True
    """

    def __init__(self, n_samples="auto", *, random_state=None):
        self.n_samples = n_samples
        self.random_state = random_state

    def _sample_class(self, X_class, n_rows, rng):
        if n_rows == 1:
            return X_class.mean(axis=0, keepdims=True)
        groups = np.array_split(rng.permutation(len(X_class)), n_rows)
        return np.stack([X_class[g].mean(axis=0) for g in groups])


def herding_order(X_class, n_rows):
    """Indices of ``n_rows`` rows of ``X_class`` chosen by herding.

    Each step adds the row (not yet chosen) that brings the mean of the
    chosen rows closest, in Euclidean distance, to the mean of all rows; ties
    go to the first row.
    """
    target = X_class.mean(axis=0)
    total = np.zeros_like(target)
    available = np.ones(len(X_class), dtype=bool)
    chosen = []
    for t in range(1, n_rows + 1):
        # || t * mean - (total + x) ||^2, for every row x.
        gap = ((t * target - total) - X_class) ** 2
        gap = gap.sum(axis=1)
        gap[~available] = np.inf
        i = int(np.argmin(gap))
        chosen.append(i)
        available[i] = False
        total += X_class[i]
    return np.asarray(chosen, dtype=int)


class HerdingSampler(_KeepsRealRows, _ClassSampler):
    """Real rows chosen by herding: the coreset whose mean tracks the class mean.

    For every class, rows are added one at a time, each the real row that
    brings the mean of the rows chosen so far closest to the mean of the
    whole class (Welling 2009; the exemplar selection of iCaRL, Rebuffi et
    al. 2017). Unlike :class:`KMeansSampler` the set is made of real rows,
    and its first rows are the most typical ones: a set of ``k`` rows is the
    start of the set of ``k + 1``. Distances are taken in the units of ``X``;
    standardise the features first when their scales differ. Herding is
    deterministic: it draws no random numbers.

    Parameters
    ----------
    n_samples : int or "auto", default="auto"
        Rows in the set (``"auto"``: one per class, the row nearest the class
        mean), dealt to the classes as evenly as possible, the most frequent
        classes first.
    {attributes}
    sample_indices_ : ndarray of shape (n_resampled,)
        Indices of the chosen rows in the training ``X``, in the order
        herding chose them within each class.

    See Also
    --------
    KMeansSampler : Per-class k-means centroids (synthetic rows).
    RandomRealSampler : Random real rows of every class.

    References
    ----------
    M. Welling. Herding Dynamical Weights to Learn. ICML 2009.

    S.-A. Rebuffi, A. Kolesnikov, G. Sperl, C. H. Lampert. iCaRL: Incremental
    Classifier and Representation Learning. CVPR 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdistill import HerdingSampler
    >>> X, y = load_iris(return_X_y=True)
    >>> X_small, y_small = HerdingSampler(n_samples=6).fit_resample(X, y)
    >>> X_small.shape, y_small.tolist()
    ((6, 4), [0, 0, 1, 1, 2, 2])
    """

    _parameter_constraints: dict = {
        "n_samples": _ClassSampler._parameter_constraints["n_samples"],
    }

    #: Herding draws nothing; the shared fit reads a seed.
    random_state = None

    def __init__(self, n_samples="auto"):
        self.n_samples = n_samples

    def _class_rows(self, X_class, n, rng):
        return herding_order(X_class, n)


for _cls in (
    RandomRealSampler,
    OptimizedRealSampler,
    KMeansSampler,
    ClassMeanSampler,
    HerdingSampler,
):
    _cls.__doc__ = _cls.__doc__.replace("{attributes}", _ATTRIBUTES_DOC)
