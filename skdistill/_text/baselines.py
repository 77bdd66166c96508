"""Baselines of text dataset distillation: small sets of embedded sentences.

Sucholutsky & Schonlau (2019, section 4.3 and Table 3) compare distilled
sentences with sets of the same size built without learning: real sentences at
random, per-class k-means centroids and per-class averages of the embedded
sentences. `TextBaselineSampler` is a class sampler (``_class_sampler.py``)
whose input is texts.
"""

from numbers import Integral

import numpy as np
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions

from .._class_sampler import _ClassSampler
from .embedding import (
    EMBEDDING_CONSTRAINTS,
    check_text_labels,
    embedding_extras,
    fit_embedder,
    text_input_tags,
)


class TextBaselineSampler(_ClassSampler):
    """Small sets of embedded sentences to compare distillation against
    (Sucholutsky & Schonlau 2019, section 4.3 and Table 3).

    ``strategy="random"`` takes real sentences at random, ``"kmeans"`` the
    k-means centroids of each class's embedded sentences, ``"class_mean"`` the
    average embedded sentence of each class. Rows are split evenly over the
    classes (the remainder to the first classes). The result is a
    `DistilledDataset` without a schedule: :class:`TextConvNetClassifier`
    trains on it with Adam, and a k-NN classifier can use its rows directly.

    Parameters
    ----------
    strategy : {"random", "kmeans", "class_mean"}, default="random"
        How the rows are chosen.

    n_sentences : int, default=20
        Rows in all; ``"class_mean"`` always gives one per class.

    sequence_length, embedding, embedding_dim, max_vocabulary
        The embedding, as in :class:`SentenceEmbedder`.

    random_state : int, RandomState instance or None, default=None
        Seeds the embedding, the sampling and k-means.

    Attributes
    ----------
    distilled_ : DistilledDataset
        Rows (flattened ``s x d`` matrices), one-hot labels,
        ``extras["sentences"]`` (the real sentences for ``"random"``, the
        nearest-word decoding otherwise).

    X_resampled_ : ndarray of shape (n_resampled, s * d)
        The rows of the set (``distilled_.X``), grouped by class.

    y_resampled_ : ndarray of shape (n_resampled,)
        Their class labels.

    embedder_ : SentenceEmbedder
        The fitted embedding.

    classes_ : ndarray of shape (n_classes,)

    sampling_strategy_ : dict
        Rows of the set per class label.

    Examples
    --------
    >>> from skdistill import TextBaselineSampler
    >>> texts = ["good film", "fine film", "bad film", "poor film"]
    >>> emb = (["good", "fine", "bad", "poor", "film"],
    ...        [[1, 0], [1, .1], [-1, 0], [-1, .1], [0, 1]])
    >>> base = TextBaselineSampler("class_mean", sequence_length=2,
    ...                            embedding=emb).fit(texts, [1, 1, 0, 0])
    >>> base.distilled_.X_scaled.shape
    (2, 4)
    """

    _parameter_constraints: dict = {
        "strategy": [StrOptions({"random", "kmeans", "class_mean"})],
        "n_sentences": [Interval(Integral, 1, None, closed="left")],
        **EMBEDDING_CONSTRAINTS,
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        strategy="random",
        *,
        n_sentences=20,
        sequence_length=64,
        embedding=None,
        embedding_dim=50,
        max_vocabulary=20000,
        random_state=None,
    ):
        self.strategy = strategy
        self.n_sentences = n_sentences
        self.sequence_length = sequence_length
        self.embedding = embedding
        self.embedding_dim = embedding_dim
        self.max_vocabulary = max_vocabulary
        self.random_state = random_state

    def fit(self, X, y):
        """Choose the rows.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
            Training texts, none empty.
        y : array-like of shape (n_samples,)
            Class labels; at least two classes.

        Returns
        -------
        self : TextBaselineSampler
        """
        return super().fit(X, y)

    def _validate_input(self, X, y):
        return check_text_labels(self, X, y)

    def _rows_per_class(self, class_sizes):
        # Evenly, the remainder to the first classes; never more than a class has.
        n_classes = len(class_sizes)
        if self.strategy == "class_mean":
            return np.ones(n_classes, dtype=int)
        counts = np.full(n_classes, self.n_sentences // n_classes)
        counts[: self.n_sentences % n_classes] += 1
        return np.minimum(counts, class_sizes)

    def _sample_set(self, X, y_index, counts, rng):
        self.embedder_ = fit_embedder(self, X, rng)
        # The sentence of every row, in the order the rows are made: the real
        # texts drawn, or the decoding of the centres (read by `_dataset`).
        self._sentences = []
        return super()._sample_set(X, y_index, counts, rng)

    def _sample_class(self, X_class, n_rows, rng):
        if self.strategy == "random":
            chosen = rng.choice(X_class, size=n_rows, replace=False)
            self._sentences += list(chosen)
            return self.embedder_.transform(chosen)
        E = self.embedder_.transform(X_class)
        if self.strategy == "class_mean":
            centres = E.mean(axis=0, keepdims=True)
        else:
            centres = KMeans(n_rows, n_init=3, random_state=rng).fit(E).cluster_centers_
        self._sentences += list(self.embedder_.decode(centres))
        return centres

    def _dataset(self, X_small, y_small):
        sentences = np.array(self._sentences, dtype=str)
        del self._sentences
        return super()._dataset(
            X_small,
            y_small,
            feature_names=None,
            row_shape=(self.sequence_length, self.embedder_.embedding_dim_),
            provenance={
                "method": f"{type(self).__name__}({self.strategy})",
                "params": {
                    k: v for k, v in self.get_params().items() if k != "embedding"
                },
            },
            extras={"sentences": sentences, **embedding_extras(self.embedder_)},
        )

    def fit_resample(self, X, y):
        """Choose the rows; return their sentences and hard labels.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
        y : array-like of shape (n_samples,)

        Returns
        -------
        sentences : ndarray or list of str of shape (n_resampled,)
            The real sentences (``"random"``) or the nearest-word decoding of
            the rows; a list when ``X`` is one.
        y_resampled : ndarray, Series or list of shape (n_resampled,)
            Their class labels, in the container of ``y``.
        """
        return super().fit_resample(X, y)

    def _resampled_rows(self):
        return self.distilled_.extras["sentences"].copy()

    def __sklearn_tags__(self):
        return text_input_tags(super().__sklearn_tags__())
