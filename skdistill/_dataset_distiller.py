"""DatasetDistiller: learn a small synthetic training set for tabular data."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    BaseDistiller,
    check_architectures,
    check_device,
    fit_standardisation,
    run_iterations,
)
from ._dataset import DistilledDataset
from ._mlp import layer_sizes, xavier_init
from ._optim import Adam
from ._reverse import distillation_value_and_grad
from ._unroll import project_rows_to_simplex
from ._utils import to_numpy


def models_per_architecture(n_models, n_architectures):
    """Split ``n_models`` round-robin over the architectures."""
    if n_models < n_architectures:
        raise ValueError(
            f"n_models={n_models} is smaller than the number of architectures "
            f"({n_architectures}); every architecture needs at least one internal "
            "model per outer iteration."
        )
    base, extra = divmod(n_models, n_architectures)
    return [base + (i < extra) for i in range(n_architectures)]


class DatasetDistiller(BaseDistiller):
    """Learn a small synthetic training set, its soft labels and a learning-rate
    schedule, by backpropagating through unrolled training runs of MLPs.

    The distilled dataset is ``n_steps`` batches of ``samples_per_step``
    synthetic rows. A network trained on it takes ``n_steps * n_epochs``
    gradient-descent steps; step ``k`` uses batch ``k mod n_steps`` and its own
    learned learning rate. Each outer iteration samples ``n_models`` fresh
    networks (Xavier initialisation), trains them on the synthetic data,
    measures their cross-entropy on a minibatch of real rows, and moves the
    synthetic rows, their soft labels and the learning rates down the gradient
    of that loss (Wang et al. 2018; Medvedev & D'yakonov 2020, Algorithms 1-3;
    soft labels of Sucholutsky & Schonlau 2019, Algorithm 1a).

    Read more in the :ref:`User Guide <dataset_distiller>`.

    Parameters
    ----------
    n_steps : int, default=10
        Distinct synthetic batches per internal epoch (``s`` in the papers).

    n_epochs : int, default=3
        Internal epochs over those batches.

    samples_per_step : "auto" or int, default="auto"
        Synthetic rows per step. ``"auto"`` uses one row per class. Rows are
        labelled round-robin over the classes across the whole distilled set,
        so fewer rows per step than classes is allowed.

    architectures : tuple of tuples of int, default=((10,),)
        Hidden-layer sizes of the internal models, one tuple per architecture;
        ``()`` is the linear (softmax-regression) model. Several architectures
        distill one dataset for all of them (Medvedev & D'yakonov, section 6).
        Internal models use ReLU.

    n_models : int, default=3
        Internal models per outer iteration, spread round-robin over the
        architectures; must be at least ``len(architectures)``.

    soft_labels : bool, default=True
        Learn the labels of the synthetic rows (SLDD). They start one-hot and
        stay probabilities (projected onto the simplex after every outer
        step). ``False`` keeps them one-hot (plain dataset distillation).

    learn_lr : bool, default=True
        Learn one learning rate per internal step. They are parametrised as
        ``exp(log_lr)``, so they stay positive without clipping.

    lr_init : float, default=0.1
        Initial value of every internal learning rate.

    max_iter : int, default=500
        Outer iterations.

    batch_size : int, default=64
        Real rows per outer iteration (capped at the number of rows). Real rows
        are visited in shuffled epochs, so the cost of an outer iteration does
        not depend on the size of the training set.

    learning_rate : float, default=0.003
        Step size of the outer optimiser (Adam). The outer gradient is
        estimated from ``batch_size`` real rows and is noisy; larger steps
        distill noisy data markedly worse (see the user guide).

    fixed_init : bool, default=False
        Draw the internal models' initialisations once and reuse them at every
        outer iteration (the fixed-initialisation setting of Wang et al.),
        instead of sampling fresh ones each time. Data distilled this way
        trains those initialisations well and others poorly; they are kept in
        ``fixed_init_params_``.

    resample_labels : {"hard", "soft"}, default="hard"
        What `fit_resample` returns as ``y``: the class with the largest soft
        label (usable by any classifier), or the soft-label matrix itself.

    checkpoint_segments : None, "sqrt" or int, default=None
        Bound the memory of long unrolls by gradient checkpointing: the
        ``n_steps * n_epochs`` internal steps are split into this many
        segments, only the network parameters at segment starts are kept, and
        each segment is recomputed during the reverse pass (about one extra
        forward pass of cost). ``"sqrt"`` uses ``ceil(sqrt(n_steps *
        n_epochs))`` segments, which minimises memory. ``None`` keeps every
        step. The hypergradient is the same either way, to float rounding.

    n_threads : int or None, default=1
        Torch intra-op threads during `fit`; the caller's setting is restored
        afterwards. The internal networks are tiny, and for them extra threads
        cost more than they give. ``None`` keeps torch's current setting.
        The setting is process-wide in torch: fits running at the same time
        in threads of one process should pass ``n_threads=None`` and set it
        once themselves.

    device : str, default="cpu"
        Torch device of the computation, e.g. ``"cuda"`` where available.
        Fitted attributes are always numpy arrays.

    random_state : int, RandomState instance or None, default=None
        Seeds the synthetic rows, the internal initialisations and the real
        minibatches. An int makes `fit` repeatable to the bit on one machine.

    verbose : int, default=0
        Print progress (about ten lines per fit; every iteration if > 1).

    Attributes
    ----------
    distilled_ : DistilledDataset
        The distilled dataset: rows, soft labels, steps, learned schedule,
        standardisation and provenance; what
        :class:`DistilledMLPClassifier`, the metrics and the displays read, and
        what :meth:`DistilledDataset.save` writes. The attributes below are
        its parts.

    distilled_X_ : ndarray of shape (n_distilled, n_features_in_)
        Synthetic rows, in the units of the training ``X``, ordered by step.

    distilled_y_ : ndarray of shape (n_distilled, n_classes)
        Soft labels of the synthetic rows; every row is a probability vector
        over ``classes_``.

    distilled_step_ : ndarray of shape (n_distilled,)
        The internal step each synthetic row belongs to, in ``[0, n_steps)``.

    lr_schedule_ : ndarray of shape (n_steps * n_epochs,)
        The learning rate of every internal step, in the order they are taken.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    mean_, scale_ : ndarray of shape (n_features_in_,)
        The standardisation under which the data was distilled. Networks
        trained on the distilled set must see inputs ``(X - mean_) / scale_``;
        :class:`DistilledMLPClassifier` does this itself.

    architectures_ : tuple of tuples of int
        The validated architectures.

    fixed_init_params_ : list or None
        With ``fixed_init=True``, for every architecture the list of stacked
        initial weights and biases (numpy arrays); otherwise None.

    loss_curve_ : list of float
        Outer objective at every outer iteration.

    n_iter_ : int
        Outer iterations run.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during `fit`, when ``X`` has string column
        names.

    See Also
    --------
    DistilledMLPClassifier : An MLP classifier that trains on distilled data.

    Notes
    -----
    The features are standardised internally; ``distilled_X_`` is mapped back
    to the input units. The learned learning rates belong to the
    standardised space.

    References
    ----------
    T. Wang, J.-Y. Zhu, A. Torralba, A. A. Efros. Dataset Distillation. 2018.

    I. Sucholutsky, M. Schonlau. Soft-Label Dataset Distillation and Text
    Dataset Distillation. 2019.

    D. Medvedev, A. D'yakonov. New Properties of the Data Distillation Method
    When Working With Tabular Data. 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skdistill import DatasetDistiller
    >>> X, y = make_moons(n_samples=300, noise=0.1, random_state=0)
    >>> distiller = DatasetDistiller(n_steps=5, n_epochs=2, max_iter=20,
    ...                              random_state=0)
    >>> X_syn, y_syn = distiller.fit_resample(X, y)
    >>> X_syn.shape, y_syn.shape
    ((10, 2), (10,))
    >>> distiller.lr_schedule_.shape
    (10,)
    """

    _parameter_constraints: dict = {
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "samples_per_step": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "architectures": [tuple, list],
        "n_models": [Interval(Integral, 1, None, closed="left")],
        "soft_labels": ["boolean"],
        "learn_lr": ["boolean"],
        "lr_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "fixed_init": ["boolean"],
        "resample_labels": [StrOptions({"hard", "soft"})],
        "checkpoint_segments": [
            None,
            StrOptions({"sqrt"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_steps=10,
        n_epochs=3,
        samples_per_step="auto",
        architectures=((10,),),
        n_models=3,
        soft_labels=True,
        learn_lr=True,
        lr_init=0.1,
        max_iter=500,
        batch_size=64,
        learning_rate=0.003,
        fixed_init=False,
        resample_labels="hard",
        checkpoint_segments=None,
        n_threads=1,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_steps = n_steps
        self.n_epochs = n_epochs
        self.samples_per_step = samples_per_step
        self.architectures = architectures
        self.n_models = n_models
        self.soft_labels = soft_labels
        self.learn_lr = learn_lr
        self.lr_init = lr_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.fixed_init = fixed_init
        self.resample_labels = resample_labels
        self.checkpoint_segments = checkpoint_segments
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _distill(self, X, y_index):
        self.architectures_ = check_architectures(self.architectures)
        models_split = models_per_architecture(self.n_models, len(self.architectures_))
        device = check_device(self.device)
        n_samples, n_features = X.shape
        n_classes = len(self.classes_)
        samples_per_step = (
            n_classes if self.samples_per_step == "auto" else self.samples_per_step
        )
        n_total_steps = self.n_steps * self.n_epochs
        dtype = torch.float32

        self.mean_, self.scale_ = fit_standardisation(X)
        X_std = torch.as_tensor((X - self.mean_) / self.scale_, dtype=dtype)
        X_std = X_std.to(device)
        y_tensor = torch.as_tensor(y_index, dtype=torch.int64).to(device)
        # Columns that never vary keep that value in every synthetic row.
        constant = torch.as_tensor(np.ptp(X, axis=0) == 0, device=device)

        rng, generator = self._random_streams(device)

        shape = (self.n_steps, samples_per_step)
        syn_X = torch.randn(
            (*shape, n_features), generator=generator, dtype=dtype, device=device
        )
        syn_X[..., constant] = 0.0
        # Classes are dealt round-robin over all synthetic rows, so every class
        # is represented even with fewer rows per step than classes.
        row_class = torch.arange(self.n_steps * samples_per_step, device=device)
        row_class = (row_class % n_classes).reshape(shape)
        syn_Y = torch.nn.functional.one_hot(row_class, n_classes).to(dtype)
        log_lr = torch.full(
            (n_total_steps,), math.log(self.lr_init), dtype=dtype, device=device
        )
        learned = [syn_X]
        for tensor, learn in ((syn_Y, self.soft_labels), (log_lr, self.learn_lr)):
            if learn:
                learned.append(tensor)
        # The gradients come from the hand-written reverse pass; no tensor
        # needs to record an autograd graph.
        optimizer = Adam(learned, learning_rate=self.learning_rate)

        sizes = [layer_sizes(n_features, h, n_classes) for h in self.architectures_]

        def sample_inits():
            return [
                xavier_init(s, m, generator=generator, dtype=dtype, device=device)
                for s, m in zip(sizes, models_split)
            ]

        fixed_inits = sample_inits() if self.fixed_init else None
        segments = self.checkpoint_segments
        if segments == "sqrt":
            segments = math.ceil(math.sqrt(n_total_steps))
        batch_size = min(self.batch_size, n_samples)
        # The real rows are visited in shuffled epochs.
        visit = {"order": rng.permutation(n_samples), "cursor": 0}

        def outer_iteration(iteration):
            if visit["cursor"] + batch_size > n_samples:
                visit["order"], visit["cursor"] = rng.permutation(n_samples), 0
            start = visit["cursor"]
            batch = torch.as_tensor(
                visit["order"][start : start + batch_size], device=device
            )
            visit["cursor"] += batch_size

            lrs = log_lr.exp()
            loss_value, grad_X, grad_Y, grad_lrs = distillation_value_and_grad(
                syn_X,
                syn_Y,
                lrs,
                fixed_inits if self.fixed_init else sample_inits(),
                X_std[batch],
                y_tensor[batch],
                checkpoint_segments=segments,
            )
            grad_X[..., constant] = 0.0
            grads = [grad_X]
            if self.soft_labels:
                grads.append(grad_Y)
            if self.learn_lr:
                grads.append(grad_lrs * lrs)
            if not all(torch.isfinite(g).all() for g in grads):
                return float("nan")  # stops the loop before the update
            optimizer.step(grads)
            if self.soft_labels:
                syn_Y.copy_(project_rows_to_simplex(syn_Y))
            return loss_value

        self.n_iter_ = run_iterations(
            self,
            self.max_iter,
            outer_iteration,
            advice="Lower lr_init (the internal learning rates) or learning_rate "
            "(the outer step size).",
        )
        self.fixed_init_params_ = (
            [[to_numpy(p) for p in params] for params in fixed_inits]
            if self.fixed_init
            else None
        )
        return DistilledDataset(
            to_numpy(syn_X).reshape(-1, n_features),
            to_numpy(syn_Y).reshape(-1, n_classes),
            self.classes_,
            step=np.repeat(np.arange(self.n_steps), samples_per_step),
            lr_schedule=to_numpy(log_lr.exp()),
            mean=self.mean_,
            scale=self.scale_,
            feature_names=getattr(self, "feature_names_in_", None),
            lr_init=self.lr_init,
            architectures=self.architectures_,
            fixed_init=self.fixed_init_params_,
            provenance={"n_iter": self.n_iter_},
        )
