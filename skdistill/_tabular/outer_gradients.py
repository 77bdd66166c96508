"""The outer gradient of a DatasetDistiller iteration: the hypergradient of the
real-data loss after the internal networks' unrolled training, with respect to
the learned tensors of the distiller's `OuterState`."""

import math

from .._engine.autograd_unroll import unrolled_value_and_grad
from .._engine.horizon import (
    NormClipper,
    configuration_groups,
    draw_window,
    truncated_value_and_grad,
)
from .._engine.reverse import distillation_value_and_grad
from .search_space import space_value_and_grad


class OuterGradients:
    """Called with a real batch ``(X_batch, y_batch)``: returns ``(loss,
    grads)``, the gradients of ``state.learned`` in that order, zero on the
    ``constant`` columns of the rows.

    MLPs (``network`` None) go through the hand-written reverse pass:
    `distillation_value_and_grad` for the networks of ``models`` (the
    ``fixed_inits`` when given), or `space_value_and_grad` for ``n_models``
    configurations drawn from the search space; over the whole unroll, with the
    distiller's ``checkpoint_segments``, or over a random truncated window of
    ``unroll_window`` steps drawn from ``rng``, whose gradients are clipped
    (`NormClipper`). Another family, ``network = (family, config)``, goes
    through autograd (`unrolled_value_and_grad`).
    """

    def __init__(
        self, distiller, models, state, constant, fixed_inits, rng, network,
        n_models=None,
    ):  # fmt: skip
        self.models, self.state, self.constant = models, state, constant
        self.fixed_inits, self.rng, self.network = fixed_inits, rng, network
        # The configurations drawn per iteration from a search space: the
        # distiller's n_models, or a stage's own.
        self.n_models = distiller.n_models_ if n_models is None else n_models
        self.soft_labels, self.learn_lr = distiller.soft_labels, distiller.learn_lr
        self.n_total_steps = n_total_steps = state.log_lr.shape[0]
        self.segments = distiller.checkpoint_segments
        if self.segments == "sqrt":
            self.segments = math.ceil(math.sqrt(n_total_steps))
        self.window = distiller.unroll_window
        if self.window is not None and self.window >= n_total_steps:
            self.window = None
        self.clipper = NormClipper() if self.window is not None else None

    def _inits(self):
        return (
            self.fixed_inits if self.fixed_inits is not None else self.models.sample()
        )

    def __call__(self, X_batch, y_batch):
        state, segments = self.state, self.segments
        if self.network is not None:
            loss_value, grads = unrolled_value_and_grad(
                self.network[0].forward, self._inits(), state, X_batch, y_batch
            )
            grads[0][..., self.constant] = 0.0
            return loss_value, grads
        lrs = state.lrs
        configs = None
        if self.models.space is None:
            inits = self._inits()

            def value_and_grad(sX, sY, sl, params):
                return distillation_value_and_grad(
                    sX, sY, sl, params, X_batch, y_batch,
                    checkpoint_segments=segments,
                )  # fmt: skip
        else:
            configs, inits = self.models.sample_configurations(self.n_models)

            def value_and_grad(sX, sY, sl, params):
                return space_value_and_grad(
                    sX, sY, sl, configs, params, X_batch, y_batch,
                    checkpoint_segments=segments,
                )  # fmt: skip

        if self.window is None:
            loss_value, grad_X, grad_Y, grad_lrs = value_and_grad(
                state.X, state.Y, lrs, inits
            )
        else:
            start, stop = draw_window(self.rng, self.n_total_steps, self.window)
            loss_value, grad_X, grad_Y, grad_lrs = truncated_value_and_grad(
                value_and_grad, state.X, state.Y, lrs, inits, start=start,
                stop=stop,
                **({} if configs is None else configuration_groups(configs)),
            )  # fmt: skip
        grad_X[..., self.constant] = 0.0
        grads = [grad_X]
        if self.soft_labels:
            grads.append(grad_Y)
        if self.learn_lr:
            grads.append(grad_lrs * lrs)
        if self.clipper is not None:
            grads = self.clipper(grads)
        return loss_value, grads
