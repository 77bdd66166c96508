"""The closed-form MLP gradient and the simplex projection of the numerical core."""

import numpy as np
import pytest
import torch

from skdistill._engine.unroll import project_rows_to_simplex
from skdistill._nets.mlp import (
    ACTIVATIONS,
    backward,
    forward,
    hard_cross_entropy,
    layer_sizes,
    soft_cross_entropy,
    soft_cross_entropy_delta,
    xavier_init,
)


def _problem(hidden, n_models=3, n_rows=7, n_features=4, n_classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    sizes = layer_sizes(n_features, hidden, n_classes)
    params = xavier_init(sizes, n_models, generator=generator, dtype=torch.float64)
    # Non-zero biases, so that their gradient paths are exercised too.
    params = [
        p + 0.1 * torch.randn(p.shape, generator=generator, dtype=p.dtype)
        for p in params
    ]
    X = torch.randn((n_rows, n_features), generator=generator, dtype=torch.float64)
    logits = torch.randn((n_rows, n_classes), generator=generator, dtype=torch.float64)
    Y = torch.softmax(logits, dim=-1)
    return params, X, Y


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(), (5,), (5, 4)])
def test_backward_matches_autograd(hidden, activation):
    params, X, Y = _problem(hidden)
    params = [p.requires_grad_(True) for p in params]
    logits, hidden_acts = forward(params, X, activation)
    expected = torch.autograd.grad(soft_cross_entropy(logits, Y).sum(), params)
    delta = soft_cross_entropy_delta(logits.detach(), Y)
    got = backward([p.detach() for p in params], X, hidden_acts, delta, activation)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, rtol=1e-10, atol=1e-12)


def test_soft_cross_entropy_delta_for_unnormalised_targets():
    params, X, Y = _problem((5,))
    logits = forward(params, X)[0].requires_grad_(True)
    target = 2.5 * Y  # rows sum to 2.5
    (expected,) = torch.autograd.grad(soft_cross_entropy(logits, target).sum(), logits)
    torch.testing.assert_close(soft_cross_entropy_delta(logits, target), expected)


def test_hard_cross_entropy_equals_soft_with_one_hot():
    params, X, _ = _problem((5,))
    y = torch.tensor([0, 2, 1, 1, 0, 2, 2])
    logits, _ = forward(params, X)
    one_hot = torch.nn.functional.one_hot(y, 3).to(torch.float64)
    torch.testing.assert_close(
        hard_cross_entropy(logits, y), soft_cross_entropy(logits, one_hot)
    )


def test_xavier_init_bounds_and_local_generator():
    state = torch.random.get_rng_state()
    generator = torch.Generator().manual_seed(0)
    params = xavier_init((30, 20, 2), 50, generator=generator)
    assert torch.equal(state, torch.random.get_rng_state())
    bound = np.sqrt(6 / 50)
    assert params[0].shape == (50, 30, 20) and params[1].shape == (50, 1, 20)
    assert params[0].abs().max() <= bound and params[0].abs().max() > 0.9 * bound
    assert torch.all(params[1] == 0)


def test_simplex_projection():
    generator = torch.Generator().manual_seed(0)
    values = 3 * torch.randn((200, 5), generator=generator, dtype=torch.float64)
    projected = project_rows_to_simplex(values)
    assert torch.all(projected >= 0)
    torch.testing.assert_close(projected.sum(-1), torch.ones(200, dtype=torch.float64))
    # A point of the simplex is its own projection (one-hot labels stay one-hot).
    one_hot = torch.eye(5, dtype=torch.float64)
    torch.testing.assert_close(project_rows_to_simplex(one_hot), one_hot)
    # The projection is the nearest simplex point: no random simplex point is
    # closer.
    candidates = torch.distributions.Dirichlet(torch.ones(5, dtype=torch.float64))
    others = candidates.sample((200,))
    dist_proj = (values - projected).norm(dim=-1)
    dist_other = (values - others).norm(dim=-1)
    assert torch.all(dist_proj <= dist_other + 1e-12)
