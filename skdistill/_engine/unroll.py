"""Training runs on a distilled dataset, and the dataset-distillation objective.

A distilled dataset is a stack of ``n_steps`` synthetic batches with soft labels
and one learning rate per internal step. Training on it means: step ``k`` takes
batch ``k mod n_steps`` and learning rate ``lr[k]`` (Medvedev & D'yakonov 2020,
eq. 2). The same replay serves the distiller, which differentiates through it,
and :class:`DistilledMLPClassifier`, which simply runs it.
"""

import torch

from .._nets.mlp import (
    add_weight_decay,
    backward,
    forward,
    hard_cross_entropy,
    sgd_step,
    soft_cross_entropy_delta,
)


def replay_distilled(
    params, step_X, step_Y, step_lrs, activation="relu", weight_decay=0.0
):
    """Train the stacked networks ``params`` on a distilled dataset.

    Parameters
    ----------
    params : list of Tensor
        Stacked parameters of ``m`` networks (see ``_mlp``).
    step_X, step_Y : sequence of Tensor
        The synthetic batches ``(samples_per_step, d)`` and their soft labels
        ``(samples_per_step, n_classes)``, one per distinct step.
    step_lrs : sequence of scalar Tensor or float
        One learning rate per internal step; its length is the number of steps.
    activation : str
        Hidden-layer activation.
    weight_decay : float
        L2 penalty of the weights (not the biases): every step adds
        ``weight_decay * W`` to the gradient of every weight matrix ``W``, as
        the penalty ``weight_decay / 2 * ||W||^2`` does.

    Returns
    -------
    params : list of Tensor
        The parameters after the last step. Differentiable with respect to the
        synthetic data and the learning rates when those require grad.

    Notes
    -----
    ReLU networks on the CPU, with nothing to differentiate, are trained by
    the compiled path of :mod:`skdistill._fastpath` when numba is installed
    and the networks are small enough (``_fastpath.use_fast_replay``).
    """
    from .fastpath import replay, use_fast_replay

    if use_fast_replay(params, step_X, activation):
        trained = replay(params, step_X, step_Y, step_lrs, weight_decay)
        if trained is not None:
            return trained
    n_distinct = len(step_X)
    for k, lr in enumerate(step_lrs):
        x, y = step_X[k % n_distinct], step_Y[k % n_distinct]
        logits, hidden = forward(params, x, activation)
        delta = soft_cross_entropy_delta(logits, y)
        grads = backward(params, x, hidden, delta, activation)
        if weight_decay:
            grads = add_weight_decay(grads, params, weight_decay)
        params = sgd_step(params, grads, lr)
    return params


def distillation_objective(
    syn_X,
    syn_Y,
    lrs,
    init_params,
    X_real,
    y_real,
    activation="relu",
    lr_scales=None,
    weight_decays=None,
    activations=None,
):
    """Mean real-data cross-entropy of networks trained on the synthetic data.

    Parameters
    ----------
    syn_X : Tensor of shape (n_steps, samples_per_step, n_features)
    syn_Y : Tensor of shape (n_steps, samples_per_step, n_classes)
        Soft labels, rows on the probability simplex.
    lrs : Tensor of shape (n_steps * n_epochs,)
    init_params : list of list of Tensor
        One stacked parameter list per architecture; every network of every
        architecture is trained on the same synthetic data.
    X_real : Tensor of shape (batch, n_features)
    y_real : Tensor of shape (batch,), class indices
    activation : str
        Hidden-layer activation of every network, unless ``activations``.
    lr_scales, weight_decays : list of float, or None
        Per entry of ``init_params``: a factor of every learning rate (the
        networks train with ``lr_scale * lrs``) and the L2 penalty of their
        weights (see `replay_distilled`). None: 1 and 0 for all.
    activations : list of str, or None
        Per entry of ``init_params``: the hidden-layer activation.

    Returns
    -------
    loss : scalar Tensor
        The outer objective of eq. (2): the average over all networks.
    """
    step_X, step_Y = syn_X.unbind(0), syn_Y.unbind(0)
    losses = []
    for g, params in enumerate(init_params):
        act = activation if activations is None else activations[g]
        scaled = lrs if lr_scales is None else lrs * lr_scales[g]
        decay = 0.0 if weight_decays is None else weight_decays[g]
        trained = replay_distilled(
            params, step_X, step_Y, scaled.unbind(0), act, weight_decay=decay
        )
        logits, _ = forward(trained, X_real, act)
        losses.append(hard_cross_entropy(logits, y_real))
    return torch.cat(losses).mean()


def project_rows_to_simplex(values):
    """Euclidean projection of every row onto the probability simplex.

    The sort-based algorithm of Duchi et al. (2008). Soft labels are kept as
    probabilities by projecting after each outer step, which -- unlike a softmax
    parametrisation -- lets them start exactly one-hot, as Sucholutsky &
    Schonlau recommend.
    """
    n_classes = values.shape[-1]
    sorted_desc, _ = torch.sort(values, dim=-1, descending=True)
    cumulative = sorted_desc.cumsum(dim=-1) - 1.0
    ranks = torch.arange(1, n_classes + 1, dtype=values.dtype, device=values.device)
    support = sorted_desc - cumulative / ranks > 0
    # The support is a prefix of the sorted values; its size is its count.
    n_support = support.sum(dim=-1, keepdim=True)
    threshold = cumulative.gather(-1, n_support - 1) / n_support.to(values.dtype)
    return torch.clamp(values - threshold, min=0.0)
