"""The internal networks of DatasetDistiller: the fresh networks of every
outer iteration, and the fixed ones that score the distilled set on held-out
rows."""

import torch

from .._engine.unroll import replay_distilled
from .._nets.mlp import forward, hard_cross_entropy, layer_sizes, xavier_init
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


class InternalModels:
    """Initialisations of the internal networks, drawn from the fit's streams.

    ``models`` is ``(architectures, n_models, search_space, n_samples)``.
    Without a search space, ``n_models`` networks spread round-robin over the
    architectures (`sample`, one stack per architecture); with one,
    configurations drawn from it (``space``, a `SearchSpaceSampler`), one
    network each (`sample_configurations`). ``shape`` is ``(n_features,
    n_classes)`` and ``streams`` the fit's ``(RandomState, torch.Generator)``.
    """

    def __init__(self, models, shape, streams, *, device, dtype):
        architectures, n_models, search_space, n_samples = models
        self.n_features, self.n_classes = shape
        self.rng, self.generator = streams
        self.device, self.dtype = device, dtype
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
        """Fresh networks, one stack per architecture."""
        return [self._init(s, m) for s, m in zip(self.sizes, self.split)]

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
        if self.space is None:
            inits = [self._init(s, VALIDATION_MODELS) for s in self.sizes]
            return ValidationScore(X_val, y_val, inits)
        configs, inits = self.sample_configurations(VALIDATION_CONFIGURATIONS)
        return ValidationScore(X_val, y_val, inits, configs)


class ValidationScore:
    """The score of a distilled set on the held-out rows of early stopping:
    ``(accuracy, -cross-entropy)`` of fixed fresh networks trained on it (the
    replay), means over the networks. Ties of accuracy are broken by the
    cross-entropy (see `ValidationStopper`)."""

    def __init__(self, X_val, y_val, inits, configs=None):
        self.X_val, self.y_val, self.inits = X_val, y_val, inits
        # With a search space, one sampled configuration per entry of inits.
        self.configs = configs

    def __call__(self, syn_X, syn_Y, log_lr):
        step_X, step_Y = syn_X.unbind(0), syn_Y.unbind(0)
        lrs = log_lr.exp().unbind(0)
        accuracies, losses = [], []
        with torch.no_grad():
            for i, params in enumerate(self.inits):
                if self.configs is None:
                    trained = replay_distilled(params, step_X, step_Y, lrs)
                    activation = "relu"
                else:
                    config = self.configs[i]
                    activation = config.activation
                    trained = replay_distilled(
                        params,
                        step_X,
                        step_Y,
                        [lr * config.lr_scale for lr in lrs],
                        activation,
                        weight_decay=config.weight_decay,
                    )
                logits, _ = forward(trained, self.X_val, activation)
                losses.append(hard_cross_entropy(logits, self.y_val))
                hits = logits.argmax(dim=-1) == self.y_val
                accuracies.append(hits.to(logits.dtype).mean(dim=-1))
        return float(torch.cat(accuracies).mean()), -float(torch.cat(losses).mean())
