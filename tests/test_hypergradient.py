"""The distillation hypergradient against central finite differences."""

import importlib.util

import numpy as np
import pytest
import torch

from skdistill._engine.unroll import distillation_objective
from skdistill._nets.mlp import layer_sizes, xavier_init


def _tiny_problem(architectures=((), (4,), (3, 3))):
    generator = torch.Generator().manual_seed(1)
    dtype = torch.float64
    n_steps, n_epochs, per_step, n_features, n_classes = 2, 2, 3, 3, 3
    syn_X = torch.randn(
        (n_steps, per_step, n_features), generator=generator, dtype=dtype
    )
    syn_Y = torch.softmax(
        torch.randn((n_steps, per_step, n_classes), generator=generator, dtype=dtype),
        dim=-1,
    )
    log_lr = torch.log(torch.full((n_steps * n_epochs,), 0.3, dtype=dtype))
    log_lr = log_lr + 0.1 * torch.randn(log_lr.shape, generator=generator, dtype=dtype)
    inits = [
        xavier_init(
            layer_sizes(n_features, h, n_classes), 2, generator=generator, dtype=dtype
        )
        for h in architectures
    ]
    # Non-zero biases exercise every path of the reverse pass.
    inits = [[p + 0.05 for p in params] for params in inits]
    X_real = torch.randn((10, n_features), generator=generator, dtype=dtype)
    y_real = torch.randint(0, n_classes, (10,), generator=generator)
    return syn_X, syn_Y, log_lr, inits, X_real, y_real


def _objective(syn_X, syn_Y, log_lr, inits, X_real, y_real, activation="relu"):
    return distillation_objective(
        syn_X, syn_Y, log_lr.exp(), inits, X_real, y_real, activation
    )


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


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_hypergradient_matches_finite_differences(activation):
    syn_X, syn_Y, log_lr, inits, X_real, y_real = _tiny_problem()
    learned = [syn_X, syn_Y, log_lr]
    for t in learned:
        t.requires_grad_(True)
    loss = _objective(syn_X, syn_Y, log_lr, inits, X_real, y_real, activation)
    analytic = torch.autograd.grad(loss, learned)
    with torch.no_grad():
        for tensor, grad in zip(learned, analytic):
            numeric = _finite_difference(
                lambda: _objective(
                    syn_X, syn_Y, log_lr, inits, X_real, y_real, activation
                ),
                tensor,
            )
            assert torch.linalg.norm(grad) > 1e-4  # the check is not vacuous
            np.testing.assert_allclose(
                grad.numpy(), numeric.numpy(), rtol=1e-5, atol=1e-8
            )


_BACKENDS = [
    "torch",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("numba") is None, reason="needs numba"
        ),
    ),
]


def _assert_matches_autograd(result, loss, expected, log_lr):
    """The hand-written ``(value, grad_X, grad_Y, grad_lrs)`` against the
    autograd ``loss`` and its gradients in ``(syn_X, syn_Y, log_lr)``."""
    value, grad_X, grad_Y, grad_lrs = result
    assert value == pytest.approx(loss.item(), rel=1e-12)
    torch.testing.assert_close(grad_X, expected[0], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(grad_Y, expected[1], rtol=1e-9, atol=1e-12)
    # d/dlog_lr = lr * d/dlr
    torch.testing.assert_close(
        grad_lrs * log_lr.exp(), expected[2], rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("backend", _BACKENDS)
@pytest.mark.parametrize("checkpoint_segments", [None, 1, 3, 4])
def test_hand_written_reverse_matches_autograd(checkpoint_segments, backend):
    from skdistill._engine.reverse import distillation_value_and_grad

    syn_X, syn_Y, log_lr, inits, X_real, y_real = _tiny_problem()
    learned = [syn_X, syn_Y, log_lr]
    for t in learned:
        t.requires_grad_(True)
    loss = _objective(syn_X, syn_Y, log_lr, inits, X_real, y_real)
    expected = torch.autograd.grad(loss, [syn_X, syn_Y, log_lr])
    value, grad_X, grad_Y, grad_lrs = distillation_value_and_grad(
        syn_X.detach(),
        syn_Y.detach(),
        log_lr.detach().exp(),
        inits,
        X_real,
        y_real,
        checkpoint_segments=checkpoint_segments,
        backend=backend,
    )
    _assert_matches_autograd(
        (value, grad_X, grad_Y, grad_lrs), loss, expected, log_lr.detach()
    )


# Per-group learning-rate factors and weight decays, as a distiller over a
# search space samples them (one group per sampled configuration).
_SCALES = [1.0, 0.5, 2.0]
_DECAYS = [0.0, 0.3, 0.05]


def test_weight_decay_and_lr_scales_match_finite_differences():
    syn_X, syn_Y, log_lr, inits, X_real, y_real = _tiny_problem()
    learned = [syn_X, syn_Y, log_lr]
    for t in learned:
        t.requires_grad_(True)

    def objective():
        return distillation_objective(
            syn_X,
            syn_Y,
            log_lr.exp(),
            inits,
            X_real,
            y_real,
            lr_scales=_SCALES,
            weight_decays=_DECAYS,
        )

    loss = objective()
    analytic = torch.autograd.grad(loss, learned)
    plain = torch.autograd.grad(
        _objective(syn_X, syn_Y, log_lr, inits, X_real, y_real), learned
    )
    # The decay and the factors change the hypergradient ...
    assert not torch.allclose(analytic[2], plain[2], rtol=1e-3)
    with torch.no_grad():
        for tensor, grad in zip(learned, analytic):
            numeric = _finite_difference(objective, tensor)
            np.testing.assert_allclose(
                grad.numpy(), numeric.numpy(), rtol=1e-5, atol=1e-8
            )


@pytest.mark.parametrize("backend", _BACKENDS)
@pytest.mark.parametrize("checkpoint_segments", [None, 3])
def test_hand_written_reverse_with_weight_decay_matches_autograd(
    checkpoint_segments, backend
):
    from skdistill._engine.reverse import distillation_value_and_grad

    syn_X, syn_Y, log_lr, inits, X_real, y_real = _tiny_problem()
    learned = [syn_X, syn_Y, log_lr]
    for t in learned:
        t.requires_grad_(True)
    loss = distillation_objective(
        syn_X,
        syn_Y,
        log_lr.exp(),
        inits,
        X_real,
        y_real,
        lr_scales=_SCALES,
        weight_decays=_DECAYS,
    )
    expected = torch.autograd.grad(loss, learned)
    value, grad_X, grad_Y, grad_lrs = distillation_value_and_grad(
        syn_X.detach(),
        syn_Y.detach(),
        log_lr.detach().exp(),
        inits,
        X_real,
        y_real,
        checkpoint_segments=checkpoint_segments,
        backend=backend,
        lr_scales=_SCALES,
        weight_decays=_DECAYS,
    )
    _assert_matches_autograd(
        (value, grad_X, grad_Y, grad_lrs), loss, expected, log_lr.detach()
    )


@pytest.mark.parametrize("backend", _BACKENDS)
def test_replay_weight_decay_is_gradient_descent_on_the_l2_penalty(
    backend, monkeypatch
):
    """Every replay step descends the soft cross-entropy plus
    ``weight_decay / 2 * ||W||^2`` over the weight matrices; biases are not
    penalised (MLPClassifier's alpha)."""
    from skdistill._engine.unroll import replay_distilled
    from skdistill._nets.mlp import forward, soft_cross_entropy

    if backend == "torch":
        monkeypatch.setenv("SKDISTILL_DISABLE_NUMBA", "1")
    syn_X, syn_Y, log_lr, inits, _, _ = _tiny_problem(architectures=((4,),))
    params, decay = inits[0], 0.3
    step_X, step_Y, lrs = syn_X.unbind(0), syn_Y.unbind(0), log_lr.exp().tolist()
    trained = replay_distilled(params, step_X, step_Y, lrs, weight_decay=decay)

    expected = params
    for k, lr in enumerate(lrs):
        leaves = [p.clone().requires_grad_(True) for p in expected]
        logits, _ = forward(leaves, step_X[k % len(step_X)])
        penalty = sum((w**2).sum(dim=(-2, -1)) for w in leaves[0::2])
        loss = soft_cross_entropy(logits, step_Y[k % len(step_Y)]) + decay / 2 * penalty
        grads = torch.autograd.grad(loss.sum(), leaves)
        expected = [p.detach() - lr * g for p, g in zip(leaves, grads)]
    for got, want in zip(trained, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
