"""Truncated windows of the unroll, and per-feature outer steps."""

import importlib.util

import numpy as np
import pytest
import torch
from _tables import heavy

from skdistill import DatasetDistiller
from skdistill._engine.feature_steps import spread_scales
from skdistill._engine.horizon import (
    NormClipper,
    draw_window,
    truncated_value_and_grad,
)
from skdistill._engine.optim import Adam
from skdistill._engine.reverse import distillation_value_and_grad
from skdistill._engine.unroll import replay_distilled
from skdistill._nets.mlp import forward, hard_cross_entropy, layer_sizes, xavier_init

_BACKENDS = [
    "torch",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("numba") is None, reason="needs numba"
        ),
    ),
]


def _tiny_problem(architectures=((4,), (3, 3)), n_steps=2, n_epochs=3):
    generator = torch.Generator().manual_seed(3)
    dtype = torch.float64
    per_step, n_features, n_classes = 3, 3, 3
    syn_X = torch.randn(
        (n_steps, per_step, n_features), generator=generator, dtype=dtype
    )
    syn_Y = torch.softmax(
        torch.randn((n_steps, per_step, n_classes), generator=generator, dtype=dtype),
        dim=-1,
    )
    lrs = 0.3 + 0.1 * torch.rand((n_steps * n_epochs,), generator=generator)
    inits = [
        [
            p + 0.05
            for p in xavier_init(
                layer_sizes(n_features, h, n_classes),
                2,
                generator=generator,
                dtype=dtype,
            )
        ]
        for h in architectures
    ]
    X_real = torch.randn((10, n_features), generator=generator, dtype=dtype)
    y_real = torch.randint(0, n_classes, (10,), generator=generator)
    return syn_X, syn_Y, lrs.to(dtype), inits, X_real, y_real


def _window_objective(syn_X, syn_Y, lrs, frozen, inits, X_real, y_real, start, stop):
    """The loss after ``stop`` steps, the first ``start`` of them taken on the
    ``frozen`` copy ``(syn_X, syn_Y, lrs)`` (held fixed), the rest on the
    arguments. Written independently of the code under test."""
    f_X, f_Y, f_lrs = frozen
    n_steps = len(syn_X)
    losses = []
    for params in inits:
        with torch.no_grad():
            params = replay_distilled(
                params, f_X.unbind(0), f_Y.unbind(0), f_lrs[:start].unbind(0)
            )
        window_X = [syn_X[k % n_steps] for k in range(start, stop)]
        window_Y = [syn_Y[k % n_steps] for k in range(start, stop)]
        trained = replay_distilled(
            params, window_X, window_Y, lrs[start:stop].unbind(0)
        )
        logits, _ = forward(trained, X_real)
        losses.append(hard_cross_entropy(logits, y_real))
    return torch.cat(losses).mean()


def _finite_difference(f, tensor, eps=1e-6):
    grad = torch.zeros_like(tensor)
    flat, gflat = tensor.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        original = flat[i].item()
        flat[i] = original + eps
        plus = f().item()
        flat[i] = original - eps
        minus = f().item()
        flat[i] = original
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def _truncated(problem, start, stop, backend):
    syn_X, syn_Y, lrs, inits, X_real, y_real = problem

    def value_and_grad(sX, sY, sl, params):
        return distillation_value_and_grad(
            sX, sY, sl, params, X_real, y_real, backend=backend
        )

    return truncated_value_and_grad(
        value_and_grad, syn_X, syn_Y, lrs, inits, start=start, stop=stop
    )


# A window at the start, in the middle (starting on the second batch), at the
# end, of one step, and the whole run.
_WINDOWS = [(0, 2), (1, 4), (3, 6), (5, 6), (0, 6)]


@pytest.mark.parametrize("backend", _BACKENDS)
@pytest.mark.parametrize("start, stop", _WINDOWS)
def test_truncated_window_matches_finite_differences(start, stop, backend):
    problem = _tiny_problem()
    syn_X, syn_Y, lrs, inits, X_real, y_real = problem
    frozen = [t.clone() for t in (syn_X, syn_Y, lrs)]
    value, grad_X, grad_Y, grad_lrs = _truncated(problem, start, stop, backend)

    def objective():
        return _window_objective(
            syn_X, syn_Y, lrs, frozen, inits, X_real, y_real, start, stop
        )

    with torch.no_grad():
        assert value == pytest.approx(objective().item(), rel=1e-10)
        for tensor, grad in ((syn_X, grad_X), (syn_Y, grad_Y), (lrs, grad_lrs)):
            numeric = _finite_difference(objective, tensor)
            assert torch.linalg.norm(grad) > 1e-4  # the check is not vacuous
            np.testing.assert_allclose(
                grad.numpy(), numeric.numpy(), rtol=1e-5, atol=1e-8
            )
    # The rates outside the window get no gradient; those inside do.
    outside = torch.ones(len(lrs), dtype=torch.bool)
    outside[start:stop] = False
    assert torch.all(grad_lrs[outside] == 0)
    assert torch.all(grad_lrs[start:stop] != 0)


def test_a_window_over_the_whole_run_is_the_exact_hypergradient():
    problem = _tiny_problem()
    exact = distillation_value_and_grad(*problem, backend="torch")
    truncated = _truncated(problem, 0, len(problem[2]), "torch")
    assert truncated[0] == pytest.approx(exact[0], rel=1e-12)
    for a, b in zip(truncated[1:], exact[1:]):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="needs numba")
@pytest.mark.parametrize("start, stop", _WINDOWS)
def test_truncated_window_compiled_path_matches_torch(start, stop):
    problem = _tiny_problem()
    fast = _truncated(problem, start, stop, "numba")
    reference = _truncated(problem, start, stop, "torch")
    assert fast[0] == pytest.approx(reference[0], rel=1e-10)
    for a, b in zip(fast[1:], reference[1:]):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_truncated_window_with_configuration_groups_matches_autograd():
    """Groups trained at scaled rates with weight decay (a search space): the
    undifferentiated steps take the same scales and decays as the window."""
    from skdistill._engine.unroll import distillation_objective

    syn_X, syn_Y, lrs, inits, X_real, y_real = _tiny_problem()
    scales, decays = [0.5, 2.0], [0.1, 0.0]
    start, stop = 2, 5
    _, grad_X, grad_Y, grad_lrs = truncated_value_and_grad(
        lambda sX, sY, sl, params: distillation_value_and_grad(
            sX, sY, sl, params, X_real, y_real, backend="torch",
            lr_scales=scales, weight_decays=decays,
        ),  # fmt: skip
        syn_X, syn_Y, lrs, inits, start=start, stop=stop,
        lr_scales=scales, weight_decays=decays,
    )  # fmt: skip
    # Autograd reference: advance each group by hand, then the window.
    started = []
    with torch.no_grad():
        for params, c, w in zip(inits, scales, decays):
            started.append(
                replay_distilled(
                    params,
                    syn_X.unbind(0),
                    syn_Y.unbind(0),
                    (lrs[:start] * c).unbind(0),
                    weight_decay=w,
                )  # fmt: skip
            )
    order = [k % len(syn_X) for k in range(start, stop)]
    leaves = [t.clone().requires_grad_(True) for t in (syn_X, syn_Y, lrs)]
    loss = distillation_objective(
        leaves[0][order], leaves[1][order], leaves[2][start:stop], started,
        X_real, y_real, lr_scales=scales, weight_decays=decays,
    )  # fmt: skip
    expected = torch.autograd.grad(loss, leaves)
    for a, b in zip((grad_X, grad_Y, grad_lrs), expected):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_bad_windows_are_refused():
    problem = _tiny_problem()
    for start, stop in [(2, 2), (-1, 3), (0, 7)]:
        with pytest.raises(ValueError, match="window"):
            _truncated(problem, start, stop, "torch")


def test_windows_cover_every_step_equally_often():
    rng = np.random.RandomState(0)
    n_total, window = 12, 5
    counts = np.zeros(n_total)
    n_draws = 20000
    for _ in range(n_draws):
        start, stop = draw_window(rng, n_total, window)
        assert 0 <= start < stop <= n_total and stop - start <= window
        counts[start:stop] += 1
    expected = n_draws * window / (n_total + window - 1)
    np.testing.assert_allclose(counts, expected, rtol=0.06)
    assert draw_window(rng, 8, 8) == (0, 8)
    assert draw_window(rng, 8, 20) == (0, 8)


def test_norm_clipper_clips_at_twice_the_moving_average():
    clip = NormClipper(factor=2.0, decay=0.5)
    first = [torch.tensor([3.0, 4.0])]  # norm 5 sets the average
    assert clip(first) is first
    big = clip([torch.tensor([0.0, 30.0])])  # norm 30 > 2 * 5
    assert float(torch.linalg.norm(big[0])) == pytest.approx(10.0)
    assert clip.average == pytest.approx(17.5)  # the unclipped norm enters it
    small = [torch.tensor([1.0])]
    assert clip(small) is small
    nan = [torch.tensor([float("nan")])]
    assert clip(nan) is nan  # left for the divergence recovery to see


def test_spread_scales():
    rng = np.random.RandomState(0)
    z = rng.standard_normal((20000, 1))
    rare = (rng.rand(20000, 1) < 0.05).astype(float)
    X = np.hstack([z, heavy(z), rare, np.ones((20000, 1))])
    scales = spread_scales(X)
    assert scales[0] == pytest.approx(1.0, abs=0.02)  # Gaussian
    assert scales[1] < 0.5  # heavy tails: the bulk is narrow
    assert 0 < scales[2] <= 1  # a rare category keeps moving
    assert scales[3] == 1.0  # constant
    assert np.all(scales <= 1)


def test_adam_step_scales_scale_each_column_step():
    grads = [torch.ones((2, 3))]
    plain = [torch.zeros((2, 3))]
    scaled = [torch.zeros((2, 3))]
    Adam(plain, learning_rate=0.1).step(grads)
    factors = torch.tensor([1.0, 0.5, 0.0])
    Adam(scaled, learning_rate=0.1, step_scales=[factors]).step(grads)
    torch.testing.assert_close(scaled[0], plain[0] * factors)


def _table(n=150, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize(
    "params, name",
    [
        ({"unroll_window": 0}, "unroll_window"),
        ({"unroll_window": 2.5}, "unroll_window"),
        ({"feature_steps": "iqr"}, "feature_steps"),
    ],
)
def test_bad_values_name_the_parameter(params, name):
    X, y = _table()
    with pytest.raises(ValueError, match=name):
        DatasetDistiller(**params, max_iter=2).fit(X, y)


_SMALL = dict(n_steps=3, samples_per_step=4, random_state=0)


def test_window_learns_every_rate_of_a_longer_run():
    X, y = _table()
    params = dict(_SMALL, n_epochs=6, unroll_window=4, max_iter=30)
    distiller = DatasetDistiller(**params).fit(X, y)
    lrs = distiller.lr_schedule_
    assert lrs.shape == (18,)
    assert np.all(lrs != distiller.lr_init_)  # every step was in a window
    assert np.all(np.isfinite(distiller.loss_curve_))
    again = DatasetDistiller(**params).fit(X, y)
    np.testing.assert_array_equal(distiller.distilled_X_, again.distilled_X_)


def test_a_window_as_long_as_the_run_is_the_exact_fit():
    X, y = _table()
    exact = DatasetDistiller(**_SMALL, n_epochs=2, max_iter=30).fit(X, y)
    window = DatasetDistiller(**_SMALL, n_epochs=2, max_iter=30, unroll_window=6)
    window.fit(X, y)
    np.testing.assert_array_equal(exact.distilled_X_, window.distilled_X_)
    np.testing.assert_array_equal(exact.lr_schedule_, window.lr_schedule_)


def test_window_fit_agrees_with_the_torch_path(monkeypatch):
    X, y = _table()
    params = dict(_SMALL, n_epochs=4, unroll_window=5, max_iter=8)
    fast = DatasetDistiller(**params).fit(X, y)
    monkeypatch.setenv("SKDISTILL_DISABLE_NUMBA", "1")
    reference = DatasetDistiller(**params).fit(X, y)
    np.testing.assert_allclose(fast.distilled_X_, reference.distilled_X_, atol=1e-4)
    np.testing.assert_allclose(fast.loss_curve_, reference.loss_curve_, rtol=1e-5)


def test_window_with_a_search_space():
    X, y = _table()
    space = {"hidden_layer_sizes": [(4,), (6,)], "activation": ["relu", "tanh"]}
    distiller = DatasetDistiller(
        **dict(_SMALL, max_iter=6), n_epochs=4, unroll_window=4, search_space=space
    ).fit(X, y)
    assert np.all(np.isfinite(distiller.loss_curve_))


def test_spread_steps_keep_heavy_tailed_columns_in_their_bulk():
    rng = np.random.RandomState(0)
    z = rng.standard_normal((300, 2))
    X = np.column_stack([z[:, 0], heavy(z[:, 1])])
    y = (z[:, 0] + z[:, 1] > 0).astype(int)
    # The column unmapped: with the default feature transform it would be
    # Gaussian where the steps act.
    params = dict(
        _SMALL, init="kmeans", validation_fraction=None, feature_transform=None
    )
    moved = {}
    for steps in ("uniform", "spread"):
        d = DatasetDistiller(**params, feature_steps=steps, max_iter=1).fit(X, y)
        start = d.distilled_X_
        d = DatasetDistiller(**params, feature_steps=steps, max_iter=40).fit(X, y)
        moved[steps] = np.abs(d.distilled_X_ - start).mean(axis=0) / X.std(axis=0)
    # The Gaussian column moves alike; the heavy-tailed one far less.
    assert moved["spread"][1] < 0.6 * moved["uniform"][1]
    assert moved["spread"][0] > 0.5 * moved["uniform"][0]
