"""The KD loss gradient and the greedy hypergradients against finite differences."""

import numpy as np
import pytest
import torch

from skdistill._engine.kd_hypergradient import (
    AdamMetaStep,
    NumpyKDStep,
    calibrated_temperature,
    exact_hypergradient,
    finite_difference_hypergradient,
    fit_linear_trajectory,
    horizon_hypergradient,
    kd_loss,
    kd_loss_delta,
    meta_step,
    predict_linear_trajectory,
    project,
    training_step,
    validation_loss,
    weight_sensitivities,
)
from skdistill._nets.mlp import forward, layer_sizes, xavier_init

DTYPE = torch.float64


#: Hard targets of rows 0, 2 and 5 are zero (unlabelled rows), the others are
#: one-hot rows scaled by 7/4 (one over the fraction of labelled rows).
UNLABELLED_ROWS = [0, 2, 5]


def _tiny_problem(hidden=(4,), n_classes=3, seed=0, unlabelled=False):
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
    if unlabelled:
        y_onehot = y_onehot * (n / (n - len(UNLABELLED_ROWS)))
        y_onehot[UNLABELLED_ROWS] = 0.0
    return params, X, y_onehot, teacher_logits, X_val, y_val


@pytest.mark.parametrize("unlabelled", [False, True])
@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize("temperature", [0.3, 1.0, 4.0])
def test_kd_delta_matches_autograd(hinton_scaling, temperature, unlabelled):
    params, X, y_onehot, teacher_logits, _, _ = _tiny_problem(unlabelled=unlabelled)
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
    objective="cross_entropy",
):
    new_params, _ = training_step(
        params, X, teacher_logits, y_onehot, lam, temperature, lr, activation
    )
    return validation_loss(
        new_params, X_val, y_val, val_temperature, activation, objective
    ).item()


@pytest.mark.parametrize("objective", ["cross_entropy", "expected_error"])
@pytest.mark.parametrize("unlabelled", [False, True])
@pytest.mark.parametrize(
    "hidden, activation, val_temperature",
    [((), "identity", 1.0), ((4,), "relu", 0.5), ((3, 3), "tanh", 2.0)],
)
def test_exact_hypergradient_matches_central_differences(
    hidden, activation, val_temperature, unlabelled, objective
):
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(
        hidden, unlabelled=unlabelled
    )
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
        objective=objective,
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
            objective,
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


@pytest.mark.parametrize("objective", ["cross_entropy", "expected_error"])
@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation", [((), "identity"), ((5,), "tanh"), ((4,), "relu")]
)
def test_finite_difference_mode_agrees_with_exact(
    hidden, activation, hinton_scaling, objective
):
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
        objective,
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
    from skdistill._nets.mlp import forward

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


def _numpy_step(params, X, y_onehot, teacher_logits, X_val, y_val, **kwargs):
    """The `NumpyKDStep` of the tiny problem and its parameters, in numpy."""
    n_classes = y_onehot.shape[1]
    core = NumpyKDStep(
        X.numpy(),
        teacher_logits.numpy(),
        y_onehot.numpy(),
        X_val.numpy(),
        np.eye(n_classes)[y_val.numpy()],
        kwargs["val_temperature"],
        kwargs["lr"],
        kwargs["activation"],
        kwargs["hinton_scaling"],
        decay=kwargs.get("decay", 0.0),
        objective=kwargs.get("objective", "cross_entropy"),
    )
    numpy_params = [
        p[0].numpy() if i % 2 == 0 else p[0, 0].numpy() for i, p in enumerate(params)
    ]
    return core, numpy_params


@pytest.mark.parametrize("objective", ["cross_entropy", "expected_error"])
@pytest.mark.parametrize("unlabelled", [False, True])
@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation",
    [((), "identity"), ((4,), "relu"), ((3, 3), "tanh"), ((5,), "logistic")],
)
def test_numpy_path_matches_autograd_path(
    hidden, activation, hinton_scaling, unlabelled, objective
):
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(
        hidden, seed=4, unlabelled=unlabelled
    )
    lam, temperature, lr, val_temperature = 0.3, 1.7, 0.5, 0.4
    new_params, expected, loss, _ = exact_hypergradient(
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
        hinton_scaling,
        objective,
    )
    core, numpy_params = _numpy_step(
        params,
        X,
        y_onehot,
        teacher_logits,
        X_val,
        y_val,
        lr=lr,
        val_temperature=val_temperature,
        activation=activation,
        hinton_scaling=hinton_scaling,
        objective=objective,
    )
    rows = np.arange(X.shape[0])
    new_numpy, grad, numpy_loss = core.step(numpy_params, rows, lam, temperature, True)
    assert np.all(np.abs(expected) > 1e-6)
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(numpy_loss, loss, rtol=1e-12)
    for torch_p, numpy_p in zip(new_params, new_numpy, strict=True):
        np.testing.assert_allclose(
            torch_p.numpy().reshape(numpy_p.shape), numpy_p, rtol=1e-12, atol=1e-14
        )
    # Without the hypergradient, the same step and loss.
    again, none, plain_loss = core.step(numpy_params, rows, lam, temperature, False)
    assert none is None and plain_loss == numpy_loss
    for a, b in zip(again, new_numpy, strict=True):
        np.testing.assert_array_equal(a, b)
    expected_val = validation_loss(
        new_params, X_val, y_val, val_temperature, activation
    ).item()
    np.testing.assert_allclose(core.validation_loss(new_numpy), expected_val)
    np.testing.assert_allclose(core.validation_loss(again), expected_val)


@pytest.mark.parametrize("unlabelled", [False, True])
@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation", [((), "identity"), ((4,), "relu"), ((3, 3), "logistic")]
)
def test_numpy_hypergradient_matches_central_differences(
    hidden, activation, hinton_scaling, unlabelled
):
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(
        hidden, seed=5, unlabelled=unlabelled
    )
    kwargs = dict(
        lr=0.5,
        val_temperature=0.7,
        activation=activation,
        hinton_scaling=hinton_scaling,
    )
    core, numpy_params = _numpy_step(
        params, X, y_onehot, teacher_logits, X_val, y_val, **kwargs
    )
    rows = np.arange(X.shape[0])
    lam, temperature = 0.4, 2.0
    _, analytic, _ = core.step(numpy_params, rows, lam, temperature, True)

    def phi(lam_, temperature_):
        new, _, _ = core.step(numpy_params, rows, lam_, temperature_, False)
        return core.validation_loss(new)

    eps = 1e-6
    numeric = np.array(
        [
            (phi(lam + eps, temperature) - phi(lam - eps, temperature)) / (2 * eps),
            (phi(lam, temperature + eps) - phi(lam, temperature - eps)) / (2 * eps),
        ]
    )
    assert np.all(np.abs(analytic) > 1e-5)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-10)


def test_meta_step_clips_by_value_and_steps_in_log_t():
    bounds = ((0.0, 1.0), (0.1, 10.0))
    lam, temperature = meta_step(0.5, 2.0, [3.0, -0.002], 0.1, 0.01, "linear", *bounds)
    assert lam == pytest.approx(0.5 - 0.1 * 0.01)
    assert temperature == pytest.approx(2.0 + 0.1 * 0.002)
    # In log T the gradient is T dL/dT and the step multiplies T.
    lam, temperature = meta_step(0.5, 2.0, [0.0, 0.5], 0.1, None, "log", *bounds)
    assert lam == 0.5
    assert temperature == pytest.approx(2.0 * np.exp(-0.1 * 2.0 * 0.5))
    # Near the lower bound a huge dL/dT moves T by a bounded factor in log T
    # when clipped, where a plain step would jump far.
    _, plain = meta_step(0.5, 0.12, [0.0, -19.0], 0.1, None, "linear", *bounds)
    _, logged = meta_step(0.5, 0.12, [0.0, -19.0], 0.1, 1.0, "log", *bounds)
    assert plain == pytest.approx(0.12 + 1.9)
    assert logged == pytest.approx(0.12 * np.exp(0.1))
    # Projection still applies.
    assert meta_step(0.0, 0.1, [1.0, 1e6], 1.0, None, "log", *bounds) == (0.0, 0.1)


def test_velocity_trajectory_agrees_with_the_line_on_a_line():
    values = np.column_stack([0.5 - 0.01 * np.arange(6), 1.0 + 0.2 * np.arange(6)])
    line = predict_linear_trajectory(values, 4, method="line")
    velocity = predict_linear_trajectory(values, 4, method="velocity")
    np.testing.assert_allclose(velocity, line, atol=1e-12)


def test_velocity_trajectory_stops_instead_of_overshooting():
    # A decelerating path that converges to 1: increments 0.5, 0.25, ...
    values = 1.0 - 0.5 ** np.arange(1, 11)
    line = predict_linear_trajectory(values, 10, method="line")[:, 0]
    velocity = predict_linear_trajectory(values, 10, method="velocity")[:, 0]
    # The least-squares line runs far past the limit (its slope averages the
    # early, large steps) and jumps away from the last value.
    assert line.max() > 1.2
    assert abs(line[0] - values[-1]) > 0.1
    # The increments' trend reaches zero: it comes to rest, continuously,
    # monotonically and without passing the limit by more than its last step.
    assert np.all(np.diff(np.r_[values[-1], velocity]) >= 0)
    assert velocity.max() <= 1.0 + (values[-1] - values[-2])
    assert abs(velocity[0] - values[-1]) <= values[-1] - values[-2]


def test_unknown_trajectory_method_is_rejected():
    with pytest.raises(ValueError, match="unknown trajectory method"):
        predict_linear_trajectory(np.arange(3.0), 2, method="spline")


def test_adam_meta_step_moves_by_the_rate_whatever_the_scale():
    bounds = ((0.0, 1.0), (0.1, 10.0))
    for scale in (1e-6, 1.0, 1e4):
        step = AdamMetaStep()
        lam, temperature = 0.5, 2.0
        for _ in range(10):
            lam, temperature = step(
                lam, temperature, [scale, -scale], 0.01, None, "linear", *bounds
            )
        # A constant sign: 0.01 per step in lambda and in T.
        assert lam == pytest.approx(0.4, abs=1e-6)
        assert temperature == pytest.approx(2.1, abs=1e-6)
    # In log T, a multiplicative step; the bounds still apply.
    step = AdamMetaStep()
    lam, temperature = step(0.0, 2.0, [1.0, -3.0], 0.1, None, "log", *bounds)
    assert lam == 0.0 and temperature == pytest.approx(2.0 * np.exp(0.1))
    # A sign that flips every step moves far less than a constant one.
    step = AdamMetaStep()
    lam = 0.5
    for i in range(50):
        lam, _ = step(lam, 1.0, [(-1.0) ** i, 0.0], 0.01, None, "linear", *bounds)
    assert abs(lam - 0.5) < 0.05


def test_numpy_hypergradient_on_validation_rows_is_that_subset_s():
    # A validation batch gives the hypergradient of the validation loss on
    # those rows alone (autograd on the subset), and leaves the full
    # validation loss of the step's weights intact.
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(
        (4,), seed=6, unlabelled=False
    )
    lam, temperature, lr, val_temperature = 0.3, 1.7, 0.5, 0.4
    picked = np.array([0, 2, 3])
    picked_t = torch.as_tensor(picked)
    _, expected, _, _ = exact_hypergradient(
        params,
        X,
        teacher_logits,
        y_onehot,
        lam,
        temperature,
        lr,
        X_val[picked_t],
        y_val[picked_t],
        val_temperature,
        "relu",
    )
    core, numpy_params = _numpy_step(
        params,
        X,
        y_onehot,
        teacher_logits,
        X_val,
        y_val,
        lr=lr,
        val_temperature=val_temperature,
        activation="relu",
        hinton_scaling=False,
    )
    rows = np.arange(X.shape[0])
    new, grad, _ = core.step(numpy_params, rows, lam, temperature, True, picked)
    _, full, _ = core.step(numpy_params, rows, lam, temperature, True)
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-14)
    assert not np.allclose(grad, full)
    new_params, _, _, full_val = exact_hypergradient(
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
        "relu",
    )
    np.testing.assert_allclose(core.validation_loss(new), full_val)


def _validation_ce(logits, y, temperature):
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("seed", range(4))
def test_calibrated_temperature_minimises_the_validation_cross_entropy(seed):
    from scipy.optimize import minimize_scalar

    rng = np.random.RandomState(seed)
    logits = rng.randn(80, 3) * rng.uniform(0.3, 5.0)
    # Most rows right, some wrong: the minimum lies inside the bounds.
    y = np.where(rng.rand(80) < 0.7, logits.argmax(axis=1), rng.randint(0, 3, 80))
    found = calibrated_temperature(logits, y, start=rng.uniform(0.2, 5.0), tol=1e-10)
    best = minimize_scalar(
        lambda t: _validation_ce(logits, y, t),
        bounds=(0.1, 10.0),
        method="bounded",
        options={"xatol": 1e-10},
    ).x
    assert 0.1 < found < 10.0
    assert found == pytest.approx(best, rel=1e-5)
    # The derivative of the loss in T vanishes there (central differences).
    eps = 1e-5 * found
    slope = (
        _validation_ce(logits, y, found + eps) - _validation_ce(logits, y, found - eps)
    ) / (2 * eps)
    assert abs(slope) < 1e-6


def test_calibrated_temperature_stops_at_its_bounds():
    rng = np.random.RandomState(0)
    logits = rng.randn(40, 2)
    # Every row right: sharper is always better, down to the lower bound.
    assert calibrated_temperature(logits, logits.argmax(axis=1)) == pytest.approx(
        0.1, rel=1e-3
    )
    # Every row wrong: flatter is always better, up to the upper bound.
    assert calibrated_temperature(logits, logits.argmin(axis=1)) == pytest.approx(
        10.0, rel=1e-3
    )
    # Equal logits: the loss does not depend on T; the start is kept.
    assert calibrated_temperature(np.zeros((5, 3)), np.arange(5) % 3, start=2.0) == 2.0


def _training_gradient(params, X, teacher_logits, y_onehot, lam, temperature, **kw):
    leaves = [p.detach().clone().requires_grad_(True) for p in params]
    logits, _ = forward(leaves, X, kw["activation"])
    loss = kd_loss(
        logits, teacher_logits, y_onehot, lam, temperature, kw["hinton_scaling"]
    )
    return [g.detach() for g in torch.autograd.grad(loss, leaves)]


@pytest.mark.parametrize("unlabelled", [False, True])
@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation", [((), "identity"), ((4,), "relu"), ((3, 3), "tanh")]
)
def test_weight_sensitivities_match_central_differences(
    hidden, activation, hinton_scaling, unlabelled
):
    params, X, y_onehot, teacher_logits, _, _ = _tiny_problem(
        hidden, seed=6, unlabelled=unlabelled
    )
    kw = dict(activation=activation, hinton_scaling=hinton_scaling)
    lam, temperature, eps = 0.4, 1.7, 1e-6
    d_lam, d_temp = weight_sensitivities(
        params, X, teacher_logits, y_onehot, lam, temperature, **kw
    )
    args = (params, X, teacher_logits, y_onehot)
    for analytic, (plus, minus) in (
        (d_lam, ((lam + eps, temperature), (lam - eps, temperature))),
        (d_temp, ((lam, temperature + eps), (lam, temperature - eps))),
    ):
        high = _training_gradient(*args, *plus, **kw)
        low = _training_gradient(*args, *minus, **kw)
        for a, h, l_ in zip(analytic, high, low, strict=True):
            np.testing.assert_allclose(
                a.numpy(), ((h - l_) / (2 * eps)).numpy(), rtol=1e-6, atol=1e-9
            )
        assert max(float(a.abs().max()) for a in analytic) > 1e-4


def _horizon_args(seed=7, hidden=(4,), unlabelled=False):
    params, X, y_onehot, teacher_logits, X_val, y_val = _tiny_problem(
        hidden, seed=seed, unlabelled=unlabelled
    )
    return params, X, y_onehot, teacher_logits, X_val, y_val


def test_horizon_hypergradient_of_one_step_is_the_greedy_one():
    params, X, y_onehot, teacher_logits, X_val, y_val = _horizon_args()
    args = (params, X, teacher_logits, y_onehot, 0.3, 1.5, 0.5, X_val, y_val, 0.8)
    new_params, expected, loss, val = exact_hypergradient(*args, "relu", True)
    for decay in (0.0, 0.9):
        got_params, grad, got_loss, got_val, tangents = horizon_hypergradient(
            *args, "relu", True, None, decay
        )
        np.testing.assert_allclose(grad, expected, rtol=1e-10)
        assert got_loss == pytest.approx(loss) and got_val == pytest.approx(val)
        for a, b in zip(got_params, new_params, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
        assert len(tangents) == 2 and len(tangents[0]) == len(params)


@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation", [((), "identity"), ((4,), "relu"), ((3, 3), "logistic")]
)
def test_horizon_hypergradient_is_the_unrolled_derivative_to_first_order(
    hidden, activation, hinton_scaling
):
    """Over k steps at a fixed (lam, T), the derivative of the validation loss
    after the last one is -lr <v, sum of the steps' sensitivities> up to
    terms in lr**2 (the Hessian terms the horizon drops): with decay 1 the
    accumulated hypergradient matches central differences of the unrolled
    loss, to a relative error that shrinks with lr."""
    params, X, y_onehot, teacher_logits, X_val, y_val = _horizon_args(hidden=hidden)
    lam, temperature, val_temperature, k = 0.3, 1.5, 0.8, 4
    batches = [np.arange(i, i + 4) % X.shape[0] for i in range(k)]

    def unrolled(lam_, temperature_, lr):
        current = params
        for rows in batches:
            current, _ = training_step(
                current,
                X[rows],
                teacher_logits[rows],
                y_onehot[rows],
                lam_,
                temperature_,
                lr,
                activation,
                hinton_scaling,
            )
        return validation_loss(
            current, X_val, y_val, val_temperature, activation
        ).item()

    errors = []
    for lr in (1e-2, 1e-3):
        current, tangents = params, None
        for rows in batches:
            current, grad, _, _, tangents = horizon_hypergradient(
                current,
                X[rows],
                teacher_logits[rows],
                y_onehot[rows],
                lam,
                temperature,
                lr,
                X_val,
                y_val,
                val_temperature,
                activation,
                hinton_scaling,
                tangents,
                1.0,
            )
        eps = 1e-5
        numeric = np.array(
            [
                unrolled(lam + eps, temperature, lr)
                - unrolled(lam - eps, temperature, lr),
                unrolled(lam, temperature + eps, lr)
                - unrolled(lam, temperature - eps, lr),
            ]
        ) / (2 * eps)
        assert np.all(np.abs(numeric) > 1e-8)
        errors.append(np.max(np.abs(grad - numeric) / np.abs(numeric)))
    assert errors[1] < 0.02
    assert errors[1] < errors[0] / 5


@pytest.mark.parametrize("decay", [0.8, (0.9, 0.0)])
@pytest.mark.parametrize("hinton_scaling", [False, True])
@pytest.mark.parametrize(
    "hidden, activation", [((), "identity"), ((4,), "relu"), ((3, 3), "tanh")]
)
def test_numpy_horizon_hypergradient_matches_torch(
    hidden, activation, hinton_scaling, decay
):
    params, X, y_onehot, teacher_logits, X_val, y_val = _horizon_args(
        seed=8, hidden=hidden, unlabelled=True
    )
    lr, val_temperature = 0.5, 0.7
    core, numpy_params = _numpy_step(
        params,
        X,
        y_onehot,
        teacher_logits,
        X_val,
        y_val,
        lr=lr,
        val_temperature=val_temperature,
        activation=activation,
        hinton_scaling=hinton_scaling,
        decay=decay,
    )
    tangents = None
    for i, (lam, temperature) in enumerate([(0.4, 2.0), (0.35, 1.8), (0.3, 1.7)]):
        rows = np.arange(i, i + 5) % X.shape[0]
        params_before = params
        params, expected, _, _, tangents = horizon_hypergradient(
            params,
            X[rows],
            teacher_logits[rows],
            y_onehot[rows],
            lam,
            temperature,
            lr,
            X_val,
            y_val,
            val_temperature,
            activation,
            hinton_scaling,
            tangents,
            decay,
        )
        one_step = exact_hypergradient(
            [p.detach() for p in params_before],
            X[rows],
            teacher_logits[rows],
            y_onehot[rows],
            lam,
            temperature,
            lr,
            X_val,
            y_val,
            val_temperature,
            activation,
            hinton_scaling,
        )[1]
        numpy_params, grad, _ = core.step(numpy_params, rows, lam, temperature, True)
        assert np.all(np.abs(expected) > 1e-6)
        np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-13)
        # A zero discount is the greedy one-step hypergradient; the others
        # differ from it once past steps have accumulated.
        for component, beta in enumerate(np.broadcast_to(decay, (2,))):
            if beta == 0.0 or i == 0:
                np.testing.assert_allclose(
                    grad[component], one_step[component], rtol=1e-9
                )
            else:
                assert abs(grad[component] - one_step[component]) > 1e-6


def test_meta_step_in_logit_lambda():
    bounds = ((0.0, 1.0), (0.1, 10.0))
    # The gradient in logit(lam) is lam (1 - lam) dL/dlam; the step moves
    # logit(lam), so lam approaches a bound ever more slowly.
    lam, temperature = meta_step(
        0.5, 2.0, [2.0, 0.0], 0.1, None, "log", *bounds, "logit"
    )
    assert temperature == 2.0
    assert lam == pytest.approx(1.0 / (1.0 + np.exp(0.1 * 0.25 * 2.0)))
    lam, _ = meta_step(0.9, 2.0, [-2.0, 0.0], 0.1, None, "log", *bounds, "logit")
    expected_logit = np.log(9.0) + 0.1 * 0.09 * 2.0
    assert lam == pytest.approx(1.0 / (1.0 + np.exp(-expected_logit)))
    # At a bound, a finite logit: the step leaves it, or stays projected.
    lam, _ = meta_step(0.0, 2.0, [-1e6, 0.0], 0.1, None, "log", *bounds, "logit")
    assert 0.0 < lam < 0.5
    lam, _ = meta_step(
        1.0, 2.0, [1e9, 0.0], 0.1, 1.0, "log", (0.2, 0.8), bounds[1], "logit"
    )
    assert lam == 0.8
    # Adam steps about meta_lr in logit(lam).
    step = AdamMetaStep()
    lam = 0.5
    for _ in range(10):
        lam, _ = step(lam, 1.0, [1e-7, 0.0], 0.01, None, "log", *bounds, "logit")
    assert np.log(lam / (1 - lam)) == pytest.approx(-0.1, rel=1e-3)


def test_expected_error_objective_is_one_minus_the_probability_of_the_label():
    params, _, _, _, X_val, y_val = _tiny_problem((4,), seed=9)
    logits, _ = forward(params, X_val, "relu")
    proba = torch.softmax(logits[0] / 0.5, dim=-1)
    expected = float((1.0 - proba[torch.arange(len(y_val)), y_val]).mean())
    got = validation_loss(params, X_val, y_val, 0.5, "relu", "expected_error")
    assert float(got) == pytest.approx(expected, rel=1e-12)
    # Between 0 and 1, below the cross-entropy (1 - p <= -log p).
    ce = validation_loss(params, X_val, y_val, 0.5, "relu")
    assert 0.0 < float(got) < min(1.0, float(ce))
