"""Batched multilayer perceptrons with a closed-form gradient.

Every MLP in skdistill -- the internal models of :class:`DatasetDistiller`, the
network of :class:`DistilledMLPClassifier` and the student of
:class:`KDMetaparamTuner` -- runs through these functions.

The parameters of ``m`` networks that share an architecture are stacked along a
leading axis (weights ``(m, fan_in, fan_out)``, biases ``(m, 1, fan_out)``), so
that one tensor operation serves all of them: tabular networks are so small that
the cost of a training step is the number of operations, not their arithmetic.

The gradient of the training loss with respect to the parameters is written in
closed form (ordinary backpropagation spelled out) instead of being obtained
from ``torch.autograd.grad(..., create_graph=True)``. The result is an ordinary
differentiable expression of the parameters and of the data, so autograd can
still differentiate *through* a training step (hypergradients) without building
a double-backward graph.
"""

import math

import torch

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def layer_sizes(n_features, hidden_layer_sizes, n_outputs):
    """Widths of every layer, input and output included."""
    return (int(n_features), *(int(h) for h in hidden_layer_sizes), int(n_outputs))


def xavier_init(sizes, n_models, *, generator, dtype=torch.float32, device="cpu"):
    """Sample ``n_models`` parameter sets from the Glorot-uniform distribution.

    Weights are uniform in ``[-a, a]`` with ``a = sqrt(6 / (fan_in + fan_out))``
    (Glorot & Bengio, 2010) and biases are zero, as in the tabular distillation
    paper. Only ``generator`` is drawn from, never torch's global generator.
    """
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        weight = torch.rand(
            (n_models, fan_in, fan_out), generator=generator, dtype=dtype, device=device
        )
        params.append(weight.mul_(2.0 * bound).sub_(bound))
        params.append(torch.zeros((n_models, 1, fan_out), dtype=dtype, device=device))
    return params


def batched(X, n_models):
    """``X`` as a ``(n_models, n, d)`` stack: a view when ``X`` is shared.

    Shared inputs are expanded once so that every product is a plain ``bmm``;
    ``torch.matmul`` would broadcast (expand, reshape, copy) at every call.
    """
    return X.expand(n_models, -1, -1) if X.dim() == 2 else X


def _activate(z, activation):
    if activation == "relu":
        return torch.relu(z)
    if activation == "tanh":
        return torch.tanh(z)
    if activation == "logistic":
        return torch.sigmoid(z)
    return z


def _activation_derivative(a, activation):
    # Every supported activation has a derivative expressible through its own
    # output, so the forward pass needs to keep the activations only.
    if activation == "relu":
        # ReLU outputs are non-negative, so their sign is the 0/1 mask, in the
        # floating dtype (a boolean mask would be converted at every product).
        return torch.sign(a)
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "logistic":
        return a * (1.0 - a)
    return None


def activation_derivatives(hidden, activation="relu"):
    """Derivative of the activation at every hidden layer (None for identity)."""
    return [_activation_derivative(h, activation) for h in hidden]


def forward(params, X, activation="relu"):
    """Logits of every network and the hidden activations needed by `backward`.

    ``X`` is either ``(n, d)``, shared by all networks, or ``(m, n, d)``.
    Returns ``logits`` of shape ``(m, n, n_outputs)`` and the list of hidden
    activations, first hidden layer first.
    """
    if len(params) < 2:
        raise ValueError("an MLP needs at least one layer of parameters")
    hidden = []
    h = batched(X, params[0].shape[0])
    n_layers = len(params) // 2
    for layer in range(n_layers):
        z = torch.baddbmm(params[2 * layer + 1], h, params[2 * layer])
        if layer == n_layers - 1:
            return z, hidden
        h = _activate(z, activation)
        hidden.append(h)


def backward(params, X, hidden, delta, activation="relu", derivatives=None):
    """Gradient of a loss with respect to every parameter, by backpropagation.

    ``delta`` is the gradient of the loss with respect to the logits, shape
    ``(m, n, n_outputs)``. ``derivatives`` optionally holds the activation
    derivatives of the hidden layers (see `activation_derivatives`), for a
    caller that needs them too. Returns the gradients in the order of
    ``params``.
    """
    if derivatives is None:
        derivatives = activation_derivatives(hidden, activation)
    n_layers = len(params) // 2
    grads = [None] * len(params)
    for layer in range(n_layers - 1, -1, -1):
        inputs = hidden[layer - 1] if layer > 0 else batched(X, delta.shape[0])
        grads[2 * layer] = torch.bmm(inputs.mT, delta)
        grads[2 * layer + 1] = delta.sum(dim=-2, keepdim=True)
        if layer > 0:
            delta = torch.bmm(delta, params[2 * layer].mT)
            if derivatives[layer - 1] is not None:
                delta = delta * derivatives[layer - 1]
    return grads


def soft_cross_entropy(logits, target_proba):
    """Mean cross-entropy ``-sum_c p_c log softmax(z)_c`` per network, ``(m,)``."""
    log_proba = torch.log_softmax(logits, dim=-1)
    return -(target_proba * log_proba).sum(dim=-1).mean(dim=-1)


def soft_cross_entropy_delta(logits, target_proba):
    """Gradient of `soft_cross_entropy` with respect to the logits.

    For targets whose rows sum to ``s`` the gradient of the row loss is
    ``s * softmax(z) - p``; the mean over rows divides by ``n``.
    """
    n_rows = logits.shape[-2]
    proba = torch.softmax(logits, dim=-1)
    row_mass = target_proba.sum(dim=-1, keepdim=True)
    return (proba * row_mass - target_proba) / n_rows


def hard_cross_entropy(logits, y_index):
    """Mean cross-entropy against class indices per network, ``(m,)``."""
    log_proba = torch.log_softmax(logits, dim=-1)
    index = y_index.expand(log_proba.shape[:-1]).unsqueeze(-1)
    return -log_proba.gather(-1, index).squeeze(-1).mean(dim=-1)


def add_weight_decay(grads, params, weight_decay):
    """``grads`` plus the gradient ``weight_decay * W`` of the L2 penalty
    ``weight_decay / 2 * ||W||^2`` of every weight matrix (the even entries of
    ``params``); biases are not penalised, as in MLPClassifier."""
    return [
        g + weight_decay * p if i % 2 == 0 else g
        for i, (g, p) in enumerate(zip(grads, params))
    ]


def sgd_step(params, grads, lr):
    """One plain gradient-descent step: ``theta - lr * grad`` for every tensor."""
    return [p - lr * g for p, g in zip(params, grads)]


# -- the MLP as a network family (``protocol.py``) -----------------------------

#: The family's name.
NAME = "MLP"


def init_network(input_shape, n_classes, config, *, generator):
    """One ReLU MLP, Glorot-uniform (`xavier_init`), unstacked: weights
    ``(fan_in, fan_out)`` and biases ``(1, fan_out)`` for rows of shape
    ``(n_features,)``; ``config`` is ``{"hidden_layer_sizes": [...]}``."""
    (n_features,) = input_shape
    sizes = layer_sizes(n_features, config.get("hidden_layer_sizes", ()), n_classes)
    return [p[0] for p in xavier_init(sizes, 1, generator=generator)]


def network_logits(params, X):
    """The logits ``(n, n_classes)`` of one ReLU MLP (unstacked parameters)."""
    logits, _ = forward([p.unsqueeze(0) for p in params], X)
    return logits[0]


def network_backward(params, X, delta):
    """The closed-form gradients of ``sum(delta * network_logits(params, X))``
    (`backward` on a stack of one)."""
    stacked = [p.unsqueeze(0) for p in params]
    _, hidden = forward(stacked, X)
    return [g[0] for g in backward(stacked, X, hidden, delta.unsqueeze(0))]


class _Family:
    """A network family made of functions (``protocol.py``)."""

    def __init__(self, name, init, forward, backward=None):
        self.NAME, self.init, self.forward, self.backward = (
            name,
            init,
            forward,
            backward,
        )

    def __repr__(self):
        return f"<network family {self.NAME}>"


#: The ReLU MLP as a network family. The module's own `forward` and `backward`
#: work on stacks of networks and return the hidden activations too; the
#: family's functions are their one-network forms. `DatasetDistiller` trains
#: this family with the hand-written reverse pass (``_engine/reverse.py``).
MLP_FAMILY = _Family(NAME, init_network, network_logits, network_backward)
