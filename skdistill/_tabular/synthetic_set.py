"""The synthetic set of a tabular distillation: its starting rows, and the
recovery of its learning rates when the internal training diverges."""

import math
import warnings

import torch

from .._base import initial_rows
from .._engine.outer_state import round_robin_classes
from .._utils import DivergenceWarning, to_numpy

#: When the internal training goes non-finite, the internal learning rates are
#: divided by ``RECOVERY_FACTOR`` and the iteration is run again, at most
#: ``MAX_RECOVERIES`` times per fit (then `DivergenceError`).
RECOVERY_FACTOR = 10.0
MAX_RECOVERIES = 4


def starting_rows(init, shape, constant, sample, streams, *, dtype):
    """The starting synthetic rows of a distillation and their classes.

    ``shape`` is ``(n_steps, samples_per_step, n_features, n_classes)``.
    Classes are dealt round-robin over all synthetic rows
    (`round_robin_classes`), so every class is represented even with fewer rows
    per step than classes. The rows start as ``init`` says (``sample`` is
    ``(X_std, y_index)`` of real rows to draw from), with the ``constant``
    columns (a boolean tensor, on the fit's device) at 0. ``streams`` are the
    fit's ``(RandomState, torch.Generator)``. Returns ``(rows, row_class)``,
    tensors of shape ``(n_steps, samples_per_step, n_features)`` and
    ``(n_steps, samples_per_step)``.
    """
    n_steps, samples_per_step, n_features, n_classes = shape
    rng, generator = streams
    device = constant.device
    row_class = round_robin_classes(n_steps, samples_per_step, n_classes, device)
    if init == "noise":
        rows = torch.randn(
            (n_steps, samples_per_step, n_features),
            generator=generator,
            dtype=dtype,
            device=device,
        )
    else:
        rows = initial_rows(init, *sample, to_numpy(row_class), rng)
        rows = torch.as_tensor(rows, dtype=dtype).to(device)
    rows[..., constant] = 0.0
    return rows, row_class


class DivergenceRecovery:
    """Lowers the internal learning rates after a non-finite outer gradient.

    Called with the iteration: divides the rates of ``state`` (an
    `OuterState`: ``exp(log_lr)`` and, when kept, their moving average) by
    `RECOVERY_FACTOR` in place, forgets the momentum of the optimiser that
    raised them (when ``learned``: the rates are its last tensor) and warns;
    returns False, doing nothing, once `MAX_RECOVERIES` are used up.
    ``iterations`` lists the recoveries; pass the list of an earlier stage of
    the same fit to share its count.
    """

    def __init__(self, name, state, learned, iterations=None):
        self.name, self.log_lr, self.averaged = name, state.log_lr, state.averaged
        self.optimizer, self.learned = state.optimizer, learned
        self.iterations = [] if iterations is None else iterations

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
