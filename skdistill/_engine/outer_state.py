"""The learned parts of a distilled dataset while a distiller's outer loop runs.

Dataset distillation learns, by gradient descent on an outer objective, the
synthetic rows, their soft labels (kept on the probability simplex) and one
learning rate per internal training step (as its logarithm, so that it stays
positive). `OuterState` holds those tensors, the outer optimiser (`Adam`), the
projection of the labels after every step and, optionally, an exponential
moving average of the iterates; `to_dataset` turns it into the distilled
dataset. The outer gradients come from elsewhere (a hand-written reverse pass or
autograd through an unrolled training run).
"""

import math

import torch

from .optim import Adam
from .unroll import project_rows_to_simplex


def round_robin_classes(n_steps, rows_per_step, n_classes, device="cpu"):
    """The class of every synthetic row, ``(n_steps, rows_per_step)``: classes
    dealt round-robin over all the rows, so that every class is represented
    even with fewer rows per step than classes."""
    row_class = torch.arange(n_steps * rows_per_step, device=device) % n_classes
    return row_class.reshape(n_steps, rows_per_step)


class OuterState:
    """Synthetic rows, soft labels and log learning rates, and their optimiser.

    Parameters
    ----------
    rows : Tensor of shape (n_steps, rows_per_step, *row_shape)
        The starting synthetic rows; updated in place.
    row_class : Tensor of int of shape (n_steps, rows_per_step)
        The class of every row: the labels start one-hot.
    n_classes : int
    n_total_steps : int
        Internal training steps (``n_steps * n_epochs``): one learning rate each.
    lr_init : float
        The starting learning rate of every step.
    soft_labels, learn_lr : bool, default=True
        Whether the labels and the learning rates are learned (else they keep
        their starting values).
    learning_rate : float, default=0.01
        Step size of the outer Adam.
    average_decay : float or None, default=None
        With a value, `averaged` follows the iterates as an exponential moving
        average ``avg = decay * avg + (1 - decay) * value`` after every step.
    lr_max : float or None, default=None
        With learned rates, an upper bound of them: ``log_lr`` is clamped to
        ``log(lr_max)`` at the start and after every step.
    row_step_scales : Tensor or None, default=None
        A factor of the outer steps of the rows, broadcast over ``X`` (for
        example one per column; `Adam`'s ``step_scales``). None: 1.

    Attributes
    ----------
    X, Y, log_lr : Tensor
        The current iterate.
    learned : list of Tensor
        The tensors the outer optimiser moves, in the order `step` takes their
        gradients: ``X``, then ``Y`` and ``log_lr`` where learned.
    averaged : list of Tensor or None
        The moving average of ``[X, Y, log_lr]``.
    """

    def __init__(
        self,
        rows,
        row_class,
        n_classes,
        n_total_steps,
        lr_init,
        *,
        soft_labels=True,
        learn_lr=True,
        learning_rate=0.01,
        average_decay=None,
        row_step_scales=None,
        lr_max=None,
    ):
        self.X = rows
        self.Y = torch.nn.functional.one_hot(row_class, n_classes).to(rows.dtype)
        self.log_lr = torch.full(
            (n_total_steps,), math.log(lr_init), dtype=rows.dtype, device=rows.device
        )
        self.soft_labels = soft_labels
        # What `continued` needs to build a state like this one.
        self._options = {
            "soft_labels": soft_labels,
            "learn_lr": learn_lr,
            "average_decay": average_decay,
            "row_step_scales": row_step_scales,
            "lr_max": lr_max,
        }
        self.max_log_lr = None
        if learn_lr and lr_max is not None:
            self.max_log_lr = math.log(lr_max)
            self.log_lr.clamp_(max=self.max_log_lr)
        self.learned = [self.X]
        for tensor, learn in ((self.Y, soft_labels), (self.log_lr, learn_lr)):
            if learn:
                self.learned.append(tensor)
        step_scales = None
        if row_step_scales is not None:
            step_scales = [row_step_scales] + [None] * (len(self.learned) - 1)
        self.optimizer = Adam(
            self.learned, learning_rate=learning_rate, step_scales=step_scales
        )
        self.average_decay = average_decay
        self.averaged = (
            None
            if average_decay is None
            else [t.clone() for t in (self.X, self.Y, self.log_lr)]
        )

    @property
    def lrs(self):
        """The learning rates, ``exp(log_lr)``."""
        return self.log_lr.exp()

    def step(self, grads):
        """One outer step from the gradients of `learned` (same order).

        Returns False, and changes nothing, when a gradient is not finite.
        """
        if not all(torch.isfinite(g).all() for g in grads):
            return False
        self.optimizer.step(grads)
        if self.max_log_lr is not None:
            self.log_lr.clamp_(max=self.max_log_lr)
        if self.soft_labels:
            self.Y.copy_(project_rows_to_simplex(self.Y))
        if self.averaged is not None:
            decay = self.average_decay
            for avg, t in zip(self.averaged, (self.X, self.Y, self.log_lr)):
                avg.mul_(decay).add_(t, alpha=1 - decay)
        return True

    def continued(self, n_total_steps, *, learning_rate):
        """A new state that starts at this one's iterate, for a longer run.

        The rows, soft labels and learning rates are copies of the current
        ``X``, ``Y`` and ``log_lr``; a run of ``n_total_steps`` steps, longer
        than this one's by whole epochs (``n_steps``, the first dimension of
        ``X``, steps each), takes for every step this state has not learned
        the rate of the same step of its last epoch (the last ``n_steps``
        rates, repeated). The optimiser is a fresh `Adam` at
        ``learning_rate``, and the moving average (when kept) restarts at the
        iterate. Everything else (learned parts, bound, step scales, decay) is
        as in this state. The new state is of this state's type, built with
        `OuterState`'s arguments; a distiller's ``_outer_state`` hook is not
        called again.
        """
        n_steps, n_learned = self.X.shape[0], self.log_lr.shape[0]
        extra = n_total_steps - n_learned
        if extra < 0 or extra % n_steps:
            raise ValueError(
                f"a continued run must add whole epochs of {n_steps} steps to "
                f"the {n_learned} steps learned; got n_total_steps={n_total_steps}"
            )
        tail = self.log_lr[n_learned - n_steps :]
        log_lr = torch.cat([self.log_lr, tail.repeat(extra // n_steps)])
        row_class = torch.zeros(self.X.shape[:2], dtype=torch.int64)
        state = type(self)(
            self.X.detach().clone(),
            row_class.to(self.X.device),
            self.Y.shape[-1],
            n_total_steps,
            1.0,
            learning_rate=learning_rate,
            **self._options,
        )
        with torch.no_grad():
            state.Y.copy_(self.Y)
            state.log_lr.copy_(log_lr)
            if state.averaged is not None:
                for avg, t in zip(state.averaged, (state.X, state.Y, state.log_lr)):
                    avg.copy_(t)
        return state

    def restore(self, tensors):
        """Set the iterate to ``tensors``, ``[X, Y, log_lr]`` (e.g. the best
        state of early stopping), in place."""
        for t, value in zip((self.X, self.Y, self.log_lr), tensors):
            t.copy_(value)

    def to_dataset(self, dataset_type, classes, *, averaged=False, **fields):
        """The distilled dataset of the current iterate (or of the average).

        Parameters
        ----------
        dataset_type : type
            The dataset class (`DistilledDataset`), called as
            ``dataset_type(rows, labels, classes, step=..., lr_schedule=...,
            **fields)``; passed in because this layer does not import the data
            layer.
        classes : array-like of shape (n_classes,)
        averaged : bool, default=False
            Use the moving average instead of the iterate.
        **fields
            Further fields of the dataset.
        """
        X, Y, log_lr = self.averaged if averaged else (self.X, self.Y, self.log_lr)
        n_steps, rows_per_step = X.shape[:2]
        return dataset_type(
            X.detach().cpu().numpy().reshape(n_steps * rows_per_step, -1),
            Y.detach().cpu().numpy().reshape(n_steps * rows_per_step, -1),
            classes,
            step=torch.arange(n_steps).repeat_interleave(rows_per_step).numpy(),
            lr_schedule=log_lr.exp().detach().cpu().numpy(),
            **fields,
        )
