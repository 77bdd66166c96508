"""The TextConvNet: a shallow, wide convolutional network over sentences.

A sentence is an ``s x d`` matrix (``s`` word positions, ``d`` embedding
dimensions). Every kernel size ``k`` is a 1-D convolution of ``n_filters``
filters over the positions, with ReLU and max-over-time pooling (Kim 2014); the
pooled features feed a linear output layer. This is the network of text
dataset distillation (Sucholutsky & Schonlau 2019).

The module is a network family (``_nets/protocol.py``): ``NAME``, `init` and
`forward`. The parameters of ``m`` networks are stored stacked (`stack`): every
tensor gains a leading axis of length ``m``
(`protocol.stack_networks`; `unstack` takes one network back).
"""

import math

import torch
import torch.nn.functional as F

NAME = "TextConvNet"
DTYPE = torch.float32


def init(input_shape, n_classes, config, *, generator):
    """Xavier-uniform weights and zero biases of a TextConvNet.

    Parameters
    ----------
    input_shape : (int, int)
        ``(s, d)``: positions and embedding dimensions of a sentence.
    n_classes : int
        Outputs.
    config : dict
        ``{"n_filters": int, "kernel_sizes": [int, ...]}``.
    generator : torch.Generator
        The only source of randomness.

    Returns
    -------
    params : list of Tensor
        ``[W_1, b_1, ..., W_k, b_k, W_out, b_out]``: one ``(n_filters, d, k)``
        convolution per kernel size, then the ``(n_classes, n_filters *
        len(kernel_sizes))`` output layer, float32.
    """
    _, embedding_dim = input_shape
    n_filters, kernel_sizes = config["n_filters"], config["kernel_sizes"]
    params = []
    for k in kernel_sizes:
        bound = math.sqrt(6.0 / (embedding_dim * k + n_filters * k))
        W = torch.rand((n_filters, embedding_dim, k), generator=generator, dtype=DTYPE)
        params += [(2 * W - 1) * bound, torch.zeros(n_filters, dtype=DTYPE)]
    n_hidden = n_filters * len(kernel_sizes)
    bound = math.sqrt(6.0 / (n_hidden + n_classes))
    W = torch.rand((n_classes, n_hidden), generator=generator, dtype=DTYPE)
    params += [(2 * W - 1) * bound, torch.zeros(n_classes, dtype=DTYPE)]
    return params


def forward(params, X):
    """Logits of a TextConvNet for sentences ``X`` of shape ``(n, s, d)``."""
    x = X.transpose(1, 2)  # (n, d, s): the embedding is the channel axis
    pooled = [
        F.relu(F.conv1d(x, W, b)).amax(dim=2)
        for W, b in zip(params[0:-2:2], params[1:-2:2])
    ]
    return F.linear(torch.cat(pooled, dim=1), params[-2], params[-1])


def unstack(stacked, index):
    """Network ``index`` of `stack`'s output, as float32 tensors."""
    return [torch.as_tensor(p[index], dtype=DTYPE) for p in stacked]
