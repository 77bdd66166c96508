"""`TextConvNetClassifier`: a TextConvNet trained on texts or on a distilled set.

On real texts it learns (or takes) the embedding and trains the network
(``_nets/text_cnn.py``) with minibatch Adam; on a distilled set it replays the
learned run (``_engine/autograd_unroll.py``) or, for a set without a schedule,
trains on it with Adam.
"""

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._base import TorchEstimatorBase, run_iterations
from .._data.dataset import (
    DistilledDataset,
    check_known_classes,
    distilled_dataset_of,
)
from .._engine.autograd_unroll import replay
from .._engine.optim import Adam
from .._nets import text_cnn
from .._nets.mlp import soft_cross_entropy
from .._training.batches import ShuffledIndices, minibatch_epoch
from .._training.constraints import FIT_CONTROLS
from .._utils import to_numpy
from .embedding import (
    NETWORK_CONSTRAINTS,
    check_kernel_sizes,
    check_text_labels,
    embedder_of,
    fit_embedder,
    text_input_tags,
)

_DTYPE = text_cnn.DTYPE


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
        from its first stored initialisation (the first network of
        ``fixed_init[0]``).

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
        The network's weights and biases: a ``(n_filters, d, k)`` convolution
        and its bias per kernel size ``k``, then the output layer's weights and
        bias.
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
        **NETWORK_CONSTRAINTS,
        "distiller": [None, DistilledDataset, BaseEstimator],
        "init": [StrOptions({"random", "fixed"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        **FIT_CONTROLS,
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
        return text_cnn.init(
            (self.embedder_.sequence_length, self.embedder_.embedding_dim_),
            n_classes,
            {"n_filters": n_filters, "kernel_sizes": kernel_sizes},
            generator=generator,
        )

    def _fit_texts(self, X, y, rng, generator):
        X, self.classes_, y_index = check_text_labels(self, X, y)
        kernel_sizes = check_kernel_sizes(self.kernel_sizes, self.sequence_length)
        self.distiller_ = self.dataset_ = None
        self.embedder_ = fit_embedder(self, X, rng)
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

        rows = ShuffledIndices(n, self.batch_size, rng)

        def step(batch):
            batch = torch.as_tensor(batch)
            logits = text_cnn.forward(params, table[ids[batch]])
            loss = F.cross_entropy(logits, labels[batch])
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                optimizer.step(grads)
            return loss.item(), batch.shape[0]

        def epoch(_):
            return minibatch_epoch(rows.epoch(), step, n)

        self.n_iter_ = run_iterations(
            self, self.max_iter, epoch, advice="Lower learning_rate."
        )
        self._store(params, kernel_sizes)

    def _fit_distilled(self, X, y, rng, generator):
        dataset = self._distilled_dataset(X, y)
        self.dataset_ = dataset
        self.classes_ = dataset.classes
        self.embedder_ = embedder_of(dataset)
        network = dataset.network or {
            "n_filters": self.n_filters,
            "kernel_sizes": list(self.kernel_sizes),
        }
        kernel_sizes = check_kernel_sizes(
            network["kernel_sizes"], self.embedder_.sequence_length
        )
        s, d = self.embedder_.sequence_length, self.embedder_.embedding_dim_
        if self.init == "fixed":
            if dataset.fixed_init is None:
                raise ValueError(
                    'init="fixed" needs a distilled set made with fixed_init=True.'
                )
            params = text_cnn.unstack(dataset.fixed_init[0], 0)
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
                state["params"] = replay(
                    text_cnn.forward, state["params"], batches, lrs.tolist()
                )
                with torch.no_grad():
                    logits = text_cnn.forward(state["params"], X_all)
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
                loss = soft_cross_entropy(text_cnn.forward(params, X_all), Y_all)
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
            check_known_classes(dataset, y)
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
                text_cnn.forward(params, table[ids[i : i + 1024]])
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
        return text_input_tags(super().__sklearn_tags__())
