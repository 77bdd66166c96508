"""KDMetaparamTuner: knowledge distillation with hypergradient-tuned metaparameters."""

import contextlib
import warnings
from collections import deque
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context, clone
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)
from threadpoolctl import threadpool_limits

from .._base import (
    TorchEstimatorBase,
    check_hidden_layer_sizes,
    fit_standardisation,
    run_iterations,
)
from .._engine.kd_hypergradient import (
    HYPERGRADIENTS,
    TRAJECTORIES,
    AdamMetaStep,
    NumpyKDStep,
    meta_step,
    predict_linear_trajectory,
    training_step,
    validation_loss,
)
from .._nets.mlp import ACTIVATIONS, layer_sizes, xavier_init
from .._nets.mlp_prediction import MLPPredictionMixin
from .._utils import (
    DivergenceError,
    check_finite_loss,
    check_local_random_state,
    check_no_missing_labels,
    check_numeric_columns,
    class_indices,
    refuse_lazy,
    to_numpy,
    torch_generator,
)
from .transfer import TRANSFER_SETS, make_transfer_set

#: Teacher probabilities are floored at this value before their logarithm is
#: taken as the teacher's logits (a random forest predicts exact zeros).
TEACHER_PROBA_FLOOR = 1e-6


#: ``meta_learning_rate="auto"`` by ``meta_optimizer``.
META_LEARNING_RATES = {"sgd": 0.1, "adam": 0.01}

#: The label of an unlabelled row (scikit-learn's semi-supervised convention).
UNLABELLED = -1


def _unlabelled_mask(y):
    """True where ``y`` is the unlabelled marker ``-1`` (numeric labels only;
    text labels have no unlabelled marker)."""
    y = np.asarray(y)
    if y.dtype.kind in "biuf":
        return y == UNLABELLED
    return np.array([isinstance(v, Integral) and v == UNLABELLED for v in y])


def _check_bounds(bounds, name, lowest, highest):
    """A validated ``(low, high)`` interval inside ``[lowest, highest]``."""
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high) of two numbers; got {bounds!r}."
        ) from None
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name} must be finite; got {bounds!r}.")
    if low >= high:
        raise ValueError(
            f"{name}={bounds!r} is empty or reversed: it needs low < high. To keep "
            "a metaparameter fixed, set meta_learning_rate=0 instead."
        )
    if low < lowest or high > highest:
        raise ValueError(f"{name}={bounds!r} must lie inside [{lowest}, {highest}].")
    return low, high


def stratified_validation_split(y_index, validation_fraction, rng):
    """Row indices ``(train, validation)`` of a stratified split.

    Every class gives ``round(validation_fraction * n_c)`` rows to the
    validation part but keeps at least one in the training part, so the teacher
    and the student see every class. If that leaves the validation part empty,
    one row of the largest class moves there.
    """
    classes = np.unique(y_index)
    train, val = [], []
    counts = {}
    for c in classes:
        rows = rng.permutation(np.flatnonzero(y_index == c))
        n_val = min(len(rows) - 1, int(round(validation_fraction * len(rows))))
        counts[c] = len(rows)
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    if sum(len(v) for v in val) == 0:
        largest = max(classes, key=lambda c: counts[c])
        position = int(np.flatnonzero(classes == largest)[0])
        if counts[largest] < 2:
            raise ValueError(
                "Cannot split off a validation set: every class has a single "
                "sample. Pass X_val and y_val to fit, or give more samples."
            )
        val[position] = train[position][:1]
        train[position] = train[position][1:]
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


#: The numpy path is used when the validation forward pass (the largest product
#: of a step) is at most this many multiply-adds. It removes a fixed
#: per-operation overhead (benchmarks/bench_kd_speed.py); beyond this size the
#: arithmetic dominates, the gain vanishes, and the torch path, whose kernels
#: may use several threads, is kept.
NUMPY_PATH_MAX_WORK = 2_000_000


def _use_numpy_path(hypergradient, sizes, n_val):
    """Whether a fit runs its student through `NumpyKDStep`.

    Only the exact hypergradient has a numpy implementation; the
    finite-difference variant stays on torch.
    """
    if hypergradient != "exact":
        return False
    work = n_val * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return work <= NUMPY_PATH_MAX_WORK


class _TorchStudent:
    """The student on torch: autograd through the step (the reference path)."""

    def __init__(self, params, X, teacher_logits, targets, X_val, yv_index, c, est):
        dtype = torch.float32
        self.params = params
        self.X = torch.as_tensor(X, dtype=dtype)
        self.X_val = torch.as_tensor(X_val, dtype=dtype)
        # Rows summing to the hard term's weight (0 on unlabelled rows).
        self.y = torch.as_tensor(targets, dtype=dtype)
        self.y_val = torch.as_tensor(yv_index, dtype=torch.int64)
        self.f = torch.as_tensor(teacher_logits, dtype=dtype)
        self.hypergradient = HYPERGRADIENTS[est.hypergradient]
        self.lr = float(est.learning_rate_init)
        self.val_temperature = est.val_temperature
        self.activation = est.activation
        self.hinton_scaling = est.hinton_scaling

    def step(self, rows, lam, temperature, with_hypergradient):
        batch = torch.as_tensor(rows, dtype=torch.int64)
        Xb, yb, fb = self.X[batch], self.y[batch], self.f[batch]
        if with_hypergradient:
            self.params, grad, loss, _ = self.hypergradient(
                self.params,
                Xb,
                fb,
                yb,
                lam,
                temperature,
                self.lr,
                self.X_val,
                self.y_val,
                self.val_temperature,
                self.activation,
                self.hinton_scaling,
            )
            return grad, loss
        with torch.no_grad():
            self.params, loss = training_step(
                self.params,
                Xb,
                fb,
                yb,
                lam,
                temperature,
                self.lr,
                self.activation,
                self.hinton_scaling,
            )
        return None, loss.item()

    def validation_loss(self):
        with torch.no_grad():
            return validation_loss(
                self.params,
                self.X_val,
                self.y_val,
                self.val_temperature,
                self.activation,
            ).item()

    def coefs_intercepts(self):
        return (
            [to_numpy(w)[0] for w in self.params[0::2]],
            [to_numpy(b)[0, 0] for b in self.params[1::2]],
        )


class _NumpyStudent:
    """The student on numpy, float32 like the torch path (see `NumpyKDStep`)."""

    def __init__(self, params, X, teacher_logits, targets, X_val, yv_index, c, est):
        dtype = np.float32
        self.params = [
            p.numpy()[0] if i % 2 == 0 else p.numpy()[0, 0]
            for i, p in enumerate(params)
        ]
        eye = np.eye(c, dtype=dtype)
        self.core = NumpyKDStep(
            X.astype(dtype),
            teacher_logits.astype(dtype),
            targets.astype(dtype),
            X_val.astype(dtype),
            eye[yv_index],
            est.val_temperature,
            est.learning_rate_init,
            est.activation,
            est.hinton_scaling,
        )

    def step(self, rows, lam, temperature, with_hypergradient):
        self.params, grad, loss = self.core.step(
            self.params, rows, lam, temperature, with_hypergradient
        )
        return grad, loss

    def validation_loss(self):
        return self.core.validation_loss(self.params)

    def coefs_intercepts(self):
        return (
            [w.astype(np.float64) for w in self.params[0::2]],
            [b.astype(np.float64) for b in self.params[1::2]],
        )


class KDMetaparamTuner(MLPPredictionMixin, ClassifierMixin, TorchEstimatorBase):
    """Knowledge distillation into an MLP student whose distillation
    metaparameters are tuned by hypergradient descent while it trains.

    `fit` fits a teacher (a clone of any classifier with ``predict_proba``) on
    the labelled rows of the training part, then trains a student MLP by
    minibatch SGD on

    ``lambda_1 * CE(y, softmax(g)) + (1 - lambda_1) * CE(softmax(f/T), softmax(g/T))``

    where ``g`` are the student's logits and ``f = log(teacher probabilities)``
    the teacher's. After every student step the metaparameters ``(lambda_1,
    T)`` move down the greedy one-step hypergradient of the validation
    cross-entropy at the fixed temperature ``val_temperature`` (equation (3) of
    "Metaparameter optimization in knowledge distillation"), and are projected
    back into their bounds. Rows labelled ``-1`` are unlabelled (scikit-learn's
    semi-supervised convention): they train the student through the teacher's
    soft labels alone, the labelled rows through both terms, and the
    validation rows are labelled rows. With ``trajectory="linear"``,
    hypergradient steps alternate with iterations whose metaparameters are
    extrapolated by a least-squares line (Algorithm 1 of the paper).

    Read more in ``doc/kd_metaparam_tuning.md``.

    Parameters
    ----------
    teacher : classifier or None, default=None
        Any scikit-learn classifier with ``predict_proba``. It is cloned and
        fitted on the labelled rows of the training part (unlabelled rows,
        labelled ``-1``, never reach it); a fitted teacher wrapped in
        :class:`sklearn.frozen.FrozenEstimator` is used as is (not refitted).
        ``None`` uses ``GradientBoostingClassifier()`` with default settings.
        When the (cloned) teacher has a ``random_state`` parameter set to None,
        it is set to an int drawn from this estimator's ``random_state``, so
        that ``random_state`` fixes the whole fit.

    hidden_layer_sizes : tuple of int, default=(32,)
        Hidden layers of the student; ``()`` is a linear (multinomial
        logistic-regression) student, as in the paper's synthetic experiment.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the student's hidden layers.

    lambda_init : float, default=0.5
        Initial weight ``lambda_1`` of the hard-label term (1 = no
        distillation, 0 = teacher only).

    temperature_init : float, default=1.0
        Initial distillation temperature ``T``.

    hypergradient : {"exact", "finite_difference"}, default="exact"
        How the one-step hypergradient is computed: autograd through the SGD
        step, or the central-difference Hessian-vector product of DARTS with
        ``eps = 0.01 / ||grad_w L_val||``.

    trajectory : {None, "linear", "linear-paper"}, default=None
        ``None``: a hypergradient step at every student iteration. Otherwise
        ``e1`` hypergradient iterations, then ``e2`` iterations whose
        metaparameters are extrapolated without a hypergradient, repeated until
        training ends. ``"linear-paper"``: the least-squares line through the
        last ``e1`` values (Algorithm 1 of the paper). ``"linear"``: from the
        last value, along the least-squares trend of the last ``e1`` steps,
        coming to rest where that trend reaches zero (it does not overshoot a
        converging path as the line does; see the user guide).

    e1 : int, default=10
        Hypergradient iterations per cycle of the linear trajectory (>= 2).

    e2 : int, default=10
        Predicted iterations per cycle of the linear trajectory.

    meta_learning_rate : float or "auto", default="auto"
        Step size of the metaparameters' optimizer. ``0`` keeps them at
        their initial values and computes no hypergradient (plain
        distillation with fixed metaparameters, the baseline to compare
        against). ``"auto"``: 0.1 with ``meta_optimizer="sgd"`` (the paper's
        gradient descent), 0.01 with ``"adam"``.

    meta_optimizer : {"sgd", "adam"}, default="adam"
        ``"sgd"``: plain projected gradient steps, ``meta_learning_rate``
        times the hypergradient (equation (3) of the paper). ``"adam"``:
        Adam steps (``beta = (0.9, 0.999)``), about ``meta_learning_rate``
        per iteration while the hypergradient keeps its sign whatever its
        scale, so the metaparameters move within the budget on data whose
        hypergradients are tiny; then projected.

    meta_gradient_clip : float or None, default=None
        Clip every component of the hypergradient into ``[-c, c]`` before the
        metaparameter step (the authors' code clips by value at 0.01). With
        ``temperature_step="log"`` the clipped component is the derivative
        with respect to ``log T``. ``None`` does not clip.

    temperature_step : {"linear", "log"}, default="log"
        ``"linear"``: gradient steps in ``T`` itself, as equation (3).
        ``"log"``: gradient steps in ``log T`` (``T <- T * exp(-meta_lr * T *
        dL/dT)``), which keeps steps proportionate near the lower bound,
        where ``dL/dT`` grows like ``1 / T**2``.

    val_temperature : float, default=1.0
        Temperature ``T_val`` of the validation cross-entropy (fixed).

    validation_fraction : float, default=0.1
        Fraction of the rows split off, stratified by class, as the validation
        set when `fit` gets no explicit ``X_val``.

    lambda_bounds : tuple of two floats, default=(0.0, 1.0)
        Interval ``lambda_1`` is kept in; inside ``[0, 1]``.

    temperature_bounds : tuple of two floats, default=(0.1, 10.0)
        Interval ``T`` is kept in; positive.

    hinton_scaling : bool, default=False
        Multiply the distillation term by ``T**2`` (Hinton et al. 2015), which
        keeps its gradient scale independent of ``T``. The paper does not
        scale.

    learning_rate_init : float, default=0.1
        Step size of the student's plain SGD (constant). Also the ``gamma`` of
        the one-step lookahead in the hypergradient.

    batch_size : int, default=64
        Training rows per student step (capped at the size of the training
        part; the last minibatch of an epoch may be smaller).

    max_iter : int, default=200
        Epochs over the training part. One epoch is ``ceil(n_train /
        batch_size)`` student iterations; each iteration updates the
        metaparameters once.

    n_threads : int or None, default=1
        Torch intra-op threads during `fit` (restored afterwards). ``None``
        keeps torch's setting.

    transfer_set : {None, "munge", "perturb", "distilled"}, default=None
        Synthetic rows added to the training part as unlabelled rows, which
        the student learns from through the teacher's soft labels (for
        compressing a model when there are no unlabelled rows). ``"munge"``:
        MUNGE (Bucila et al. 2006), attributes moved towards the nearest
        neighbour's; ``"perturb"``: real rows plus Gaussian noise of 0.1
        standard deviation per continuous column (for both, binary columns,
        e.g. one-hot, keep values seen in the data, and a synthetic row
        carries its source row's ``sample_weight``); ``"distilled"``: the
        rows of a :class:`~skdistill.DatasetDistiller` fitted on the training
        rows labelled with the teacher's predicted classes, with the
        student's hidden layers as its architecture (at most 300 outer
        iterations with its early stopping; its rows carry the mean
        ``sample_weight``). It costs far more than the other two. Made from
        the training part (labelled and unlabelled rows), never from the
        validation rows.

    transfer_size : float, default=1.0
        Synthetic rows per training row (``round(transfer_size *
        n_train)`` rows, rounded up to a multiple of 10 for
        ``"distilled"``) when ``transfer_set`` is set.

    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the transfer set, the teacher (see ``teacher``), the
        student's initialisation and the minibatch order. An int makes `fit`
        repeatable to the bit on one machine.

    verbose : int, default=0
        Print progress (about ten lines per fit; every epoch if > 1).

    Attributes
    ----------
    teacher_ : classifier
        The fitted teacher (the FrozenEstimator itself when one was given).

    classes_ : ndarray of shape (n_classes,)
        Class labels (of the labelled rows; ``-1`` marks unlabelled rows and
        is not a class).

    coefs_ : list of ndarray
        Student weight matrices, ``coefs_[i]`` of shape ``(fan_in, fan_out)``,
        acting on standardised inputs ``(X - mean_) / scale_``.

    intercepts_ : list of ndarray
        Student bias vectors, ``intercepts_[i]`` of shape ``(fan_out,)``.

    mean_, scale_ : ndarray of shape (n_features_in_,)
        Standardisation of the student's inputs (from the training part).

    lambda_ : float
        ``lambda_1`` at the end of training.

    temperature_ : float
        ``T`` at the end of training.

    lambda_path_ : ndarray of shape (t_,)
        ``lambda_1`` used at every student iteration.

    temperature_path_ : ndarray of shape (t_,)
        ``T`` used at every student iteration.

    predicted_path_ : ndarray of bool of shape (t_,)
        True at the iterations whose metaparameters were predicted by the
        linear trajectory rather than updated by a hypergradient.

    n_hypergradient_steps_ : int
        Hypergradient evaluations made.

    loss_curve_ : list of float
        Training (distillation) loss, mean over each epoch's minibatches.

    validation_loss_curve_ : list of float
        Validation cross-entropy at ``val_temperature`` after every epoch.

    n_iter_ : int
        Epochs run.

    t_ : int
        Student iterations (SGD steps) run.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during `fit`, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The student's architecture, without
        a teacher.

    References
    ----------
    Metaparameter optimization in knowledge distillation (Gorpinich, Bakhteev,
    Strijov), section 3, equations (3)-(4) and Algorithm 1.

    G. Hinton, O. Vinyals, J. Dean. Distilling the Knowledge in a Neural
    Network. 2015.

    H. Liu, K. Simonyan, Y. Yang. DARTS: Differentiable Architecture Search.
    2018.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import KDMetaparamTuner
    >>> X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    >>> tuner = KDMetaparamTuner(
    ...     teacher=RandomForestClassifier(n_estimators=20, random_state=0),
    ...     hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    >>> tuner.fit(X, y).score(X, y) > 0.8
    True
    >>> tuner.lambda_path_.shape == (tuner.t_,)
    True
    >>> 0.0 <= tuner.lambda_ <= 1.0 and 0.1 <= tuner.temperature_ <= 10.0
    True
    """

    _parameter_constraints: dict = {
        "teacher": [None, HasMethods(["fit", "predict_proba"])],
        "hidden_layer_sizes": [tuple, list, Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "lambda_init": [Interval(Real, 0, 1, closed="both")],
        "temperature_init": [Interval(Real, 0, None, closed="neither")],
        "hypergradient": [StrOptions(set(HYPERGRADIENTS))],
        "trajectory": [None, StrOptions({"linear", "linear-paper"})],
        "e1": [Interval(Integral, 2, None, closed="left")],
        "e2": [Interval(Integral, 1, None, closed="left")],
        "meta_learning_rate": [
            Interval(Real, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "meta_optimizer": [StrOptions({"sgd", "adam"})],
        "meta_gradient_clip": [None, Interval(Real, 0, None, closed="neither")],
        "temperature_step": [StrOptions({"linear", "log"})],
        "val_temperature": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "lambda_bounds": [tuple, list],
        "temperature_bounds": [tuple, list],
        "hinton_scaling": ["boolean"],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "transfer_set": [None, StrOptions(set(TRANSFER_SETS))],
        "transfer_size": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        teacher=None,
        *,
        hidden_layer_sizes=(32,),
        activation="relu",
        lambda_init=0.5,
        temperature_init=1.0,
        hypergradient="exact",
        trajectory=None,
        e1=10,
        e2=10,
        meta_learning_rate="auto",
        meta_optimizer="adam",
        meta_gradient_clip=None,
        temperature_step="log",
        val_temperature=1.0,
        validation_fraction=0.1,
        lambda_bounds=(0.0, 1.0),
        temperature_bounds=(0.1, 10.0),
        hinton_scaling=False,
        learning_rate_init=0.1,
        batch_size=64,
        max_iter=200,
        n_threads=1,
        transfer_set=None,
        transfer_size=1.0,
        random_state=None,
        verbose=0,
    ):
        self.teacher = teacher
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.lambda_init = lambda_init
        self.temperature_init = temperature_init
        self.hypergradient = hypergradient
        self.trajectory = trajectory
        self.e1 = e1
        self.e2 = e2
        self.meta_learning_rate = meta_learning_rate
        self.meta_optimizer = meta_optimizer
        self.meta_gradient_clip = meta_gradient_clip
        self.temperature_step = temperature_step
        self.val_temperature = val_temperature
        self.validation_fraction = validation_fraction
        self.lambda_bounds = lambda_bounds
        self.temperature_bounds = temperature_bounds
        self.hinton_scaling = hinton_scaling
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.n_threads = n_threads
        self.transfer_set = transfer_set
        self.transfer_size = transfer_size
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @_fit_context(
        # The teacher is validated when it is fitted.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, X_val=None, y_val=None, sample_weight=None):
        """Fit the teacher, then train the student while tuning (lambda_1, T).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; numeric, finite.
        y : array-like of shape (n_samples,)
            Class labels; at least two classes. ``-1`` marks an unlabelled
            row (numeric labels only; a class called -1 must be renamed):
            the student learns the teacher's soft labels on it, the teacher
            and the validation set never see it. The hard term's mean is
            taken over the labelled rows (a minibatch's labelled rows are
            weighted by one over the fraction of labelled training rows).
            ``classes_`` are the labels of the other rows; a fitted
            (frozen) teacher must have exactly these classes.
        X_val : array-like of shape (n_val, n_features), default=None
            An explicit validation set for the hypergradient. When given, all
            of ``(X, y)`` trains the teacher and the student and
            ``validation_fraction`` is ignored.
        y_val : array-like of shape (n_val,), default=None
            Labels of ``X_val``; each must be one of the classes of ``y``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows of ``X``: the student's training rows are drawn
            with probability proportional to them (an unbiased estimate of the
            weighted loss; the hypergradient is unchanged), the rows split off
            for validation are resampled once the same way, and the teacher
            is fitted with them when its ``fit`` takes ``sample_weight`` (a
            warning says when it does not).

        Returns
        -------
        self : KDMetaparamTuner
            The fitted estimator.
        """
        with self._fitting():
            self._fit(X, y, X_val, y_val, sample_weight)
        return self

    def _fit(self, X, y, X_val, y_val, sample_weight=None):
        X, self.classes_, y_index = self._validate_semi_supervised(X, y)
        labelled = y_index >= 0
        if sample_weight is not None:
            # Refuses negative weights and weights that are all zero.
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        lambda_bounds = _check_bounds(self.lambda_bounds, "lambda_bounds", 0.0, 1.0)
        temperature_bounds = _check_bounds(
            self.temperature_bounds, "temperature_bounds", 0.0, np.inf
        )
        if temperature_bounds[0] <= 0:
            raise ValueError(
                f"temperature_bounds={self.temperature_bounds!r} must be positive; "
                "the temperature divides the logits."
            )
        for name, value, (low, high) in (
            ("lambda_init", self.lambda_init, lambda_bounds),
            ("temperature_init", self.temperature_init, temperature_bounds),
        ):
            if not low <= value <= high:
                bounds_name = name.replace("_init", "_bounds")
                raise ValueError(
                    f"{name}={value} lies outside {bounds_name}=({low}, {high})."
                )

        rng = check_local_random_state(self.random_state)
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        if X_val is None:
            # The validation rows are labelled rows; every unlabelled row trains.
            labelled_rows = np.flatnonzero(labelled)
            train_l, val_l = stratified_validation_split(
                y_index[labelled_rows], self.validation_fraction, rng
            )
            val = labelled_rows[val_l]
            train = np.sort(
                np.concatenate([labelled_rows[train_l], np.flatnonzero(~labelled)])
            )
            X_train, y_index_train = X[train], y_index[train]
            X_val_, yv_index = X[val], y_index[val]
            if sample_weight is not None:
                # The validation objective is a weighted mean: resample once.
                val_weight, sample_weight = sample_weight[val], sample_weight[train]
                if val_weight.sum() > 0:
                    drawn = rng.choice(
                        len(val), len(val), p=val_weight / val_weight.sum()
                    )
                    X_val_, yv_index = X_val_[drawn], yv_index[drawn]
        else:
            X_val_, y_val_ = validate_data(
                self, X_val, y_val, dtype=np.float64, reset=False
            )
            unknown = np.setdiff1d(np.unique(y_val_), self.classes_)
            if len(unknown):
                raise ValueError(
                    f"y_val holds classes absent from y (its labelled rows): "
                    f"{unknown.tolist()!r}."
                )
            yv_index = np.searchsorted(self.classes_, y_val_)
            X_train, y_index_train = X, y_index

        # The teacher learns from the labelled real rows.
        labelled_train = y_index_train >= 0
        if sample_weight is not None and not sample_weight[labelled_train].sum() > 0:
            raise ValueError(
                "The labelled training rows all have zero sample_weight; the hard "
                "term would never see a label."
            )
        self.teacher_ = self._fit_teacher(
            X_train[labelled_train],
            self.classes_[y_index_train[labelled_train]],
            rng,
            None if sample_weight is None else sample_weight[labelled_train],
        )
        teacher_logits = self._teacher_logits(X_train)
        if self.transfer_set is not None:
            # Synthetic rows join the training part as unlabelled rows.
            # Two training rows at least: one of each of two classes.
            size = max(1, int(round(self.transfer_size * len(X_train))))
            synthetic, sources = make_transfer_set(
                self.transfer_set,
                X_train,
                size,
                rng,
                labels=teacher_logits.argmax(axis=1),
                hidden_layer_sizes=hidden,
                sample_weight=sample_weight,
                n_threads=self.n_threads,
            )
            X_train = np.vstack([X_train, synthetic])
            y_index_train = np.concatenate(
                [
                    y_index_train,
                    np.full(len(synthetic), -1, dtype=y_index_train.dtype),
                ]
            )
            if sample_weight is not None:
                # A learned row has no single source: it carries the mean weight.
                extra = (
                    sample_weight[sources]
                    if sources is not None
                    else np.full(len(synthetic), sample_weight.mean())
                )
                sample_weight = np.concatenate([sample_weight, extra])
            teacher_logits = np.vstack(
                [teacher_logits, self._teacher_logits(synthetic)]
            )
        targets = self._hard_targets(y_index_train, sample_weight)

        blas_limit = (
            threadpool_limits(limits=self.n_threads, user_api="blas")
            if self.n_threads is not None
            else contextlib.nullcontext()
        )
        # Overflow in the numpy path is reported as a DivergenceError naming the
        # parameter to lower, as on torch, not as a RuntimeWarning.
        with blas_limit, np.errstate(all="ignore"):
            self._train_student(
                X_train,
                targets,
                teacher_logits,
                X_val_,
                yv_index,
                hidden,
                lambda_bounds,
                temperature_bounds,
                rng,
                sample_weight,
            )

    def _meta_learning_rate(self):
        """``meta_learning_rate`` with ``"auto"`` resolved for the optimizer."""
        if self.meta_learning_rate == "auto":
            return META_LEARNING_RATES[self.meta_optimizer]
        return self.meta_learning_rate

    def _validate_semi_supervised(self, X, y):
        """``(X, classes, y_index)`` with ``y_index == -1`` on unlabelled rows.

        Rows whose label is ``-1`` are unlabelled (the convention of
        scikit-learn's semi-supervised estimators); the classes are those of
        the other rows.
        """
        refuse_lazy(self, X)
        check_numeric_columns(self, X)
        check_no_missing_labels(y)
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        unlabelled = _unlabelled_mask(y)
        if unlabelled.all():
            raise ValueError(
                f"Every row of y is -1 (unlabelled). {type(self).__name__} needs "
                "labelled rows of at least two classes: the teacher is fitted on "
                "them (unless it is a fitted FrozenEstimator) and the "
                "metaparameters are tuned on them."
            )
        if unlabelled.any() and len(np.unique(y[~unlabelled])) < 2:
            raise ValueError(
                f"{type(self).__name__} needs labelled rows of at least two "
                f"classes; the rows not labelled -1 hold one class, "
                f"{y[~unlabelled][0]!r}. A label of -1 marks an unlabelled row: "
                "rename a class called -1 (e.g. with LabelEncoder)."
            )
        classes, labelled_index = class_indices(self, y[~unlabelled])
        y_index = np.full(len(y), -1, dtype=np.int64)
        y_index[~unlabelled] = labelled_index
        return X, classes, y_index

    def _hard_targets(self, y_index, sample_weight):
        """Targets of the hard term, ``(n, n_classes)``: one-hot on labelled
        rows, zero on unlabelled ones.

        With unlabelled rows among the training rows, a minibatch holds a
        fraction ``rho`` of labelled rows (in expectation; weighted when rows
        are drawn by weight); the labelled rows' targets are scaled by ``1 /
        rho``, so that the hard term of a minibatch estimates the mean
        cross-entropy over the labelled rows without bias. All rows labelled:
        plain one-hot rows.
        """
        labelled = y_index >= 0
        targets = np.zeros((len(y_index), len(self.classes_)), dtype=np.float64)
        targets[np.flatnonzero(labelled), y_index[labelled]] = 1.0
        if labelled.all():
            return targets
        if sample_weight is None:
            rho = labelled.mean()
        else:
            rho = sample_weight[labelled].sum() / sample_weight.sum()
        return targets / rho

    def _fit_teacher(self, X, y, rng, sample_weight=None):
        teacher_seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.teacher is None:
            teacher = GradientBoostingClassifier(random_state=teacher_seed)
        elif isinstance(self.teacher, FrozenEstimator):
            teacher = self.teacher
            check_is_fitted(teacher)
        else:
            teacher = clone(self.teacher)
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
        unknown = np.setdiff1d(self.classes_, teacher_classes)
        if len(unknown):
            raise ValueError(
                f"The labelled rows of y hold classes the teacher does not know: "
                f"{unknown.tolist()!r} (teacher's classes_ "
                f"{teacher_classes.tolist()!r}); y's labels must be among the "
                "teacher's classes, or -1 for an unlabelled row."
            )
        missing = np.setdiff1d(teacher_classes, self.classes_)
        if len(missing):
            raise ValueError(
                f"The teacher's classes {missing.tolist()!r} have no labelled row "
                f"in y (teacher's classes_ {teacher_classes.tolist()!r}); give "
                "every class at least one labelled row (the metaparameters are "
                "tuned on labelled rows)."
            )
        if teacher_classes.shape != self.classes_.shape or not np.all(
            teacher_classes == self.classes_
        ):
            raise ValueError(
                f"The teacher's classes_ {teacher_classes.tolist()!r} differ from "
                f"the classes of y {self.classes_.tolist()!r}; the teacher must be "
                "trained on the same set of classes."
            )
        return teacher

    def _teacher_logits(self, X):
        proba = np.asarray(self.teacher_.predict_proba(X), dtype=np.float64)
        if proba.shape != (X.shape[0], len(self.classes_)):
            raise ValueError(
                f"The teacher's predict_proba returned shape {proba.shape}; "
                f"expected {(X.shape[0], len(self.classes_))}."
            )
        row_sums = proba.sum(axis=1)
        if not np.all(np.isfinite(proba)) or np.any(proba < 0) or np.any(row_sums <= 0):
            raise ValueError(
                "The teacher's predict_proba returned negative or non-finite "
                "values; they must be probabilities."
            )
        proba = proba / row_sums[:, None]
        return np.log(np.maximum(proba, TEACHER_PROBA_FLOOR))

    def _train_student(
        self,
        X_train,
        targets,
        teacher_logits,
        X_val,
        yv_index,
        hidden,
        lambda_bounds,
        temperature_bounds,
        rng,
        sample_weight=None,
    ):
        n_train, n_features = X_train.shape
        draw = None if sample_weight is None else sample_weight / sample_weight.sum()
        n_classes = len(self.classes_)
        self.mean_, self.scale_ = fit_standardisation(X_train)

        generator = torch_generator(rng)
        sizes = layer_sizes(n_features, hidden, n_classes)
        params = xavier_init(sizes, 1, generator=generator, dtype=torch.float32)
        backend_class = (
            _NumpyStudent
            if _use_numpy_path(self.hypergradient, sizes, len(yv_index))
            else _TorchStudent
        )
        student = backend_class(
            params,
            (X_train - self.mean_) / self.scale_,
            teacher_logits,
            targets,
            (X_val - self.mean_) / self.scale_,
            yv_index,
            n_classes,
            self,
        )

        lam, temperature = float(self.lambda_init), float(self.temperature_init)
        tune = self._meta_learning_rate() > 0
        linear = self.trajectory in ("linear", "linear-paper")
        meta_lr = float(self._meta_learning_rate())
        batch_size = min(self.batch_size, n_train)
        name = type(self).__name__
        advice = "Lower learning_rate_init (the student's step size)."

        step_metaparameters = (
            AdamMetaStep() if self.meta_optimizer == "adam" else meta_step
        )
        lam_path, temp_path, predicted_path = [], [], []
        cycle, pending = [], deque()
        n_hyper = 0
        self.validation_loss_curve_ = []

        def epoch(_):
            nonlocal lam, temperature, cycle, n_hyper
            if draw is None:
                order = rng.permutation(n_train)
            else:  # rows drawn in proportion to their weights
                order = rng.choice(n_train, n_train, p=draw)
            epoch_loss = 0.0
            # A plain range: gen_batches validates its arguments at every call,
            # which costs more than a student step of the numpy path.
            for first in range(0, n_train, batch_size):
                batch_slice = slice(first, min(first + batch_size, n_train))
                predicted = bool(pending)
                if predicted:
                    lam, temperature = pending.popleft()
                lam_path.append(lam)
                temp_path.append(temperature)
                predicted_path.append(predicted)
                with_hypergradient = tune and not predicted
                grad, loss = student.step(
                    order[batch_slice], lam, temperature, with_hypergradient
                )
                check_finite_loss(loss, len(lam_path), name, advice)
                if with_hypergradient:
                    n_hyper += 1
                    if not np.all(np.isfinite(grad)):
                        raise DivergenceError(
                            f"{name} diverged at iteration {len(lam_path)}: the "
                            f"hypergradient is {grad.tolist()}. Lower "
                            "learning_rate_init (the student's step size) or "
                            "meta_learning_rate."
                        )
                    lam, temperature = step_metaparameters(
                        lam,
                        temperature,
                        grad,
                        meta_lr,
                        self.meta_gradient_clip,
                        self.temperature_step,
                        lambda_bounds,
                        temperature_bounds,
                    )
                    if linear:
                        cycle.append((lam, temperature))
                        if len(cycle) == self.e1:
                            predictions = predict_linear_trajectory(
                                cycle,
                                self.e2,
                                (lambda_bounds, temperature_bounds),
                                method=TRAJECTORIES[self.trajectory],
                            )
                            pending.extend((float(a), float(b)) for a, b in predictions)
                            cycle = []
                epoch_loss += loss * (batch_slice.stop - batch_slice.start)
            val_loss = student.validation_loss()
            check_finite_loss(val_loss, len(lam_path), name, advice)
            self.validation_loss_curve_.append(val_loss)
            return epoch_loss / n_train

        run_iterations(self, self.max_iter, epoch, advice=advice)

        coefs, intercepts = student.coefs_intercepts()
        if not all(np.all(np.isfinite(p)) for p in coefs + intercepts):
            raise DivergenceError(
                f"{name} diverged: the student's weights are not finite. Lower "
                "learning_rate_init (the student's step size)."
            )
        self.coefs_, self.intercepts_ = coefs, intercepts
        self.lambda_, self.temperature_ = float(lam), float(temperature)
        self.lambda_path_ = np.asarray(lam_path, dtype=np.float64)
        self.temperature_path_ = np.asarray(temp_path, dtype=np.float64)
        self.predicted_path_ = np.asarray(predicted_path, dtype=bool)
        self.n_hypergradient_steps_ = n_hyper
        self.n_iter_ = self.max_iter
        self.t_ = len(lam_path)

    # -------------------------------------------------------------- predict

    def _input_scaling(self):
        return self.mean_, self.scale_
