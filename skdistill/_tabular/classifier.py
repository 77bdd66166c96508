"""DistilledMLPClassifier: an MLP classifier that trains on distilled data."""

import copy
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from .._base import (
    TorchEstimatorBase,
    check_hidden_layer_sizes,
    run_iterations,
)
from .._data.dataset import DistilledDataset, check_soft_labels
from .._data.feature_transform import learned_rows
from .._engine.optim import Adam
from .._engine.schedules import SCHEDULES, step_sequence
from .._engine.unroll import replay_distilled
from .._nets.mlp import (
    backward,
    forward,
    layer_sizes,
    soft_cross_entropy,
    soft_cross_entropy_delta,
    xavier_init,
)
from .._nets.mlp_prediction import MLPPredictionMixin
from .._training.batches import ShuffledIndices, minibatch_epoch
from .._training.constraints import (
    AUTO_COUNT,
    FIT_CONTROLS,
    MLP_NETWORK,
    STOPPING,
    VALIDATION_FRACTION,
)
from .._training.splits import validation_split
from .._training.stopping import StackStopper, ValidationStopper
from .._utils import (
    check_no_missing_labels,
    check_numeric_columns,
    refuse_lazy,
    to_numpy,
)
from .distilled_input import distilled_training_set
from .search_space import real_batch_size

_DTYPE = torch.float32
# The learning rate of Adam when learning_rate_init="auto" (MLPClassifier's).
_ADAM_DEFAULT_LR = 1e-3


def _as_tensor(array):
    """A float32 tensor holding a private, writable copy of ``array``."""
    return torch.from_numpy(np.array(array, dtype=np.float32))


class DistilledMLPClassifier(MLPPredictionMixin, ClassifierMixin, TorchEstimatorBase):
    """Multilayer-perceptron classifier that trains on distilled data.

    A torch MLP whose parameters and fitted attributes mirror
    :class:`sklearn.neural_network.MLPClassifier`. It trains in one of two
    modes:

    * **ordinary data** (``distiller=None``): minibatch Adam on ``(X, y)`` for
      up to ``max_iter`` epochs, with an L2 penalty ``alpha``, stopping when the
      training loss has not improved by ``tol`` for ``n_iter_no_change``
      epochs, as ``MLPClassifier(solver="adam")`` does. ``y`` is either class
      labels or **soft labels**: a matrix of shape ``(n_samples, n_classes)``
      whose rows are probabilities (non-negative, summing to 1). With soft
      labels ``classes_`` is ``np.arange(n_classes)``: column ``j`` of ``y``
      is class ``j``.
    * **distilled data** (``distiller`` given): `fit` first distills
      ``(X, y)`` with a clone of ``distiller`` -- or, when ``distiller`` is a
      :class:`~sklearn.frozen.FrozenEstimator` of a fitted distiller, reuses
      its distilled set without refitting -- then trains by plain gradient
      descent on the synthetic batches, step by step, with the learning rates
      given by ``schedule``. The distiller learned its data and rates in its own
      standardised space, so the network sees ``(X - mean_) / scale_`` of the
      distiller in training and in `predict`.

    Read more in ``doc/distilled_classifier.md``.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Width of each hidden layer. ``()`` is a linear (softmax-regression)
        model. The network may differ from the architectures the data was
        distilled for.

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden-layer activation, as in MLPClassifier. (The internal models of
        :class:`DatasetDistiller` use ReLU.)

    alpha : float, default=0.0001
        L2 penalty of the weights, scaled as in MLPClassifier
        (``alpha / (2 * batch) * ||W||^2``). On distilled data every replayed
        step adds the same penalty's gradient, ``alpha / batch * W``, with
        the minibatch MLPClassifier would use on the rows the set was
        distilled from (``batch_size``; ``"auto"``: ``min(200, n_samples)``),
        as the distiller trains its internal models when ``alpha`` is in its
        ``search_space``.

    batch_size : int or "auto", default="auto"
        Minibatch size for ordinary data, ``"auto"`` meaning
        ``min(200, n_samples)``; clipped to ``n_samples``. Distilled data
        comes in its own batches.

    learning_rate_init : float or "auto", default="auto"
        Learning rate of Adam on ordinary data (``"auto"``: 0.001, the default
        of MLPClassifier). With a distiller, the rate of ``schedule="constant"``
        and the starting rate of ``"strategy1"`` (``"auto"``: the distiller's
        ``lr_init``, the rate its learned rates started from). The schedules
        of learned rates multiply them by ``learning_rate_init`` over the
        reference rate of the distiller's ``search_space`` (the geometric mean
        of its ``learning_rate_init`` values), as the distiller trained its
        internal models; with ``"auto"``, or a set distilled without learning
        rates in its search space, the learned rates are used as they are.

    max_iter : int, default=200
        Maximum number of epochs on ordinary data. The length of a distilled run
        is set by the schedule and ``n_repeats`` instead.

    tol : float, default=1e-4
        Ordinary data: training stops when the epoch loss has not improved by
        at least ``tol`` for more than ``n_iter_no_change`` consecutive epochs
        (MLPClassifier's rule: it stops at the same epoch).

        .. versionchanged:: 0.1.0
           Stops at MLPClassifier's epoch, one epoch later than before.

    n_iter_no_change : int, default=10
        See ``tol``.

    early_stopping : bool, default=False
        Ordinary data: set aside ``validation_fraction`` of the rows and stop
        when the validation accuracy has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs; the network of the best validation
        accuracy is kept. As in MLPClassifier. A distilled run has a fixed
        length and ignores it.

    validation_fraction : float, default=0.1
        Share of the rows set aside with ``early_stopping``, in ``(0, 1)``,
        stratified: scikit-learn's ``train_test_split(stratify=y)``, each
        class its share; where that split does not exist (a class of one row,
        fewer validation rows than classes), each class gives
        ``round(validation_fraction * n_c)`` of its ``n_c`` rows and keeps at
        least one for training (one row of the largest class when that sets
        nothing aside). The validation part needs two rows at least.

        .. versionchanged:: 0.1.0
           A split that cannot be stratified falls back to the per-class rule
           instead of raising.

    warm_start : bool, default=False
        Start `fit` from the network of the previous fit (same layer sizes
        required) instead of a fresh initialisation, as in MLPClassifier.

    distiller : None, DatasetDistiller, FrozenEstimator or DistilledDataset, \
            default=None
        ``None`` trains on ``(X, y)``. A :class:`DatasetDistiller` is cloned
        and fitted on ``(X, y)`` in `fit` (its parameters can be searched as
        ``distiller__<name>``). A ``FrozenEstimator`` of a fitted distiller, or
        a :class:`DistilledDataset` (e.g. one loaded from a file), is used as
        is and never refitted; ``X`` must then have its number of features, and
        ``y`` only its classes -- or both may be None, and the dataset is the
        whole training data. A dataset without a learned schedule (a
        baseline's) is trained on the ordinary way, with Adam.

    schedule : {"distilled", "strategy1", "strategy2", "strategy3", \
            "constant"}, default="distilled"
        Learning rates of a distilled run (Medvedev & D'yakonov 2020, section
        5.3). ``"distilled"``: the learned rates, once. ``"strategy1"``: a
        standard schedule without learned rates -- rate x1.1 at the start of
        each of the first ``n_epochs`` epochs, x0.95 at the start of each later
        one. ``"strategy2"``: the whole learned run repeated ``n_repeats``
        times, the ``k``-th repeat with rates times ``0.98**k``.
        ``"strategy3"``: the learned run, then its last epoch repeated, with
        the same decay per block of ``n_epochs`` epochs. ``"constant"``:
        ``learning_rate_init`` at every step. All but ``"distilled"`` run
        ``n_repeats * n_epochs`` epochs. Unused without a distiller.

    n_repeats : int, default=10
        Length of the lengthened schedules, in multiples of the distilled run
        (the paper uses 10).

    n_threads : int or None, default=1
        Torch intra-op threads during `fit`; the caller's setting is restored
        afterwards. ``None`` keeps torch's current setting.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights (Xavier-uniform, zero biases) and the
        minibatch order. An int makes `fit` repeatable to the bit.

    verbose : int, default=0
        Print progress (about ten lines per fit; every epoch if > 1).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``np.arange(n_classes)`` for soft labels; the
        distiller's classes with a distiller).

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``, shape
        ``(fan_in, fan_out)``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``.

    loss_curve_ : list of float
        Training loss after every epoch: the penalised cross-entropy on
        ordinary data; the cross-entropy on the whole distilled set (against
        its soft labels) after each epoch of a distilled run.

    loss_ : float
        The last entry of ``loss_curve_``.

    best_loss_ : float
        The smallest entry of ``loss_curve_``.

    n_iter_ : int
        Epochs run (over ``X``, or over the distilled batches).

    t_ : int
        Training rows seen by the optimiser (rows per epoch times epochs,
        summed over warm-started fits), as in MLPClassifier.

    validation_scores_ : list of float or None
        With ``early_stopping``, the validation accuracy after every epoch;
        otherwise None.

    best_validation_score_ : float or None
        The best of ``validation_scores_`` (the kept network's); None without
        ``early_stopping``.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs: ``n_classes``, also for two classes. MLPClassifier
        uses one logistic output there; this network keeps a softmax over two
        outputs, which represents the same functions (the logistic of the
        difference of the two logits) and is what a distilled run needs: the
        distilled soft labels are probability vectors over all classes, and the
        distilled steps were learned for the softmax networks of the
        distiller.

    out_activation_ : str
        ``"softmax"``.

    distiller_ : DatasetDistiller, FrozenEstimator, DistilledDataset or None
        The fitted distiller (or the dataset) that produced the training data.

    distilled_ : DistilledDataset or None
        The distilled dataset the network was trained on; None without a
        distiller.

    input_mean_, input_scale_ : ndarray of shape (n_features_in_,) or None
        The standardisation applied to ``X`` before the network (the
        distiller's ``mean_`` and ``scale_``); None without a distiller.

    input_transform_ : FeatureTransform or None
        The distilled dataset's ``feature_transform``: the monotone map of
        its heavy-tailed columns applied to ``X`` before the standardisation
        (see ``DatasetDistiller(feature_transform=...)``); None when the
        dataset has none.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during `fit`, when ``X`` has string column
        names.

    See Also
    --------
    DatasetDistiller : Learns the distilled dataset this classifier trains on.
    sklearn.neural_network.MLPClassifier : The scikit-learn MLP it mirrors.

    References
    ----------
    D. Medvedev, A. D'yakonov. New Properties of the Data Distillation Method
    When Working With Tabular Data. 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sklearn.frozen import FrozenEstimator
    >>> from skdistill import DatasetDistiller, DistilledMLPClassifier
    >>> X, y = make_moons(n_samples=300, noise=0.1, random_state=0)
    >>> distiller = DatasetDistiller(n_steps=5, n_epochs=2, max_iter=30,
    ...                              random_state=0).fit(X, y)
    >>> clf = DistilledMLPClassifier(hidden_layer_sizes=(10,),
    ...                              distiller=FrozenEstimator(distiller),
    ...                              schedule="strategy2", random_state=0)
    >>> clf.fit(X, y).n_iter_  # 2 distilled epochs, repeated 10 times
    20
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **MLP_NETWORK,
        **STOPPING,
        **FIT_CONTROLS,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": AUTO_COUNT,
        "learning_rate_init": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": VALIDATION_FRACTION,
        "warm_start": ["boolean"],
        "distiller": [None, HasMethods(["fit"]), DistilledDataset],
        "schedule": [StrOptions(set(SCHEDULES))],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        alpha=0.0001,
        batch_size="auto",
        learning_rate_init="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        distiller=None,
        schedule="distilled",
        n_repeats=10,
        n_threads=1,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.distiller = distiller
        self.schedule = schedule
        self.n_repeats = n_repeats
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(
        # The distiller's parameters are validated when it is fitted.
        prefer_skip_nested_validation=False
    )
    def fit(self, X=None, y=None, sample_weight=None):
        """Train the network on ``(X, y)``, or on a distilled dataset.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or None
            Training rows. None is allowed when ``distiller`` is a
            :class:`DistilledDataset`: the dataset is then the training data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes), or None
            Class labels, or soft labels (rows are probabilities; not with a
            distiller).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows. On ordinary data the loss of a minibatch is
            the weighted mean of its rows' losses, and the L2 penalty is
            divided by the sum of the weights (MLPClassifier's rule), so that
            integer weights act as repeated rows. With a distiller that is
            fitted here, the weights go to its ``fit``; with a fitted one
            (frozen, or a dataset) they are refused, having no effect.

        Returns
        -------
        self : DistilledMLPClassifier
            The fitted classifier.
        """
        # Weights are passed only when given, so that subclasses overriding
        # `_fit(X, y, n_models)` keep working.
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        with self._fitting():
            self._store_network(self._fit(X, y, n_models=1, **weights))
        return self

    # -- fitting ----------------------------------------------------------------

    def _fit(
        self,
        X,
        y,
        n_models,
        sample_weight=None,
        networks=None,
        alphas=None,
        initial=None,
    ):
        """Fit ``n_models`` networks at once and return their stacked parameters.

        The networks differ only in their initialisation. `fit` keeps the
        first; :func:`fit_networks` (used by the metrics) keeps them all.
        ``networks`` keeps only those of the ``n_models`` initialisations: a
        network is trained the same whichever others share its stack.
        ``alphas`` (with ``n_models=1``, ordinary training only) trains one
        network per L2 penalty instead, all from the one initialisation, or
        from the stacked parameters ``initial``: see :func:`fit_alpha_stack`.
        """
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        previous = self._previous_network(n_models)
        if alphas is not None:
            if n_models != 1 or networks is not None or previous is not None:
                raise ValueError("alphas stacks the networks of one initialisation")
        t_start = getattr(self, "t_", 0) if previous is not None else 0
        if self.distiller is None:
            X, Y = self._validate_training_data(X, y)
            if sample_weight is not None:
                sample_weight = _check_sample_weight(sample_weight, X)
            self.distiller_ = self.distilled_ = None
            self.input_mean_ = self.input_scale_ = self.input_transform_ = None
            rng, generator = self._random_streams()
            sizes = layer_sizes(X.shape[1], hidden, Y.shape[1])
            params = self._initial_params(sizes, n_models, generator, previous)
            params = params if networks is None else [p[networks] for p in params]
            params = _one_per_alpha(params, alphas, initial)
            return self._train_adam(
                params, X, Y, rng, sample_weight, t_start, alphas=alphas
            )

        dataset = distilled_training_set(self, X, y, sample_weight)
        rng, generator = self._random_streams()
        sizes = layer_sizes(dataset.n_features, hidden, dataset.n_classes)
        params = self._initial_params(sizes, n_models, generator, previous)
        params = params if networks is None else [p[networks] for p in params]
        if dataset.lr_schedule is None:
            # A set without a learned run (a baseline) trains the ordinary way.
            params = _one_per_alpha(params, alphas, initial)
            return self._train_adam(
                params, dataset.X_scaled, dataset.y, rng, None, t_start, alphas=alphas
            )
        if alphas is not None:
            raise ValueError("alphas stacks ordinary training, not a replay")
        return self._train_distilled(params, dataset, t_start)

    def _previous_network(self, n_models):
        """The network of the previous fit, to start from with ``warm_start``."""
        if not self.warm_start or n_models != 1 or not hasattr(self, "coefs_"):
            return None
        return [
            torch.from_numpy(np.array(a, dtype=np.float32))[None]
            for w, b in zip(self.coefs_, self.intercepts_)
            for a in (w, b[None])
        ]

    def _initial_params(self, sizes, n_models, generator, previous):
        params = xavier_init(sizes, n_models, generator=generator, dtype=_DTYPE)
        if previous is None:
            return params
        if [p.shape for p in previous] != [p.shape for p in params]:
            raise ValueError(
                "warm_start=True continues the previous network, whose layer "
                f"sizes {[tuple(p.shape[1:]) for p in previous[0::2]]} differ from "
                f"this fit's {[tuple(p.shape[1:]) for p in params[0::2]]} (other "
                "features, classes or hidden_layer_sizes); set warm_start=False."
            )
        return previous

    def _validate_training_data(self, X, y):
        """``(X, Y)`` with one-hot or soft labels ``Y``; sets ``classes_``."""
        refuse_lazy(self, X)
        check_numeric_columns(self, X)
        check_no_missing_labels(y)
        y_shape = () if y is None else np.asarray(y).shape
        if len(y_shape) == 2 and y_shape[1] > 1:
            X, Y = validate_data(
                self, X, y, multi_output=True, y_numeric=True, dtype=np.float64
            )
            _check_float32_range(X)
            Y = check_soft_labels(Y)
            self.classes_ = np.arange(Y.shape[1])
            return X, Y
        X, y = validate_data(self, X, y, dtype=np.float64)
        _check_float32_range(X)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes in y; got one "
                f"class: {self.classes_[0].tolist()!r}."
            )
        return X, np.eye(len(self.classes_))[y_index]

    def _store_network(self, params):
        """Keep the first of the stacked networks as the fitted network."""
        self.coefs_ = [to_numpy(w[0]) for w in params[0::2]]
        self.intercepts_ = [to_numpy(b[0, 0]) for b in params[1::2]]
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = len(self.classes_)
        self.out_activation_ = "softmax"
        self.loss_ = self.loss_curve_[-1]
        self.best_loss_ = min(self.loss_curve_)

    def _train_distilled(self, params, dataset, t_start=0):
        """Replay the distilled batches with the schedule's learning rates."""
        if self.learning_rate_init == "auto":
            base_lr = 0.1 if dataset.lr_init is None else dataset.lr_init
        else:
            base_lr = float(self.learning_rate_init)
        order, step_lrs = step_sequence(
            self.schedule,
            dataset.lr_schedule,
            dataset.n_steps,
            n_repeats=self.n_repeats,
            base_lr=base_lr,
        )
        step_lrs = step_lrs * self._learned_rate_factor(dataset)
        weight_decay = self._replay_weight_decay(dataset)
        batches = [(_as_tensor(x), _as_tensor(y)) for x, y in dataset.step_batches()]
        X_all, Y_all = _as_tensor(dataset.X_scaled), _as_tensor(dataset.y)
        n_steps = dataset.n_steps

        def epoch(e):
            nonlocal params
            # The step sequence of this epoch: its batches, in order, and rates.
            chunk = slice((e - 1) * n_steps, e * n_steps)
            params = replay_distilled(
                params,
                [batches[i][0] for i in order[chunk]],
                [batches[i][1] for i in order[chunk]],
                step_lrs[chunk].tolist(),
                self.activation,
                weight_decay=weight_decay,
            )
            logits, _ = forward(params, X_all, self.activation)
            return soft_cross_entropy(logits, Y_all).mean().item()

        self.n_iter_ = run_iterations(
            self,
            len(order) // n_steps,
            epoch,
            advice="Lower learning_rate_init (constant and strategy1 schedules) or "
            "use a schedule of learned rates with a smaller n_repeats.",
        )
        rows_per_epoch = sum(len(batches[i][0]) for i in order[:n_steps])
        self.t_ = t_start + rows_per_epoch * self.n_iter_
        self.validation_scores_ = self.best_validation_score_ = None
        return params

    def _replay_weight_decay(self, dataset):
        """``alpha`` as a weight decay per replayed step, scaled as
        MLPClassifier scales it on the real rows: ``alpha / batch`` with its
        minibatch of the rows the set was distilled from (``batch_size``,
        ``"auto"``: ``min(200, n_samples)``)."""
        n_samples = dataset.provenance.get("n_samples")
        return float(self.alpha) / real_batch_size(n_samples, self.batch_size)

    def _learned_rate_factor(self, dataset):
        """The factor of the learned rates for ``learning_rate_init``: its
        ratio to the reference rate of the search space the set was distilled
        over; 1 for ``"auto"``, for a set distilled without learning rates in
        its search space, and for the schedules that ignore the learned rates."""
        reference = dataset.provenance.get("lr_reference")
        if (
            self.learning_rate_init == "auto"
            or reference is None
            or self.schedule in ("constant", "strategy1")
        ):
            return 1.0
        return float(self.learning_rate_init) / float(reference)

    def _train_adam(
        self, params, X, Y, rng, sample_weight=None, t_start=0, alphas=None
    ):
        """Minibatch Adam with an L2 penalty, as MLPClassifier(solver="adam").

        ``alphas``: one penalty per network of the stack instead of ``alpha``.
        """
        X_val = None
        if self.early_stopping:
            train, val = validation_split(
                np.argmax(Y, axis=1), self.validation_fraction, rng
            )
            if len(val) < 2:
                raise ValueError(
                    "The validation set is too small. Increase validation_fraction "
                    "or the size of your dataset."
                )
            X, X_val, Y, Y_val = X[train], X[val], Y[train], Y[val]
            w_val = None
            if sample_weight is not None:
                sample_weight, w_val = sample_weight[train], sample_weight[val]
        n_samples = X.shape[0]
        batch_size = 200 if self.batch_size == "auto" else self.batch_size
        lr = (
            _ADAM_DEFAULT_LR
            if self.learning_rate_init == "auto"
            else float(self.learning_rate_init)
        )
        X_t, Y_t = _as_tensor(X), _as_tensor(Y)
        W_t = None if sample_weight is None else _as_tensor(sample_weight)
        optimizer = Adam(params, learning_rate=lr)
        alpha = float(self.alpha) if alphas is None else np.asarray(alphas, float)
        penalised = bool(np.any(alpha))
        half_alpha = _half_alpha(alpha)
        total_weight = n_samples if W_t is None else float(W_t.sum())
        rows = ShuffledIndices(n_samples, batch_size, rng)

        def train_batch(index):
            index = torch.as_tensor(index)
            xb, yb = X_t[index], Y_t[index]
            logits, hidden = forward(params, xb, self.activation)
            delta = soft_cross_entropy_delta(logits, yb)
            if W_t is None:
                n_batch = len(index)
                loss = soft_cross_entropy(logits, yb)
            else:
                # A weighted mean: the loss of a row of weight k counts as
                # k repeated rows (the delta is of the mean, so rescale).
                wb = W_t[index]
                n_batch = float(wb.sum())
                if n_batch <= 0:
                    return None  # a minibatch of zero weight teaches nothing
                scale = wb * (len(index) / n_batch)
                delta = delta * scale[:, None]
                row_loss = -(yb * torch.log_softmax(logits, dim=-1)).sum(dim=-1)
                loss = (row_loss * wb).sum(dim=-1) / n_batch
            grads = backward(params, xb, hidden, delta, self.activation)
            if penalised:
                weights = params[0::2]
                penalty = sum((w * w).sum(dim=(-2, -1)) for w in weights)
                loss = loss + half_alpha * penalty / n_batch
                decay = _weight_decay(alpha, n_batch)
                for i in range(0, len(params), 2):
                    grads[i] = grads[i] + decay * params[i]
            optimizer.step(grads)
            if X_val is None:
                stopper.keep_stopped()
            return loss.detach().double(), n_batch

        def epoch(_):
            loss = minibatch_epoch(rows.epoch(), train_batch, total_weight)
            return np.atleast_1d(to_numpy(torch.as_tensor(loss)))

        if X_val is None:
            stopper = StackStopper(params, self.tol, self.n_iter_no_change)
            stop = stopper
            self.validation_scores_ = self.best_validation_score_ = None
        else:
            stopper = ValidationStopper(self.tol, self.n_iter_no_change)
            X_val_t, y_val = _as_tensor(X_val), np.argmax(Y_val, axis=1)

            def stop(iteration, _):
                score = self._validation_score(params, X_val_t, y_val, w_val)
                return stopper(iteration, score, lambda: [p.clone() for p in params])

        self.n_iter_ = run_iterations(
            self,
            self.max_iter,
            epoch,
            advice="Lower learning_rate_init" + _scale_advice(X) + ".",
            stop=stop,
        )
        self.t_ = t_start + n_samples * self.n_iter_
        if X_val is not None:
            self.validation_scores_ = stopper.scores
            self.best_validation_score_ = max(stopper.scores)
            params = stopper.best_state
        if not stopper.stopped:
            warnings.warn(
                f"{type(self).__name__}: the maximum number of epochs "
                f"({self.max_iter}) was reached and the optimisation has not "
                "converged yet; increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return params

    def _validation_score(self, params, X_val, y_val, w_val):
        """The validation accuracy of early stopping: the mean over the
        networks of a stack of their (weighted) accuracy."""
        with torch.no_grad():
            logits, _ = forward(params, X_val, self.activation)
        predicted = to_numpy(logits).argmax(axis=-1)
        score = float(
            np.mean([np.average(p == y_val, weights=w_val) for p in predicted])
        )
        if self.verbose:
            print(f"Validation score: {score:.6f}")
        return score

    # -- prediction -------------------------------------------------------------

    def _input_scaling(self):
        transform = getattr(self, "input_transform_", None)
        if transform is not None:
            # Rows in the original units: the transform, then the
            # standardisation if any (the dataset's `scale_rows`).
            return partial(
                learned_rows,
                feature_transform=transform,
                mean=self.input_mean_,
                scale=self.input_scale_,
            )
        if self.input_mean_ is None:
            return None
        return self.input_mean_, self.input_scale_


def _one_per_alpha(params, alphas, initial=None):
    """The parameters of one initialisation, repeated once per penalty; or
    ``initial``, the stacked parameters of one network per penalty to start
    from, checked against the shapes of the initialisation."""
    if alphas is None:
        return params
    if initial is None:
        return [p.expand(len(alphas), *p.shape[1:]).clone() for p in params]
    initial = [torch.as_tensor(np.asarray(p), dtype=_DTYPE).clone() for p in initial]
    expected = [(len(alphas), *p.shape[1:]) for p in params]
    if [tuple(p.shape) for p in initial] != expected:
        raise ValueError(
            f"initial has parameters of shapes {[tuple(p.shape) for p in initial]}; "
            f"this stack's are {expected}"
        )
    return initial


def _half_alpha(alpha):
    """``0.5 * alpha``, the L2 penalty's factor on the loss: a number, or one
    per network of a stack. The per-network factors of this and of
    `_weight_decay` are rounded to float32 from the same float64 values as a
    number is, so a network of a stack trains as a fit of its own."""
    if np.ndim(alpha) == 0:
        return 0.5 * alpha
    return torch.as_tensor(0.5 * alpha, dtype=_DTYPE)


def _weight_decay(alpha, n_batch):
    """``alpha / n_batch``, the L2 penalty's gradient factor for a minibatch
    of (weighted) size ``n_batch``, broadcast over each network's weights."""
    if np.ndim(alpha) == 0:
        return alpha / n_batch
    return torch.as_tensor(alpha / n_batch, dtype=_DTYPE)[:, None, None]


def _check_float32_range(X):
    """The networks compute in float32: refuse X beyond its range, naming the
    remedy (rescaling), instead of diverging with advice about the learning rate."""
    largest = float(np.abs(X).max()) if X.size else 0.0
    if largest > np.finfo(np.float32).max:
        raise ValueError(
            f"X has values too large for the network's float32 arithmetic "
            f"(largest |x| = {largest:.3g}); rescale X, e.g. with StandardScaler "
            "in a pipeline before this classifier."
        )


def _scale_advice(X):
    largest = float(np.abs(X).max()) if X.size else 0.0
    if largest > 1e3:
        return (
            f", or rescale X (e.g. StandardScaler in a pipeline): its largest "
            f"value is {largest:.3g}"
        )
    return ""


def fit_networks(estimator, X, y, *, n_models, networks=None):
    """Train ``n_models`` networks of ``estimator`` at once.

    The networks differ only in their initialisation; they are trained in one
    batched run through the code of :meth:`DistilledMLPClassifier.fit`. The
    estimator is cloned, never modified. ``networks`` (indices) trains only
    those of the ``n_models``: each comes out as in the full run.

    Returns
    -------
    model : DistilledMLPClassifier
        A fitted clone holding the first network.
    params : list of Tensor
        The stacked parameters of all the networks.
    """
    model = clone(estimator)
    model._validate_params()
    with model._fitting(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        params = model._fit(X, y, n_models=n_models, networks=networks)
        model._store_network(params)
    return model, params


def fit_alpha_stack(
    estimator, alphas, X=None, y=None, sample_weight=None, *, initial=None
):
    """Train one network per L2 penalty of ``alphas`` in one batched run.

    Each network comes out as ``clone(estimator).set_params(alpha=a)
    .fit(X, y, sample_weight)`` trains it (the same initialisation,
    minibatches and stopping; the penalty is the only difference), up to the
    rounding of batched arithmetic: the runs of a grid that varies only
    ``alpha`` share their per-step overhead. Ordinary training only
    (``distiller=None``, or a distilled set without a learned schedule),
    without ``early_stopping`` (which stops a stack on its mean score) or
    ``warm_start``. With an int ``random_state`` (or None) the separate fits
    start alike, as the stack's networks do; a ``RandomState`` would start
    each separate fit from other numbers. ``initial`` (the stacked
    parameters ``[W_1, b_1, ...]``, ``W_l`` of shape ``(len(alphas), n_in,
    n_out)``, ``b_l`` of shape ``(len(alphas), 1, n_out)``) starts the
    networks from those instead of the initialisation, e.g. to train on
    networks fitted before; the minibatches are those of a fresh fit.

    Returns
    -------
    models : list of DistilledMLPClassifier
        One fitted clone per value of ``alphas``, its ``alpha`` set to it.
        The record of the run (``n_iter_``, ``loss_curve_``, ``loss_``,
        ``best_loss_``, ``t_``, and one ConvergenceWarning) is the stack's:
        the mean loss of its networks, until the last one stopped.
    """
    alphas = [float(a) for a in alphas]
    models = [clone(estimator).set_params(alpha=a) for a in alphas]
    for model in models:
        model._validate_params()
    model = models[0]
    if model.early_stopping or model.warm_start:
        raise ValueError("fit_alpha_stack trains without early_stopping and warm_start")
    with model._fitting():
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        params = model._fit(X, y, n_models=1, alphas=alphas, initial=initial, **weights)
    fitted = vars(model)
    for j, other in enumerate(models):
        if j:
            # The fitted state of the stack's run (classes, scaling, the
            # dataset), with this network's alpha and parameters.
            for name, value in fitted.items():
                if name.endswith("_") and not name.startswith("_"):
                    setattr(other, name, copy.copy(value))
        other._store_network([p[j : j + 1] for p in params])
    return models


def stacked_predict(model, X, params):
    """Predicted classes of every network of ``params``, ``(m, n_samples)``."""
    check_is_fitted(model)
    logits = to_numpy(model._logits(X, params))
    return model.classes_[np.argmax(logits, axis=-1)]
