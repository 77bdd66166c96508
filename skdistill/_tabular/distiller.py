"""DatasetDistiller: learn a small synthetic training set for tabular data."""

import math
import warnings
from numbers import Integral, Real

import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from .._base import (
    BaseDistiller,
    check_architectures,
    run_iterations,
)
from .._data.dataset import DistilledDataset
from .._engine.feature_steps import (
    feature_step_scales,
    spread_scales,
)
from .._nets.mlp import MLP_FAMILY
from .._nets.protocol import stack_networks
from .._training.constraints import (
    AUTO_COUNT,
    DISTILLATION,
    STOPPING,
    VALIDATION_FRACTION,
)
from .._training.stopping import ValidationStopper, improves
from .._utils import DivergenceError, DivergenceWarning, to_numpy
from .internal_models import VALIDATION_EVERY, InternalModels, internal_network
from .outer_gradients import OuterGradients
from .real_rows import in_memory_rows, lazy_rows
from .sizes import (
    SHORT_RUN_STEPS,
    auto_lr_init,
    large_table_sizes,
    requested_rows,
    resolve_run,
    resolve_sizes,
    single_run_batch_size,
    smallest_class_rows,
)
from .synthetic_set import MAX_RECOVERIES, DivergenceRecovery, starting_rows

#: The longer run of ``second_stage="longer_run"``: this many times the epochs.
LONGER_RUN_FACTOR = 3
#: The outer step of ``second_stage="smaller_step"``: ``learning_rate`` divided
#: by this.
SMALLER_STEP_FACTOR = 5


def second_stage_wins(second, first, tol):
    """Whether a second stage's best score ``second`` beats the first stage's
    ``first`` (score tuples as `ValidationStopper` keeps them): by ``tol``,
    the rule of early stopping, and strictly, so that a tie keeps the first
    stage's set also at ``tol=0``."""
    return tuple(second) > tuple(first) and improves(second, first, tol)


class _OuterStage:
    """The outer loop of a `DatasetDistiller` fit, one stage at a time.

    ``real`` is the batch source of the real rows, ``score`` the validation
    score of early stopping (or None), ``where`` the fit's
    ``(device, dtype)``. `run` runs a stage on an `OuterState` and leaves it
    at the best set of early stopping; the record of all stages so far is
    ``stage_iterations``, ``loss_curve``, ``scores`` (validation accuracies,
    or None), ``best_scores`` (the best score of each stage, a tuple as
    `ValidationStopper` keeps it, or None) and ``best_iterations`` (of each
    stage, counted from the first stage's start). Iterations are counted from
    the first stage's start in the recoveries and the messages too.
    """

    def __init__(self, distiller, real, score, where):
        self.distiller, self.real, self.score = distiller, real, score
        self.device, self.dtype = where
        self.stage_iterations, self.loss_curve = [], []
        self.scores = None if score is None else []
        self.best_scores, self.best_iterations = [], []

    def run(self, state, outer_gradients, recover, patience, max_iter):
        """Run one stage on ``state`` from ``outer_gradients``, with
        ``recover`` (the `DivergenceRecovery` of ``state``): at most
        ``max_iter`` outer iterations, early stopping at ``patience``.

        Raises `DivergenceError` when the internal training still diverges
        after the recoveries; the stage's record so far is kept (its
        iterations and losses, without the diverged one) and
        ``diverged_at`` is that iteration, counted from the first stage's
        start.
        """
        distiller, real, score = self.distiller, self.real, self.score
        device, dtype = self.device, self.dtype
        offset = sum(self.stage_iterations)
        iterate = [state.X, state.Y, state.log_lr]
        judged = iterate if state.averaged is None else state.averaged
        monitor = None
        if score is not None:
            monitor = ValidationStopper(distiller.tol, patience)

            def check(iteration, judged):
                return monitor(
                    iteration, score(*judged), lambda: [t.clone() for t in judged]
                )

            # The starting set is a candidate too: with init="kmeans" it can
            # already be better than anything the outer loop finds, and the
            # set a second stage starts from is the first stage's best.
            check(0, iterate)

        def outer_iteration(iteration):
            X_batch, y_batch = real.next_batch()
            X_batch = torch.as_tensor(X_batch, dtype=dtype, device=device)
            y_batch = torch.as_tensor(y_batch, dtype=torch.int64, device=device)
            loss_value, grads = outer_gradients(X_batch, y_batch)
            # `state.step` changes nothing when a gradient is not finite: the
            # set is still the last finite one. Lower the internal learning
            # rates and try again, a bounded number of times; then the loop
            # stops with DivergenceError.
            while not (math.isfinite(loss_value) and state.step(grads)):
                if not recover(offset + iteration):
                    self.diverged_at = offset + iteration
                    return float("nan")
                loss_value, grads = outer_gradients(X_batch, y_batch)
            return loss_value

        def stop(iteration, _):
            due = iteration % VALIDATION_EVERY == 0 or iteration == max_iter
            return monitor is not None and due and check(iteration, judged)

        self.diverged_at = None
        try:
            run_iterations(
                distiller,
                max_iter,
                outer_iteration,
                advice=f"The internal learning rates were lowered {MAX_RECOVERIES} "
                "times already; lower lr_init (the internal learning rates) or "
                "learning_rate (the outer step size).",
                stop=stop,
            )
        finally:
            # The iterations that ran to the end (all of them, or all but a
            # diverged one).
            self.stage_iterations.append(len(distiller.loss_curve_))
            self.loss_curve.extend(distiller.loss_curve_)
            if monitor is not None:
                self.scores.extend(monitor.scores)
        self.best_iterations.append(offset + self.stage_iterations[-1])
        self.best_scores.append(None)
        if monitor is not None:
            state.restore(monitor.best_state)
            self.best_iterations[-1] = offset + monitor.best_iteration
            self.best_scores[-1] = monitor.best


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
    soft labels of Sucholutsky & Schonlau 2019, Algorithm 1a). By default the
    synthetic rows start at class-wise k-means centroids, and a held-out fifth
    of the rows picks the best distilled set seen and stops the fit when it
    no longer improves (``init="noise", validation_fraction=None,
    learning_rate=0.003`` is the papers' method).

    Read more in the :ref:`User Guide <dataset_distiller>`.

    Parameters
    ----------
    n_steps : "auto" or int, default="auto"
        Distinct synthetic batches per internal epoch (``s`` in the papers).
        ``"auto"`` is 10, or more when ``5 * sqrt(n_samples)`` rows need more
        than 10 steps of 20 rows (from about 1600 rows on), at most 50 (from
        about 38k rows on): on the suite's largest set (33k rows) the longer
        unroll raised the replay from 83 % to 94 % of the full-data model (see
        the user guide). It depends on the rows only, so it lengthens the
        unroll of large sets also when ``samples_per_step`` is given.

        .. versionchanged:: 0.1.0
           Default ``"auto"``; it was 10.

    n_epochs : "auto" or int, default="auto"
        Internal epochs over those batches. ``"auto"`` is 8, or 12 on a table
        with heavy-tailed columns that ``feature_transform`` does not map
        (with ``feature_transform=None``; see ``feature_steps``), and 16 when
        ``n_samples`` or ``n_samples_per_class`` sets the size. 8: a fresh
        network replaying the set takes more steps, which raised the suite's
        hardest sets (fishing, classes7, yogurt, diamonds; see the user guide);
        a heavy-tailed table needs the longer replay more (see the robustness
        guide); a set of a given number of rows per class is replayed better
        for 16 epochs (at 1, 10 and 50 rows per class on the benchmark suite).
        With ``n_models="auto"`` as well, one architecture, the automatic size
        and a run of 8 epochs shorter than 240 internal steps (sets of up to
        29 steps, tables of fewer than about 13,500 rows): 24, the
        single long run described under ``n_models``.

        .. versionchanged:: 0.1.0
           Default ``"auto"`` (8, 12 on heavy-tailed tables without the
           feature transform, 16 with a given size); it was 3, then 8.
           24 in the single long run.

    samples_per_step : "auto" or int, default="auto"
        Synthetic rows per step. ``"auto"`` chooses it from the data: about
        ``5 * sqrt(n_samples)`` rows in all, so
        ``ceil(5 * sqrt(n_samples) / n_steps)`` per step, at least one row per
        class and at most 20 (or ``n_classes`` when there are more classes).
        With ``n_steps="auto"`` as well, on a large table (30 steps or more,
        from about 13,500 rows) whose smallest class has at least as many rows
        as its share of the larger set: one and a half times that, about
        ``7.5 * sqrt(n_samples)`` rows. So 50 rows for 100 training rows, 200
        for 1600, 580 for 13,450, 900 for 13,500, 1380 for 33k, at most 1500
        (with 20 classes or fewer; at least one row per class and step
        otherwise). With ``n_models="auto"`` a large table's set is learned
        on two internal networks: on the suite's largest table the two
        together raised the replay from 94.5 % to 96.3 % of the full-data
        model over five distillation seeds, with fewer CPU seconds; on a
        table with a rare class the larger set lowered it (see the user
        guide). Rows are labelled round-robin over the classes across the
        whole distilled set, so fewer rows per step than classes is allowed.
        On a table with heavy-tailed columns that ``feature_transform`` does
        not map (see ``feature_steps``) ``"auto"`` gives three times the rows
        per step instead (unless ``n_samples`` or ``n_samples_per_class`` sets
        the rows).

        .. versionchanged:: 0.1.0
           ``"auto"`` grows with the rows; it was one row per class. Three
           times as many on heavy-tailed tables without the feature
           transform. One and a half times as many on large tables with
           ``n_steps="auto"``.

    n_samples : int or None, default=None
        Rows of the distilled set in all, instead of ``n_steps *
        samples_per_step``: the size as the baselines (e.g.
        :class:`KMeansSampler`) take it. The rows are dealt round-robin over
        the classes, so each class gets ``n_samples // n_classes`` rows or one
        more (the first classes of ``classes_``). The steps follow from it:
        with ``n_steps`` and ``samples_per_step`` at ``"auto"``, the largest
        divisor of ``n_samples`` that is at most what ``n_steps="auto"`` gives
        the training rows (10 up to about 1600 rows) and leaves at least one
        row per class in every step (``n_samples=30`` with 3 classes: 10
        steps of 3 rows); with one of them given, ``n_samples`` must be a
        multiple of it, and with both their product must be ``n_samples``
        (else a ``ValueError`` names them). With a size given here or by
        ``n_samples_per_class``, ``n_epochs="auto"`` is 16. ``None``: the size
        is ``n_steps * samples_per_step``.

    n_samples_per_class : int or None, default=None
        Rows of every class, instead of ``n_samples``: the distilled set has
        ``n_samples_per_class * n_classes`` rows, sized as above (``k`` rows
        per class, ``k`` at most 10: ``k`` steps of one row per class). A
        row's soft label starts at its class and is learned; with
        ``soft_labels=False`` every class keeps exactly this many rows.
        Setting both ``n_samples`` and ``n_samples_per_class`` is a
        ``ValueError``.

    architectures : tuple of tuples of int, default=((10,),)
        Hidden-layer sizes of the internal models, one tuple per architecture;
        ``()`` is the linear (softmax-regression) model. Several architectures
        distill one dataset for all of them (Medvedev & D'yakonov, section 6).
        Internal models use ReLU.

    n_models : "auto" or int, default="auto"
        Internal models per outer iteration, spread round-robin over the
        architectures; must be at least ``len(architectures)``. ``"auto"`` is
        1 in the single long run, 2 at the sizes of a large table, else 3 (or
        ``len(architectures)`` if that is more). The single long run: with
        ``n_epochs="auto"`` too, one architecture (no ``search_space``,
        ``fixed_init=False``), the size chosen from the data (no
        ``n_samples`` or ``n_samples_per_class``), no unmapped heavy-tailed
        column, and where 8 epochs would give fewer than 240 internal steps,
        one internal network per outer iteration trains for 24 epochs instead
        of three networks for 8 -- the same internal steps per outer
        iteration -- and ``batch_size="auto"`` reads at least 256 real rows
        (all of them on smaller tables), as one network's outer gradient is
        the noisier. A fresh network replaying the set then takes three times
        the steps: on the benchmark suite this lifted the two small sets
        furthest from the full-data model (fishing from 92.9 to 95.6 %,
        yogurt from 94.3 to 96.7 % over five distillation seeds) with fewer
        CPU seconds in total (see the user guide, which also names the sets
        it lowered and those it made slower). A ``"longer_run"`` second stage
        trains two thirds of the networks (rounded up), never fewer than
        ``len(architectures)`` (see ``second_stage``). At the sizes of a large
        table (one and a half times the rows per step, see
        ``samples_per_step``), under the same conditions otherwise: two
        networks over 8 epochs, which cost less per outer iteration than three
        over the smaller set and replayed better on the suite's largest table.

        .. versionchanged:: 0.1.0
           Default ``"auto"``; it was 3.

    search_space : dict, list of dict or None, default=None
        Distill for the configurations a grid search will try: a dict of lists
        of values, as a ``param_grid`` (or a list of such dicts), over the
        keys ``"hidden_layer_sizes"`` (ints or tuples of ints),
        ``"alpha"`` (non-negative floats), ``"learning_rate_init"`` (positive
        floats) and ``"activation"`` (``"identity"``, ``"logistic"``,
        ``"tanh"``, ``"relu"``); a ``"<step>__"`` prefix is dropped. Every
        internal model of every outer iteration draws its configuration
        from the space (a dict uniformly, then each key's value uniformly)
        and trains on the synthetic data as :class:`DistilledMLPClassifier`
        replays it with that configuration: ``alpha`` as an L2 penalty of the
        weights scaled as MLPClassifier scales it, ``alpha / min(200,
        n_samples)`` per step, and ``learning_rate_init`` multiplying the
        learned rates by its ratio to the space's reference rate (the
        geometric mean of its values). Keys left out keep ``architectures``
        (drawn uniformly), ReLU, no penalty and the learned rates. ``n_models``
        configurations are drawn per outer iteration, and early stopping
        scores the set with 8 configurations drawn once. ReLU networks use
        the hand-written reverse pass; other activations differentiate the
        unrolled run with autograd, which is slower. ``None``: the internal
        models are ``architectures``, ReLU, unpenalised.

    soft_labels : bool, default=True
        Learn the labels of the synthetic rows (SLDD). They start one-hot and
        stay probabilities (projected onto the simplex after every outer
        step). ``False`` keeps them one-hot (plain dataset distillation).

    learn_lr : bool, default=True
        Learn one learning rate per internal step. They are parametrised as
        ``exp(log_lr)``, so they stay positive without clipping.

    lr_init : "auto" or float, default="auto"
        Initial value of every internal learning rate. ``"auto"`` is 0.1, or
        ``25 / n_features`` on tables of more than 250 non-constant columns:
        a step on the first layer grows with the width of the input, and 0.1
        on a table of 2308 columns distilled a set at 81 % of the full-data
        model against 93 % at 0.01 (see the user guide). If the internal
        training goes non-finite, the fit divides the internal learning rates
        by 10 and repeats the iteration (at most 4 times per fit, each with a
        `DivergenceWarning`) before it raises `DivergenceError`.

    max_iter : int, default=2000
        Outer iterations at most, both stages of ``second_stage`` together:
        a cap on the cost (from a few ms per iteration for 100 synthetic rows
        to about 50 ms for the 1380 rows of a table of 33k rows, 46 steps on
        two (32, 32) networks, one core). With early stopping
        (``validation_fraction`` set) the fit usually stops before. 2000: the
        averaged set of ``average_decay`` moves more slowly, and the largest
        sets reached 1000 iterations.

        .. versionchanged:: 0.1.0
           Default 2000; it was 500.

    batch_size : "auto" or int, default="auto"
        Real rows per outer iteration (capped at the number of rows). Real rows
        are visited in shuffled epochs, so an outer iteration reads this many
        rows whatever the size of the training set. ``"auto"`` is
        ``n_samples // 32`` within [64, 1024]: 64 up to about 2000 rows, 1024
        from about 33k on; at least 256 in the single long run (see
        ``n_models``; all rows on smaller tables). The outer gradient of 64
        rows is too noisy for the largest sets, while on small sets larger
        batches did not help (with three internal networks). With
        ``n_steps="auto"`` the cost of an outer iteration therefore grows with
        the rows up to about 38k rows and is flat beyond.

        .. versionchanged:: 0.1.0
           Default ``"auto"``; it was 64.

    learning_rate : float, default=0.01
        Step size of the outer optimiser (Adam). The outer gradient is
        estimated from ``batch_size`` real rows and is noisy; without early
        stopping, larger steps distill noisy data markedly worse (see the user
        guide: 0.003 is the better choice with ``validation_fraction=None``).
        With early stopping the best set seen is kept, and 0.01 reaches it in
        fewer iterations.

        .. versionchanged:: 0.1.0
           Default 0.01; it was 0.003, with no early stopping.

    lr_max : float or None, default=None
        Upper bound of every learned internal learning rate (``learn_lr=True``):
        after each outer step the rates above it are set to it (a projection,
        as for the soft labels), and rates starting above it (``lr_init``)
        start at it. None: no bound. The distilled architecture can learn rates
        that other architectures cannot train with: on make_moons, a set
        distilled for a ``(10,)`` network learned rates up to 2.9-6.1 and trained
        ``(10, 10, 10)`` networks to 0.64-0.80 accuracy; with ``lr_max=1.0``
        to 0.85-0.88, the ``(10,)`` replay unchanged (see the user guide).

    fixed_init : bool, default=False
        Draw the internal models' initialisations once and reuse them at every
        outer iteration (the fixed-initialisation setting of Wang et al.),
        instead of sampling fresh ones each time. Data distilled this way
        trains those initialisations well and others poorly; they are kept in
        ``fixed_init_params_``.

    init : {"noise", "real", "kmeans"}, default="kmeans"
        Starting synthetic rows: standard-normal noise in the standardised
        space (Wang et al.), real rows of their class drawn at random, or the
        class's k-means centroids in the standardised space (as many as the
        class has synthetic rows). Starting from the centroids raised every
        hard set of the benchmark suite (see the user guide).

        .. versionchanged:: 0.1.0
           Default ``"kmeans"``; the rows started as noise.

    validation_fraction : float in (0, 1) or None, default=0.2
        Hold out this fraction of the rows to judge the distilled set,
        stratified as in :class:`DistilledMLPClassifier` (scikit-learn's
        stratified split; where none exists, every class keeps a training
        row). Every 10 outer iterations, fixed fresh networks are
        trained on the set (4 per architecture) and scored on the held-out
        rows; the best set seen is kept, and the fit stops once more than
        ``n_iter_no_change`` iterations have passed without improvement.
        ``None`` distills on all rows for ``max_iter`` iterations and keeps
        the last set. 0.2: on small sets a tenth is a dozen rows, too few to
        pick the best set reliably. On a Dask collection or a parquet table
        the split is a seeded draw for every row (the same rows on every pass;
        stratified in expectation only) and the score uses a sample of at
        most 10,000 held-out rows. On a table too small to hold out 2 rows per
        class (in memory), the fit uses all rows and no early stopping, as
        with ``None``.

        .. versionchanged:: 0.1.0
           Default 0.2: early stopping is on by default; the fit used to run
           ``max_iter`` iterations and keep the last set. A split that cannot
           be stratified keeps every class in training; it used to split
           without strata.

    n_iter_no_change : int, default=200
        With early stopping: the fit stops at the first check more than
        ``n_iter_no_change`` outer iterations after the last check that
        improved the validation score by ``tol`` (MLPClassifier's rule).
        With ``second_stage="longer_run"`` (or ``"auto"`` when it picks the
        longer run) the first stage stops at a quarter of it and the second
        stage has a patience of its own; see ``second_stage``.

        .. versionchanged:: 0.1.0
           More than ``n_iter_no_change`` iterations, as MLPClassifier; the
           fit stopped one check earlier.

    tol : float, default=1e-4
        With early stopping: the smallest improvement of the validation
        accuracy (or, at equal accuracy, of the validation cross-entropy)
        that counts.

    average_decay : float in [0, 1) or None, default=0.95
        With early stopping: what the held-out rows judge, and what the fit
        returns, is an exponential moving average of the distilled sets
        (rows, soft labels and log learning rates) with this decay, not the
        current set. The outer gradient comes from a small real batch and
        the current set is noisy; its average (over about
        ``1 / (1 - average_decay)`` iterations) held the suite's edge sets
        above 93 % of the full-data model more often (see the user guide).
        ``None`` (or 0) judges the current set. Without early stopping the
        last set is returned either way.

        .. versionchanged:: 0.1.0
           Default 0.95; the current set was judged and returned.

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

    unroll_window : int or None, default=None
        Differentiate only a window of the internal run, so that long runs
        (a large ``n_epochs``) cost a bounded amount per outer iteration
        (random truncated backpropagation, RaT-BPTT; Feng, Vedantam & Kempe
        2024). Every outer iteration draws a window of ``unroll_window``
        consecutive internal steps, trains the internal models up to its
        start without differentiating, differentiates the window's steps
        (the models at its start held fixed), scores the models on the real
        rows after the window, and clips the outer gradient at twice a
        moving average of its norm. The window's first step is uniform in
        ``[1 - unroll_window, n_steps * n_epochs - 1]``, the window clipped
        to the run, so every step's learned rate is learned equally often.
        The distilled set still
        replays the whole run of ``n_steps * n_epochs`` steps. ``None``
        differentiates the whole run (exact hypergradient). See the user
        guide for what it changes on the benchmark suite.

    second_stage : {"auto", "longer_run", "smaller_step"} or None, \
            default=None
        After early stopping, go on distilling from the best set in a second
        stage with a fresh outer optimiser and early-stopping monitor (on the
        same held-out rows). The fit returns the second stage's best set (its
        starting set included) only when its held-out score beats the first
        stage's best by ``tol`` (the rule of early stopping), each set judged
        with its own learned schedule; otherwise the first stage's best set
        and schedule (``kept_stage_`` says which).

        - ``"longer_run"``: the second stage learns a run of
          ``3 * n_epochs`` epochs over the same rows on two thirds of
          ``n_models`` networks (rounded up; 2 of 3; all of them
          with ``fixed_init=True``), so an outer iteration costs about twice
          a first-stage one. The networks are never fewer than the
          architectures (one each): with ``n_models`` of 1 or 2, or as many
          architectures as networks (3 of 3), none is cut and an
          iteration costs about three times a first-stage one. The steps
          the first run did not have start at the learned rates of its last
          epoch, and all rates go on being learned. The first stage stops
          early at a quarter of ``n_iter_no_change`` (50 of 200), the second
          at three eighths (75). When its set is kept, it replays the longer
          run (``lr_schedule_`` has ``3 * n_steps * n_epochs`` rates).
        - ``"smaller_step"``: the first stage runs as without a second stage;
          the second goes on with the outer step ``learning_rate / 5`` and
          early stopping at half of ``n_iter_no_change``; the run keeps its
          length.
        - ``"auto"``: ``"longer_run"`` where the first stage's run has fewer
          than 240 internal steps (``n_steps * n_epochs``; at the "auto"
          sizes: 29 steps or fewer at 8 epochs, tables of fewer than about
          13,500 rows; 19 steps or fewer at the 12 epochs of unmapped heavy
          tails, fewer than about 5,800 rows), ``"smaller_step"`` on longer
          runs (so always in the single long run of ``n_models="auto"`` at
          the "auto" ``n_steps``, whose 24 epochs give at least 240 steps);
          no second stage when ``n_samples`` or ``n_samples_per_class`` sets
          the size.
        - ``None``: one stage, the fit as before.

        The second stage runs at most as many outer iterations as the first,
        and no more than ``max_iter`` leaves (none when the first stage used
        them all), so that it costs at most about twice what the first stage
        cost (``"longer_run"``) or as much (``"smaller_step"``). If its
        internal training still diverges after the recoveries (see
        ``lr_init``), the fit keeps the first stage's best set and warns
        (`DivergenceWarning`). A second stage needs early stopping: with
        ``validation_fraction=None`` ``"longer_run"`` and ``"smaller_step"``
        raise a ``ValueError`` and ``"auto"`` runs none; on a table too small
        to hold rows out, none runs (with a warning for ``"longer_run"`` and
        ``"smaller_step"``). ``second_stage_``, ``stage_iterations_`` and
        ``kept_stage_`` say what ran and what was kept. On fishing and
        yogurt, the suite sets that a replay of 80 steps holds below 95 % of
        the full-data MLP at three networks over 8 epochs (``n_epochs=8,
        n_models=3``, the defaults before the single long run), ``"auto"``
        gained 0.9 and 0.1 points on average over fifteen seeds; over the
        small sets at seeds 0-4 it took 14 % less CPU time in total. See
        the user guide for what it gains and costs.

    feature_steps : {"auto", "uniform", "spread"}, default="auto"
        How far an outer step moves each feature of the synthetic rows.
        ``"uniform"``: the same step size for every feature (Adam's).
        ``"spread"``: each feature's step is multiplied by
        ``min(1, MAD / (0.7979 * std))`` of its real column (mean absolute
        deviation over its Gaussian value), which is 1 for Gaussian-like
        columns and about 0.3 for heavy-tailed ones, whose bulk spans a
        small part of one standard deviation; the synthetic rows then stay
        in the bulk. ``"auto"``: the factors of ``"spread"`` on the
        heavy-tailed columns that ``feature_transform`` does not map (all of
        them with ``feature_transform=None``, none at its default), 1
        elsewhere. A column is heavy-tailed
        when it has more than 20 distinct values (one-hot, count and other
        categorical columns never are) and its factor is below 0.4 (the
        continuous columns of the benchmark suite are at 0.48 or more; see
        the robustness guide); the mask is ``heavy_tailed_features_``. A table
        without such a column is fitted exactly as with ``"uniform"``; on
        one that has them (unmapped), ``n_epochs="auto"`` and
        ``samples_per_step="auto"`` also give a longer run and a larger set.

        .. versionchanged:: 0.1.0
           Default ``"auto"``; it was ``"uniform"``. ``"auto"`` is new.

    feature_transform : "auto" or None, default="auto"
        A monotone map of the heavy-tailed columns (as judged for
        ``feature_steps``, ``heavy_tailed_features_``) to Gaussian-like
        ones, applied before the standardisation. ``"auto"``: each such
        column is mapped through its quantiles on the training rows to the
        Gaussian quantiles (piecewise linear between them and linear beyond
        them, so the map is exactly invertible), then standardised; the
        other columns are only standardised, as without it. ``None``: no map.
        The map is ``feature_transform_`` and travels with the distilled
        dataset (its ``feature_transform``, saved with it): the dataset's
        ``X``, ``scale_rows`` and :class:`DistilledMLPClassifier` apply it,
        so a classifier trained on the set takes rows in the original units.
        The mapped columns are no longer heavy-tailed where the networks see
        them: ``feature_steps="auto"``, ``n_epochs="auto"`` and
        ``samples_per_step="auto"`` treat them as the other columns. A table
        without heavy-tailed columns is fitted exactly as with ``None``. See
        the robustness guide for what it changes on heavy-tailed tables.

        .. versionadded:: 0.1.0

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
        Print progress (about ten lines per stage; every iteration if > 1),
        and one line at the switch to a second stage saying what it runs.

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
        The learning rate of every internal step, in the order they are taken;
        three times as long (``3 * n_steps * n_epochs``) when the set of a
        ``"longer_run"`` second stage is kept (``kept_stage_ == 2``).

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    mean_, scale_ : ndarray of shape (n_features_in_,)
        The standardisation under which the data was distilled (on the
        columns ``feature_transform_`` maps, that of the mapped values). Networks
        trained on the distilled set must see inputs
        ``distilled_.scale_rows(X)``: ``(X - mean_) / scale_`` after
        ``feature_transform_``, if any; :class:`DistilledMLPClassifier` does
        this itself.

    feature_transform_ : FeatureTransform or None
        The map of the heavy-tailed columns applied before the
        standardisation (see ``feature_transform``): ``columns``, the mapped
        columns, and ``transform`` and ``inverse_transform``; None when no
        column is mapped.

    architectures_ : tuple of tuples of int
        The validated architectures.

    fixed_init_params_ : list or None
        With ``fixed_init=True``, for every architecture the list of stacked
        initial weights and biases (numpy arrays); otherwise None.

    loss_curve_ : list of float
        Outer objective at every outer iteration (of both stages when a
        second stage ran).

    n_iter_ : int
        Outer iterations run, in both stages when a second stage ran.

    stage_iterations_ : list of int
        The outer iterations of each stage: one entry, or two when a second
        stage ran (``second_stage``).

    n_models_ : int
        The internal models per outer iteration that ``n_models`` resolved
        to (1 in the single long run), for the first stage. The distilled
        dataset's provenance records the ``n_epochs`` and ``n_models`` of the
        run its set was learned for (those of a kept second stage), and the
        resolved ``batch_size`` and ``samples_per_step``.

    second_stage_ : {"longer_run", "smaller_step"} or None
        The second stage that ran (``second_stage`` with "auto" resolved),
        or None.

    kept_stage_ : {1, 2}
        The stage whose best set the fit returned (with its schedule): 2 when
        the second stage's best set beat the first's on the held-out rows by
        ``tol``, else 1 (always 1 without a second stage).

    lr_init_ : float
        The initial internal learning rate used (``lr_init`` resolved).

    heavy_tailed_features_ : ndarray of shape (n_features_in_,), dtype=bool
        The columns judged heavy-tailed on the training rows, in their
        original units (see ``feature_steps``), whatever ``feature_steps``
        and ``feature_transform`` are. When one that ``feature_transform_``
        does not map is, the "auto" values of ``n_epochs`` and
        ``samples_per_step`` grow.

    divergence_recoveries_ : list of int
        The outer iterations at which the internal training went non-finite
        and the internal learning rates were divided by 10 (empty when the
        fit never diverged), counted from the start of the fit over both
        stages.

    best_iteration_ : int
        The outer iteration whose distilled set was kept (``n_iter_`` without
        early stopping), counted over both stages: when the second stage's
        set is kept (``kept_stage_``), an iteration above
        ``stage_iterations_[0]`` is one of the second stage, and
        ``stage_iterations_[0]`` itself is its starting set (replayed with
        the second stage's schedule).

    validation_scores_ : list of float or None
        With early stopping, the validation accuracy at every check (of both
        stages, each starting with a check of its starting set); otherwise
        None. When the first stage's set is kept (``kept_stage_ == 1``), the
        best of these can be a second-stage check that did not beat it by
        ``tol``.

    sampling_strategy_ : dict
        Rows of the distilled set per class label, each row counted for the
        class of its largest soft label (imbalanced-learn's name for what a
        sampler makes of each class).

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
    ``fit(X, y, sample_weight=w)`` distills the weighted data: the
    standardisation is weighted, and each outer iteration's real minibatch is
    drawn with replacement with probability proportional to ``w``, so its loss
    is an unbiased estimate of the weighted real-data loss (integer weights act
    as repeated rows). Without weights the rows are visited in shuffled epochs.
    The early-stopping validation accuracy is unweighted. A Dask collection
    or a parquet table takes no weights.

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
    >>> distiller = DatasetDistiller(n_steps=5, samples_per_step=2, n_epochs=2,
    ...                              max_iter=20, random_state=0)
    >>> X_syn, y_syn = distiller.fit_resample(X, y)
    >>> X_syn.shape, y_syn.shape
    ((10, 2), (10,))
    >>> distiller.lr_schedule_.shape
    (10,)
    """

    _parameter_constraints: dict = {
        **BaseDistiller._parameter_constraints,
        **DISTILLATION,
        **STOPPING,
        "n_steps": AUTO_COUNT,
        "samples_per_step": AUTO_COUNT,
        "n_samples": [None, Interval(Integral, 1, None, closed="left")],
        "n_samples_per_class": [None, Interval(Integral, 1, None, closed="left")],
        "architectures": [tuple, list],
        "search_space": [None, dict, list],
        "lr_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "batch_size": AUTO_COUNT,
        "lr_max": [None, Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [None, *VALIDATION_FRACTION],
        "average_decay": [None, Interval(Real, 0, 1, closed="left")],
        "checkpoint_segments": [
            None,
            StrOptions({"sqrt"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "unroll_window": [None, Interval(Integral, 1, None, closed="left")],
        "second_stage": [None, StrOptions({"auto", "longer_run", "smaller_step"})],
        "n_epochs": AUTO_COUNT,
        "n_models": AUTO_COUNT,
        "feature_steps": [StrOptions({"auto", "uniform", "spread"})],
        "feature_transform": [None, StrOptions({"auto"})],
        "device": [str],
    }

    def __init__(
        self,
        *,
        n_steps="auto",
        n_epochs="auto",
        samples_per_step="auto",
        n_samples=None,
        n_samples_per_class=None,
        architectures=((10,),),
        n_models="auto",
        search_space=None,
        soft_labels=True,
        learn_lr=True,
        lr_init="auto",
        max_iter=2000,
        batch_size="auto",
        learning_rate=0.01,
        lr_max=None,
        fixed_init=False,
        init="kmeans",
        validation_fraction=0.2,
        n_iter_no_change=200,
        tol=1e-4,
        average_decay=0.95,
        resample_labels="hard",
        checkpoint_segments=None,
        unroll_window=None,
        second_stage=None,
        feature_steps="auto",
        feature_transform="auto",
        n_threads=1,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_steps = n_steps
        self.n_epochs = n_epochs
        self.samples_per_step = samples_per_step
        self.n_samples = n_samples
        self.n_samples_per_class = n_samples_per_class
        self.architectures = architectures
        self.n_models = n_models
        self.search_space = search_space
        self.soft_labels = soft_labels
        self.learn_lr = learn_lr
        self.lr_init = lr_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_max = lr_max
        self.fixed_init = fixed_init
        self.init = init
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.average_decay = average_decay
        self.resample_labels = resample_labels
        self.checkpoint_segments = checkpoint_segments
        self.unroll_window = unroll_window
        self.second_stage = second_stage
        self.feature_steps = feature_steps
        self.feature_transform = feature_transform
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Distill ``(X, y)`` into a small synthetic dataset.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), Dask collection, \
                path or pyarrow.dataset.Dataset
            Training rows; numeric, finite. A Dask collection is read lazily,
            a few partitions at a time. A path to a parquet file or to a
            directory of parquet files, or a pyarrow Dataset, is read with
            pyarrow one row group at a time, so a single large file needs
            little memory; its features are every column but the label column
            (see doc/scaling.md).
        y : array-like of shape (n_samples,), or str
            Class labels; at least two classes. With a Dask collection, a
            column of the same frame; with a parquet path or a pyarrow
            Dataset, the name of the label column.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows: the real minibatches are drawn
            with probability proportional to them and the standardisation is
            weighted, so integer weights act as repeated rows (see Notes).

        Returns
        -------
        self : DatasetDistiller
            The fitted distiller; the dataset is ``distilled_``.
        """
        if self.second_stage not in (None, "auto") and (
            self.validation_fraction is None
        ):
            raise ValueError(
                f"second_stage={self.second_stage!r} continues from the best set "
                "of early stopping, and validation_fraction=None turns early "
                "stopping off. Set validation_fraction or second_stage=None."
            )
        return self._fit_distiller(X, y, sample_weight)

    def _distill(self, X, y_index):
        return self._distill_rows(*in_memory_rows(self, X, y_index))

    def _network_family(self):
        """``(family, config)`` of the internal networks: by default the MLP
        family (``_nets/mlp.py``; config None: ``architectures`` and
        ``search_space`` say which MLPs), trained by the hand-written reverse
        pass. A subclass may return another family (``_nets/protocol.py``) and
        its configuration (a dict of JSON values): its networks are trained by
        autograd through the unrolled steps, and the dataset's ``network``
        names it (see doc/developers.md, "Networks")."""
        return MLP_FAMILY, None

    def _sizes(self, n_samples, n_classes, smallest_class, heavy_tailed=False):
        """``(n_steps, samples_per_step, batch_size, large_table)``, "auto"
        resolved; ``large_table``: whether the sizes are a large table's
        (``smallest_class``: the rows of the smallest class in the table)."""
        sizes = (self.n_steps, self.samples_per_step, self.batch_size)
        requested = requested_rows(self.n_samples, self.n_samples_per_class, n_classes)
        large = large_table_sizes(
            sizes, n_samples, n_classes, smallest_class, requested, heavy_tailed
        )
        resolved = resolve_sizes(
            sizes, n_samples, n_classes, requested, heavy_tailed, large
        )
        return (*resolved, large)

    def _second_stage_kind(self, n_total_steps, early_stopping):
        """The second stage this fit runs: None, ``"longer_run"`` or
        ``"smaller_step"`` (``second_stage`` with "auto" resolved for a first
        run of ``n_total_steps`` internal steps)."""
        kind = self.second_stage
        if kind is None or not early_stopping:
            return None
        if kind == "auto":
            if self.n_samples is not None or self.n_samples_per_class is not None:
                return None
            # The longer run where the run is short, the smaller step otherwise.
            if n_total_steps < SHORT_RUN_STEPS:
                return "longer_run"
            return "smaller_step"
        return kind

    def _second_stage_settings(self, kind, n_epochs):
        """``(n_epochs, n_models, learning_rate, n_iter_no_change)`` of the
        second stage ``kind`` after a first run of ``n_epochs`` epochs."""
        if kind == "longer_run":
            n_models = self.n_models_
            if not self.fixed_init:
                # Two thirds of the networks, rounded up, one per architecture
                # at least: a run three times as long costs twice as much.
                n_models = max(len(self.architectures_), -(-2 * self.n_models_ // 3))
            return (
                LONGER_RUN_FACTOR * n_epochs,
                n_models,
                self.learning_rate,
                max(1, 3 * self.n_iter_no_change // 8),
            )
        return (
            n_epochs,
            self.n_models_,
            self.learning_rate / SMALLER_STEP_FACTOR,
            max(1, self.n_iter_no_change // 2),
        )

    def _second_stage_max_iter(self, n_first):
        """The outer iterations of the second stage at most, after a first
        stage of ``n_first``: as many as the first ran, and no more than
        ``max_iter`` leaves for the whole fit (0: no second stage)."""
        return max(0, min(n_first, self.max_iter - n_first))

    def _distill_lazy(self, X, y):
        """Distill a Dask collection or a parquet table, scanned once."""
        return self._distill_rows(*lazy_rows(self, X, y))

    def _distill_rows(self, real_rows, streams, device, data):
        """The distillation proper.

        ``real_rows(batch_size)`` gives the batch source of the real rows
        (``next_batch()``, see ``_training/batches.py``); ``streams`` are the
        fit's ``(RandomState, torch.Generator)``. ``data`` is ``(sample,
        validation, constant, n_samples)``: ``(X_std, y_index)`` of real rows
        to initialise the synthetic rows from, the held-out rows of early
        stopping (or None), the columns that never vary, and the number of
        training rows (held-out ones included).
        """
        rng, generator = streams
        sample, validation, constant, n_samples = data
        self.architectures_ = check_architectures(self.architectures)
        if self.search_space is not None and self.fixed_init:
            raise ValueError(
                "fixed_init=True cannot be combined with search_space: the "
                "internal models draw their configurations, hence their "
                "layers, at every outer iteration."
            )
        family, config = self._network_family()
        network = internal_network(family, config, self)
        n_features = len(self.mean_)
        n_classes = len(self.classes_)
        dtype = torch.float32

        def internal_models(n_models):
            return InternalModels(
                (self.architectures_, n_models, self.search_space, n_samples),
                (n_features, n_classes),
                (rng, generator),
                device=device,
                dtype=dtype,
                network=network,
            )

        # Heavy-tailed columns (judged on the rows init draws from, before
        # the feature transform) that the transform did not map get smaller
        # outer steps and the table a larger, longer set: see
        # ``_engine/feature_steps.py`` and ``sizes.py``.
        spread = spread_scales(sample[0])
        heavy = self.heavy_tailed_features_.copy()
        if self.feature_transform_ is not None:
            heavy[self.feature_transform_.columns] = False
        heavy_tailed = bool(heavy.any())
        # Estimated from the rows init draws from: all training rows in
        # memory, a sample of a lazy table.
        smallest_class = smallest_class_rows(sample[1], n_classes, n_samples)
        n_steps, samples_per_step, batch_size, large_table = self._sizes(
            n_samples, n_classes, smallest_class, heavy_tailed
        )
        n_epochs, self.n_models_, single_run = resolve_run(
            self.n_epochs,
            self.n_models,
            n_steps,
            len(self.architectures_),
            plain=network is None and self.search_space is None and not self.fixed_init,
            heavy_tailed=heavy_tailed,
            requested=self.n_samples is not None
            or self.n_samples_per_class is not None,
            large_table=large_table,
        )
        if single_run and self.batch_size == "auto":
            batch_size = single_run_batch_size(batch_size)
        models = internal_models(self.n_models_)
        space = models.space
        n_total_steps = n_steps * n_epochs
        # Columns that never vary keep that value in every synthetic row.
        constant = torch.as_tensor(constant, device=device)

        self.lr_init_ = self.lr_init
        if self.lr_init == "auto":
            self.lr_init_ = auto_lr_init(int((~constant).sum()))
        rows, row_class = starting_rows(
            self.init,
            (n_steps, samples_per_step, n_features, n_classes),
            constant,
            sample,
            (rng, generator),
            dtype=dtype,
        )
        row_step_scales = feature_step_scales(self.feature_steps, spread, heavy)
        if row_step_scales is not None:
            row_step_scales = torch.as_tensor(row_step_scales, dtype=dtype).to(device)
        state = self._outer_state(
            rows,
            row_class,
            n_total_steps,
            self.lr_init_,
            # The judged set: an exponential moving average of the iterates
            # (the soft labels stay on the simplex, a convex set).
            average_decay=self.average_decay if validation is not None else None,
            row_step_scales=row_step_scales,
            lr_max=self.lr_max,
        )
        second_stage = self._second_stage_kind(n_total_steps, validation is not None)
        if validation is None and self.second_stage in ("longer_run", "smaller_step"):
            # Early stopping is on, but the table is too small to hold rows
            # out (validation_fraction=None raised in `fit`).
            warnings.warn(
                f"second_stage={self.second_stage!r} is ignored: the table is too "
                "small to hold out validation rows for early stopping, so the "
                "fit runs one stage on all rows.",
                UserWarning,
                stacklevel=3,
            )
        fixed_inits = models.sample() if self.fixed_init else None
        score = None
        if validation is not None:
            score = models.validation_score(*validation)
        real = real_rows(batch_size)
        recoveries = []

        def stage_inputs(state, models, n_models=None):
            """The outer gradients of ``state`` and its divergence recovery
            (the recoveries counted over the whole fit)."""
            gradients = OuterGradients(
                self, models, state, constant, fixed_inits, rng, network,
                n_models=n_models,
            )  # fmt: skip
            recover = DivergenceRecovery(
                type(self).__name__, state, self.learn_lr, recoveries
            )
            return gradients, recover

        # With the longer second stage, the first stops sooner: the second
        # goes on from its best set (see `second_stage`).
        patience = self.n_iter_no_change
        if second_stage == "longer_run":
            patience = max(1, self.n_iter_no_change // 4)
        stage = _OuterStage(self, real, score, (device, dtype))
        stage.run(state, *stage_inputs(state, models), patience, self.max_iter)
        self.second_stage_ = None
        self.kept_stage_ = 1
        # The epochs and networks of the run the kept set was learned for.
        kept_run = (n_epochs, self.n_models_)
        best_iteration = stage.best_iterations[0]
        n_first = stage.stage_iterations[0]
        max_second = self._second_stage_max_iter(n_first)
        if second_stage is not None and max_second > 0:
            settings = self._second_stage_settings(second_stage, n_epochs)
            n_epochs_2, n_models, learning_rate, patience = settings
            if self.verbose:
                print(
                    f"[{type(self).__name__}] second stage {second_stage!r} from "
                    f"the best set of iteration {best_iteration}: {n_epochs_2} "
                    f"epochs, {n_models} networks, learning_rate="
                    f"{learning_rate:g}, n_iter_no_change={patience}, at most "
                    f"{max_second} iterations",
                    flush=True,
                )
            # The first stage's state stays as it is (its best set and its
            # own schedule) until the second stage beats it.
            second = state.continued(n_steps * n_epochs_2, learning_rate=learning_rate)
            if n_models != self.n_models_:
                models = internal_models(n_models)
            inputs = stage_inputs(second, models, n_models)
            self.second_stage_ = second_stage
            recoveries_before = len(recoveries)
            try:
                stage.run(second, *inputs, patience, max_second)
            except DivergenceError:
                warnings.warn(
                    f"{type(self).__name__}: the second stage diverged at "
                    f"iteration {stage.diverged_at} after "
                    f"{len(recoveries) - recoveries_before} recoveries of its own "
                    f"(at most {MAX_RECOVERIES} in a fit, {recoveries_before} used "
                    "by the first stage); the first stage's best set is kept. "
                    "Lower lr_init (the internal learning rates) or learning_rate "
                    "(the outer step size) to avoid it.",
                    DivergenceWarning,
                    stacklevel=3,
                )
            else:
                # Each set judged with its own schedule.
                if second_stage_wins(
                    stage.best_scores[1], stage.best_scores[0], self.tol
                ):
                    state, self.kept_stage_ = second, 2
                    kept_run = (n_epochs_2, n_models)
                    best_iteration = stage.best_iterations[1]
        self.stage_iterations_ = list(stage.stage_iterations)
        self.n_iter_ = sum(self.stage_iterations_)
        self.loss_curve_ = stage.loss_curve
        self.best_iteration_ = best_iteration
        self.validation_scores_ = stage.scores
        self.divergence_recoveries_ = recoveries
        self.fixed_init_params_ = None
        if self.fixed_init:
            self.fixed_init_params_ = (
                [[to_numpy(p) for p in params] for params in fixed_inits]
                if network is None
                else [stack_networks(fixed_inits)]
            )
        return state.to_dataset(
            DistilledDataset,
            self.classes_,
            mean=self.mean_,
            scale=self.scale_,
            feature_transform=self.feature_transform_,
            feature_names=getattr(self, "feature_names_in_", None),
            lr_init=self.lr_init_,
            architectures=self.architectures_ if network is None else None,
            network=None if network is None else {"name": family.NAME, **config},
            fixed_init=self.fixed_init_params_,
            provenance={
                "n_iter": self.n_iter_,
                "best_iteration": self.best_iteration_,
                **(
                    {}
                    if self.second_stage_ is None
                    else {
                        "second_stage": self.second_stage_,
                        "stage_iterations": self.stage_iterations_,
                        "kept_stage": self.kept_stage_,
                    }
                ),
                # What the "auto" sizes resolved to (the params keep "auto").
                "batch_size": batch_size,
                "samples_per_step": samples_per_step,
                "n_epochs": kept_run[0],
                "n_models": kept_run[1],
                # The real rows a network would train on: they scale alpha.
                "n_samples": n_samples,
                **({} if space is None else space.provenance()),
            },
        )
