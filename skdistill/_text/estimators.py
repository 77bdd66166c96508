"""Text dataset distillation (TDD; Sucholutsky & Schonlau 2019, Algorithm 1b).

Sentences are cut or padded to ``sequence_length`` tokens and embedded with a
fixed word embedding, so every sentence is an ``s x d`` matrix. Distilled
sentences are learned directly as such matrices, with soft labels and a learned
learning rate per step, by differentiating through unrolled gradient-descent
steps of a TextConvNet (a shallow, wide CNN with max-over-time pooling). The
hand-written reverse pass of the tabular core is for MLPs only; the text
networks use torch autograd (``create_graph=True`` through the unrolled steps).
Nearest-word decoding turns the learned matrices back into words.

No pretrained vectors ship with the package: the default embedding is learned
from the training texts (truncated SVD of a positive pointwise mutual
information co-occurrence matrix), or the user passes ``(vocabulary, matrix)``.
"""

import math
from collections import Counter
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._base import TorchEstimatorBase, initial_rows, run_iterations
from .._data.dataset import DistilledDataset, distilled_dataset_of
from .._engine.optim import Adam
from .._engine.unroll import project_rows_to_simplex
from .._utils import check_local_random_state, class_indices, to_numpy
from .._version import __version__

PAD = "<pad>"
_DTYPE = torch.float32
# Texts per class that the k-means starting sentences are computed from.
_INIT_SAMPLE = 2000


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
        "sequence_length": [Interval(Integral, 1, None, closed="left")],
        "embedding": [None, tuple, list],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "max_vocabulary": [Interval(Integral, 1, None, closed="left")],
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
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# -- the network -----------------------------------------------------------------


def init_text_convnet(embedding_dim, n_classes, n_filters, kernel_sizes, generator):
    """Xavier-uniform weights and zero biases of a TextConvNet.

    Returns a flat list ``[W_1, b_1, ..., W_k, b_k, W_out, b_out]``: one
    ``(n_filters, embedding_dim, k)`` convolution per kernel size, then the
    ``(n_classes, n_filters * len(kernel_sizes))`` output layer.
    """
    params = []
    for k in kernel_sizes:
        bound = math.sqrt(6.0 / (embedding_dim * k + n_filters * k))
        W = torch.rand((n_filters, embedding_dim, k), generator=generator, dtype=_DTYPE)
        params += [(2 * W - 1) * bound, torch.zeros(n_filters, dtype=_DTYPE)]
    n_hidden = n_filters * len(kernel_sizes)
    bound = math.sqrt(6.0 / (n_hidden + n_classes))
    W = torch.rand((n_classes, n_hidden), generator=generator, dtype=_DTYPE)
    params += [(2 * W - 1) * bound, torch.zeros(n_classes, dtype=_DTYPE)]
    return params


def text_convnet_forward(params, X):
    """Logits of a TextConvNet for sentences ``X`` of shape ``(n, s, d)``.

    Each kernel size is a 1-D convolution over the positions with ReLU and
    max-over-time pooling (Kim 2014); the pooled features feed a linear layer.
    """
    x = X.transpose(1, 2)  # (n, d, s): the embedding is the channel axis
    pooled = [
        F.relu(F.conv1d(x, W, b)).amax(dim=2)
        for W, b in zip(params[0:-2:2], params[1:-2:2])
    ]
    return F.linear(torch.cat(pooled, dim=1), params[-2], params[-1])


def soft_cross_entropy(logits, Y):
    """Mean cross-entropy against soft labels ``Y`` (rows of probabilities)."""
    return -(Y * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def unrolled_text_loss(params0, syn_X, syn_Y, lrs, X_real, y_real):
    """Cross-entropy on real sentences after training on distilled ones.

    ``params0`` are trained by plain gradient descent, step ``k`` on
    ``(syn_X[k mod n_steps], syn_Y[k mod n_steps])`` at rate ``lrs[k]``; the
    graph of every step is kept (``create_graph=True``), so the returned loss
    can be differentiated with respect to ``syn_X``, ``syn_Y`` and ``lrs``.
    """
    params = [p if p.requires_grad else p.detach().requires_grad_() for p in params0]
    n_steps = syn_X.shape[0]
    for k in range(lrs.shape[0]):
        step = k % n_steps
        loss = soft_cross_entropy(
            text_convnet_forward(params, syn_X[step]), syn_Y[step]
        )
        grads = torch.autograd.grad(loss, params, create_graph=True)
        params = [p - lrs[k] * g for p, g in zip(params, grads)]
    return F.cross_entropy(text_convnet_forward(params, X_real), y_real)


def replay_text(params, batches, lrs):
    """Train ``params`` by gradient descent on ``[(X, Y), ...]`` at ``lrs``."""
    params = [p.detach().clone().requires_grad_() for p in params]
    for (X, Y), lr in zip(batches, lrs):
        loss = soft_cross_entropy(text_convnet_forward(params, X), Y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)
    return [p.detach() for p in params]


def _embedding_extras(embedder):
    return {
        "vocabulary": embedder.vocabulary_,
        "embedding_matrix": embedder.embedding_matrix_,
    }


def _embedder_of(dataset):
    """The SentenceEmbedder a text DistilledDataset was made in."""
    if "vocabulary" not in dataset.extras or "row_shape" not in dataset.provenance:
        raise ValueError(
            "This DistilledDataset was not made from texts (it has no "
            "vocabulary/row_shape); use DistilledMLPClassifier for tabular data."
        )
    s, _ = dataset.provenance["row_shape"]
    embedder = SentenceEmbedder(sequence_length=int(s))
    return embedder._set_embedding(
        dataset.extras["vocabulary"], dataset.extras["embedding_matrix"]
    )


_NETWORK_CONSTRAINTS = {
    "sequence_length": [Interval(Integral, 1, None, closed="left")],
    "embedding": [None, tuple, list],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    "max_vocabulary": [Interval(Integral, 1, None, closed="left")],
    "n_filters": [Interval(Integral, 1, None, closed="left")],
    "kernel_sizes": [tuple, list],
}


def _check_kernel_sizes(kernel_sizes, sequence_length):
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


# -- the distiller ---------------------------------------------------------------


class TextDatasetDistiller(TorchEstimatorBase):
    """Distill labelled texts into a few sentences in embedding space (TDD).

    The distilled set is ``n_steps`` batches of ``sentences_per_step``
    matrices of shape ``sequence_length x d``, each with a soft label, and one
    learned learning rate per training step (``n_steps * n_epochs`` steps).
    Each outer iteration draws ``n_models`` TextConvNets (Xavier
    initialisation, or the same ones every time with ``fixed_init=True``),
    trains them on the distilled sentences by unrolled gradient descent,
    measures their cross-entropy on a minibatch of real embedded texts and
    moves the distilled sentences, soft labels and learning rates down its
    gradient (Sucholutsky & Schonlau 2019, Algorithm 1b). The gradient is
    computed by torch autograd through the unrolled steps. By default the
    distilled sentences start at the k-means centroids of each class's
    embedded texts (``init="noise"`` is the paper's method).

    Read more in the :ref:`User Guide <text_distillation>`.

    Parameters
    ----------
    n_steps : int, default=10
        Distinct distilled batches per epoch.

    n_epochs : int, default=3
        Epochs over those batches.

    sentences_per_step : "auto" or int, default="auto"
        Distilled sentences per step; ``"auto"`` is one per class. Classes are
        dealt round-robin over all the distilled sentences.

    sequence_length : int, default=64
        Tokens per sentence (``s``).

    embedding : None or (vocabulary, matrix), default=None
        Word vectors, see :class:`SentenceEmbedder`; None learns them from the
        training texts.

    embedding_dim : int, default=50
        ``d`` of the learned embedding.

    max_vocabulary : int, default=20000
        Words kept by the learned embedding; also the candidates of decoding.

    n_filters : int, default=32
        Filters per kernel size of the TextConvNet.

    kernel_sizes : tuple of int, default=(3, 4, 5)
        Convolution widths of the TextConvNet.

    n_models : int, default=2
        Networks trained per outer iteration.

    soft_labels : bool, default=True
        Learn the labels (kept on the probability simplex); False keeps them
        one-hot.

    learn_lr : bool, default=True
        Learn one learning rate per step (as ``exp(log_lr)``).

    lr_init : float, default=0.05
        Initial learning rate of every step.

    max_iter : int, default=200
        Outer iterations. From the k-means start (``init="kmeans"``), 200
        reach the accuracy targets of the user guide on Rotten Tomatoes and
        IMDB; more is not always better (300 fell below them on IMDB, with a
        large spread between networks). The fit costs in proportion.

    batch_size : int, default=128
        Real texts per outer iteration.

    learning_rate : float, default=0.01
        Step size of the outer optimiser (Adam).

    fixed_init : bool, default=False
        Draw the networks' initialisations once and reuse them (fixed
        initialisation); they are stored in the dataset's ``fixed_init``.

    init : {"noise", "real", "kmeans"}, default="kmeans"
        Starting distilled sentences: Gaussian noise at the spread of the word
        vectors (the paper's), embedded real texts of their class drawn at
        random, or the k-means centroids of the class's embedded texts (of at
        most 2000 of them, drawn at random), as in :class:`DatasetDistiller`.
        The centroids carry the padding and the sentiment words of real
        sentences from the first iteration, and reach the accuracy targets of
        the user guide in fewer outer iterations than noise.

    resample_labels : {"hard", "soft"}, default="hard"
        What `fit_resample` returns as labels.

    n_threads : int or None, default=1
        Torch threads during `fit`; None keeps torch's setting.

    random_state : int, RandomState instance or None, default=None
        Seeds the embedding, the distilled sentences, the networks and the
        minibatches.

    verbose : int, default=0
        Print progress.

    Attributes
    ----------
    distilled_ : DistilledDataset
        The distilled set: each row a flattened ``s x d`` matrix;
        ``provenance["row_shape"] == [s, d]``; ``extras`` holds the decoded
        ``"sentences"``, the ``"vocabulary"`` and the ``"embedding_matrix"``.

    embedder_ : SentenceEmbedder
        The fitted embedding.

    distilled_sentences_ : ndarray of str of shape (n_distilled,)
        Nearest-word decoding of the distilled matrices.

    lr_schedule_ : ndarray of shape (n_steps * n_epochs,)
        The learned learning rates.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    loss_curve_ : list of float
        Outer objective at every iteration.

    n_iter_ : int
        Outer iterations run.

    See Also
    --------
    TextConvNetClassifier : Trains a TextConvNet on the distilled sentences.
    DatasetDistiller : The same method for tabular data.

    References
    ----------
    I. Sucholutsky, M. Schonlau. Soft-Label Dataset Distillation and Text
    Dataset Distillation. 2019.

    Examples
    --------
    >>> from skdistill import TextDatasetDistiller
    >>> texts = ["a good fine film", "good and fine", "a bad poor film",
    ...          "bad and poor"] * 10
    >>> labels = ["pos", "pos", "neg", "neg"] * 10
    >>> emb = (["good", "fine", "bad", "poor", "film", "and"],
    ...        [[1, 0], [1, .1], [-1, 0], [-1, .1], [0, 1], [0, -1]])
    >>> tdd = TextDatasetDistiller(n_steps=2, n_epochs=1, sequence_length=4,
    ...     embedding=emb, n_filters=4, kernel_sizes=(2,), max_iter=5,
    ...     random_state=0).fit(texts, labels)
    >>> tdd.distilled_.X_scaled.shape, tdd.distilled_.provenance["row_shape"]
    ((4, 8), [4, 2])
    >>> tdd.decode().shape
    (4,)
    """

    _parameter_constraints: dict = {
        **_NETWORK_CONSTRAINTS,
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "sentences_per_step": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "n_models": [Interval(Integral, 1, None, closed="left")],
        "soft_labels": ["boolean"],
        "learn_lr": ["boolean"],
        "lr_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "fixed_init": ["boolean"],
        "init": [StrOptions({"noise", "real", "kmeans"})],
        "resample_labels": [StrOptions({"hard", "soft"})],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_steps=10,
        n_epochs=3,
        sentences_per_step="auto",
        sequence_length=64,
        embedding=None,
        embedding_dim=50,
        max_vocabulary=20000,
        n_filters=32,
        kernel_sizes=(3, 4, 5),
        n_models=2,
        soft_labels=True,
        learn_lr=True,
        lr_init=0.05,
        max_iter=200,
        batch_size=128,
        learning_rate=0.01,
        fixed_init=False,
        init="kmeans",
        resample_labels="hard",
        n_threads=1,
        random_state=None,
        verbose=0,
    ):
        self.n_steps = n_steps
        self.n_epochs = n_epochs
        self.sentences_per_step = sentences_per_step
        self.sequence_length = sequence_length
        self.embedding = embedding
        self.embedding_dim = embedding_dim
        self.max_vocabulary = max_vocabulary
        self.n_filters = n_filters
        self.kernel_sizes = kernel_sizes
        self.n_models = n_models
        self.soft_labels = soft_labels
        self.learn_lr = learn_lr
        self.lr_init = lr_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.fixed_init = fixed_init
        self.init = init
        self.resample_labels = resample_labels
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Distill texts ``X`` with labels ``y``.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
            Training texts, none empty.
        y : array-like of shape (n_samples,)
            Class labels; at least two classes.

        Returns
        -------
        self : TextDatasetDistiller
        """
        with self._fitting():
            X, self.classes_, y_index = check_text_labels(self, X, y)
            kernel_sizes = _check_kernel_sizes(self.kernel_sizes, self.sequence_length)
            rng, generator = self._random_streams()
            self.embedder_ = SentenceEmbedder(
                self.sequence_length,
                embedding=self.embedding,
                embedding_dim=self.embedding_dim,
                max_vocabulary=self.max_vocabulary,
                random_state=rng,
            ).fit(X)
            self._distill(X, y_index, kernel_sizes, rng, generator)
        return self

    def _distill(self, X, y_index, kernel_sizes, rng, generator):
        s, d = self.sequence_length, self.embedder_.embedding_dim_
        n_classes = len(self.classes_)
        per_step = (
            n_classes if self.sentences_per_step == "auto" else self.sentences_per_step
        )
        n_total = self.n_steps * self.n_epochs
        # Texts are embedded once; lookups of a (n, s) id table are cheap.
        ids = torch.as_tensor(self.embedder_.token_ids(X))
        table = torch.as_tensor(self.embedder_._table, dtype=_DTYPE)
        labels = torch.as_tensor(y_index, dtype=torch.int64)

        row_class = torch.arange(self.n_steps * per_step) % n_classes
        if self.init == "noise":
            # Distilled words start at the spread of real word vectors.
            spread = float(self.embedder_.embedding_matrix_.std())
            syn_X = spread * torch.randn(
                (self.n_steps, per_step, s, d), generator=generator, dtype=_DTYPE
            )
        else:
            syn_X = self._initial_sentences(ids, y_index, row_class, rng)
            syn_X = syn_X.reshape(self.n_steps, per_step, s, d)
        syn_Y = F.one_hot(row_class, n_classes).to(_DTYPE)
        syn_Y = syn_Y.reshape(self.n_steps, per_step, n_classes)
        log_lr = torch.full((n_total,), math.log(self.lr_init), dtype=_DTYPE)
        learned = [syn_X]
        if self.soft_labels:
            learned.append(syn_Y)
        if self.learn_lr:
            learned.append(log_lr)
        optimizer = Adam(learned, learning_rate=self.learning_rate)

        def sample_inits():
            return [
                init_text_convnet(d, n_classes, self.n_filters, kernel_sizes, generator)
                for _ in range(self.n_models)
            ]

        fixed_inits = sample_inits() if self.fixed_init else None
        n_samples = ids.shape[0]
        batch_size = min(self.batch_size, n_samples)
        visit = {"order": rng.permutation(n_samples), "cursor": 0}

        def outer_iteration(_):
            if visit["cursor"] + batch_size > n_samples:
                visit["order"], visit["cursor"] = rng.permutation(n_samples), 0
            batch = torch.as_tensor(
                visit["order"][visit["cursor"] : visit["cursor"] + batch_size]
            )
            visit["cursor"] += batch_size
            X_real, y_real = table[ids[batch]], labels[batch]
            for tensor in learned:
                tensor.requires_grad_(True)
            inits = fixed_inits if self.fixed_init else sample_inits()
            total = 0.0
            grads = [torch.zeros_like(t) for t in learned]
            for params in inits:
                # One graph per network keeps only one unroll in memory.
                loss = unrolled_text_loss(
                    params, syn_X, syn_Y, log_lr.exp(), X_real, y_real
                ) / len(inits)
                for acc, g in zip(grads, torch.autograd.grad(loss, learned)):
                    acc += g
                total += loss.item()
            for tensor in learned:
                tensor.requires_grad_(False)
            if not all(torch.isfinite(g).all() for g in grads):
                return float("nan")
            optimizer.step(grads)
            if self.soft_labels:
                syn_Y.copy_(project_rows_to_simplex(syn_Y))
            return total

        self.n_iter_ = run_iterations(
            self,
            self.max_iter,
            outer_iteration,
            advice="Lower lr_init (the internal learning rates) or learning_rate "
            "(the outer step size).",
        )
        rows = to_numpy(syn_X).reshape(self.n_steps * per_step, s * d)
        self.distilled_sentences_ = self.embedder_.decode(rows)
        self.distilled_ = DistilledDataset(
            rows,
            to_numpy(syn_Y).reshape(-1, n_classes),
            self.classes_,
            step=np.repeat(np.arange(self.n_steps), per_step),
            lr_schedule=to_numpy(log_lr.exp()),
            lr_init=self.lr_init,
            fixed_init=[[to_numpy(p) for p in params] for params in fixed_inits]
            if self.fixed_init
            else None,
            provenance={
                "method": type(self).__name__,
                "params": {
                    k: v
                    for k, v in self.get_params().items()
                    if k not in ("embedding", "random_state")
                },
                "row_shape": [s, d],
                "embedding": "user-given"
                if self.embedding is not None
                else f"PPMI + truncated SVD of the training texts, d={d}",
                "network": {
                    "name": "TextConvNet",
                    "n_filters": self.n_filters,
                    "kernel_sizes": list(kernel_sizes),
                },
                "n_iter": self.n_iter_,
                "skdistill_version": __version__,
            },
            extras={
                "sentences": self.distilled_sentences_,
                **_embedding_extras(self.embedder_),
            },
        )
        self.lr_schedule_ = self.distilled_.lr_schedule

    def _initial_sentences(self, ids, y_index, row_class, rng):
        """Starting sentences from real ones: embedded texts of each row's
        class, or their k-means centroids (on at most ``_INIT_SAMPLE`` texts of
        a class, drawn at random)."""
        subset = np.concatenate(
            [
                rng.permutation(np.flatnonzero(y_index == c))[:_INIT_SAMPLE]
                for c in range(len(self.classes_))
            ]
        )
        rows = self.embedder_._table[ids.numpy()[subset]]
        rows = initial_rows(
            self.init,
            rows.reshape(subset.size, -1),
            y_index[subset],
            to_numpy(row_class),
            rng,
        )
        return torch.as_tensor(rows, dtype=_DTYPE)

    def decode(self):
        """The nearest-word sentences of the distilled matrices.

        Returns
        -------
        sentences : ndarray of str of shape (n_distilled,)
        """
        check_is_fitted(self)
        return self.embedder_.decode(self.distilled_.X_scaled)

    def fit_resample(self, X, y):
        """Distill and return the decoded sentences with their labels.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
        y : array-like of shape (n_samples,)

        Returns
        -------
        sentences : ndarray of str of shape (n_distilled,)
            Nearest-word decoding (the distilled set itself, in embedding
            space, is ``distilled_``).
        y_resampled : ndarray
            Hard labels, or the soft-label matrix with
            ``resample_labels="soft"``.
        """
        self.fit(X, y)
        if self.resample_labels == "soft":
            return self.distilled_sentences_.copy(), self.distilled_.y.copy()
        return self.distilled_sentences_.copy(), self.distilled_.hard_labels

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# -- baselines -------------------------------------------------------------------


class TextBaselineSampler(BaseEstimator):
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

    embedder_ : SentenceEmbedder
        The fitted embedding.

    classes_ : ndarray of shape (n_classes,)

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
        "sequence_length": [Interval(Integral, 1, None, closed="left")],
        "embedding": [None, tuple, list],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "max_vocabulary": [Interval(Integral, 1, None, closed="left")],
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Choose the rows.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : TextBaselineSampler
        """
        X, self.classes_, y_index = check_text_labels(self, X, y)
        rng = check_local_random_state(self.random_state)
        self.embedder_ = SentenceEmbedder(
            self.sequence_length,
            embedding=self.embedding,
            embedding_dim=self.embedding_dim,
            max_vocabulary=self.max_vocabulary,
            random_state=rng,
        ).fit(X)
        n_classes = len(self.classes_)
        if self.strategy == "class_mean":
            counts = np.ones(n_classes, dtype=int)
        else:
            counts = np.full(n_classes, self.n_sentences // n_classes)
            counts[: self.n_sentences % n_classes] += 1
        rows, row_class, sentences = [], [], []
        for c, n_rows in enumerate(counts):
            if n_rows == 0:
                continue
            members = np.flatnonzero(y_index == c)
            if self.strategy == "random":
                pick = rng.choice(
                    members, size=min(n_rows, members.size), replace=False
                )
                rows.append(self.embedder_.transform(X[pick]))
                sentences += list(X[pick])
            else:
                E = self.embedder_.transform(X[members])
                if self.strategy == "class_mean":
                    centres = E.mean(axis=0, keepdims=True)
                else:
                    k = min(n_rows, members.size)
                    centres = (
                        KMeans(k, n_init=3, random_state=rng).fit(E).cluster_centers_
                    )
                rows.append(centres)
                sentences += list(self.embedder_.decode(centres))
            row_class += [c] * rows[-1].shape[0]
        rows = np.vstack(rows)
        self.distilled_ = DistilledDataset(
            rows,
            np.eye(n_classes)[row_class],
            self.classes_,
            provenance={
                "method": f"{type(self).__name__}({self.strategy})",
                "row_shape": [self.sequence_length, self.embedder_.embedding_dim_],
            },
            extras={
                "sentences": np.array(sentences, dtype=str),
                **_embedding_extras(self.embedder_),
            },
        )
        return self

    def fit_resample(self, X, y):
        """Choose the rows; return their sentences and hard labels."""
        self.fit(X, y)
        return self.distilled_.extras["sentences"].copy(), self.distilled_.hard_labels

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# -- the classifier --------------------------------------------------------------


def text_dataset_of(source):
    """The text `DistilledDataset` a ``distiller`` parameter stands for."""
    return distilled_dataset_of(
        source,
        accepted="a DistilledDataset made from texts, or a TextDatasetDistiller / "
        "TextBaselineSampler (fitted, or to be fitted on X, y)",
    )


class TextConvNetClassifier(ClassifierMixin, TorchEstimatorBase):
    """A TextConvNet text classifier: trained on real texts or on a distilled set.

    * **real texts** (``distiller=None``): learns (or takes) the embedding
      from ``X`` and trains the network with minibatch Adam for ``max_iter``
      epochs.
    * **distilled data** (``distiller`` given): replays the distilled steps
      with their learned learning rates (the run the data was distilled for),
      from a fresh Xavier initialisation -- or from the stored one with
      ``init="fixed"``. A set without a schedule (a baseline) is trained with
      full-batch Adam for ``max_iter`` iterations. A distiller is cloned and
      fitted on ``X, y`` in `fit` (as :class:`DistilledMLPClassifier` does, so
      the classifier and its clone fit alike in a grid search); a
      ``FrozenEstimator`` of a fitted distiller, or a `DistilledDataset`, is
      used as is and ``X, y`` may be omitted.

    Predictions take raw strings.

    Read more in the :ref:`User Guide <text_distillation>`.

    Parameters
    ----------
    distiller : None, DistilledDataset, TextDatasetDistiller, \
            TextBaselineSampler or FrozenEstimator, default=None
        Where the training set comes from. ``None`` trains on the texts. A
        :class:`TextDatasetDistiller` or :class:`TextBaselineSampler` is
        cloned and fitted on ``(X, y)`` (fitted or not; its parameters can be
        searched as ``distiller__<name>``). A
        :class:`~sklearn.frozen.FrozenEstimator` of a fitted one, or a
        `DistilledDataset`, is used as is; ``X, y``, when given, must then
        have labels the set knows.

    init : {"random", "fixed"}, default="random"
        With a distilled set made with ``fixed_init=True``, ``"fixed"`` starts
        from its first stored initialisation.

    sequence_length, embedding, embedding_dim, max_vocabulary, n_filters, \
            kernel_sizes
        Embedding and network (real texts only; a distilled set brings its
        own).

    max_iter : int, default=10
        Epochs on real texts, or Adam iterations on a set without a schedule.

    batch_size : int, default=64
        Minibatch size on real texts.

    learning_rate : float, default=0.001
        Adam step size.

    n_threads : int or None, default=1
        Torch threads during `fit`.

    random_state : int, RandomState instance or None, default=None
        Seeds the embedding, the initialisation and the minibatches.

    verbose : int, default=0
        Print progress.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    embedder_ : SentenceEmbedder
    params_ : list of ndarray
        The network's weights and biases (see `init_text_convnet`).
    distiller_ : estimator, DistilledDataset or None
        The fitted distiller (a clone of ``distiller``), the frozen one, or
        the dataset; None on real texts.
    dataset_ : DistilledDataset or None
        The distilled set trained on.
    loss_curve_ : list of float
    n_iter_ : int

    Examples
    --------
    >>> from skdistill import TextConvNetClassifier
    >>> texts = ["a good fine film", "good and fine", "a bad poor film",
    ...          "bad and poor"] * 10
    >>> labels = ["pos", "pos", "neg", "neg"] * 10
    >>> emb = (["good", "fine", "bad", "poor", "film", "and"],
    ...        [[1, 0], [1, .1], [-1, 0], [-1, .1], [0, 1], [0, -1]])
    >>> clf = TextConvNetClassifier(sequence_length=4, embedding=emb,
    ...     n_filters=4, kernel_sizes=(2,), max_iter=30, learning_rate=0.05,
    ...     random_state=0).fit(texts, labels)
    >>> clf.predict(["good good film", "poor bad film"]).tolist()
    ['pos', 'neg']
    """

    _parameter_constraints: dict = {
        **_NETWORK_CONSTRAINTS,
        "distiller": [None, DistilledDataset, BaseEstimator],
        "init": [StrOptions({"random", "fixed"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        distiller=None,
        *,
        init="random",
        sequence_length=64,
        embedding=None,
        embedding_dim=50,
        max_vocabulary=20000,
        n_filters=32,
        kernel_sizes=(3, 4, 5),
        max_iter=10,
        batch_size=64,
        learning_rate=0.001,
        n_threads=1,
        random_state=None,
        verbose=0,
    ):
        self.distiller = distiller
        self.init = init
        self.sequence_length = sequence_length
        self.embedding = embedding
        self.embedding_dim = embedding_dim
        self.max_vocabulary = max_vocabulary
        self.n_filters = n_filters
        self.kernel_sizes = kernel_sizes
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X=None, y=None):
        """Train the network on texts ``(X, y)`` or on the distilled set.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,), default=None
            Training texts (optional with a DistilledDataset or a
            FrozenEstimator of a fitted distiller).
        y : array-like of shape (n_samples,), default=None
            Class labels.

        Returns
        -------
        self : TextConvNetClassifier
        """
        with self._fitting():
            rng, generator = self._random_streams()
            if self.distiller is None:
                if X is None or y is None:
                    raise ValueError(
                        "TextConvNetClassifier needs texts X and labels y to fit "
                        "without a distiller."
                    )
                self._fit_texts(X, y, rng, generator)
            else:
                self._fit_distilled(X, y, rng, generator)
        return self

    def _network(self, n_classes, generator, kernel_sizes, n_filters):
        return init_text_convnet(
            self.embedder_.embedding_dim_,
            n_classes,
            n_filters,
            kernel_sizes,
            generator,
        )

    def _fit_texts(self, X, y, rng, generator):
        X, self.classes_, y_index = check_text_labels(self, X, y)
        kernel_sizes = _check_kernel_sizes(self.kernel_sizes, self.sequence_length)
        self.distiller_ = self.dataset_ = None
        self.embedder_ = SentenceEmbedder(
            self.sequence_length,
            embedding=self.embedding,
            embedding_dim=self.embedding_dim,
            max_vocabulary=self.max_vocabulary,
            random_state=rng,
        ).fit(X)
        ids = torch.as_tensor(self.embedder_.token_ids(X))
        table = torch.as_tensor(self.embedder_._table, dtype=_DTYPE)
        labels = torch.as_tensor(y_index)
        params = self._network(
            len(self.classes_), generator, kernel_sizes, self.n_filters
        )
        for p in params:
            p.requires_grad_(True)
        optimizer = Adam(params, learning_rate=self.learning_rate)
        n = ids.shape[0]

        def epoch(_):
            order = torch.as_tensor(rng.permutation(n))
            total = 0.0
            for start in range(0, n, self.batch_size):
                batch = order[start : start + self.batch_size]
                logits = text_convnet_forward(params, table[ids[batch]])
                loss = F.cross_entropy(logits, labels[batch])
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    optimizer.step(grads)
                total += loss.item() * batch.shape[0]
            return total / n

        self.n_iter_ = run_iterations(
            self, self.max_iter, epoch, advice="Lower learning_rate."
        )
        self._store(params, kernel_sizes)

    def _fit_distilled(self, X, y, rng, generator):
        dataset = self._distilled_dataset(X, y)
        self.dataset_ = dataset
        self.classes_ = dataset.classes
        self.embedder_ = _embedder_of(dataset)
        network = dataset.provenance.get("network") or {
            "n_filters": self.n_filters,
            "kernel_sizes": list(self.kernel_sizes),
        }
        kernel_sizes = _check_kernel_sizes(
            network["kernel_sizes"], self.embedder_.sequence_length
        )
        s, d = self.embedder_.sequence_length, self.embedder_.embedding_dim_
        if self.init == "fixed":
            if dataset.fixed_init is None:
                raise ValueError(
                    'init="fixed" needs a distilled set made with fixed_init=True.'
                )
            params = [torch.as_tensor(p, dtype=_DTYPE) for p in dataset.fixed_init[0]]
        else:
            params = self._network(
                dataset.n_classes, generator, kernel_sizes, network["n_filters"]
            )
        X_all = torch.as_tensor(dataset.X_scaled, dtype=_DTYPE).reshape(-1, s, d)
        Y_all = torch.as_tensor(dataset.y, dtype=_DTYPE)
        if dataset.lr_schedule is not None:
            batches = [
                (
                    torch.as_tensor(Xs, dtype=_DTYPE).reshape(-1, s, d),
                    torch.as_tensor(Ys, dtype=_DTYPE),
                )
                for Xs, Ys in dataset.step_batches()
            ]
            state = {"params": params}
            n_steps = dataset.n_steps

            def epoch(e):
                lrs = dataset.lr_schedule[(e - 1) * n_steps : e * n_steps]
                state["params"] = replay_text(state["params"], batches, lrs.tolist())
                with torch.no_grad():
                    logits = text_convnet_forward(state["params"], X_all)
                    return soft_cross_entropy(logits, Y_all).item()

            self.n_iter_ = run_iterations(
                self, dataset.n_epochs, epoch, advice="The schedule diverges."
            )
            params = state["params"]
        else:
            for p in params:
                p.requires_grad_(True)
            optimizer = Adam(params, learning_rate=self.learning_rate)

            def adam_step(_):
                loss = soft_cross_entropy(text_convnet_forward(params, X_all), Y_all)
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    optimizer.step(grads)
                return loss.item()

            self.n_iter_ = run_iterations(
                self, self.max_iter, adam_step, advice="Lower learning_rate."
            )
        self._store(params, kernel_sizes)

    def _distilled_dataset(self, X, y):
        """Fit (or reuse) the distiller; check ``X, y`` against its dataset.

        As in :class:`DistilledMLPClassifier`, a distiller is cloned and fitted
        on ``X, y`` (so the classifier and its clone fit the same way), while a
        ``FrozenEstimator`` of a fitted one, or a `DistilledDataset`, is used
        as is.
        """
        source = self.distiller
        used_as_is = isinstance(source, (DistilledDataset, FrozenEstimator))
        if not used_as_is:
            if X is None or y is None:
                if hasattr(source, "distilled_"):
                    raise ValueError(
                        f"The distiller {type(source).__name__} is fitted, but a "
                        "distiller given to TextConvNetClassifier is cloned and "
                        "refitted on X, y, and fit() got no data. To train on its "
                        "distilled set as it is, pass FrozenEstimator(distiller) "
                        "(sklearn.frozen) or distiller.distilled_."
                    )
                raise ValueError(
                    "The distiller is not fitted: pass X and y to fit it, or pass "
                    "FrozenEstimator(fitted_distiller) or a DistilledDataset."
                )
            source = clone(source).fit(X, y)
        dataset = text_dataset_of(source)
        self.distiller_ = source
        if used_as_is and (X is not None or y is not None):
            if X is None or y is None:
                raise ValueError("Pass both texts X and labels y, or neither.")
            X, _, _ = check_text_labels(self, X, y, min_classes=1)
            unknown = np.setdiff1d(np.unique(np.asarray(y)), dataset.classes)
            if unknown.size:
                raise ValueError(
                    f"y contains classes {unknown.tolist()!r} that the distilled "
                    f"dataset does not know (its classes: "
                    f"{dataset.classes.tolist()!r})."
                )
        return dataset

    def _store(self, params, kernel_sizes):
        self.params_ = [to_numpy(p.detach()) for p in params]
        self.kernel_sizes_ = kernel_sizes

    def _logits(self, X):
        """The network's logits for texts ``X``, ``(n_samples, n_classes)``."""
        check_is_fitted(self)
        ids = torch.as_tensor(self.embedder_.token_ids(X))
        table = torch.as_tensor(self.embedder_._table, dtype=_DTYPE)
        params = [torch.as_tensor(p, dtype=_DTYPE) for p in self.params_]
        with torch.no_grad():
            logits = [
                text_convnet_forward(params, table[ids[i : i + 1024]])
                for i in range(0, ids.shape[0], 1024)
            ]
        return to_numpy(torch.cat(logits)).astype(np.float64)

    def decision_function(self, X):
        """Confidence scores of texts ``X``.

        Parameters
        ----------
        X : sequence of str of shape (n_samples,)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The logits; with two classes, as scikit-learn's binary classifiers,
            one score per text, positive for ``classes_[1]`` (the difference
            of the two logits).
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities of texts ``X``, shape ``(n_samples, n_classes)``."""
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted classes of texts ``X``."""
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
