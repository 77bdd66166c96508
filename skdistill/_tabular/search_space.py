"""Distilling over a hyperparameter search space.

With ``DatasetDistiller(search_space=...)`` every internal model of every outer
iteration draws its own configuration -- hidden-layer sizes, L2 penalty
``alpha``, learning rate, activation -- from the space a grid search will
explore, and trains on the synthetic data as that configuration trains on
real data: ``alpha`` is a weight decay scaled as ``MLPClassifier`` scales it
(``alpha / batch`` with the batch of ``min(200, n_samples)`` real rows), and
``learning_rate_init`` multiplies the learned learning rates by its ratio to
the space's reference rate (the geometric mean of its values).
:class:`DistilledMLPClassifier` replays a set with the same two rules, so a
configuration trains on the distilled set as it was distilled for.
"""

import math
from dataclasses import dataclass
from numbers import Integral, Real

import torch

from .._base import check_hidden_layer_sizes
from .._engine.reverse import distillation_value_and_grad
from .._engine.unroll import distillation_objective
from .._nets.mlp import ACTIVATIONS

#: The keys a search space may hold: parameters of DistilledMLPClassifier (and
#: MLPClassifier) that change how a network trains on the distilled set.
SEARCHABLE = ("hidden_layer_sizes", "alpha", "learning_rate_init", "activation")
#: MLPClassifier's batch_size="auto" is min(200, n_samples).
MLP_AUTO_BATCH = 200


def real_batch_size(n_samples, batch_size="auto"):
    """The minibatch of MLPClassifier on ``n_samples`` rows, which scales its
    L2 penalty: ``min(200, n_samples)`` for ``"auto"``, else ``batch_size``
    clipped to the rows. Without a row count, 200 (or ``batch_size``)."""
    batch = MLP_AUTO_BATCH if batch_size == "auto" else int(batch_size)
    return batch if n_samples is None else max(1, min(batch, int(n_samples)))


def _values(name, values, check):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(
            f"search_space[{name!r}] must be a non-empty list of values; got "
            f"{values!r}."
        )
    values = list(values)
    if not values:
        raise ValueError(f"search_space[{name!r}] is empty; give at least one value.")
    return [check(v) for v in values]


def _check_alpha(value):
    if not isinstance(value, Real) or isinstance(value, bool) or not value >= 0:
        raise ValueError(
            f"search_space['alpha'] values must be non-negative numbers; got {value!r}."
        )
    if not math.isfinite(value):
        raise ValueError(f"search_space['alpha'] values must be finite; got {value!r}.")
    return float(value)


def _check_lr(value):
    if (
        not isinstance(value, Real)
        or isinstance(value, bool)
        or not value > 0
        or not math.isfinite(value)
    ):
        raise ValueError(
            "search_space['learning_rate_init'] values must be positive numbers "
            f'("auto" is not a searchable value); got {value!r}.'
        )
    return float(value)


def _check_activation(value):
    if value not in ACTIVATIONS:
        raise ValueError(
            f"search_space['activation'] values must be among {list(ACTIVATIONS)}; "
            f"got {value!r}."
        )
    return value


def _check_hidden(value):
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value,)
    return check_hidden_layer_sizes(value, name="search_space['hidden_layer_sizes']")


_CHECKS = {
    "hidden_layer_sizes": _check_hidden,
    "alpha": _check_alpha,
    "learning_rate_init": _check_lr,
    "activation": _check_activation,
}


def check_search_space(search_space):
    """The space as a list of grids (dicts of lists), validated.

    ``search_space`` is a dict of lists (a grid, as ``param_grid`` of
    GridSearchCV) or a non-empty list of such dicts; parameter names may carry
    a ``"<step>__"`` prefix (a Pipeline's), which is dropped.
    """
    grids = [search_space] if isinstance(search_space, dict) else search_space
    if not isinstance(grids, (list, tuple)) or not grids:
        raise ValueError(
            "search_space must be a dict of lists of parameter values (as a "
            "param_grid) or a non-empty list of such dicts; got "
            f"{search_space!r}."
        )
    checked = []
    for grid in grids:
        if not isinstance(grid, dict):
            raise ValueError(
                f"search_space must hold dicts of parameter lists; got {grid!r}."
            )
        normal = {}
        for key, values in grid.items():
            name = key.rsplit("__", 1)[-1] if isinstance(key, str) else key
            if name not in _CHECKS:
                raise ValueError(
                    f"search_space has the parameter {key!r}, which distillation "
                    f"cannot vary; the searchable parameters are {list(SEARCHABLE)}."
                )
            normal[name] = _values(name, values, _CHECKS[name])
        checked.append(normal)
    return checked


@dataclass(frozen=True)
class Configuration:
    """How one internal model trains on the synthetic data."""

    hidden: tuple
    activation: str
    lr_scale: float
    weight_decay: float


class SearchSpaceSampler:
    """Draws the internal models' configurations from a checked space.

    Keys a grid leaves out keep the distiller's own setting: its
    ``architectures`` (drawn uniformly), ReLU, no penalty, the learned rates
    as they are.
    """

    def __init__(self, grids, architectures, n_samples):
        self.grids, self.architectures = grids, architectures
        self.batch = real_batch_size(n_samples)
        rates = [lr for g in grids for lr in g.get("learning_rate_init", [])]
        # Geometric mean: the learning rates of a grid are spread on a log scale.
        self.lr_reference = (
            math.exp(sum(math.log(lr) for lr in rates) / len(rates)) if rates else None
        )

    def sample(self, rng, n_configs):
        configs = []
        for _ in range(n_configs):
            grid = self.grids[rng.randint(len(self.grids))]

            def draw(name, default, grid=grid):
                values = grid.get(name, default)
                return values[rng.randint(len(values))]

            hidden = draw("hidden_layer_sizes", list(self.architectures))
            activation = draw("activation", ["relu"])
            alpha = draw("alpha", [0.0])
            lr = draw("learning_rate_init", [None])
            configs.append(
                Configuration(
                    hidden=hidden,
                    activation=activation,
                    lr_scale=1.0 if lr is None else lr / self.lr_reference,
                    weight_decay=alpha / self.batch,
                )
            )
        return configs

    def provenance(self):
        """What a replay needs of the space besides the set's ``n_samples``
        (from which the batch that scales ``alpha`` is derived)."""
        return {"lr_reference": self.lr_reference}


def space_value_and_grad(
    syn_X, syn_Y, lrs, configs, inits, X_real, y_real, checkpoint_segments=None
):
    """The distillation objective and its gradients over sampled configurations.

    ``inits[i]`` holds the stacked parameters of the network(s) of
    ``configs[i]``. ReLU networks take the hand-written reverse pass; the other
    activations (whose second derivative does not vanish) autograd through the
    unrolled run. The loss is the mean over all networks.
    """
    relu = [i for i, c in enumerate(configs) if c.activation == "relu"]
    other = [i for i, c in enumerate(configs) if c.activation != "relu"]
    count = [sum(inits[i][0].shape[0] for i in part) for part in (relu, other)]
    total = sum(count)
    loss = 0.0
    grads = [torch.zeros_like(syn_X), torch.zeros_like(syn_Y), torch.zeros_like(lrs)]
    if relu:
        value, *parts = distillation_value_and_grad(
            syn_X,
            syn_Y,
            lrs,
            [inits[i] for i in relu],
            X_real,
            y_real,
            checkpoint_segments=checkpoint_segments,
            lr_scales=[configs[i].lr_scale for i in relu],
            weight_decays=[configs[i].weight_decay for i in relu],
        )
        share = count[0] / total
        loss += value * share
        for g, p in zip(grads, parts):
            g.add_(p.to(g.dtype), alpha=share)
    if other:
        leaves = [t.detach().clone().requires_grad_(True) for t in (syn_X, syn_Y, lrs)]
        with torch.enable_grad():
            value = distillation_objective(
                *leaves,
                [inits[i] for i in other],
                X_real,
                y_real,
                lr_scales=[configs[i].lr_scale for i in other],
                weight_decays=[configs[i].weight_decay for i in other],
                activations=[configs[i].activation for i in other],
            )
            parts = torch.autograd.grad(value, leaves)
        share = count[1] / total
        loss += value.item() * share
        for g, p in zip(grads, parts):
            g.add_(p, alpha=share)
    return (loss, *grads)
