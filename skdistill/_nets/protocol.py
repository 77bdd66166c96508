"""The network-family protocol: what a kind of internal network provides.

A *network family* is an object (usually a module) with

``NAME`` : str
    The family's name, recorded in a distilled dataset's ``network`` together
    with the configuration.
``init(input_shape, n_classes, config, *, generator)``
    The parameter list (torch tensors) of one freshly initialised network for
    rows of shape ``input_shape`` (one row, without the batch axis; a
    dataset's ``row_shape``) and ``n_classes`` outputs, from the family's
    configuration ``config`` (a dict of JSON values), drawing only from
    ``generator`` (a ``torch.Generator``), in the dtype of the family.
``forward(params, X)``
    The logits ``(n, n_classes)`` of rows ``X`` of shape ``(n, *input_shape)``,
    differentiable in ``params`` and ``X`` by torch autograd (twice: the
    distillation objective differentiates through gradient steps).
``backward(params, X, delta)``, optional
    A closed-form gradient: the gradients of ``sum(delta * forward(params,
    X))`` with respect to every parameter, in the order of ``params``.

`check_family` checks an object against this protocol. The families: the MLP
(``_nets/mlp.py``, `MLP_FAMILY`: ReLU networks of any hidden sizes, the
internal networks of `DatasetDistiller`, which trains them with a hand-written
reverse pass) and the TextConvNet (``_nets/text_cnn.py``, the module itself).
Any other family is trained by autograd through the unrolled steps
(``_engine/autograd_unroll.py``).
"""

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class NetworkFamily(Protocol):
    """The protocol of a network family (see the module docstring)."""

    NAME: str

    def init(self, input_shape, n_classes, config, *, generator): ...

    def forward(self, params, X): ...


def check_family(family):
    """``family`` if it satisfies the protocol; a TypeError naming what it lacks.

    ``backward`` is optional, but must be callable when present.
    """
    missing = [
        name
        for name in ("init", "forward")
        if not callable(getattr(family, name, None))
    ]
    if not isinstance(getattr(family, "NAME", None), str):
        missing.insert(0, "NAME (a str)")
    backward = getattr(family, "backward", None)
    if backward is not None and not callable(backward):
        missing.append("a callable backward")
    if missing:
        raise TypeError(
            f"{family!r} is not a network family: it lacks {', '.join(missing)} "
            "(a family has NAME, init(input_shape, n_classes, config, *, "
            "generator) and forward(params, X); see skdistill/_nets/protocol.py)."
        )
    return family


def stack_networks(networks):
    """The parameter lists of several networks of one family and configuration
    as one list of arrays stacked on a leading axis (one entry per network),
    numpy float64: the schema of a dataset's ``fixed_init`` entry."""
    return [
        torch.stack([torch.as_tensor(p).detach().cpu() for p in tensors])
        .double()
        .numpy()
        for tensors in zip(*networks)
    ]
