"""The KD loss gradient and the greedy hypergradients against finite differences."""

import numpy as np
import pytest
import torch

from skdistill._kd_hypergradient import (
    exact_hypergradient,
    finite_difference_hypergradient,
    fit_linear_trajectory,
    kd_loss,
    kd_loss_delta,
    predict_linear_trajectory,
    project,
    training_step,
    validation_loss,
)
from skdistill._mlp import layer_sizes, xavier_init

DTYPE = torch.float64


def _tiny_problem(hidden=(4,), n_classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    n, n_val, d = 7, 9, 3
    params = xavier_init(
        layer_sizes(d, hidden, n_classes), 1, generator=generator, dtype=DTYPE
    )
    # Non-zero biases exercise every path of the backward pass.
    params = [p + 0.1 for p in params]
    X = torch.randn((n, d), generator=generator, dtype=DTYPE)
    y = torch.randint(0, n_classes, (n,), generator=generator)
    y_onehot = torch.nn.functional.one_hot(y, n_classes).to(DTYPE)
    teacher_logits = 2.0 * torch.randn((n, n_classes), generator=generator, dtype=DTYPE)
    X_val = torch.randn((n_val, d), generator=generator, dtype=DTYPE)
    y_val = torch.randint(0, n_classes, (n_val,), generator=generator)
    return params, X, y_onehot, teacher_logits, X_val, y_val


@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize("temperature", [0.3, 1.0, 4.0])
def test_kd_delta_matches_autograd(hinton_scaling, temperature):
    params, X, y_onehot, teacher_logits, _, _ = _tiny_problem()
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn((2, X.shape[0], 3), generator=generator, dtype=DTYPE)
    logits.requires_grad_(True)
    loss = kd_loss(logits, teacher_logits, y_onehot, 0.3, temperature, hinton_scaling)
    (expected,) = torch.autograd.grad(loss, logits)
    delta = kd_loss_delta(
        logits.detach(), teacher_logits, y_onehot, 0.3, temperature, hinton_scaling
    )
    assert torch.linalg.norm(expected) > 1e-3
    torch.testing.assert_close(delta, expected, rtol=1e-10, atol=1e-12)


def test_hinton_scaling_multiplies_the_soft_term_by_t_squared():
    _, X, y_onehot, teacher_logits, _, _ = _tiny_problem()
    logits = torch.randn(
        (1, X.shape[0], 3), generator=torch.Generator().manual_seed(1), dtype=DTYPE
    )
    plain = kd_loss(logits, teacher_logits, y_onehot, 0.0, 3.0, False)
    scaled = kd_loss(logits, teacher_logits, y_onehot, 0.0, 3.0, True)
    torch.testing.assert_close(scaled, 9.0 * plain)


def _one_step_validation_loss(
    params,
    X,
    teacher_logits,
    y_onehot,
    lam,
    temperature,
    lr,
    X_val,
    y_val,
    val_temperature,
    activation,
):
    new_params, _ = training_step(
        params, X, teacher_logits, y_onehot, lam, temperature, lr, activation
    )
    return validation_loss(new_params, X_val, y_val, val_temperature, activation).item()


@pytest.mark.parametrize(
    "hidden, activation, val_temperature",
    [((), "identity", 1.0), ((4,), "relu", 0.5), ((3, 3), "tanh", 2.0)],
)
def test_exact_hypergradient_matches_central_differences(
    hidden, activation, val_temperature
):
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(hidden)
    lam, temperature, lr = 0.4, 2.0, 0.5
    _, analytic, _, _ = exact_hypergradient(
        params,
        X,
        teacher_logits,
        y_onehot,
        lam,
        temperature,
        lr,
        X_val,
        y_val,
        val_temperature,
        activation,
    )

    def phi(lam_, temperature_):
        return _one_step_validation_loss(
            params,
            X,
            teacher_logits,
            y_onehot,
            lam_,
            temperature_,
            lr,
            X_val,
            y_val,
            val_temperature,
            activation,
        )

    eps = 1e-6
    numeric = np.array(
        [
            (phi(lam + eps, temperature) - phi(lam - eps, temperature)) / (2 * eps),
            (phi(lam, temperature + eps) - phi(lam, temperature - eps)) / (2 * eps),
        ]
    )
    assert np.all(np.abs(analytic) > 1e-5)  # the check is not vacuous
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation", [((), "identity"), ((5,), "tanh"), ((4,), "relu")]
)
def test_finite_difference_mode_agrees_with_exact(hidden, activation, hinton_scaling):
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(hidden, seed=2)
    args = (
        params,
        X,
        teacher_logits,
        y_onehot,
        0.6,
        1.5,
        0.3,
        X_val,
        y_val,
        1.0,
        activation,
        hinton_scaling,
    )
    new_exact, exact, loss_exact, val_exact = exact_hypergradient(*args)
    new_fd, approx, loss_fd, val_fd = finite_difference_hypergradient(*args)
    for a, b in zip(new_exact, new_fd, strict=True):
        torch.testing.assert_close(a, b)
    assert loss_exact == pytest.approx(loss_fd, rel=1e-12)
    assert val_exact == pytest.approx(val_fd, rel=1e-12)
    assert np.all(np.abs(exact) > 1e-5)
    # The central difference errs by O(eps^2) on the whole vector.
    np.testing.assert_allclose(
        approx, exact, rtol=1e-3, atol=1e-3 * np.linalg.norm(exact)
    )


def test_the_step_returned_is_the_sgd_step_on_the_kd_loss():
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem()
    lam, temperature, lr = 0.3, 2.5, 0.2
    new_params, _, train_loss, _ = exact_hypergradient(
        params, X, teacher_logits, y_onehot, lam, temperature, lr, X_val, y_val, 1.0
    )
    leaves = [p.detach().clone().requires_grad_(True) for p in params]
    from skdistill._mlp import forward

    logits, _ = forward(leaves, X)
    loss = kd_loss(logits, teacher_logits, y_onehot, lam, temperature)
    grads = torch.autograd.grad(loss, leaves)
    assert train_loss == pytest.approx(loss.item(), rel=1e-12)
    for new, old, grad in zip(new_params, params, grads, strict=True):
        torch.testing.assert_close(new, old - lr * grad)


def test_linear_trajectory_fits_and_extrapolates_a_line():
    z = np.arange(1, 11)
    values = np.column_stack([0.5 - 0.01 * z, 2.0 + 0.1 * z])
    slope, intercept = fit_linear_trajectory(values)
    np.testing.assert_allclose(slope, [-0.01, 0.1])
    np.testing.assert_allclose(intercept, [0.5, 2.0])
    predicted = predict_linear_trajectory(values, 5)
    np.testing.assert_allclose(predicted[:, 0], 0.5 - 0.01 * np.arange(11, 16))
    # Least squares, not interpolation: noise around the line averages out.
    noisy = values[:, 0] + np.where(z % 2, 0.02, -0.02)
    assert fit_linear_trajectory(noisy)[0] == pytest.approx(-0.01, abs=5e-3)
    with pytest.raises(ValueError, match="two"):
        fit_linear_trajectory(values[:1])


def test_predictions_and_steps_are_projected_into_bounds():
    values = np.column_stack([np.linspace(0.5, 0.95, 10), np.linspace(1.0, 0.2, 10)])
    predicted = predict_linear_trajectory(values, 20, ((0.0, 1.0), (0.1, 10.0)))
    assert predicted[:, 0].max() == 1.0 and predicted[:, 1].min() == 0.1
    assert np.all((predicted[:, 0] >= 0) & (predicted[:, 0] <= 1))
    assert project(-0.3, (0.0, 1.0)) == 0.0
    assert project(12.0, (0.1, 10.0)) == 10.0
    assert project(0.5, (0.0, 1.0)) == 0.5
