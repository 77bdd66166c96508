"""The sizes of a tabular distillation: what the "auto" values of
DatasetDistiller resolve to, how the internal models are shared among the
architectures, and whether a table is large enough to hold rows out."""

import math

import numpy as np

#: ``samples_per_step="auto"``: about ``_AUTO_ROWS_PER_ROOT * sqrt(n_samples)``
#: synthetic rows in all, at least one per class and step, at most
#: ``_AUTO_MAX_PER_STEP`` per step (chosen on the benchmark suite, see
#: doc/dataset_distiller.md).
_AUTO_ROWS_PER_ROOT = 5
_AUTO_MAX_PER_STEP = 20
#: ``n_steps="auto"``: at least this many steps, more when the rows of
#: ``samples_per_step="auto"`` do not fit in them at ``_AUTO_MAX_PER_STEP``
#: per step, at most ``_AUTO_MAX_STEPS``.
_AUTO_MIN_STEPS = 10
_AUTO_MAX_STEPS = 50
#: ``batch_size="auto"``: one real row per ``_AUTO_ROWS_PER_BATCH_ROW`` rows,
#: within ``_AUTO_BATCH_RANGE``.
_AUTO_ROWS_PER_BATCH_ROW = 32
_AUTO_BATCH_RANGE = (64, 1024)
#: ``lr_init="auto"``: ``min(_AUTO_LR, _AUTO_LR_FEATURES / n_features)``.
_AUTO_LR = 0.1
_AUTO_LR_FEATURES = 25
#: On a table with heavy-tailed columns (see ``_engine/feature_steps.py``)
#: that the feature transform does not map (``feature_transform=None``),
#: ``samples_per_step="auto"`` gives this many times the rows per step, and
#: ``n_epochs="auto"`` this many epochs instead of ``_AUTO_EPOCHS`` (chosen on
#: the robustness benchmark's heavy-tailed table, see doc/robustness.md). With
#: the columns mapped to Gaussian-like ones the plain sizes do as well there
#: and better on the skewed table than these did unmapped.
_AUTO_EPOCHS = 8
_HEAVY_TAIL_ROWS_FACTOR = 3
_HEAVY_TAIL_EPOCHS = 12
#: With the size asked for (``n_samples`` or ``n_samples_per_class``),
#: ``n_epochs="auto"`` gives at least this many epochs (chosen on the suite's
#: budgets of 1, 10 and 50 rows per class, see doc/benchmark_suite.md).
_REQUESTED_SIZE_EPOCHS = 16
#: ``n_models="auto"``: internal networks per outer iteration (at least one
#: per architecture), unless the single long run below applies.
_AUTO_MODELS = 3
#: A short run: fewer internal steps than this. The suite's hardest small sets
#: needed a replay of at least this many steps; it decides the single long run
#: below and the longer second stage of ``second_stage="auto"``.
SHORT_RUN_STEPS = 240
#: The single long run of ``n_epochs="auto"`` with ``n_models="auto"``: where
#: the run at ``_AUTO_EPOCHS`` is short (``SHORT_RUN_STEPS``; sets of up to 29
#: steps), one internal network trains for
#: ``_AUTO_MODELS * _AUTO_EPOCHS`` epochs instead of ``_AUTO_MODELS`` networks
#: for ``_AUTO_EPOCHS`` -- the same internal steps per outer iteration -- on a
#: real batch (``batch_size="auto"``) of at least ``_SINGLE_RUN_MIN_BATCH``
#: rows, since one network's outer gradient is the noisier (chosen on the
#: benchmark suite, see doc/benchmark_suite.md).
_SINGLE_RUN_MIN_BATCH = 256
#: ``samples_per_step="auto"`` with ``n_steps="auto"`` on a large table, one
#: whose "auto" run is not short (30 steps or more at ``_AUTO_EPOCHS``, from
#: about 13,500 rows; the single long run does not apply there) whose smallest
#: class fills its share of the larger set (`large_table_sizes`): this many
#: times the rows per step, about ``7.5 * sqrt(n_samples)`` rows in all. On the
#: suite's largest table more rows raised the replay by 1.4 points, where a
#: longer run, more networks, a larger outer batch and a smaller outer step
#: gave half a point at most (see doc/benchmark_suite.md).
_LARGE_TABLE_ROWS_FACTOR = 1.5
#: ``n_models="auto"`` with ``n_epochs="auto"`` at those sizes: two internal
#: networks instead of ``_AUTO_MODELS``, which costs less per outer iteration
#: than three over the smaller set did and replayed better on that table.
_LARGE_TABLE_MODELS = 2
#: With a Dask collection or a parquet table, the held-out rows and the rows
#: ``init`` starts from are samples of at most this many rows.
LAZY_SAMPLE_ROWS = 10_000
#: Early stopping needs this many held-out rows per class (in memory);
#: smaller tables are distilled on all their rows for ``max_iter`` iterations.
_MIN_HELD_OUT_PER_CLASS = 2


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


def auto_lr_init(n_varying):
    """Internal learning rate of ``lr_init="auto"``: 0.1, lowered on wide
    tables to ``_AUTO_LR_FEATURES / n_varying``.

    A gradient step on the first layer moves a standardised row's
    pre-activations by about ``lr * n_features`` times its gradient, so the
    same rate is a much larger step on a table of thousands of columns: 0.1
    diverged or distilled a poor set there, while 0.01 matched the full-data
    model (see the user guide). ``n_varying`` counts the non-constant columns.
    """
    return min(_AUTO_LR, _AUTO_LR_FEATURES / max(n_varying, 1))


def auto_n_steps(n_samples):
    """Steps of ``n_steps="auto"``.

    10 steps hold the ``5 * sqrt(n_samples)`` rows of
    ``samples_per_step="auto"`` up to about 1600 rows; beyond, the unroll
    grows instead of the batches (the suite's largest set gained more from
    longer unrolls than from larger steps), up to 50 steps.
    """
    rows = _AUTO_ROWS_PER_ROOT * math.sqrt(n_samples)
    steps = math.ceil(rows / _AUTO_MAX_PER_STEP)
    return min(max(steps, _AUTO_MIN_STEPS), _AUTO_MAX_STEPS)


def auto_batch_size(n_samples):
    """Real rows per outer iteration of ``batch_size="auto"``.

    64 up to about 2000 rows, then one row in 32, at most 1024: on large sets
    the outer gradient of 64 rows is the noise that limits the distilled set,
    while on small ones a larger batch only sees the same rows more often.
    """
    low, high = _AUTO_BATCH_RANGE
    return min(max(n_samples // _AUTO_ROWS_PER_BATCH_ROW, low), high)


def is_large_table(n_samples):
    """Whether the "auto" run of a table of ``n_samples`` rows is not short:
    ``auto_n_steps`` steps over ``_AUTO_EPOCHS`` epochs are at least
    ``SHORT_RUN_STEPS`` (30 steps or more, from about 13,500 rows)."""
    return auto_n_steps(n_samples) * _AUTO_EPOCHS >= SHORT_RUN_STEPS


def smallest_class_rows(y_index, n_classes, n_samples):
    """The rows of the smallest class in a table of ``n_samples`` rows,
    estimated from the class indices ``y_index`` of its rows (all of them or
    a sample)."""
    y_index = np.asarray(y_index, dtype=np.intp)
    if len(y_index) == 0:
        return 0
    counts = np.bincount(y_index, minlength=n_classes)
    return n_samples * counts.min() / len(y_index)


def large_table_sizes(
    sizes,
    n_samples,
    n_classes,
    smallest_class,
    requested=(None, None),
    heavy_tailed=False,
):
    """Whether the "auto" sizes of a large table apply (more rows per step,
    and fewer internal networks with ``n_models="auto"``): ``n_steps`` and
    ``samples_per_step`` of ``sizes`` both "auto", no ``requested`` rows, no
    unmapped heavy-tailed columns (which get more rows of their own), a
    large table (`is_large_table`), and a smallest class of at least as many
    rows (``smallest_class``, in the whole table) as its share of the larger
    set: on a table with a rare class the larger set only repeats its few
    rows, and its replay was the worse for it.
    """
    n_steps, samples_per_step, _ = sizes
    if not (
        n_steps == "auto"
        and samples_per_step == "auto"
        and requested[0] is None
        and not heavy_tailed
        and is_large_table(n_samples)
    ):
        return False
    steps = auto_n_steps(n_samples)
    rows = steps * auto_samples_per_step(n_samples, n_classes, steps, large_table=True)
    return smallest_class >= math.ceil(rows / n_classes)


def auto_samples_per_step(
    n_samples, n_classes, n_steps, heavy_tailed=False, large_table=False
):
    """Rows per step of ``samples_per_step="auto"``.

    The set grows like the square root of the training rows: a set that is
    too small is what kept the suite's larger sets below the full-data model,
    while on small sets extra rows only cost time. Capped so that the cost of
    an outer iteration stays bounded. On a table with heavy-tailed columns,
    ``_HEAVY_TAIL_ROWS_FACTOR`` times as many: there the replay's few plain
    gradient steps, not where the rows sit, limit the distilled set, and
    more rows per step gave it more than any other setting measured. Else on
    a ``large_table`` (`is_large_table`, at the "auto" steps),
    ``_LARGE_TABLE_ROWS_FACTOR`` times as many, rounded up: the set is then a
    small part of the table, and its size what limits it.
    """
    per_step = math.ceil(_AUTO_ROWS_PER_ROOT * math.sqrt(n_samples) / n_steps)
    per_step = max(n_classes, min(per_step, _AUTO_MAX_PER_STEP))
    if heavy_tailed:
        return per_step * _HEAVY_TAIL_ROWS_FACTOR
    if large_table:
        return math.ceil(per_step * _LARGE_TABLE_ROWS_FACTOR)
    return per_step


def resolve_n_epochs(n_epochs, heavy_tailed, requested=False):
    """``n_epochs`` with "auto" resolved: ``_AUTO_EPOCHS``, or
    ``_HEAVY_TAIL_EPOCHS`` on a table with heavy-tailed columns (a longer
    replay, which the heavy-tailed table needs more than the others); at least
    ``_REQUESTED_SIZE_EPOCHS`` when ``requested``, the size of the set asked
    for by ``n_samples`` or ``n_samples_per_class``: a set of a few rows per
    class is replayed in few steps, and the defaults' time target, which holds
    the "auto" sizes to 8 epochs, does not bind a size the user chose."""
    if n_epochs != "auto":
        return int(n_epochs)
    epochs = _HEAVY_TAIL_EPOCHS if heavy_tailed else _AUTO_EPOCHS
    return max(epochs, _REQUESTED_SIZE_EPOCHS) if requested else epochs


def resolve_run(
    n_epochs,
    n_models,
    n_steps,
    n_architectures,
    *,
    plain,
    heavy_tailed,
    requested=False,
    large_table=False,
):
    """``(n_epochs, n_models, single_run)`` with "auto" resolved.

    With both "auto", a single architecture and a ``plain`` fit (the package's
    MLPs, no search space, no fixed initialisations), on a table without
    unmapped heavy-tailed columns and at a size not ``requested``: where the
    run of `resolve_n_epochs` is shorter than ``SHORT_RUN_STEPS`` steps,
    the single long run (``single_run`` true; the caller raises the "auto"
    real batch to ``_SINGLE_RUN_MIN_BATCH`` rows). A fresh network replaying
    the set then takes three times the steps, which the suite's hardest small
    sets needed, at the work per outer iteration of three networks over the
    shorter run. At the sizes of a ``large_table`` (`large_table_sizes`),
    under the same conditions, ``_LARGE_TABLE_MODELS`` networks. Otherwise
    ``n_models="auto"`` is ``_AUTO_MODELS``, or the number of architectures if
    larger.
    """
    epochs = resolve_n_epochs(n_epochs, heavy_tailed, requested)
    default_plan = (
        n_epochs == "auto"
        and n_models == "auto"
        and n_architectures == 1
        and plain
        and not heavy_tailed
        and not requested
    )
    if default_plan and n_steps * epochs < SHORT_RUN_STEPS:
        return _AUTO_MODELS * epochs, 1, True
    if default_plan and large_table:
        return epochs, _LARGE_TABLE_MODELS, False
    if n_models == "auto":
        return epochs, max(_AUTO_MODELS, n_architectures), False
    return epochs, int(n_models), False


def single_run_batch_size(batch_size):
    """The "auto" real batch of the single long run: at least
    ``_SINGLE_RUN_MIN_BATCH`` rows (see `resolve_run`)."""
    return max(batch_size, _SINGLE_RUN_MIN_BATCH)


def split_distilled_size(
    n_rows, n_steps, samples_per_step, auto_steps, n_classes, requested=None
):
    """``(n_steps, samples_per_step)`` of a distilled set of ``n_rows`` rows.

    ``n_steps`` and ``samples_per_step`` are the parameters as given (``"auto"``
    or int): a given one must divide ``n_rows`` (both given: their product
    must be ``n_rows``). With both ``"auto"``, the steps are the largest
    divisor of ``n_rows`` that is at most ``auto_steps`` (what
    ``n_steps="auto"`` gives the training rows) and leaves at least one row
    per class in every step: ``k`` rows per class, ``k <= auto_steps``, are
    ``k`` steps of one row per class. ``requested`` names the setting that
    asked for the rows, for the error messages.
    """
    what = requested or f"n_samples={n_rows}"
    if n_steps != "auto" and samples_per_step != "auto":
        if n_steps * samples_per_step != n_rows:
            raise ValueError(
                f"{what} conflicts with n_steps={n_steps} and samples_per_step="
                f"{samples_per_step}, which make {n_steps * samples_per_step} "
                "rows; leave n_steps or samples_per_step at 'auto'."
            )
        return n_steps, samples_per_step
    for name, given in (("n_steps", n_steps), ("samples_per_step", samples_per_step)):
        if given != "auto":
            if n_rows % given:
                raise ValueError(
                    f"{what} is not a multiple of {name}={given}; every step holds "
                    f"the same number of rows. Ask for a multiple of {given} rows, "
                    f"or leave {name} at 'auto'."
                )
            other = n_rows // given
            return (given, other) if name == "n_steps" else (other, given)
    per_step_at_least = min(n_classes, n_rows)
    steps = max(
        d
        for d in range(1, min(auto_steps, n_rows) + 1)
        if n_rows % d == 0 and n_rows // d >= per_step_at_least
    )
    return steps, n_rows // steps


def holds_out(fraction, n_samples, n_classes):
    """Whether early stopping holds out rows: ``fraction`` is set and the
    held-out part would have ``_MIN_HELD_OUT_PER_CLASS`` rows per class.

    On a table of a few rows per class, holding a fifth out costs the
    distilled set rows it cannot spare, and a handful of held-out rows judges
    it by chance: 10 classes of 3 rows reached 89 % of the full-data model
    with the split and 114 % without (see the user guide).
    """
    return (
        fraction is not None
        and fraction * n_samples >= _MIN_HELD_OUT_PER_CLASS * n_classes
    )


def requested_rows(n_samples, n_samples_per_class, n_classes):
    """``(rows, setting)``: the distilled rows asked for by ``n_samples`` or
    ``n_samples_per_class`` and that setting in words, or ``(None, None)``."""
    if n_samples is not None and n_samples_per_class is not None:
        raise ValueError(
            f"n_samples={n_samples} and n_samples_per_class="
            f"{n_samples_per_class} both set the size of the distilled "
            "set; give one of them."
        )
    if n_samples_per_class is not None:
        n_rows = int(n_samples_per_class) * n_classes
        return n_rows, (
            f"n_samples_per_class={n_samples_per_class} ({n_rows} rows "
            f"for {n_classes} classes)"
        )
    if n_samples is not None:
        return int(n_samples), f"n_samples={n_samples}"
    return None, None


def resolve_sizes(
    sizes,
    n_samples,
    n_classes,
    requested=(None, None),
    heavy_tailed=False,
    large_table=False,
):
    """``(n_steps, samples_per_step, batch_size)`` with "auto" resolved, from
    the parameters ``sizes`` in that order; ``requested`` is the
    ``(rows, setting)`` of `requested_rows`, which the steps must hold;
    ``heavy_tailed``: whether the table has heavy-tailed columns (more rows
    per step for ``samples_per_step="auto"`` without ``requested`` rows);
    ``large_table``: whether the sizes of a large table apply (more rows per
    step, `large_table_sizes`).

    int(): scikit-learn's Interval(Integral) lets a bool through, and torch
    refuses bools as sizes.
    """
    n_steps, samples_per_step, batch_size = sizes
    n_rows, setting = requested
    if n_rows is not None:
        n_steps, samples_per_step = split_distilled_size(
            n_rows,
            n_steps if n_steps == "auto" else int(n_steps),
            samples_per_step if samples_per_step == "auto" else int(samples_per_step),
            auto_n_steps(n_samples),
            n_classes,
            setting,
        )
    if n_steps == "auto":
        n_steps = auto_n_steps(n_samples)
    if samples_per_step == "auto":
        samples_per_step = auto_samples_per_step(
            n_samples, n_classes, n_steps, heavy_tailed, large_table
        )
    if batch_size == "auto":
        batch_size = auto_batch_size(n_samples)
    return int(n_steps), int(samples_per_step), int(batch_size)
