"""The distillation hypergradient by a hand-written reverse pass.

Algorithms 2 and 3 of Medvedev & D'yakonov (2020): run the internal training
forward, keeping what each step needs, then walk the steps backwards carrying
``lam = dL/dtheta_{k+1}``. This gives the same numbers as autograd through
:func:`skdistill._unroll.distillation_objective` (the reference, checked in the
tests) with far fewer and cheaper tensor operations, which is what matters for
tabular networks, where every operation is tiny.

The reverse of step ``k`` (``theta_{k+1} = theta_k - eta_k g(theta_k, x, Y)``)
needs the vector-Jacobian products of the inner gradient ``g`` with ``lam``.
All of them are gradients of one scalar,

    phi(theta, x, Y) = <lam, g(theta, x, Y)> = <delta_L, zdot_L>,

the derivative of the inner loss along ``lam``: ``delta_L`` is the gradient of
the loss with respect to the logits and ``zdot_L`` the forward-mode tangent of
the logits in the direction ``lam``. Hence

    dL/dtheta_k = lam - eta_k grad_theta phi,
    dL/dx      -= eta_k grad_x phi,   dL/dY -= eta_k grad_Y phi,
    dL/deta_k   = -phi,

and ``grad phi`` is one backward sweep through the forward and tangent passes.
The internal networks use ReLU, whose second derivative vanishes almost
everywhere, so the masks ``z > 0`` are constants of the sweep.

With ``checkpoint_segments`` the forward pass keeps the parameters only at the
start of each segment of steps and the reverse pass recomputes one segment at
a time, bounding memory by about ``n_steps / segments + segments`` step
records instead of ``n_steps`` (gradient checkpointing).
"""

import math

import torch

from .._nets.mlp import (
    activation_derivatives,
    add_weight_decay,
    backward,
    batched,
    forward,
)


class _StepData:
    """One distinct synthetic batch, with the label terms of its inner gradient.

    ``delta = softmax(z) * s / n - Y / n`` for a batch of ``n`` rows whose
    soft-label rows sum to ``s``; both terms are fixed during an outer
    iteration, so they are computed once per distinct step, not once per
    internal step.
    """

    __slots__ = ("x", "x_t", "neg_Y_over_n", "mass_over_n")

    def __init__(self, x, Y, n_models):
        n_rows = x.shape[-2]
        self.x = batched(x, n_models)
        self.x_t = self.x.mT
        self.neg_Y_over_n = Y / -n_rows
        self.mass_over_n = Y.sum(dim=-1, keepdim=True) / n_rows


def _inner_step(params, step):
    """One inner step's gradient, and what its reverse needs."""
    logits, hidden = forward(params, step.x)
    proba = torch.softmax(logits, dim=-1)
    delta = torch.addcmul(step.neg_Y_over_n, proba, step.mass_over_n)
    masks = activation_derivatives(hidden)  # ReLU: 0/1 floats
    grads = backward(params, step.x, hidden, delta, derivatives=masks)
    return grads, (params[0::2], hidden, masks, proba, delta)


def _train_segment(params, steps, lrs, start, stop, keep_records, weight_decay=0.0):
    records = []
    for k in range(start, stop):
        grads, record = _inner_step(params, steps[k % len(steps)])
        if keep_records:
            records.append(record)
        if weight_decay:
            grads = add_weight_decay(grads, params, weight_decay)
        params = torch._foreach_add(params, grads, alpha=-lrs[k])
    return params, records


def _reverse_step(lam, record, step):
    """Gradient of ``phi = <lam, g>`` with respect to theta, and the terms of the
    rest.

    Returns ``grad_theta phi``; ``grad_x phi`` per network; ``-n grad_Y phi``
    per network; and the logits' tangent ``zdot_L``, whose inner product with
    ``delta_L`` is ``phi``. The last three are reduced for all steps at once by
    the caller.
    """
    weights, hidden, masks, proba, delta = record
    x = step.x
    tangents_w, tangents_b = lam[0::2], lam[1::2]
    n_layers = len(weights)

    # Tangent pass: zdot_l = adot_{l-1} W_l + a_{l-1} V_l + c_l, adot_0 = 0.
    zdot = torch.baddbmm(tangents_b[0], x, tangents_w[0])
    adots = []
    for layer in range(1, n_layers):
        adot = zdot * masks[layer - 1]
        adots.append(adot)
        zdot = torch.baddbmm(
            torch.baddbmm(tangents_b[layer], adot, weights[layer]),
            hidden[layer - 1],
            tangents_w[layer],
        )

    # Sweep back through delta_L = (softmax(z_L) * s - Y) / n: the softmax
    # vector-Jacobian product, and the label gradient (returned times -n) ...
    centred = zdot - (proba * zdot).sum(dim=-1, keepdim=True)
    zbar = proba * centred * step.mass_over_n
    # ... then through the forward and tangent passes, layer by layer.
    zdotbar = delta
    grads = [None] * (2 * n_layers)
    for layer in range(n_layers - 1, 0, -1):
        a_prev, adot_prev, mask = hidden[layer - 1], adots[layer - 1], masks[layer - 1]
        w_t = weights[layer].mT
        grads[2 * layer] = torch.baddbmm(
            torch.bmm(a_prev.mT, zbar), adot_prev.mT, zdotbar
        )
        grads[2 * layer + 1] = zbar.sum(dim=-2, keepdim=True)
        abar = torch.baddbmm(torch.bmm(zbar, w_t), zdotbar, tangents_w[layer].mT)
        zdotbar = torch.bmm(zdotbar, w_t) * mask
        zbar = abar * mask
    grads[0] = torch.bmm(step.x_t, zbar)
    grads[1] = zbar.sum(dim=-2, keepdim=True)
    xbar = torch.baddbmm(torch.bmm(zbar, weights[0].mT), zdotbar, tangents_w[0].mT)
    return grads, xbar, centred, zdot


def distillation_value_and_grad(
    syn_X,
    syn_Y,
    lrs,
    init_params,
    X_real,
    y_real,
    checkpoint_segments=None,
    backend="auto",
    lr_scales=None,
    weight_decays=None,
):
    """The distillation objective and its gradient, by the hand-written reverse.

    Same inputs as :func:`skdistill._unroll.distillation_objective` (ReLU
    networks); no tensor needs ``requires_grad``.

    With weight decay ``w`` a step is ``theta - eta (g + w M theta)`` (``M``
    keeps the weights, not the biases); its reverse adds ``w M lam`` to
    ``grad_theta phi`` and ``-w <lam, M theta>`` to ``dL/deta``. A factor
    ``c`` of the learning rates runs the group at rates ``c * lrs`` and
    multiplies its ``dL/dlrs`` by ``c``.

    Parameters
    ----------
    checkpoint_segments : int or None
        ``None`` keeps every step of the forward pass. An int splits the
        ``n_steps * n_epochs`` internal steps into that many segments and
        recomputes each during the reverse pass.
    lr_scales, weight_decays : list of float, or None
        Per entry of ``init_params``: a factor of every learning rate, and the
        L2 penalty of the weights (see `replay_distilled`). None: 1 and 0.
    backend : {"auto", "torch", "numba"}
        ``"auto"`` uses the compiled path of :mod:`skdistill._fastpath` where
        it can run and is faster (see ``_fastpath.use_fast_path``), the torch
        path otherwise. ``"numba"`` insists on the compiled path where it can
        run at all, whatever the size (for tests and benchmarks).

    Returns
    -------
    loss : float
    grad_X, grad_Y, grad_lrs : Tensor
        Gradients with respect to ``syn_X``, ``syn_Y`` and ``lrs``.
    """
    with torch.no_grad():
        lr_values = lrs.tolist()
        n_total = len(lr_values)
        if checkpoint_segments is None:
            bounds = [0, n_total]
        else:
            length = math.ceil(n_total / min(checkpoint_segments, n_total))
            bounds = [*range(0, n_total, length), n_total]
        keep_records = checkpoint_segments is None

        if backend not in ("auto", "torch", "numba"):
            raise ValueError(
                f"backend must be 'auto', 'torch' or 'numba', got {backend!r}"
            )
        # Imported here: importing numba takes a while, and only this needs it.
        from .fastpath import use_fast_path, value_and_grad

        if backend != "torch" and use_fast_path(
            syn_X, init_params, X_real, check_size=backend == "auto"
        ):
            result = value_and_grad(
                syn_X,
                syn_Y,
                lrs,
                init_params,
                X_real,
                y_real,
                bounds,
                lr_scales=lr_scales,
                weight_decays=weight_decays,
            )
            if result is not None:
                return result

        n_networks = sum(params[0].shape[0] for params in init_params)
        grad_X, grad_Y = torch.zeros_like(syn_X), torch.zeros_like(syn_Y)
        grad_lrs = torch.zeros(n_total, dtype=lrs.dtype, device=lrs.device)
        # Step k used synthetic batch k mod n_steps with learning rate lrs[k].
        batch_of_step = torch.arange(n_total, device=lrs.device) % len(syn_X)
        lrs_column = lrs.reshape(-1, 1, 1)
        loss = 0.0
        for group, params in enumerate(init_params):
            n_models = params[0].shape[0]
            scale = 1.0 if lr_scales is None else float(lr_scales[group])
            decay = 0.0 if weight_decays is None else float(weight_decays[group])
            group_lrs, group_column, group_grad_lrs = lr_values, lrs_column, grad_lrs
            if scale != 1.0:
                # The group trains at c * lrs; dL/dlrs = c * dL/d(c lrs).
                group_lrs = [scale * lr for lr in lr_values]
                group_column = lrs_column * scale
                group_grad_lrs = torch.zeros_like(grad_lrs)
            steps = [
                _StepData(x, Y, n_models)
                for x, Y in zip(syn_X.unbind(0), syn_Y.unbind(0))
            ]
            starts, records = [], None
            for start, stop in zip(bounds[:-1], bounds[1:]):
                starts.append(params)
                params, records = _train_segment(
                    params, steps, group_lrs, start, stop, keep_records, decay
                )

            logits, hidden = forward(params, X_real)
            log_proba = torch.log_softmax(logits, dim=-1)
            index = y_real.expand(logits.shape[:-1]).unsqueeze(-1)
            picked = log_proba.gather(-1, index)
            loss -= picked.sum().item() / (len(y_real) * n_networks)
            delta = torch.exp(log_proba).scatter_add_(
                -1, index, -torch.ones_like(picked)
            )
            delta /= len(y_real) * n_networks
            lam = backward(params, X_real, hidden, delta)

            for segment in range(len(starts) - 1, -1, -1):
                start, stop = bounds[segment], bounds[segment + 1]
                if not keep_records:
                    _, records = _train_segment(
                        starts.pop(), steps, group_lrs, start, stop, True, decay
                    )
                terms = []
                for k in range(stop - 1, start - 1, -1):
                    record = records[k - start]
                    theta_bar, *step_terms = _reverse_step(
                        lam, record, steps[k % len(steps)]
                    )
                    terms.append((*step_terms, record[-1]))
                    if decay:
                        lam_weights = lam[0::2]
                        # dL/deta_k gains -w <lam, M theta_k>; theta_bar w M lam.
                        group_grad_lrs[k] -= decay * sum(
                            (a * w).sum() for a, w in zip(lam_weights, record[0])
                        )
                        theta_bar = add_weight_decay(theta_bar, lam, decay)
                    lam = torch._foreach_add(lam, theta_bar, alpha=-group_lrs[k])
                records = None
                _add_segment_terms(
                    terms[::-1],
                    slice(start, stop),
                    batch_of_step,
                    group_column,
                    grad_X,
                    grad_Y,
                    group_grad_lrs,
                )
            if group_grad_lrs is not grad_lrs:
                grad_lrs += scale * group_grad_lrs
    return loss, grad_X, grad_Y, grad_lrs


def _add_segment_terms(
    terms, steps, batch_of_step, lrs_column, grad_X, grad_Y, grad_lrs
):
    """Add one segment's per-step terms to the gradients, a few ops in all.

    Reducing once per segment, rather than once per step, saves two small
    operations per step; reducing per segment, rather than once per sweep,
    keeps the memory of these terms bounded by the segment length.
    """
    x_bars, Y_terms, zdots, deltas = (torch.stack(t) for t in zip(*terms))
    n_rows = deltas.shape[-2]
    lrs_column = lrs_column[steps]
    batches = batch_of_step[steps]
    # dL/deta_k = -phi_k = -<delta_L, zdot_L>, summed over networks.
    grad_lrs[steps] -= (deltas * zdots).sum(dim=(1, 2, 3))
    # dL/dx -= eta_k grad_x phi, dL/dY -= eta_k grad_Y phi, per batch.
    grad_X.index_add_(0, batches, x_bars.sum(dim=1) * lrs_column, alpha=-1.0)
    grad_Y.index_add_(0, batches, Y_terms.sum(dim=1) * lrs_column, alpha=1 / n_rows)
