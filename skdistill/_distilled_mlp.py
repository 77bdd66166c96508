"""DistilledMLPClassifier: an MLP classifier that trains on distilled data."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._mlp import (
    ACTIVATIONS,
    backward,
    forward,
    layer_sizes,
    soft_cross_entropy,
    soft_cross_entropy_delta,
    xavier_init,
)
from ._mlp_prediction import MLPPredictionMixin
from ._schedules import SCHEDULES, step_sequence
from ._unroll import replay_distilled
from ._utils import (
    ProgressReporter,
    check_finite_loss,
    check_local_random_state,
    to_numpy,
    torch_generator,
    torch_threads,
)

_DTYPE = torch.float32
# Adam's constants, as in sklearn.neural_network.MLPClassifier.
_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-8
# The learning rate of Adam when learning_rate_init="auto" (MLPClassifier's).
_ADAM_DEFAULT_LR = 1e-3
# The rows of a soft-label matrix must sum to 1 within this tolerance.
_SOFT_LABEL_ATOL = 1e-5

_DISTILLER_ATTRIBUTES = (
    "distilled_X_",
    "distilled_y_",
    "distilled_step_",
    "lr_schedule_",
    "classes_",
    "mean_",
    "scale_",
    "n_features_in_",
)


def _as_tensor(array):
    """A float32 tensor holding a private, writable copy of ``array``."""
    return torch.from_numpy(np.array(array, dtype=np.float32))


def check_hidden_layer_sizes(hidden_layer_sizes):
    """``hidden_layer_sizes`` as a tuple of positive ints; ``()`` is linear."""
    if isinstance(hidden_layer_sizes, Integral) and not isinstance(
        hidden_layer_sizes, bool
    ):
        hidden_layer_sizes = (hidden_layer_sizes,)
    try:
        sizes = tuple(hidden_layer_sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must be an int or a tuple of positive ints (() for "
            f"a linear model); got {hidden_layer_sizes!r}."
        )
    return tuple(int(w) for w in sizes)


def check_soft_labels(Y):
    """Validate a soft-label matrix: non-negative rows that sum to 1."""
    Y = np.asarray(Y, dtype=np.float64)
    if not np.all(np.isfinite(Y)):
        raise ValueError("Soft labels contain NaN or infinity.")
    if np.any(Y < 0):
        raise ValueError(
            "Soft labels (y of shape (n_samples, n_classes)) must be probabilities: "
            f"found a negative value {Y.min()!r}."
        )
    sums = Y.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _SOFT_LABEL_ATOL)
    if bad.size:
        raise ValueError(
            "Soft labels (y of shape (n_samples, n_classes)) must be probabilities: "
            f"every row must sum to 1, but row {bad[0]} sums to {sums[bad[0]]!r}."
        )
    return Y


class DistilledMLPClassifier(MLPPredictionMixin, ClassifierMixin, BaseEstimator):
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
        (``alpha / (2 * batch) * ||W||^2``). Ordinary data only: the distilled
        run replays the unpenalised steps the data was distilled for.

    batch_size : int or "auto", default="auto"
        Minibatch size for ordinary data, ``"auto"`` meaning
        ``min(200, n_samples)``; clipped to ``n_samples``. Distilled data
        comes in its own batches.

    learning_rate_init : float or "auto", default="auto"
        Learning rate of Adam on ordinary data (``"auto"``: 0.001, the default
        of MLPClassifier). With a distiller, the rate of ``schedule="constant"``
        and the starting rate of ``"strategy1"`` (``"auto"``: the distiller's
        ``lr_init``, the rate its learned rates started from); unused by the
        schedules that use the learned rates.

    max_iter : int, default=200
        Maximum number of epochs on ordinary data. The length of a distilled run
        is set by the schedule and ``n_repeats`` instead.

    tol : float, default=1e-4
        Ordinary data: training stops when the epoch loss has not improved by
        at least ``tol`` for ``n_iter_no_change`` consecutive epochs.

    n_iter_no_change : int, default=10
        See ``tol``.

    distiller : None, DatasetDistiller or FrozenEstimator, default=None
        ``None`` trains on ``(X, y)``. A :class:`DatasetDistiller` is cloned
        and fitted on ``(X, y)`` in `fit` (its parameters can be searched as
        ``distiller__<name>``). A ``FrozenEstimator`` of a fitted distiller is
        used as is and never refitted; ``X`` must then have the distiller's
        number of features, and ``y`` only its classes.

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

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs: ``n_classes``, also for two classes (the output is
        always a softmax; MLPClassifier uses one logistic output there).

    out_activation_ : str
        ``"softmax"``.

    distiller_ : DatasetDistiller, FrozenEstimator or None
        The fitted distiller that produced the training data.

    input_mean_, input_scale_ : ndarray of shape (n_features_in_,) or None
        The standardisation applied to ``X`` before the network (the
        distiller's ``mean_`` and ``scale_``); None without a distiller.

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
        "hidden_layer_sizes": [tuple, list, Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "distiller": [None, HasMethods(["fit"])],
        "schedule": [StrOptions(set(SCHEDULES))],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
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
    def fit(self, X, y):
        """Train the network on ``(X, y)``, or on a distillation of it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft labels (rows are probabilities; not with a
            distiller).

        Returns
        -------
        self : DistilledMLPClassifier
            The fitted classifier.
        """
        with torch_threads(self.n_threads):
            self._fit(X, y, n_models=1)
        return self

    # -- fitting ----------------------------------------------------------------

    def _fit(self, X, y, n_models):
        """Fit ``n_models`` networks at once; keep the first, return them all.

        The networks differ only in their initialisation. Used by `fit`
        (``n_models=1``) and by :func:`skdistill._metrics.distillation_accuracy`,
        which evaluates many freshly initialised networks in one batched run.
        """
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        y_shape = None if y is None else np.asarray(y).shape
        soft = y_shape is not None and len(y_shape) == 2 and y_shape[1] > 1
        X_raw = X
        if soft:
            if self.distiller is not None:
                raise ValueError(
                    "With a distiller, y must hold class labels (the distiller "
                    f"learns its own soft labels); got y of shape {y_shape}."
                )
            X, Y = validate_data(
                self, X, y, multi_output=True, y_numeric=True, dtype=np.float64
            )
            Y = check_soft_labels(Y)
            self.classes_ = np.arange(Y.shape[1])
        else:
            X, y = validate_data(self, X, y, dtype=np.float64)
            check_classification_targets(y)
            classes, y_index = np.unique(y, return_inverse=True)
            if self.distiller is None and len(classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least two classes in y; got "
                    f"one class: {classes[0].tolist()!r}."
                )
            self.classes_ = classes

        rng = check_local_random_state(self.random_state)
        generator = torch_generator(rng)
        progress_name = type(self).__name__
        if self.distiller is None:
            if not soft:
                Y = np.eye(len(self.classes_))[y_index]
            self.distiller_ = None
            self.input_mean_ = self.input_scale_ = None
            sizes = layer_sizes(X.shape[1], hidden, Y.shape[1])
            params = xavier_init(sizes, n_models, generator=generator, dtype=_DTYPE)
            params = self._train_adam(params, X, Y, rng, progress_name)
        else:
            distiller = self._fitted_distiller(X_raw, X, y)
            sizes = layer_sizes(X.shape[1], hidden, len(self.classes_))
            params = xavier_init(sizes, n_models, generator=generator, dtype=_DTYPE)
            params = self._train_distilled(params, distiller, progress_name)

        self.coefs_ = [to_numpy(w[0]) for w in params[0::2]]
        self.intercepts_ = [to_numpy(b[0, 0]) for b in params[1::2]]
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = len(self.classes_)
        self.out_activation_ = "softmax"
        self.loss_ = self.loss_curve_[-1]
        self.best_loss_ = min(self.loss_curve_)
        return params

    def _fitted_distiller(self, X_raw, X, y):
        """Fit (or reuse, when frozen) the distiller; check it fits ``X, y``."""
        distiller = clone(self.distiller)  # a FrozenEstimator clones to itself
        distiller.fit(X_raw, y)
        missing = [a for a in _DISTILLER_ATTRIBUTES if not hasattr(distiller, a)]
        if missing:
            raise TypeError(
                "distiller must be a DatasetDistiller (or a FrozenEstimator of a "
                f"fitted one); {type(distiller).__name__} has no {missing}."
            )
        if distiller.n_features_in_ != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the distilled dataset has "
                f"{distiller.n_features_in_}: the distiller was fitted on other "
                "data."
            )
        unknown = np.setdiff1d(self.classes_, distiller.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains classes {unknown.tolist()!r} that the distilled "
                f"dataset does not know (its classes: "
                f"{distiller.classes_.tolist()!r})."
            )
        self.classes_ = np.asarray(distiller.classes_)
        self.distiller_ = distiller
        self.input_mean_ = np.asarray(distiller.mean_, dtype=np.float64).copy()
        self.input_scale_ = np.asarray(distiller.scale_, dtype=np.float64).copy()
        return distiller

    def _train_distilled(self, params, distiller, progress_name):
        """Replay the distilled batches with the schedule's learning rates."""
        Y = check_soft_labels(distiller.distilled_y_)
        X_syn = (distiller.distilled_X_ - self.input_mean_) / self.input_scale_
        steps = np.asarray(distiller.distilled_step_)
        n_steps = int(steps.max()) + 1
        if not np.array_equal(np.unique(steps), np.arange(n_steps)):
            raise ValueError("distilled_step_ must number the steps 0 .. n_steps-1.")
        if self.learning_rate_init == "auto":
            base_lr = float(getattr(distiller, "lr_init", 0.1))
        else:
            base_lr = float(self.learning_rate_init)
        order, step_lrs = step_sequence(
            self.schedule,
            distiller.lr_schedule_,
            n_steps,
            n_repeats=self.n_repeats,
            base_lr=base_lr,
        )
        X_all, Y_all = _as_tensor(X_syn), _as_tensor(Y)
        batches_X = [X_all[steps == s] for s in range(n_steps)]
        batches_Y = [Y_all[steps == s] for s in range(n_steps)]

        n_epochs = len(order) // n_steps
        progress = ProgressReporter(progress_name, n_epochs, self.verbose)
        self.loss_curve_ = []
        for epoch in range(n_epochs):
            chunk = slice(epoch * n_steps, (epoch + 1) * n_steps)
            # The step sequence of this epoch: its batches, in order, and rates.
            params = replay_distilled(
                params,
                [batches_X[i] for i in order[chunk]],
                [batches_Y[i] for i in order[chunk]],
                step_lrs[chunk].tolist(),
                self.activation,
            )
            logits, _ = forward(params, X_all, self.activation)
            loss = soft_cross_entropy(logits, Y_all).mean().item()
            check_finite_loss(
                loss,
                epoch + 1,
                progress_name,
                "Lower learning_rate_init (constant and strategy1 schedules) or "
                "use a schedule of learned rates with a smaller n_repeats.",
            )
            self.loss_curve_.append(loss)
            progress.update(epoch + 1, loss)
        self.n_iter_ = n_epochs
        return params

    def _train_adam(self, params, X, Y, rng, progress_name):
        """Minibatch Adam with an L2 penalty, as MLPClassifier(solver="adam")."""
        n_samples = X.shape[0]
        batch_size = 200 if self.batch_size == "auto" else self.batch_size
        batch_size = min(batch_size, n_samples)
        lr = (
            _ADAM_DEFAULT_LR
            if self.learning_rate_init == "auto"
            else float(self.learning_rate_init)
        )
        X_t, Y_t = _as_tensor(X), _as_tensor(Y)
        first = [torch.zeros_like(p) for p in params]
        second = [torch.zeros_like(p) for p in params]
        alpha = float(self.alpha)
        best, no_improvement, t = np.inf, 0, 0
        progress = ProgressReporter(progress_name, self.max_iter, self.verbose)
        self.loss_curve_ = []
        for epoch in range(1, self.max_iter + 1):
            order = torch.as_tensor(rng.permutation(n_samples))
            epoch_loss = 0.0
            for start in range(0, n_samples, batch_size):
                index = order[start : start + batch_size]
                xb, yb = X_t[index], Y_t[index]
                n_batch = len(index)
                logits, hidden = forward(params, xb, self.activation)
                delta = soft_cross_entropy_delta(logits, yb)
                grads = backward(params, xb, hidden, delta, self.activation)
                loss = soft_cross_entropy(logits, yb).mean()
                if alpha:
                    weights = params[0::2]
                    n_models = weights[0].shape[0]
                    penalty = sum((w * w).sum() for w in weights) / n_models
                    loss = loss + 0.5 * alpha * penalty / n_batch
                    for i in range(0, len(params), 2):
                        grads[i] = grads[i] + (alpha / n_batch) * params[i]
                epoch_loss += loss.item() * n_batch
                t += 1
                step = lr * np.sqrt(1 - _BETA_2**t) / (1 - _BETA_1**t)
                new_params = []
                for p, g, m, v in zip(params, grads, first, second, strict=True):
                    m.mul_(_BETA_1).add_(g, alpha=1 - _BETA_1)
                    v.mul_(_BETA_2).addcmul_(g, g, value=1 - _BETA_2)
                    new_params.append(p - step * m / (v.sqrt() + _EPSILON))
                params = new_params
            epoch_loss /= n_samples
            check_finite_loss(
                epoch_loss, epoch, progress_name, "Lower learning_rate_init."
            )
            self.loss_curve_.append(epoch_loss)
            progress.update(epoch, epoch_loss)
            if epoch_loss > best - self.tol:
                no_improvement += 1
            else:
                no_improvement = 0
            best = min(best, epoch_loss)
            if no_improvement >= self.n_iter_no_change:
                break
        else:
            warnings.warn(
                f"{progress_name}: the maximum number of epochs ({self.max_iter}) "
                "was reached and the optimisation has not converged yet; increase "
                "max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.n_iter_ = epoch
        return params

    # -- prediction -------------------------------------------------------------

    def _input_scaling(self):
        if self.input_mean_ is None:
            return None
        return self.input_mean_, self.input_scale_

    def _stacked_proba(self, X, params):
        """Class probabilities of every stacked network, ``(m, n, n_classes)``."""
        return to_numpy(torch.softmax(self._logits(X, params), dim=-1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
