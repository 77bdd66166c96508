"""Network families (``_nets/protocol.py``): the MLP as one, and a family
defined here plugged into DatasetDistiller, its hypergradient held to finite
differences."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris

from skdistill import DatasetDistiller, DistilledDataset
from skdistill._engine.autograd_unroll import (
    replay,
    unrolled_loss,
    unrolled_value_and_grad,
)
from skdistill._engine.outer_state import OuterState, round_robin_classes
from skdistill._engine.reverse import distillation_value_and_grad
from skdistill._nets import text_cnn
from skdistill._nets.mlp import MLP_FAMILY, layer_sizes, xavier_init
from skdistill._nets.protocol import NetworkFamily, check_family


class TanhNet:
    """A family defined outside the package: one hidden tanh layer of
    ``config["hidden"]`` units, Glorot-uniform weights, zero biases."""

    NAME = "TanhNet"

    @staticmethod
    def init(input_shape, n_classes, config, *, generator):
        (n_features,) = input_shape
        params = []
        for fan_in, fan_out in (
            (n_features, config["hidden"]),
            (config["hidden"], n_classes),
        ):
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            W = torch.rand((fan_in, fan_out), generator=generator) * 2 * bound - bound
            params += [W, torch.zeros(fan_out)]
        return params

    @staticmethod
    def forward(params, X):
        W1, b1, W2, b2 = params
        return torch.tanh(X @ W1 + b1) @ W2 + b2


class TanhNetDistiller(DatasetDistiller):
    """Distills for TanhNets through the documented extension point."""

    def _network_family(self):
        return TanhNet, {"hidden": 5}


def test_families_satisfy_the_protocol():
    for family in (MLP_FAMILY, text_cnn, TanhNet):
        assert check_family(family) is family
        assert isinstance(family, NetworkFamily)
    with pytest.raises(TypeError, match="lacks NAME.*forward"):
        check_family(type("Half", (), {"init": staticmethod(lambda: None)}))


def test_mlp_family_forward_and_backward_match_autograd():
    generator = torch.Generator().manual_seed(0)
    params = MLP_FAMILY.init(
        (4,), 3, {"hidden_layer_sizes": [5, 2]}, generator=generator
    )
    assert [tuple(p.shape) for p in params] == [
        (4, 5),
        (1, 5),
        (5, 2),
        (1, 2),
        (2, 3),
        (1, 3),
    ]
    params = [(p + 0.1).double().requires_grad_() for p in params]
    X = torch.randn((7, 4), generator=generator, dtype=torch.float64)
    delta = torch.randn((7, 3), generator=generator, dtype=torch.float64)
    logits = MLP_FAMILY.forward(params, X)
    assert logits.shape == (7, 3)
    expected = torch.autograd.grad((delta * logits).sum(), params)
    for got, want in zip(MLP_FAMILY.backward(params, X, delta), expected):
        torch.testing.assert_close(got, want)


def _tiny_state(dtype=torch.float64):
    generator = torch.Generator().manual_seed(3)
    n_steps, per_step, n_features, n_classes = 2, 3, 3, 3
    rows = torch.randn(
        (n_steps, per_step, n_features), generator=generator, dtype=dtype
    )
    state = OuterState(
        rows, round_robin_classes(n_steps, per_step, n_classes), n_classes, 4, 0.3
    )
    # Labels off the vertices and rates that differ exercise every term.
    state.Y.copy_(
        torch.softmax(torch.randn(state.Y.shape, generator=generator, dtype=dtype), -1)
    )
    state.log_lr.add_(0.1 * torch.randn(4, generator=generator, dtype=dtype))
    X_real = torch.randn((10, n_features), generator=generator, dtype=dtype)
    y_real = torch.randint(0, n_classes, (10,), generator=generator)
    return state, generator, X_real, y_real


def test_hypergradient_through_a_toy_family_matches_finite_differences():
    state, generator, X_real, y_real = _tiny_state()
    inits = [
        [
            p.double() + 0.05
            for p in TanhNet.init((3,), 3, {"hidden": 4}, generator=generator)
        ]
        for _ in range(2)
    ]
    _, grads = unrolled_value_and_grad(TanhNet.forward, inits, state, X_real, y_real)

    def objective():
        losses = [
            unrolled_loss(
                TanhNet.forward, p, state.X, state.Y, state.lrs, X_real, y_real
            )
            for p in inits
        ]
        return sum(loss.item() for loss in losses) / len(inits)

    eps = 1e-6
    for tensor, grad in zip(state.learned, grads):
        flat = tensor.view(-1)
        numeric = torch.zeros_like(flat)
        for i in range(flat.numel()):
            original = flat[i].item()
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            numeric[i] = (plus - minus) / (2 * eps)
        assert grad.abs().max() > 1e-4
        torch.testing.assert_close(grad.view(-1), numeric, rtol=1e-5, atol=1e-8)


def test_autograd_unroll_of_the_mlp_family_matches_the_reverse_pass():
    state, generator, X_real, y_real = _tiny_state()
    stack = [
        p + 0.05
        for p in xavier_init(
            layer_sizes(3, (4,), 3), 2, generator=generator, dtype=torch.float64
        )
    ]
    loss, grad_X, grad_Y, grad_lrs = distillation_value_and_grad(
        state.X, state.Y, state.lrs, [stack], X_real, y_real, backend="torch"
    )
    inits = [[p[m] for p in stack] for m in range(2)]
    value, grads = unrolled_value_and_grad(
        MLP_FAMILY.forward, inits, state, X_real, y_real
    )
    assert value == pytest.approx(loss, rel=1e-12)
    for got, want in zip(grads, (grad_X, grad_Y, grad_lrs * state.lrs)):
        torch.testing.assert_close(got, want)


def _replay_accuracy(dataset, X, y):
    """Mean training accuracy of 5 fresh TanhNets replaying ``dataset``."""
    generator = torch.Generator().manual_seed(1)
    batches = [
        (
            torch.as_tensor(Xs, dtype=torch.float32),
            torch.as_tensor(Ys, dtype=torch.float32),
        )
        for Xs, Ys in dataset.step_batches()
    ] * dataset.n_epochs
    X_std = torch.as_tensor(dataset.scale_rows(X), dtype=torch.float32)
    accuracies = []
    for _ in range(5):
        params = TanhNet.init((4,), 3, {"hidden": 5}, generator=generator)
        trained = replay(TanhNet.forward, params, batches, dataset.lr_schedule.tolist())
        predicted = TanhNet.forward(trained, X_std).argmax(-1).numpy()
        accuracies.append(np.mean(dataset.classes[predicted] == y))
    return np.mean(accuracies)


def test_a_toy_family_plugs_into_dataset_distiller():
    X, y = load_iris(return_X_y=True)
    sizes = dict(n_steps=3, n_epochs=3, samples_per_step=6, n_models=2)
    distiller = TanhNetDistiller(max_iter=10, random_state=0, **sizes)
    X_syn, y_syn = distiller.fit_resample(X, y)
    dataset = distiller.distilled_
    assert isinstance(dataset, DistilledDataset)
    assert dataset.network == {"name": "TanhNet", "hidden": 5}
    assert dataset.architectures is None
    assert X_syn.shape == (18, 4) and np.isfinite(X_syn).all()
    assert len(distiller.validation_scores_) == 2  # early stopping scored TanhNets
    # random_state fixes the fit to the bit.
    again = TanhNetDistiller(max_iter=10, random_state=0, **sizes).fit(X, y)
    np.testing.assert_array_equal(again.distilled_.X_scaled, dataset.X_scaled)
    # The outer loop teaches fresh TanhNets: the learned set trains them
    # better than the starting one (k-means centroids, one-hot labels).
    sizes["validation_fraction"] = None
    start = TanhNetDistiller(max_iter=1, random_state=0, **sizes).fit(X, y)
    learned = TanhNetDistiller(max_iter=80, random_state=0, **sizes).fit(X, y)
    before = _replay_accuracy(start.distilled_, X, y)
    after = _replay_accuracy(learned.distilled_, X, y)
    assert after > before + 0.08, (before, after)


def test_a_toy_family_with_fixed_init_records_its_networks():
    X, y = load_iris(return_X_y=True)
    distiller = TanhNetDistiller(
        max_iter=5,
        n_models=3,
        fixed_init=True,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    (entry,) = distiller.distilled_.fixed_init
    assert [a.shape for a in entry] == [(3, 4, 5), (3, 5), (3, 5, 3), (3, 3)]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"search_space": {"alpha": [0.0, 0.1]}}, "search_space describes MLPs"),
        ({"checkpoint_segments": 2}, "checkpoint_segments applies"),
        ({"unroll_window": 2}, "unroll_window applies"),
    ],
)
def test_mlp_only_parameters_are_refused_for_another_family(params, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        TanhNetDistiller(max_iter=2, **params).fit(X, y)
