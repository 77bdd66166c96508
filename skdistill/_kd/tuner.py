"""KDMetaparamTuner: knowledge distillation with hypergradient-tuned metaparameters."""

import contextlib
from collections import deque
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
)
from threadpoolctl import threadpool_limits

from .._base import (
    TorchEstimatorBase,
    check_hidden_layer_sizes,
    fit_standardisation,
    run_iterations,
)
from .._data.feature_transform import fit_heavy_tail_transform
from .._engine.feature_steps import heavy_tailed_columns
from .._engine.kd_hypergradient import (
    HYPERGRADIENTS,
    META_OBJECTIVES,
    TRAJECTORIES,
    AdamMetaStep,
    calibrated_temperature,
    meta_step,
    predict_linear_trajectory,
)
from .._nets.mlp import layer_sizes, xavier_init
from .._nets.mlp_prediction import MLPPredictionMixin
from .._training.batches import ShuffledIndices, minibatch_epoch
from .._training.constraints import (
    FIT_CONTROLS,
    MLP_NETWORK,
    STOPPING,
    VALIDATION_FRACTION,
)
from .._utils import (
    DivergenceError,
    check_finite_loss,
    check_local_random_state,
    torch_generator,
)
from .labels import hard_targets, training_and_validation, validate_semi_supervised
from .students import (
    NumpyStudent,
    TorchStudent,
    _initial_val_temperature,
    _use_numpy_path,
)
from .teacher import fit_teacher, teacher_log_probabilities
from .transfer import TRANSFER_SETS, make_transfer_set

#: ``meta_learning_rate="auto"`` by ``meta_optimizer``.
META_LEARNING_RATES = {"sgd": 0.1, "adam": 0.01}


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
        with respect to ``log T``, with ``lambda_step="logit"`` the one with
        respect to ``logit(lambda_1)``. ``None`` does not clip.

    temperature_step : {"linear", "log"}, default="log"
        ``"linear"``: gradient steps in ``T`` itself, as equation (3).
        ``"log"``: gradient steps in ``log T`` (``T <- T * exp(-meta_lr * T *
        dL/dT)``), which keeps steps proportionate near the lower bound,
        where ``dL/dT`` grows like ``1 / T**2``.

    lambda_step : {"linear", "logit"}, default="linear"
        ``"linear"``: gradient steps in ``lambda_1`` itself, as equation (3).
        ``"logit"``: steps in ``logit(lambda_1)`` (``lambda_1 (1 - lambda_1)
        dL/dlambda_1`` is the gradient stepped along), which slow down as
        ``lambda_1`` nears 0 or 1 instead of running into the bound (kept
        ``1e-6`` inside ``(0, 1)``, then projected into ``lambda_bounds``).
        A ``lambda_init`` of 0 or 1 therefore barely moves: start inside.

        .. versionadded:: 0.1.0

    meta_horizon : int, default=1
        Student iterations over which the hypergradient of ``lambda_1``
        accounts for its effect on the weights. ``1``: the greedy one-step
        hypergradient of equation (3). ``H > 1``: the weights' sensitivity to
        ``lambda_1`` is accumulated over the past hypergradient steps with the
        discount ``1 - 1/H`` (``z <- (1 - 1/H) z + d grad_w L_train /
        d lambda_1``, Hessian terms dropped), and its hypergradient is
        ``-learning_rate_init <grad_w L_val, z>``: the benefit of a weight on
        the teacher that pays off over many steps shows, not only after the
        next one. ``T`` keeps the one-step hypergradient. Only steps that
        compute a hypergradient add to ``z`` (not the predicted steps of
        ``trajectory="linear"``). It costs extra backward passes through the
        minibatch at every hypergradient. Needs ``hypergradient="exact"``.

        .. versionadded:: 0.1.0

    meta_objective : {"cross_entropy", "expected_error"}, default="cross_entropy"
        The validation loss the hypergradient descends. ``"cross_entropy"``:
        ``CE(y_val, softmax(g / T_val))``, equation (3). ``"expected_error"``:
        the mean of ``1 - softmax(g / T_val)_y``, the error rate of a
        prediction drawn from the student's probabilities; bounded, it does
        not reward a change of the student's confidence as the cross-entropy
        does, only of which rows it gets right. ``validation_loss_curve_``
        stays the cross-entropy.

        .. versionadded:: 0.1.0

    val_temperature : float or "auto", default=1.0
        Temperature ``T_val`` of the validation cross-entropy, fixed. With
        ``"auto"``, recalibrated after every epoch (from 1 before the first):
        the temperature in ``[0.1, 10]`` that minimises the current student's
        cross-entropy on the validation rows (temperature scaling). The
        objective then depends on how well the student separates the
        classes, not on the overall scale of its logits (its confidence),
        which the distillation temperature otherwise moves: closer to
        accuracy. Fits with fixed metaparameters
        (``meta_learning_rate=0``) skip the calibration.

    validation_fraction : float, default=0.1
        Fraction of the labelled rows split off as the validation set when
        `fit` gets no explicit ``X_val``, stratified: scikit-learn's
        ``train_test_split(stratify=y)``, each class its share; where that
        split does not exist (a class of one row, fewer validation rows than
        classes), each class gives ``round(validation_fraction * n_c)`` of its
        ``n_c`` rows and keeps at least one for training (one row of the
        largest class when that sets nothing aside).

        .. versionchanged:: 0.1.0
           The split is scikit-learn's stratified split where one exists; every
           class used to give ``round(validation_fraction * n_c)`` rows.

    validation_batch_size : int or None, default=256
        Validation rows each hypergradient evaluates. ``None``: the whole
        validation set at every step (the paper's ``L_val``). An int ``b``
        smaller than the validation set: each hypergradient step takes the
        next ``b`` rows of shuffled passes over the validation set, so that
        its cost does not grow with the validation set (on large tables the
        whole set costs more than the student's step); with at most ``b``
        validation rows, the whole set. The epoch's
        ``validation_loss_curve_`` always uses the whole set.

        .. versionchanged:: 0.1.0
           The default was ``None`` (the whole validation set).

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

    feature_transform : "auto" or None, default="auto"
        A monotone map of the heavy-tailed columns to Gaussian-like ones,
        applied to the student's inputs before their standardisation, as
        :class:`~skdistill.DatasetDistiller` maps them. ``"auto"``: the
        continuous columns whose mean absolute deviation is small beside
        their standard deviation (``heavy_tailed_features_``, judged on the
        real training rows) are each mapped through their quantiles on those
        rows (weighted by ``sample_weight``) to the Gaussian quantiles
        (piecewise linear between them and linear beyond them, so that
        values past the fitted range keep their order), then standardised;
        the other columns are only standardised. ``None``: standardisation
        only. The map is ``feature_transform_``; `predict` and
        `predict_proba` apply it to rows in the original units, and the
        teacher always sees those. The ``"munge"`` and ``"perturb"`` transfer
        rows are made in the mapped space (noise on the scale of a column's
        bulk rather than of its tail) and mapped back for the teacher;
        ``"distilled"`` leaves the map to its distiller, given the same
        setting. A table without heavy-tailed columns is fitted exactly as
        with ``None``. See the user guide for what it changes on
        heavy-tailed tables.

        .. versionadded:: 0.1.0
           Heavy-tailed columns were only standardised before.

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
        acting on standardised inputs ``(X - mean_) / scale_`` (with the
        columns ``feature_transform_`` maps mapped first).

    intercepts_ : list of ndarray
        Student bias vectors, ``intercepts_[i]`` of shape ``(fan_out,)``.

    mean_, scale_ : ndarray of shape (n_features_in_,)
        Standardisation of the student's inputs (from the training part; for
        the columns ``feature_transform_`` maps, of the mapped values).

    feature_transform_ : FeatureTransform or None
        The map of the heavy-tailed columns applied before the
        standardisation (see ``feature_transform``): ``columns``, the mapped
        columns, and ``transform`` and ``inverse_transform``; None when no
        column is mapped.

    heavy_tailed_features_ : ndarray of shape (n_features_in_,), dtype=bool
        The columns judged heavy-tailed on the real training rows, whatever
        ``feature_transform`` is.

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

    val_temperature_ : float
        ``T_val`` after the last epoch: ``val_temperature``, or with
        ``"auto"`` the temperature that calibrates the final student (1 when
        ``meta_learning_rate=0``: no hypergradient needs it).

    loss_curve_ : list of float
        Training (distillation) loss, mean over each epoch's minibatches.

    validation_loss_curve_ : list of float
        Validation cross-entropy at ``val_temperature`` after every epoch
        (with ``"auto"``, at the temperature the epoch's hypergradients used).

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
        **MLP_NETWORK,
        **FIT_CONTROLS,
        "teacher": [None, HasMethods(["fit", "predict_proba"])],
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
        "lambda_step": [StrOptions({"linear", "logit"})],
        "meta_horizon": [Interval(Integral, 1, None, closed="left")],
        "meta_objective": [StrOptions(set(META_OBJECTIVES))],
        "val_temperature": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "validation_fraction": VALIDATION_FRACTION,
        "validation_batch_size": [None, Interval(Integral, 1, None, closed="left")],
        "lambda_bounds": [tuple, list],
        "temperature_bounds": [tuple, list],
        "hinton_scaling": ["boolean"],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": STOPPING["max_iter"],
        "transfer_set": [None, StrOptions(set(TRANSFER_SETS))],
        "transfer_size": [Interval(Real, 0, None, closed="neither")],
        "feature_transform": [None, StrOptions({"auto"})],
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
        lambda_step="linear",
        meta_horizon=1,
        meta_objective="cross_entropy",
        val_temperature=1.0,
        validation_fraction=0.1,
        validation_batch_size=256,
        lambda_bounds=(0.0, 1.0),
        temperature_bounds=(0.1, 10.0),
        hinton_scaling=False,
        learning_rate_init=0.1,
        batch_size=64,
        max_iter=200,
        n_threads=1,
        transfer_set=None,
        transfer_size=1.0,
        feature_transform="auto",
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
        self.lambda_step = lambda_step
        self.meta_horizon = meta_horizon
        self.meta_objective = meta_objective
        self.val_temperature = val_temperature
        self.validation_fraction = validation_fraction
        self.validation_batch_size = validation_batch_size
        self.lambda_bounds = lambda_bounds
        self.temperature_bounds = temperature_bounds
        self.hinton_scaling = hinton_scaling
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.n_threads = n_threads
        self.transfer_set = transfer_set
        self.transfer_size = transfer_size
        self.feature_transform = feature_transform
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
        X, self.classes_, y_index = validate_semi_supervised(self, X, y)
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

        if self.meta_horizon > 1 and self.hypergradient != "exact":
            raise ValueError(
                f"meta_horizon={self.meta_horizon} needs hypergradient='exact'; "
                f"got hypergradient={self.hypergradient!r}."
            )
        rng = check_local_random_state(self.random_state)
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        X_train, y_index_train, X_val_, yv_index, sample_weight = (
            training_and_validation(
                self, (X, y_index, sample_weight), X_val, y_val, rng
            )
        )

        labelled_train = y_index_train >= 0
        if sample_weight is not None and not sample_weight[labelled_train].sum() > 0:
            raise ValueError(
                "The labelled training rows all have zero sample_weight; the hard "
                "term would never see a label."
            )

        # Heavy-tailed columns are judged (standardised, as the distiller
        # does), and mapped, on the real training rows: labelled and
        # unlabelled, weighted.
        mean, scale = fit_standardisation(X_train)
        self.heavy_tailed_features_ = heavy_tailed_columns((X_train - mean) / scale)
        transform = fit_heavy_tail_transform(
            self.feature_transform, X_train, self.heavy_tailed_features_, sample_weight
        )
        self.feature_transform_ = transform

        # The teacher learns from the labelled real rows.
        self.teacher_ = fit_teacher(
            self.teacher,
            self.classes_,
            X_train[labelled_train],
            self.classes_[y_index_train[labelled_train]],
            rng,
            None if sample_weight is None else sample_weight[labelled_train],
        )
        teacher_logits = teacher_log_probabilities(
            self.teacher_, X_train, self.classes_
        )
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
                feature_transform=self.feature_transform,
                transform=transform,
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
                [
                    teacher_logits,
                    teacher_log_probabilities(self.teacher_, synthetic, self.classes_),
                ]
            )
        targets = hard_targets(y_index_train, len(self.classes_), sample_weight)
        if transform is not None:
            # The student's inputs: the mapped rows (new arrays), standardised.
            X_train, X_val_ = transform.transform(X_train), transform.transform(X_val_)

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
        rows = ShuffledIndices(n_train, self.batch_size, rng, sample_weight)
        n_classes = len(self.classes_)
        self.mean_, self.scale_ = fit_standardisation(X_train)

        generator = torch_generator(rng)
        sizes = layer_sizes(n_features, hidden, n_classes)
        params = xavier_init(sizes, 1, generator=generator, dtype=torch.float32)
        n_val = len(yv_index)
        val_batches = None
        if (
            self._meta_learning_rate() > 0
            and self.validation_batch_size is not None
            and self.validation_batch_size < n_val
        ):
            # Its own stream: the training minibatches do not depend on how
            # many hypergradients (the linear trajectory skips some) draw rows.
            # Fits with fixed metaparameters draw none: they are unchanged.
            val_batches = ShuffledIndices(
                n_val,
                self.validation_batch_size,
                np.random.RandomState(rng.randint(np.iinfo(np.int32).max)),
            )
            n_val = self.validation_batch_size
        backend_class = (
            NumpyStudent
            if _use_numpy_path(self.hypergradient, sizes, n_val)
            else TorchStudent
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
        name = type(self).__name__
        advice = "Lower learning_rate_init (the student's step size)."

        step_metaparameters = (
            AdamMetaStep() if self.meta_optimizer == "adam" else meta_step
        )
        lam_path, temp_path, predicted_path = [], [], []
        cycle, pending = [], deque()
        n_hyper = 0
        self.validation_loss_curve_ = []
        val_temperature = _initial_val_temperature(self)

        def train_batch(batch):
            nonlocal lam, temperature, cycle, n_hyper
            predicted = bool(pending)
            if predicted:
                lam, temperature = pending.popleft()
            lam_path.append(lam)
            temp_path.append(temperature)
            predicted_path.append(predicted)
            with_hypergradient = tune and not predicted
            val_rows = (
                val_batches.next_batch()
                if with_hypergradient and val_batches is not None
                else None
            )
            grad, loss = student.step(
                batch, lam, temperature, with_hypergradient, val_rows
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
                    self.lambda_step,
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
            return loss, len(batch)

        def epoch(_):
            epoch_loss = minibatch_epoch(rows.epoch(), train_batch, n_train)
            val_loss = student.validation_loss()
            check_finite_loss(val_loss, len(lam_path), name, advice)
            self.validation_loss_curve_.append(val_loss)
            if self.val_temperature == "auto" and tune:
                # The next epoch's hypergradients use the temperature that
                # calibrates the student on the validation rows.
                nonlocal val_temperature
                val_temperature = calibrated_temperature(
                    student.validation_logits(), yv_index, start=val_temperature
                )
                student.set_val_temperature(val_temperature)
            return epoch_loss

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
        self.val_temperature_ = float(val_temperature)
        self.n_iter_ = self.max_iter
        self.t_ = len(lam_path)

    # -------------------------------------------------------------- predict

    def _input_scaling(self):
        transform = getattr(self, "feature_transform_", None)
        if transform is None:
            return self.mean_, self.scale_
        # Rows in the original units: the feature transform, then the
        # standardisation.
        return lambda X: (transform.transform(X) - self.mean_) / self.scale_
