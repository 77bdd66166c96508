"""Sentences as matrices: input checks, the word embedding, `SentenceEmbedder`.

Sentences are cut or padded to ``sequence_length`` tokens and embedded with a
fixed word embedding, so every sentence is an ``s x d`` matrix; nearest-word
decoding turns such matrices back into words. No pretrained vectors ship with
the package: the default embedding is learned from the training texts
(truncated SVD of a positive pointwise mutual information co-occurrence
matrix), or the user passes ``(vocabulary, matrix)``.

Also the parameters every text estimator shares (the embedding and the
TextConvNet) and their checks.
"""

from collections import Counter
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._utils import check_local_random_state, class_indices

PAD = "<pad>"

#: The embedding parameters of every text estimator.
EMBEDDING_CONSTRAINTS = {
    "sequence_length": [Interval(Integral, 1, None, closed="left")],
    "embedding": [None, tuple, list],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    "max_vocabulary": [Interval(Integral, 1, None, closed="left")],
}

#: The embedding and TextConvNet parameters of the distiller and the classifier.
NETWORK_CONSTRAINTS = {
    **EMBEDDING_CONSTRAINTS,
    "n_filters": [Interval(Integral, 1, None, closed="left")],
    "kernel_sizes": [tuple, list],
}

# -- input ---------------------------------------------------------------------


def check_texts(X, name="X", allow_empty=False):
    """``X`` as a 1-D object array of str; refuses other shapes and types.

    Raises a ValueError for a 2-D input or no texts, a TypeError for values
    that are not strings, and (unless ``allow_empty``) a ValueError for empty
    or whitespace-only strings.
    """
    if isinstance(X, str):
        raise TypeError(
            f"{name} must be a sequence of strings (one text per sample), not a "
            "single string."
        )
    if hasattr(X, "ndim") and X.ndim == 2 and X.shape[1] == 1:
        X = np.asarray(X)[:, 0]  # one text column of a frame
    X = np.asarray(X, dtype=object)
    if X.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D sequence of strings (one text per sample); got "
            f"an array of shape {X.shape}."
        )
    if X.size == 0:
        raise ValueError(f"{name} holds no texts (0 samples).")
    not_str = [i for i, v in enumerate(X) if not isinstance(v, str)]
    if not_str:
        i = not_str[0]
        raise TypeError(
            f"{name} must hold strings (raw texts); element {i} is "
            f"{type(X[i]).__name__} {X[i]!r}."
        )
    if not allow_empty:
        empty = [i for i, v in enumerate(X) if not v.strip()]
        if empty:
            raise ValueError(
                f"{name} holds {len(empty)} empty text(s) (first at index "
                f"{empty[0]}); remove them before fitting."
            )
    return X


def check_text_labels(estimator, X, y, min_classes=2):
    """Texts and labels: ``(X, classes, y_index)``."""
    X = check_texts(X)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be 1-D with one label per text; got shape {y.shape} for "
            f"{X.shape[0]} texts."
        )
    return (X, *class_indices(estimator, y, min_classes))


def text_analyzer():
    """The tokeniser: scikit-learn's CountVectorizer analyser (lower-cased
    words of two or more characters)."""
    return CountVectorizer().build_analyzer()


# -- the embedding ---------------------------------------------------------------


def ppmi_svd_embedding(
    token_lists, n_components, *, max_vocabulary, min_count, window, random_state
):
    """A word embedding learned from tokenised texts.

    Co-occurrence counts within ``window`` tokens, turned into positive
    pointwise mutual information with context-distribution smoothing (0.75),
    reduced by truncated SVD to ``U * sqrt(S)`` and normalised to unit rows
    (Levy, Goldberg & Dagan 2015, who found this competitive with word2vec and
    GloVe on similarity tasks).

    Returns ``(vocabulary, matrix)``, the words ordered by frequency. With
    ``V <= n_components`` words (a handful of texts) the matrix has ``V - 1``
    columns.
    """
    counts = Counter(t for tokens in token_lists for t in tokens)
    words = [w for w, c in counts.most_common(max_vocabulary) if c >= min_count]
    if len(words) < 2:
        raise ValueError(
            f"The training texts have {len(words)} word(s) seen at least "
            f"min_count={min_count} times; the learned embedding needs two or "
            "more. Lower min_count, or pass embedding=(vocabulary, matrix)."
        )
    # A handful of texts has fewer words than dimensions: the SVD gives at
    # most V - 1 components.
    n_components = min(n_components, len(words) - 1)
    index = {w: i for i, w in enumerate(words)}
    rows, cols = [], []
    for tokens in token_lists:
        ids = np.array([index[t] for t in tokens if t in index], dtype=np.int64)
        for offset in range(1, window + 1):
            if ids.size > offset:
                rows.append(ids[:-offset])
                cols.append(ids[offset:])
    V = len(words)
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    counts_matrix = sp.coo_matrix(
        (np.ones(rows.size), (rows, cols)), shape=(V, V)
    ).tocsr()
    counts_matrix = (counts_matrix + counts_matrix.T).tocoo()
    total = counts_matrix.sum()
    if total == 0:
        raise ValueError(
            "The training texts have no co-occurring words to learn an embedding "
            "from; pass embedding=(vocabulary, matrix)."
        )
    word_sum = np.asarray(counts_matrix.sum(axis=1)).ravel()
    context = word_sum**0.75
    context /= context.sum()
    pmi = np.log(
        counts_matrix.data
        * (1.0 / total)
        / (word_sum[counts_matrix.row] / total * context[counts_matrix.col])
    )
    keep = pmi > 0
    ppmi = sp.csr_matrix(
        (pmi[keep], (counts_matrix.row[keep], counts_matrix.col[keep])), shape=(V, V)
    )
    svd = TruncatedSVD(n_components, algorithm="arpack", random_state=random_state)
    # fit_transform gives U * S; U * sqrt(S) weighs the components less
    # unevenly, which Levy et al. found better for word similarity.
    matrix = svd.fit_transform(ppmi)
    scale = np.sqrt(svd.singular_values_)
    matrix = matrix / np.where(scale > 0, scale, 1.0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms > 0, norms, 1.0)
    return np.array(words, dtype=str), matrix


def check_embedding(embedding):
    """A user's ``(vocabulary, matrix)`` as ``(str array, float64 matrix)``."""
    if not isinstance(embedding, (tuple, list)) or len(embedding) != 2:
        raise ValueError(
            "embedding must be None or a pair (vocabulary, matrix): a sequence of "
            "V distinct words and a (V, d) array of their vectors; got "
            f"{type(embedding).__name__}."
        )
    vocabulary, matrix = embedding
    vocabulary = np.asarray(vocabulary, dtype=object)
    if vocabulary.ndim != 1 or not all(isinstance(w, str) for w in vocabulary):
        raise ValueError("The embedding's vocabulary must be a 1-D sequence of str.")
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != vocabulary.size or matrix.shape[1] < 1:
        raise ValueError(
            "The embedding matrix must have shape (len(vocabulary), d) = "
            f"({vocabulary.size}, d); got {matrix.shape}."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError("The embedding matrix contains NaN or infinity.")
    if len(set(vocabulary)) != vocabulary.size:
        raise ValueError("The embedding's vocabulary has repeated words.")
    if PAD in set(vocabulary):
        raise ValueError(f"The embedding's vocabulary must not contain {PAD!r}.")
    return vocabulary.astype(str), matrix


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Embed texts as fixed-size ``sequence_length x d`` matrices, flattened.

    Each text is tokenised with scikit-learn's CountVectorizer analyser; words
    outside the vocabulary are dropped, the first ``sequence_length`` known
    words are kept, and shorter texts are padded with a zero vector. Every text
    becomes one row of ``sequence_length * d`` features (the matrix, row-major).

    Read more in the :ref:`User Guide <text_distillation>`.

    Parameters
    ----------
    sequence_length : int, default=64
        Tokens per text (``s``).

    embedding : None or (vocabulary, matrix), default=None
        The word vectors: ``V`` distinct words and a ``(V, d)`` array. None
        learns them from the texts given to `fit` (truncated SVD of a PPMI
        co-occurrence matrix, unit-length rows).

    embedding_dim : int, default=50
        ``d`` of the learned embedding (ignored with ``embedding`` given). The
        texts of a small corpus may have only ``V <= embedding_dim`` words
        seen ``min_count`` times; the embedding then has ``V - 1``
        dimensions (see ``embedding_dim_``).

    max_vocabulary : int, default=20000
        Most frequent words kept by the learned embedding.

    min_count : int, default=2
        Words seen fewer times are left out of the learned embedding.

    window : int, default=5
        Co-occurrence window (tokens on each side) of the learned embedding.

    random_state : int, RandomState instance or None, default=None
        Seeds the truncated SVD.

    Attributes
    ----------
    vocabulary_ : ndarray of str of shape (V,)
        The words, in the order of the rows of ``embedding_matrix_``.

    embedding_matrix_ : ndarray of shape (V, d)
        Their vectors.

    embedding_dim_ : int
        ``d``.

    Examples
    --------
    >>> from skdistill import SentenceEmbedder
    >>> vocabulary = ["good", "bad", "film"]
    >>> matrix = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]
    >>> emb = SentenceEmbedder(sequence_length=3,
    ...                        embedding=(vocabulary, matrix)).fit(["good film"])
    >>> emb.transform(["a good film", "bad"]).shape
    (2, 6)
    >>> emb.decode(emb.transform(["bad film"])).tolist()
    ['bad film']
    """

    _parameter_constraints: dict = {
        **EMBEDDING_CONSTRAINTS,
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        sequence_length=64,
        *,
        embedding=None,
        embedding_dim=50,
        max_vocabulary=20000,
        min_count=2,
        window=5,
        random_state=None,
    ):
        self.sequence_length = sequence_length
        self.embedding = embedding
        self.embedding_dim = embedding_dim
        self.max_vocabulary = max_vocabulary
        self.min_count = min_count
        self.window = window
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn (or take) the word vectors.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
            Training texts.
        y : None
            Ignored.

        Returns
        -------
        self : SentenceEmbedder
        """
        X = check_texts(X)
        if self.embedding is not None:
            vocabulary, matrix = check_embedding(self.embedding)
        else:
            analyzer = text_analyzer()
            vocabulary, matrix = ppmi_svd_embedding(
                [analyzer(t) for t in X],
                self.embedding_dim,
                max_vocabulary=self.max_vocabulary,
                min_count=self.min_count,
                window=self.window,
                random_state=check_local_random_state(self.random_state),
            )
        self._set_embedding(vocabulary, matrix)
        return self

    def _set_embedding(self, vocabulary, matrix):
        self.vocabulary_ = np.asarray(vocabulary, dtype=str)
        self.embedding_matrix_ = np.asarray(matrix, dtype=np.float64)
        self.embedding_dim_ = self.embedding_matrix_.shape[1]
        self.n_features_out_ = self.sequence_length * self.embedding_dim_
        self._index = {w: i + 1 for i, w in enumerate(self.vocabulary_)}
        # Row 0 is the padding vector.
        self._table = np.vstack(
            [np.zeros((1, self.embedding_dim_)), self.embedding_matrix_]
        )
        return self

    def token_ids(self, X):
        """``(n_samples, sequence_length)`` indices into the vocabulary, 1-based
        (0 is padding)."""
        check_is_fitted(self)
        X = check_texts(X, allow_empty=True)
        analyzer = text_analyzer()
        ids = np.zeros((X.size, self.sequence_length), dtype=np.int64)
        for row, text in enumerate(X):
            known = [self._index[t] for t in analyzer(text) if t in self._index]
            known = known[: self.sequence_length]
            ids[row, : len(known)] = known
        return ids

    def transform(self, X):
        """Embed texts.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
            Texts; empty ones and ones without a known word embed as padding.

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, sequence_length * d)
        """
        ids = self.token_ids(X)
        return self._table[ids].reshape(ids.shape[0], -1)

    def decode(self, X_embedded):
        """Nearest-word decoding: each position becomes the vocabulary word of
        nearest vector (Euclidean); positions nearest the padding vector are
        dropped.

        Parameters
        ----------
        X_embedded : array-like of shape (n_rows, sequence_length * d)

        Returns
        -------
        sentences : ndarray of str of shape (n_rows,)
        """
        check_is_fitted(self)
        X_embedded = np.asarray(X_embedded, dtype=np.float64)
        if X_embedded.ndim != 2 or X_embedded.shape[1] != self.n_features_out_:
            raise ValueError(
                f"decode expects rows of sequence_length * d = "
                f"{self.n_features_out_} values; got shape {X_embedded.shape}."
            )
        vectors = X_embedded.reshape(-1, self.embedding_dim_)
        table = self._table
        distances = (
            (vectors**2).sum(1)[:, None]
            - 2.0 * vectors @ table.T
            + (table**2).sum(1)[None, :]
        )
        nearest = np.argmin(distances, axis=1).reshape(-1, self.sequence_length)
        words = np.concatenate([[PAD], self.vocabulary_])
        return np.array(
            [" ".join(words[i] for i in row if i != 0) for row in nearest], dtype=str
        )

    def __sklearn_tags__(self):
        return text_input_tags(super().__sklearn_tags__())


def embedding_extras(embedder):
    return {
        "vocabulary": embedder.vocabulary_,
        "embedding_matrix": embedder.embedding_matrix_,
    }


def embedder_of(dataset):
    """The SentenceEmbedder a text DistilledDataset was made in."""
    if "vocabulary" not in dataset.extras or len(dataset.row_shape) != 2:
        raise ValueError(
            "This DistilledDataset was not made from texts (it has no "
            "vocabulary and no (s, d) row_shape); use DistilledMLPClassifier for "
            "tabular data."
        )
    s, _ = dataset.row_shape
    embedder = SentenceEmbedder(sequence_length=int(s))
    return embedder._set_embedding(
        dataset.extras["vocabulary"], dataset.extras["embedding_matrix"]
    )


def check_kernel_sizes(kernel_sizes, sequence_length):
    if (
        not isinstance(kernel_sizes, (tuple, list))
        or not kernel_sizes
        or not all(
            isinstance(k, Integral) and not isinstance(k, bool) and k >= 1
            for k in kernel_sizes
        )
    ):
        raise ValueError(
            "kernel_sizes must be a non-empty tuple of positive ints, e.g. (3, 4, "
            f"5); got {kernel_sizes!r}."
        )
    if max(kernel_sizes) > sequence_length:
        raise ValueError(
            f"The largest kernel size ({max(kernel_sizes)}) exceeds "
            f"sequence_length={sequence_length}."
        )
    return tuple(int(k) for k in kernel_sizes)


def fit_embedder(estimator, X, rng):
    """The `SentenceEmbedder` of a text estimator's parameters, fitted on the
    texts ``X`` (its randomness drawn from ``rng``)."""
    return SentenceEmbedder(
        estimator.sequence_length,
        embedding=estimator.embedding,
        embedding_dim=estimator.embedding_dim,
        max_vocabulary=estimator.max_vocabulary,
        random_state=rng,
    ).fit(X)


def text_input_tags(tags):
    """``tags`` of an estimator whose input is texts (a 1-D sequence of str)."""
    tags.input_tags.string = True
    tags.input_tags.two_d_array = False
    return tags
