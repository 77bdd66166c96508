"""Training on a distilled dataset, and its objective, by torch autograd.

For a network family without a hand-written reverse pass (the protocol is in
``_nets/protocol.py``): `unrolled_loss` keeps the graph of every unrolled
gradient-descent step (``create_graph=True``), so that the real-data loss after
training can be differentiated with respect to the synthetic rows, their soft
labels and the learning rates; `unrolled_value_and_grad` does it for several
networks and a distiller's `OuterState`; `replay` runs the same training
without a graph. ``forward(params, X)`` is the family's forward function.
"""

import torch
import torch.nn.functional as F

from .._nets.mlp import soft_cross_entropy


def unrolled_loss(forward, params0, syn_X, syn_Y, lrs, X_real, y_real):
    """Cross-entropy on real rows after training on distilled ones.

    ``params0`` are trained by plain gradient descent, step ``k`` on
    ``(syn_X[k mod n_steps], syn_Y[k mod n_steps])`` at rate ``lrs[k]``; the
    graph of every step is kept (``create_graph=True``), so the returned loss
    can be differentiated with respect to ``syn_X``, ``syn_Y`` and ``lrs``.

    Parameters
    ----------
    forward : callable
        ``forward(params, X)``, the logits of the network family.
    params0 : list of Tensor
        The initial parameters of one network.
    syn_X : Tensor of shape (n_steps, rows_per_step, *row_shape)
    syn_Y : Tensor of shape (n_steps, rows_per_step, n_classes)
        Soft labels.
    lrs : Tensor of shape (n_steps * n_epochs,)
    X_real : Tensor of shape (batch, *row_shape)
    y_real : Tensor of shape (batch,), class indices

    Returns
    -------
    loss : scalar Tensor
    """
    params = [p if p.requires_grad else p.detach().requires_grad_() for p in params0]
    n_steps = syn_X.shape[0]
    for k in range(lrs.shape[0]):
        step = k % n_steps
        loss = soft_cross_entropy(forward(params, syn_X[step]), syn_Y[step])
        grads = torch.autograd.grad(loss, params, create_graph=True)
        params = [p - lrs[k] * g for p, g in zip(params, grads)]
    return F.cross_entropy(forward(params, X_real), y_real)


def replay(forward, params, batches, lrs):
    """Train ``params`` by gradient descent on ``[(X, Y), ...]`` at ``lrs``
    (step ``k`` on ``batches[k]``), without keeping a graph."""
    params = [p.detach().clone().requires_grad_() for p in params]
    for (X, Y), lr in zip(batches, lrs):
        loss = soft_cross_entropy(forward(params, X), Y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)
    return [p.detach() for p in params]


def unrolled_value_and_grad(forward, inits, state, X_real, y_real):
    """The mean of `unrolled_loss` over networks and its gradients.

    ``inits`` are the initial parameter lists of the networks; ``state`` is a
    distiller's `OuterState` (``X``, ``Y``, ``lrs`` and ``learned``, the
    tensors to differentiate). One graph is built per network, so that only
    one unroll is in memory at a time. Returns ``(loss, grads)``: the loss as a
    float and the gradients of the tensors of ``state.learned``, in that order.
    """
    for tensor in state.learned:
        tensor.requires_grad_(True)
    try:
        total = 0.0
        grads = [torch.zeros_like(t) for t in state.learned]
        for params in inits:
            loss = unrolled_loss(
                forward, params, state.X, state.Y, state.lrs, X_real, y_real
            ) / len(inits)
            for acc, g in zip(grads, torch.autograd.grad(loss, state.learned)):
                acc += g
            total += loss.item()
    finally:
        for tensor in state.learned:
            tensor.requires_grad_(False)
    return total, grads
