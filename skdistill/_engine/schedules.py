"""Learning-rate schedules for training on a distilled dataset.

A distilled dataset (see :class:`DatasetDistiller`) holds ``n_steps`` synthetic
batches and one learned learning rate per internal step, ``n_steps * n_epochs``
of them. Training a network on it means taking those steps in order: step ``k``
of epoch ``e`` uses batch ``k`` and the rate ``lr_schedule[e * n_steps + k]``.

Such a run is short, often too short for a network to converge. Medvedev &
D'yakonov (2020, section 5.3) lengthen it with three strategies; this module
implements them, together with the learned schedule itself and a constant rate,
as pure functions from the distilled schedule to a *step sequence*: the batch
index and the learning rate of every training step. The replay itself is
:func:`skdistill._unroll.replay_distilled`, run on the batches in that order.

Choices made where the paper is ambiguous (all documented in
``doc/distilled_classifier.md``):

* Every lengthened schedule runs ``n_repeats * n_epochs`` epochs (the paper:
  5 distilled epochs, repeated 10 times, 50 epochs), so that the three
  strategies and the constant rate are compared at equal length.
* Strategy 1 ("a standard schedule") uses no learned rate. Its rate is constant
  within an epoch; it is multiplied by 1.1 at the start of each of the first
  ``n_epochs`` epochs after the first (a warm-up as long as the distilled run),
  then by 0.95 at the start of every later epoch.
* Strategy 2 repeats the whole distilled run; the ``k``-th repeat
  (``k = 0, ..., n_repeats - 1``) multiplies every learned rate by ``0.98**k``.
* Strategy 3 runs the distilled run once, then repeats only its last epoch;
  epoch ``e`` (counting from 0) uses the rates of the last distilled epoch
  times ``0.98**(e // n_epochs)``, i.e. the same decay per block of
  ``n_epochs`` epochs as strategy 2, so the two differ only in *which*
  distilled epoch they replay.
"""

import numpy as np

SCHEDULES = ("distilled", "strategy1", "strategy2", "strategy3", "constant")

#: Per-epoch factors of strategy 1 (warm-up) and per-repeat decay of 2 and 3.
STRATEGY1_WARMUP = 1.1
STRATEGY1_DECAY = 0.95
REPEAT_DECAY = 0.98


def check_learning_rates(lrs, name="lr_schedule"):
    """Return ``lrs`` as a 1-D float64 array of finite positive rates."""
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of learning rates; got "
            f"shape {lrs.shape}."
        )
    if not np.all(np.isfinite(lrs)):
        raise ValueError(f"{name} contains NaN or infinite learning rates.")
    if np.any(lrs <= 0):
        bad = lrs[lrs <= 0][0]
        raise ValueError(
            f"{name} contains a learning rate that is not positive ({bad!r}); "
            "every gradient-descent step needs a learning rate > 0."
        )
    return lrs


def _check_counts(n_steps, n_epochs, n_repeats):
    for name, value in (
        ("n_steps", n_steps),
        ("n_epochs", n_epochs),
        ("n_repeats", n_repeats),
    ):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(n_steps), int(n_epochs), int(n_repeats)


def strategy1_epoch_rates(base_lr, n_epochs, n_repeats):
    """Learning rate of every epoch of strategy 1, shape ``(n_epochs * n_repeats,)``.

    Epoch 0 runs at ``base_lr``; each of the epochs ``1 .. n_epochs - 1``
    multiplies the rate by 1.1, every later epoch multiplies it by 0.95.
    """
    n_total = n_epochs * n_repeats
    epochs = np.arange(n_total)
    warm = np.minimum(epochs, n_epochs - 1)
    decay = np.maximum(epochs - (n_epochs - 1), 0)
    return base_lr * STRATEGY1_WARMUP**warm * STRATEGY1_DECAY**decay


def step_sequence(schedule, lr_schedule, n_steps, *, n_repeats=10, base_lr=None):
    """Batch index and learning rate of every step of a training run.

    Parameters
    ----------
    schedule : {"distilled", "strategy1", "strategy2", "strategy3", "constant"}
        ``"distilled"`` is the learned run as is (``n_repeats`` is ignored);
        the others last ``n_repeats * n_epochs`` epochs (see the module
        docstring for their definitions).
    lr_schedule : array-like of shape (n_steps * n_epochs,)
        The learned learning rates, in the order they were taken. Must be
        positive and finite.
    n_steps : int
        Distinct synthetic batches per epoch.
    n_repeats : int, default=10
        How many times the length of the distilled run is repeated.
    base_lr : float, default=None
        The rate of ``"constant"`` and the starting rate of ``"strategy1"``;
        required by those two, ignored by the others.

    Returns
    -------
    batch_order : ndarray of int of shape (n_total_steps,)
        The synthetic batch each step uses.
    step_lrs : ndarray of float64 of shape (n_total_steps,)
        The learning rate of each step; all positive.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}; got {schedule!r}.")
    lrs = check_learning_rates(lr_schedule)
    if lrs.size % int(n_steps):
        raise ValueError(
            f"The learned schedule has {lrs.size} learning rates, which is not a "
            f"multiple of n_steps={n_steps}."
        )
    n_epochs = lrs.size // int(n_steps)
    n_steps, n_epochs, n_repeats = _check_counts(n_steps, n_epochs, n_repeats)
    by_epoch = lrs.reshape(n_epochs, n_steps)

    if schedule == "distilled":
        step_lrs = lrs.copy()
    elif schedule in ("constant", "strategy1"):
        if base_lr is None:
            raise ValueError(f"schedule={schedule!r} needs a base learning rate.")
        base_lr = float(check_learning_rates([base_lr], "base_lr")[0])
        if schedule == "constant":
            epoch_lrs = np.full(n_epochs * n_repeats, base_lr)
        else:
            epoch_lrs = strategy1_epoch_rates(base_lr, n_epochs, n_repeats)
        step_lrs = np.repeat(epoch_lrs, n_steps)
    elif schedule == "strategy2":
        decay = REPEAT_DECAY ** np.arange(n_repeats)
        step_lrs = (decay[:, None] * lrs[None, :]).ravel()
    else:  # strategy3
        epochs = np.arange(n_epochs, n_epochs * n_repeats)
        tail = (REPEAT_DECAY ** (epochs // n_epochs))[:, None] * by_epoch[-1][None, :]
        step_lrs = np.concatenate([lrs, tail.ravel()])
    batch_order = np.arange(step_lrs.size) % n_steps
    return batch_order, step_lrs
