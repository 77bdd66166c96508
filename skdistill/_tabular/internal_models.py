"""The internal networks of DatasetDistiller: the fresh networks of every
outer iteration, and the fixed ones that score the distilled set on held-out
rows."""

import torch

from .._engine.autograd_unroll import replay
from .._engine.unroll import replay_distilled
from .._nets.mlp import (
    MLP_FAMILY,
    forward,
    hard_cross_entropy,
    layer_sizes,
    xavier_init,
)
from .._nets.protocol import check_family
from .search_space import SearchSpaceSampler, check_search_space
from .sizes import models_per_architecture

#: Outer iterations between two validation checks (early stopping).
VALIDATION_EVERY = 10
#: Fresh networks per architecture that score the distilled set on the
#: validation rows; drawn once per fit so that scores are comparable.
VALIDATION_MODELS = 4
#: With a search space: configurations drawn once (one network each) that
#: score the distilled set on the validation rows.
VALIDATION_CONFIGURATIONS = 8


def internal_network(family, config, distiller):
    """``None`` for the MLP family, else ``(family, config)``, checked against
    the protocol and the ``distiller``'s parameters (the search space and the
    checkpoints are the MLPs')."""
    if family is MLP_FAMILY:
        return None
    check_family(family)
    if distiller.search_space is not None:
        raise ValueError(
            f"search_space describes MLPs; the internal networks here are "
            f"of the {family.NAME} family. Leave search_space=None."
        )
    for name in ("checkpoint_segments", "unroll_window"):
        if getattr(distiller, name) is not None:
            raise ValueError(
                f"{name} applies to the MLPs' hand-written reverse pass; the "
                f"{family.NAME} networks here are differentiated by autograd "
                f"through the whole run. Leave {name}=None."
            )
    return family, config


class InternalModels:
    """Initialisations of the internal networks, drawn from the fit's streams.

    ``models`` is ``(architectures, n_models, search_space, n_samples)``.
    Without a search space, ``n_models`` networks spread round-robin over the
    architectures (`sample`, one stack per architecture); with one,
    configurations drawn from it (``space``, a `SearchSpaceSampler`), one
    network each (`sample_configurations`). ``shape`` is ``(n_features,
    n_classes)`` and ``streams`` the fit's ``(RandomState, torch.Generator)``.

    ``network`` is ``(family, config)`` for the networks of another family
    than the MLP (``_nets/protocol.py``): then `sample` gives ``n_models``
    networks of that family and configuration, a parameter list each, and the
    architectures and the search space are not used.
    """

    def __init__(self, models, shape, streams, *, device, dtype, network=None):
        architectures, n_models, search_space, n_samples = models
        self.n_features, self.n_classes = shape
        self.rng, self.generator = streams
        self.device, self.dtype = device, dtype
        self.network, self.n_models = network, n_models
        self.space = None
        if search_space is not None:
            self.space = SearchSpaceSampler(
                check_search_space(search_space), architectures, n_samples
            )
        self.sizes = [
            layer_sizes(self.n_features, h, self.n_classes) for h in architectures
        ]
        if self.space is None:
            self.split = models_per_architecture(n_models, len(architectures))

    def _init(self, sizes, n_models):
        return xavier_init(
            sizes,
            n_models,
            generator=self.generator,
            dtype=self.dtype,
            device=self.device,
        )

    def sample(self):
        """Fresh networks: one stack per architecture, or with a ``network``
        family, ``n_models`` parameter lists."""
        if self.network is not None:
            return self._family_networks(self.n_models)
        return [self._init(s, m) for s, m in zip(self.sizes, self.split)]

    def _family_networks(self, n_networks):
        family, config = self.network
        return [
            [
                p.to(device=self.device, dtype=self.dtype)
                for p in family.init(
                    (self.n_features,),
                    self.n_classes,
                    config,
                    generator=self.generator,
                )
            ]
            for _ in range(n_networks)
        ]

    def sample_configurations(self, n_configs):
        """Configurations drawn from the search space, one network each."""
        configs = self.space.sample(self.rng, n_configs)
        inits = [
            self._init(layer_sizes(self.n_features, c.hidden, self.n_classes), 1)
            for c in configs
        ]
        return configs, inits

    def validation_score(self, X_val, y_val):
        """The `ValidationScore` of early stopping on ``(X_val, y_val)``, with
        fixed networks drawn now: `VALIDATION_MODELS` per architecture, or
        `VALIDATION_CONFIGURATIONS` configurations of the search space.
        ``(X_val, y_val)`` are standardised rows and class indices (arrays)."""
        X_val = torch.as_tensor(X_val, dtype=self.dtype).to(self.device)
        y_val = torch.as_tensor(y_val, dtype=torch.int64).to(self.device)
        if self.network is not None:
            family = self.network[0]
            inits = self._family_networks(VALIDATION_MODELS)
            return ValidationScore(X_val, y_val, inits, family=family)
        if self.space is None:
            inits = [self._init(s, VALIDATION_MODELS) for s in self.sizes]
            return ValidationScore(X_val, y_val, inits)
        configs, inits = self.sample_configurations(VALIDATION_CONFIGURATIONS)
        return ValidationScore(X_val, y_val, inits, configs)


class ValidationScore:
    """The score of a distilled set on the held-out rows of early stopping:
    ``(accuracy, -cross-entropy)`` of fixed fresh networks trained on it (the
    replay), means over the networks. Ties of accuracy are broken by the
    cross-entropy (see `ValidationStopper`). ``inits`` are stacks of MLPs,
    or with a ``family``, parameter lists of one network of it each."""

    def __init__(self, X_val, y_val, inits, configs=None, family=None):
        self.X_val, self.y_val, self.inits = X_val, y_val, inits
        # With a search space, one sampled configuration per entry of inits.
        self.configs = configs
        self.family = family

    def _logits(self, i, params, step_X, step_Y, lrs):
        """The validation logits of the networks of ``inits[i]`` after the
        replay: ``(m, n, n_classes)`` for a stack, ``(n, n_classes)`` for one
        network of a family."""
        if self.family is not None:
            n_steps = len(step_X)
            batches = [
                (step_X[k % n_steps], step_Y[k % n_steps]) for k in range(len(lrs))
            ]
            # The family's replay is by autograd.
            with torch.enable_grad():
                trained = replay(self.family.forward, params, batches, lrs)
            return self.family.forward(trained, self.X_val)
        activation, weight_decay = "relu", 0.0
        if self.configs is not None:
            config = self.configs[i]
            activation, weight_decay = config.activation, config.weight_decay
            lrs = [lr * config.lr_scale for lr in lrs]
        trained = replay_distilled(
            params, step_X, step_Y, lrs, activation, weight_decay=weight_decay
        )
        return forward(trained, self.X_val, activation)[0]

    def __call__(self, syn_X, syn_Y, log_lr):
        step_X, step_Y = syn_X.unbind(0), syn_Y.unbind(0)
        lrs = log_lr.exp().unbind(0)
        accuracies, losses = [], []
        with torch.no_grad():
            for i, params in enumerate(self.inits):
                logits = self._logits(i, params, step_X, step_Y, lrs)
                losses.append(hard_cross_entropy(logits, self.y_val).reshape(-1))
                hits = logits.argmax(dim=-1) == self.y_val
                accuracies.append(hits.to(logits.dtype).mean(dim=-1).reshape(-1))
        return float(torch.cat(accuracies).mean()), -float(torch.cat(losses).mean())
