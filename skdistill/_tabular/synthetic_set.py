"""The learned tensors of a tabular distillation: the starting synthetic rows,
labels and log learning rates, and their recovery when the internal training
diverges."""

import math
import warnings

import torch

from .._base import initial_rows
from .._utils import DivergenceWarning, to_numpy

#: When the internal training goes non-finite, the internal learning rates are
#: divided by ``RECOVERY_FACTOR`` and the iteration is run again, at most
#: ``MAX_RECOVERIES`` times per fit (then `DivergenceError`).
RECOVERY_FACTOR = 10.0
MAX_RECOVERIES = 4


def initial_set(
    init, shape, n_total_steps, lr_init, constant, sample, streams, *, dtype
):
    """The starting ``(syn_X, syn_Y, log_lr)`` of a distillation.

    ``shape`` is ``(n_steps, samples_per_step, n_features, n_classes)``. Classes
    are dealt round-robin over all synthetic rows, so every class is
    represented even with fewer rows per step than classes; the labels start
    one-hot. The rows start as ``init`` says (``sample`` is ``(X_std,
    y_index)`` of real rows to draw from), with the ``constant`` columns (a
    boolean tensor, on the fit's device) at 0; every learning rate starts at
    ``lr_init``. ``streams`` are the fit's ``(RandomState, torch.Generator)``.
    """
    n_steps, samples_per_step, n_features, n_classes = shape
    rng, generator = streams
    device = constant.device
    row_class = torch.arange(n_steps * samples_per_step, device=device)
    row_class = (row_class % n_classes).reshape(n_steps, samples_per_step)
    if init == "noise":
        syn_X = torch.randn(
            (n_steps, samples_per_step, n_features),
            generator=generator,
            dtype=dtype,
            device=device,
        )
    else:
        rows = initial_rows(init, *sample, to_numpy(row_class), rng)
        syn_X = torch.as_tensor(rows, dtype=dtype).to(device)
    syn_X[..., constant] = 0.0
    syn_Y = torch.nn.functional.one_hot(row_class, n_classes).to(dtype)
    log_lr = torch.full((n_total_steps,), math.log(lr_init), dtype=dtype, device=device)
    return syn_X, syn_Y, log_lr


class DivergenceRecovery:
    """Lowers the internal learning rates after a non-finite outer gradient.

    Called with the iteration: divides the rates ``exp(log_lr)`` (and their
    running average ``averaged``, when kept) by `RECOVERY_FACTOR` in place,
    forgets the momentum of the optimiser that raised them (``learned``: the
    rates are its last tensor) and warns; returns False, doing nothing, once
    `MAX_RECOVERIES` are used up. ``iterations`` lists the recoveries.
    """

    def __init__(self, name, log_lr, averaged, optimizer, learned):
        self.name, self.log_lr, self.averaged = name, log_lr, averaged
        self.optimizer, self.learned = optimizer, learned
        self.iterations = []

    def __call__(self, iteration):
        if len(self.iterations) == MAX_RECOVERIES:
            return False
        self.iterations.append(iteration)
        shift = math.log(RECOVERY_FACTOR)
        self.log_lr.sub_(shift)
        if self.averaged is not None:
            self.averaged[2].sub_(shift)
        if self.learned:
            self.optimizer.first[-1].zero_()
        warnings.warn(
            f"{self.name}: the internal training diverged at iteration "
            f"{iteration}; the internal learning rates were divided by "
            f"{RECOVERY_FACTOR:g} (recovery {len(self.iterations)} of at most "
            f"{MAX_RECOVERIES}). Lower lr_init to avoid it.",
            DivergenceWarning,
            stacklevel=3,
        )
        return True
