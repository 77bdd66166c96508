"""Long learned runs at bounded cost: random truncated windows of the unroll.

The distillation objective trains fresh networks for the whole learned run,
``n_steps * n_epochs`` internal steps, and differentiates through all of them;
the cost of one outer iteration grows with the length of the run. Random
truncated backpropagation through time (RaT-BPTT; Feng, Vedantam & Kempe,
"Embarrassingly simple dataset distillation", ICLR 2024) bounds it: every
outer iteration trains the networks for a random number of steps without
differentiating them, then differentiates only the next ``window`` steps,
scoring the networks on the real batch after the window. The synthetic rows
and labels get the gradient of that window; the learned per-step learning
rates get it for the steps the window covers (and zero elsewhere).

Where the window falls differs from RaT-BPTT, which ends it uniformly in
``[window, n_total]``: there the first and last steps of the run fall in a
window far less often than the middle ones (step 0 only when the window ends
at ``window``), and a learned rate is learned only when its step is in the
window. :func:`draw_window` draws the window's first step uniformly in
``[1 - window, n_total - 1]`` and clips the window to the run, so that every
step of the schedule is covered with the same probability,
``window / (n_total + window - 1)``; the windows that reach the end of the
run score the networks exactly where a replay does.

The window's gradient is an ordinary distillation hypergradient: the one of a
run that starts from the networks after ``stop - window`` steps, takes the
batches in the order the full run takes them from there and the rates of
those steps. :func:`truncated_value_and_grad` builds that run (the batches
rotated, the rates sliced) and hands it to the same hand-written reverse pass
and compiled kernel as a full unroll, then puts the gradients back in place.
"""

import numpy as np
import torch

from .unroll import replay_distilled


def draw_window(rng, n_total, window):
    """``(start, stop)``: the steps ``start, ..., stop - 1`` to differentiate.

    The first step is uniform in ``[1 - window, n_total - 1]``, the window
    clipped to ``[0, n_total]``: every step is covered with probability
    ``window / (n_total + window - 1)``. A window as long as the run covers
    it whole.
    """
    if window >= n_total:
        return 0, n_total
    first = int(rng.randint(1 - window, n_total))
    return max(first, 0), min(first + window, n_total)


def advance(
    init_params,
    syn_X,
    syn_Y,
    lrs,
    n_steps_taken,
    *,
    lr_scales=None,
    weight_decays=None,
    activations=None,
):
    """The networks after the first ``n_steps_taken`` steps of the learned run.

    Nothing is differentiated. ``lr_scales``, ``weight_decays`` and
    ``activations`` are per entry of ``init_params`` as in
    :func:`skdistill._engine.unroll.distillation_objective`.
    """
    if n_steps_taken == 0:
        return list(init_params)
    step_X, step_Y = syn_X.unbind(0), syn_Y.unbind(0)
    prefix = lrs[:n_steps_taken]
    advanced = []
    with torch.no_grad():
        for group, params in enumerate(init_params):
            scale = 1.0 if lr_scales is None else float(lr_scales[group])
            decay = 0.0 if weight_decays is None else float(weight_decays[group])
            act = "relu" if activations is None else activations[group]
            group_lrs = (prefix * scale).unbind(0)
            advanced.append(
                replay_distilled(
                    params, step_X, step_Y, group_lrs, act, weight_decay=decay
                )
            )
    return advanced


def truncated_value_and_grad(
    value_and_grad,
    syn_X,
    syn_Y,
    lrs,
    init_params,
    *,
    start,
    stop,
    lr_scales=None,
    weight_decays=None,
    activations=None,
):
    """The hypergradient of a run stopped after ``stop`` steps, differentiated
    over its steps ``start, ..., stop - 1`` only.

    Parameters
    ----------
    value_and_grad : callable
        ``value_and_grad(syn_X, syn_Y, lrs, init_params)`` returning
        ``(loss, grad_X, grad_Y, grad_lrs)`` of a full unroll of ``len(lrs)``
        steps from ``init_params`` (the real batch bound in), for example
        :func:`skdistill._engine.reverse.distillation_value_and_grad`.
    syn_X, syn_Y : Tensor of shape (n_steps, samples_per_step, ...)
        The synthetic batches; step ``k`` of the run takes batch
        ``k mod n_steps``.
    lrs : Tensor of shape (n_total,)
        The learning rate of every step of the learned run.
    init_params : list of list of Tensor
        The networks' starting parameters, one stacked list per group.
    start, stop : int
        The window, ``0 <= start < stop <= n_total``: the networks take
        ``start`` steps undifferentiated, then the window's steps, and are
        scored after step ``stop``.
    lr_scales, weight_decays, activations : list or None
        Per group, as in ``distillation_objective``; they configure the
        undifferentiated steps and must match what ``value_and_grad`` does.

    Returns
    -------
    loss : float
    grad_X, grad_Y : Tensor
        Shaped as ``syn_X``, ``syn_Y``: the gradient through the window's
        steps, with the networks at its start held fixed.
    grad_lrs : Tensor of shape (n_total,)
        Zero outside the window ``[start, stop)``.
    """
    n_total = lrs.shape[0]
    if not 0 <= start < stop <= n_total:
        raise ValueError(
            f"the window must satisfy 0 <= start < stop <= {n_total}; got "
            f"start={start}, stop={stop}"
        )
    started = advance(
        init_params,
        syn_X,
        syn_Y,
        lrs,
        start,
        lr_scales=lr_scales,
        weight_decays=weight_decays,
        activations=activations,
    )
    # Step start + j of the run takes batch (start + j) mod n_steps: rotate
    # the batches so that the window's step j takes batch j mod n_steps.
    shift = start % syn_X.shape[0]
    loss, grad_X, grad_Y, grad_window = value_and_grad(
        torch.roll(syn_X, -shift, dims=0),
        torch.roll(syn_Y, -shift, dims=0),
        lrs[start:stop],
        started,
    )
    grad_lrs = torch.zeros_like(lrs)
    grad_lrs[start:stop] = grad_window.to(lrs.dtype)
    return (
        loss,
        torch.roll(grad_X, shift, dims=0),
        torch.roll(grad_Y, shift, dims=0),
        grad_lrs,
    )


class NormClipper:
    """Clip a gradient at ``factor`` times a moving average of its norm.

    RaT-BPTT's safeguard against the rare outer gradient far larger than the
    others (a truncated window that starts where the networks are unstable):
    the norm of every gradient is compared with an exponential moving average
    (``decay``) of the norms seen so far, and a gradient more than ``factor``
    times that average is scaled down to it. The first gradient sets the
    average and is not clipped.
    """

    def __init__(self, factor=2.0, decay=0.9):
        self.factor, self.decay = float(factor), float(decay)
        self.average = None

    def __call__(self, grads):
        norm = float(np.sqrt(sum(float((g * g).sum()) for g in grads)))
        if not np.isfinite(norm):
            return grads
        if self.average is None:
            self.average = norm
            return grads
        limit = self.factor * self.average
        self.average = self.decay * self.average + (1 - self.decay) * norm
        if norm > limit > 0:
            return [g * (limit / norm) for g in grads]
        return grads


def configuration_groups(configs):
    """The per-group keywords of `truncated_value_and_grad` for networks
    drawn from a search space, one group per configuration (objects with
    ``lr_scale``, ``weight_decay`` and ``activation``)."""
    return {
        "lr_scales": [c.lr_scale for c in configs],
        "weight_decays": [c.weight_decay for c in configs],
        "activations": [c.activation for c in configs],
    }
