"""The numerical core of :class:`KDMetaparamTuner`.

Knowledge-distillation loss, one student SGD step, and the greedy one-step
hypergradient of the validation cross-entropy with respect to the
metaparameters ``lambda_1`` (weight of the hard-label term) and ``T`` (the
distillation temperature) -- equation (3) of "Metaparameter optimization in
knowledge distillation":

    lambda' = lambda - gamma_lambda * grad_lambda L_val(w'),
    w' = w - gamma * grad_w L_train(w, lambda)

Two ways to get that gradient:

* ``exact``: autograd through the one SGD step. The step uses the closed-form
  backpropagation of ``_mlp.backward``, so the graph is first order in the
  parameters (no double backward).
* ``finite_difference``: the DARTS approximation (Liu et al. 2018, eq. 8). As
  ``L_val`` does not depend on lambda explicitly,

      grad_lambda L_val(w') = -gamma * (d^2 L_train / d lambda d w) v,
      v = grad_w' L_val(w'),

  and the mixed second derivative times ``v`` is a central difference of
  first derivatives: ``[grad_lambda L_train(w + eps v) - grad_lambda
  L_train(w - eps v)] / (2 eps)`` with ``eps = 0.01 / ||v||``.

Every tensor of parameters follows the stacked layout of ``_mlp`` (a leading
axis of ``m`` networks); losses are summed over the networks, so with ``m = 1``
they are the loss of the one student.
"""

import numpy as np
import torch
from scipy.special import expit

from .._nets.mlp import (
    backward,
    forward,
    hard_cross_entropy,
    sgd_step,
    soft_cross_entropy,
    soft_cross_entropy_delta,
)

#: Relative size of the finite-difference perturbation of DARTS:
#: ``eps = FD_SCALE / ||grad_w L_val||``.
FD_SCALE = 0.01


def kd_loss(logits, teacher_logits, y_onehot, lam, temperature, hinton_scaling=False):
    """The distillation training loss, summed over the stacked networks.

    ``lam * CE(y, softmax(g)) + (1 - lam) * s * CE(softmax(f / T), softmax(g / T))``
    with ``s = T**2`` when ``hinton_scaling`` and ``s = 1`` otherwise; both
    cross-entropies are means over the rows. ``logits`` (``g``) are the
    student's, ``(m, n, c)``; ``teacher_logits`` (``f``) are ``(n, c)``;
    ``y_onehot`` is ``(n, c)``: one-hot rows, or one-hot rows times a row
    weight (zero for an unlabelled row, which then only meets the soft term).
    ``lam`` and ``temperature`` are floats or scalar tensors (differentiable
    when they require grad).
    """
    hard = soft_cross_entropy(logits, y_onehot)
    teacher_proba = torch.softmax(teacher_logits / temperature, dim=-1)
    soft = soft_cross_entropy(logits / temperature, teacher_proba)
    if hinton_scaling:
        soft = soft * temperature * temperature
    return (lam * hard + (1.0 - lam) * soft).sum()


def kd_loss_delta(
    logits, teacher_logits, y_onehot, lam, temperature, hinton_scaling=False
):
    """Gradient of `kd_loss` with respect to the student logits, ``(m, n, c)``.

    ``lam * (softmax(g) - y) / n + (1 - lam) * s * (softmax(g/T) - softmax(f/T))
    / (T * n)``, with ``s`` as in `kd_loss`. A differentiable expression of
    ``lam`` and ``temperature``.
    """
    hard = soft_cross_entropy_delta(logits, y_onehot)
    teacher_proba = torch.softmax(teacher_logits / temperature, dim=-1)
    soft = soft_cross_entropy_delta(logits / temperature, teacher_proba) / temperature
    if hinton_scaling:
        soft = soft * temperature * temperature
    return lam * hard + (1.0 - lam) * soft


def training_step(
    params,
    X,
    teacher_logits,
    y_onehot,
    lam,
    temperature,
    lr,
    activation="relu",
    hinton_scaling=False,
):
    """One SGD step of the student on the distillation loss.

    Returns the new parameters and the training loss at the old ones. The new
    parameters are differentiable with respect to ``lam`` and ``temperature``
    when those require grad.
    """
    logits, hidden = forward(params, X, activation)
    loss = kd_loss(logits, teacher_logits, y_onehot, lam, temperature, hinton_scaling)
    delta = kd_loss_delta(
        logits, teacher_logits, y_onehot, lam, temperature, hinton_scaling
    )
    grads = backward(params, X, hidden, delta, activation)
    return sgd_step(params, grads, lr), loss


#: The validation objectives of the hypergradient (``meta_objective``).
META_OBJECTIVES = ("cross_entropy", "expected_error")


def validation_loss(
    params,
    X_val,
    y_val_index,
    val_temperature,
    activation="relu",
    objective="cross_entropy",
):
    """Cross-entropy of the labels under ``softmax(g / T_val)``, mean over rows;
    with ``objective="expected_error"``, the mean of ``1 - softmax(g /
    T_val)_y`` (the expected error rate of a prediction drawn from it)."""
    logits, _ = forward(params, X_val, activation)
    if objective == "expected_error":
        proba = torch.softmax(logits / val_temperature, dim=-1)
        index = y_val_index.expand(proba.shape[:-1]).unsqueeze(-1)
        return (1.0 - proba.gather(-1, index).squeeze(-1)).mean(dim=-1).sum()
    return hard_cross_entropy(logits / val_temperature, y_val_index).sum()


def _metaparameter_tensors(lam, temperature, like):
    lam_t = torch.tensor(float(lam), dtype=like.dtype, device=like.device)
    temp_t = torch.tensor(float(temperature), dtype=like.dtype, device=like.device)
    return lam_t.requires_grad_(True), temp_t.requires_grad_(True)


def exact_hypergradient(
    params,
    X,
    teacher_logits,
    y_onehot,
    lam,
    temperature,
    lr,
    X_val,
    y_val_index,
    val_temperature,
    activation="relu",
    hinton_scaling=False,
    objective="cross_entropy",
):
    """The greedy hypergradient by autograd through one SGD step.

    Returns ``(new_params, hypergradient, train_loss, val_loss)``:
    ``new_params`` is the step taken with ``(lam, temperature)`` (detached),
    ``hypergradient`` a float64 array ``[dL_val/dlam, dL_val/dT]`` evaluated at
    ``new_params``, ``train_loss`` the loss before the step and ``val_loss``
    the validation loss after it (floats).
    """
    params = [p.detach() for p in params]
    lam_t, temp_t = _metaparameter_tensors(lam, temperature, X)
    new_params, train_loss = training_step(
        params,
        X,
        teacher_logits,
        y_onehot,
        lam_t,
        temp_t,
        lr,
        activation,
        hinton_scaling,
    )
    val_loss = validation_loss(
        new_params, X_val, y_val_index, val_temperature, activation, objective
    )
    grad_lam, grad_temp = torch.autograd.grad(val_loss, [lam_t, temp_t])
    hypergradient = np.array([grad_lam.item(), grad_temp.item()], dtype=np.float64)
    return (
        [p.detach() for p in new_params],
        hypergradient,
        train_loss.item(),
        val_loss.item(),
    )


def metaparameter_gradient(
    params, X, teacher_logits, y_onehot, lam, temperature, activation, hinton_scaling
):
    """``[dL_train/dlam, dL_train/dT]`` at fixed parameters (first order)."""
    with torch.no_grad():
        logits, _ = forward(params, X, activation)
    lam_t, temp_t = _metaparameter_tensors(lam, temperature, X)
    loss = kd_loss(logits, teacher_logits, y_onehot, lam_t, temp_t, hinton_scaling)
    grad_lam, grad_temp = torch.autograd.grad(loss, [lam_t, temp_t])
    return np.array([grad_lam.item(), grad_temp.item()], dtype=np.float64)


def finite_difference_hypergradient(
    params,
    X,
    teacher_logits,
    y_onehot,
    lam,
    temperature,
    lr,
    X_val,
    y_val_index,
    val_temperature,
    activation="relu",
    hinton_scaling=False,
    objective="cross_entropy",
):
    """The greedy hypergradient with the DARTS central-difference product.

    Same signature and return value as `exact_hypergradient`. No graph through
    the network parameters is built: one SGD step, one validation gradient
    (closed form) and two first-order gradients of the training loss with
    respect to the two metaparameters.
    """
    with torch.no_grad():
        params = [p.detach() for p in params]
        new_params, train_loss = training_step(
            params,
            X,
            teacher_logits,
            y_onehot,
            float(lam),
            float(temperature),
            lr,
            activation,
            hinton_scaling,
        )
        val_logits, val_hidden = forward(new_params, X_val, activation)
        val_onehot = torch.nn.functional.one_hot(y_val_index, val_logits.shape[-1])
        val_onehot = val_onehot.to(val_logits.dtype)
        val_loss = hard_cross_entropy(val_logits / val_temperature, y_val_index).sum()
        # d CE(y, softmax(g / T_val)) / dg = (softmax(g / T_val) - y) / (n T_val)
        val_delta = (
            soft_cross_entropy_delta(val_logits / val_temperature, val_onehot)
            / val_temperature
        )
        if objective == "expected_error":
            # d (1 - p_y) / dg is the cross-entropy's delta times p_y.
            proba = torch.softmax(val_logits / val_temperature, dim=-1)
            p_y = (proba * val_onehot).sum(dim=-1, keepdim=True)
            val_delta = val_delta * p_y
            val_loss = (1.0 - p_y).mean(dim=(-2, -1)).sum()
        direction = backward(new_params, X_val, val_hidden, val_delta, activation)
        norm = torch.sqrt(sum((g * g).sum() for g in direction)).item()
    if not np.isfinite(norm):
        return new_params, np.full(2, np.nan), train_loss.item(), val_loss.item()
    if norm == 0.0:
        return new_params, np.zeros(2), train_loss.item(), val_loss.item()
    eps = FD_SCALE / norm
    args = (X, teacher_logits, y_onehot, lam, temperature, activation, hinton_scaling)
    plus = [p + eps * g for p, g in zip(params, direction, strict=True)]
    minus = [p - eps * g for p, g in zip(params, direction, strict=True)]
    mixed = (
        metaparameter_gradient(plus, *args) - metaparameter_gradient(minus, *args)
    ) / (2.0 * eps)
    return new_params, -float(lr) * mixed, train_loss.item(), val_loss.item()


def weight_sensitivities(
    params,
    X,
    teacher_logits,
    y_onehot,
    lam,
    temperature,
    activation="relu",
    hinton_scaling=False,
):
    """``d grad_w L_train / d lam`` and ``d grad_w L_train / d T`` at ``params``.

    Two lists of tensors shaped like ``params``: how the student's gradient
    (hence its step) moves with each metaparameter. The loss is linear in
    ``lam``; its temperature derivative is taken in forward mode on the
    gradient in the logits, which backpropagation maps linearly to the
    weights.
    """
    with torch.no_grad():
        logits, hidden = forward(params, X, activation)
        args = (logits, teacher_logits, y_onehot)
        d_lam = kd_loss_delta(*args, 1.0, temperature, hinton_scaling) - (
            kd_loss_delta(*args, 0.0, temperature, hinton_scaling)
        )
    temp_t = torch.tensor(float(temperature), dtype=logits.dtype)
    _, d_temp = torch.func.jvp(
        lambda t: kd_loss_delta(*args, float(lam), t, hinton_scaling),
        (temp_t,),
        (torch.ones_like(temp_t),),
    )
    with torch.no_grad():
        return (
            backward(params, X, hidden, d_lam, activation),
            backward(params, X, hidden, d_temp, activation),
        )


def horizon_hypergradient(
    params,
    X,
    teacher_logits,
    y_onehot,
    lam,
    temperature,
    lr,
    X_val,
    y_val_index,
    val_temperature,
    activation,
    hinton_scaling,
    tangents,
    decay,
    objective="cross_entropy",
):
    """The hypergradient over a longer horizon than one step (torch).

    ``tangents`` (None at the first step) are the past steps' sensitivities
    `weight_sensitivities` summed with the discount ``decay``: ``z <- decay z
    + d grad_w / d theta``, the weights' sensitivity ``dw / d theta = -lr z``
    with the Hessian terms dropped. Returns ``(new_params, [dL_val/dlam,
    dL_val/dT], train_loss, val_loss, tangents)``, ``dL_val/d theta = -lr <v,
    z>`` with ``v`` the validation gradient at the new weights. With
    ``decay=0`` it is the one-step hypergradient.
    """
    params = [p.detach() for p in params]
    with torch.no_grad():
        new_params, train_loss = training_step(
            params,
            X,
            teacher_logits,
            y_onehot,
            float(lam),
            float(temperature),
            lr,
            activation,
            hinton_scaling,
        )
    sensitivities = weight_sensitivities(
        params,
        X,
        teacher_logits,
        y_onehot,
        lam,
        temperature,
        activation,
        hinton_scaling,
    )
    if tangents is None:
        tangents = [[g.clone() for g in d] for d in sensitivities]
    else:
        decays = np.broadcast_to(np.asarray(decay, dtype=np.float64), (2,))
        tangents = [
            [float(beta) * z_i + d_i for z_i, d_i in zip(z, d, strict=True)]
            for z, d, beta in zip(tangents, sensitivities, decays, strict=True)
        ]
    leaves = [p.detach().requires_grad_(True) for p in new_params]
    val_loss = validation_loss(
        leaves, X_val, y_val_index, val_temperature, activation, objective
    )
    v = torch.autograd.grad(val_loss, leaves)
    hypergradient = np.array(
        [
            -float(lr)
            * sum(float((v_i * z_i).sum()) for v_i, z_i in zip(v, z, strict=True))
            for z in tangents
        ],
        dtype=np.float64,
    )
    return (
        [p.detach() for p in new_params],
        hypergradient,
        train_loss.item(),
        val_loss.item(),
        tangents,
    )


HYPERGRADIENTS = {
    "exact": exact_hypergradient,
    "finite_difference": finite_difference_hypergradient,
}


def project(value, bounds):
    """Clip ``value`` into the closed interval ``bounds = (low, high)``."""
    low, high = bounds
    return float(min(max(value, low), high))


def meta_step(
    lam,
    temperature,
    hypergradient,
    meta_lr,
    clip,
    temperature_step,
    lambda_bounds,
    temperature_bounds,
    lambda_step="linear",
):
    """One projected gradient step on ``(lam, temperature)``.

    ``hypergradient`` is ``[dL/dlam, dL/dT]``. With ``temperature_step="log"``
    the step is taken in ``log T`` (its gradient is ``T dL/dT``); with
    ``lambda_step="logit"`` in ``logit(lam)`` (its gradient is ``lam (1 -
    lam) dL/dlam``). ``clip`` (or None) bounds each component of the gradient
    actually stepped along. Returns the new ``(lam, temperature)`` as floats
    inside their bounds.
    """
    grad = _stepped_gradient(
        hypergradient, lam, temperature, clip, temperature_step, lambda_step
    )
    return _apply_step(
        lam,
        temperature,
        meta_lr * grad,
        temperature_step,
        lambda_bounds,
        temperature_bounds,
        lambda_step,
    )


#: ``lambda_step="logit"`` keeps ``lam`` this far inside ``(0, 1)``, where its
#: logit is finite.
LOGIT_MARGIN = 1e-6


def _inside_unit(lam):
    return min(max(float(lam), LOGIT_MARGIN), 1.0 - LOGIT_MARGIN)


def _logit(lam):
    lam = _inside_unit(lam)
    return float(np.log(lam) - np.log1p(-lam))


def _stepped_gradient(
    hypergradient, lam, temperature, clip, temperature_step, lambda_step="linear"
):
    """The gradient a meta step moves along: ``[dL/dlam, dL/dT]``, with the
    first component in ``logit(lam)`` for ``lambda_step="logit"`` and the
    second in ``log T`` for ``temperature_step="log"``, clipped."""
    grad = np.array([float(hypergradient[0]), float(hypergradient[1])])
    if lambda_step == "logit":
        inside = _inside_unit(lam)
        grad[0] *= inside * (1.0 - inside)
    if temperature_step == "log":
        grad[1] *= temperature
    if clip is not None:
        grad = np.clip(grad, -clip, clip)
    return grad


def _apply_step(
    lam,
    temperature,
    step,
    temperature_step,
    lambda_bounds,
    bounds,
    lambda_step="linear",
):
    """``(lam, temperature)`` moved by ``-step`` (in ``logit(lam)`` for
    ``lambda_step="logit"``, in ``log T`` for ``temperature_step="log"``) and
    projected into their bounds."""
    if lambda_step == "logit":
        lam = project(float(expit(_logit(lam) - step[0])), lambda_bounds)
    else:
        lam = project(lam - step[0], lambda_bounds)
    if temperature_step == "log":
        temperature = temperature * float(np.exp(-step[1]))
    else:
        temperature = temperature - step[1]
    return lam, project(temperature, bounds)


class AdamMetaStep:
    """Adam steps on ``(lam, temperature)`` (Kingma & Ba 2015).

    Each metaparameter moves by about ``meta_lr`` per step while its
    hypergradient keeps its sign, whatever the hypergradient's scale, and less
    when the sign flips from step to step: a step normalised by the running
    root mean square of the hypergradient, after a running mean of it. With
    ``temperature_step="log"`` the temperature's step is taken in ``log T``.

    Not the tensor optimiser `_engine.optim.Adam`: it steps two floats that are
    projected into their bounds after every step, and its ``eps`` (1e-12, not
    1e-8) lets hypergradients down to about 1e-10 take nearly full steps.
    """

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-12):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(2)
        self.v = np.zeros(2)
        self.t = 0

    def __call__(
        self,
        lam,
        temperature,
        hypergradient,
        meta_lr,
        clip,
        temperature_step,
        lambda_bounds,
        temperature_bounds,
        lambda_step="linear",
    ):
        """The new ``(lam, temperature)``; same arguments as `meta_step`."""
        grad = _stepped_gradient(
            hypergradient, lam, temperature, clip, temperature_step, lambda_step
        )
        self.t += 1
        self.m = self.beta1 * self.m + (1.0 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1.0 - self.beta2) * grad * grad
        m_hat = self.m / (1.0 - self.beta1**self.t)
        v_hat = self.v / (1.0 - self.beta2**self.t)
        step = meta_lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return _apply_step(
            lam,
            temperature,
            step,
            temperature_step,
            lambda_bounds,
            temperature_bounds,
            lambda_step,
        )


def fit_linear_trajectory(values):
    """Least-squares line through ``values`` at iteration indices ``1..e1``.

    ``values`` is ``(e1,)`` or ``(e1, k)`` (one column per metaparameter).
    Returns ``(slope, intercept)``, each of shape ``(k,)`` or scalar; this is
    ``c`` of Algorithm 1, line 5. Needs at least two points.
    """
    values = np.asarray(values, dtype=np.float64)
    n_points = values.shape[0]
    if n_points < 2:
        raise ValueError("a least-squares line needs at least two iterations")
    z = np.arange(1, n_points + 1, dtype=np.float64)
    z_centered = z - z.mean()
    mean = values.mean(axis=0)
    centered = values - mean
    if values.ndim == 2:
        slope = z_centered @ centered / (z_centered @ z_centered)
    else:
        slope = float(z_centered @ centered / (z_centered @ z_centered))
    intercept = mean - slope * z.mean()
    return slope, intercept


def _extrapolate_velocity(values, n_ahead):
    """Positions after ``n_ahead`` steps whose speed follows the trend of the
    window's increments and stops, rather than reverses, when that trend
    reaches zero; they start from the last value."""
    increments = np.diff(values, axis=0)
    if len(increments) >= 2:
        slope, intercept = fit_linear_trajectory(increments)
    else:
        slope, intercept = np.zeros(values.shape[1]), increments[-1]
    # The net direction of the window; a fitted speed against it means the
    # metaparameter has come to rest (e.g. a converging, decelerating path).
    direction = np.sign(values[-1] - values[0])
    current = len(increments) * slope + intercept
    current = np.where(np.sign(current) == direction, current, 0.0)
    steps = np.arange(len(increments) + 1, len(increments) + n_ahead + 1)
    velocity = steps[:, None] * slope[None, :] + intercept[None, :]
    # A decelerating metaparameter comes to rest instead of turning back, and
    # an accelerating one is not allowed to outrun its current speed: both
    # would be extrapolating the greedy steps' noise, not their trend.
    same_direction = np.sign(velocity) == direction[None, :]
    velocity = np.where(np.cumprod(same_direction, axis=0) > 0, velocity, 0.0)
    velocity = np.clip(velocity, -np.abs(current), np.abs(current))
    return values[-1] + np.cumsum(velocity, axis=0)


def predict_linear_trajectory(values, n_ahead, bounds=None, method="line"):
    """Extrapolate the metaparameters' trajectory for ``n_ahead`` iterations.

    ``values`` are the metaparameters after the hypergradient iterations
    ``z = 1..e1``, shape ``(e1,)`` or ``(e1, k)``; the result has shape
    ``(n_ahead, k)``. ``method="line"`` (Algorithm 1 of the paper): the
    least-squares line through ``values`` evaluated at ``z = e1 + 1 .. e1 +
    n_ahead``. ``method="velocity"``: start from the last value and move with
    the least-squares trend of the increments, stopping where that trend
    reaches zero and never faster than the latest fitted increment (see
    ``doc/kd_metaparam_tuning.md``). ``bounds`` (one ``(low, high)`` pair per
    column) projects every prediction into its interval.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if method == "line":
        slope, intercept = fit_linear_trajectory(values)
        z = np.arange(len(values) + 1, len(values) + n_ahead + 1, dtype=np.float64)
        predicted = z[:, None] * slope[None, :] + intercept[None, :]
    elif method == "velocity":
        if len(values) < 2:
            raise ValueError("a trajectory needs at least two iterations")
        predicted = _extrapolate_velocity(values, n_ahead)
    else:
        raise ValueError(f"unknown trajectory method {method!r}")
    if bounds is not None:
        for column, (low, high) in enumerate(bounds):
            predicted[:, column] = np.clip(predicted[:, column], low, high)
    return predicted


#: ``trajectory=`` of the tuner -> extrapolation method.
TRAJECTORIES = {"linear": "velocity", "linear-paper": "line"}


# ---------------------------------------------------------------------------
# The numpy path.
#
# A student step of the tuner is a handful of products on tiny matrices (15
# rows and a linear model in the paper's synthetic experiment), where torch's
# per-operation overhead and autograd's graph bookkeeping cost far more than the
# arithmetic. The functions below compute the same step and the same exact
# hypergradient with numpy, in closed form, without a graph:
#
#     dL_val(w')/d theta = -gamma <v, d grad_w L_train(w, theta) / d theta>
#                        = -gamma <J v, d delta / d theta>,
#
# where theta is lambda_1 or T, v = grad_w' L_val(w'), ``delta`` the gradient
# of the training loss with respect to the training logits (linear in the
# metaparameters' effect, since the forward pass at w does not depend on
# them), and J v the forward-mode derivative (Jacobian-vector product) of the
# training logits at w along v. Parameters are lists ``[W_0, b_0, W_1, ...]``
# of one network, ``W_l`` of shape ``(fan_in, fan_out)``, ``b_l`` ``(fan_out,)``.


def _np_activate(z, activation):
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "logistic":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    return z


def _np_activation_derivative(a, activation):
    # Expressed through the layer's output, as in ``_mlp``.
    if activation == "relu":
        return (a > 0).astype(a.dtype)
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "logistic":
        return a * (1.0 - a)
    return None


def np_forward(params, X, activation="relu"):
    """Logits ``(n, c)`` and hidden activations of one network (numpy)."""
    hidden = []
    h = X
    n_layers = len(params) // 2
    for layer in range(n_layers):
        z = h @ params[2 * layer]
        z += params[2 * layer + 1]
        if layer == n_layers - 1:
            return z, hidden
        h = _np_activate(z, activation)
        hidden.append(h)


def np_backward(params, X, hidden, delta, activation="relu", derivatives=None):
    """Gradients of a loss whose gradient in the logits is ``delta`` (numpy).

    ``derivatives`` optionally holds the activation derivatives of the hidden
    layers (see `np_activation_derivatives`), for a caller that reuses them.
    """
    if derivatives is None:
        derivatives = np_activation_derivatives(hidden, activation)
    n_layers = len(params) // 2
    grads = [None] * len(params)
    for layer in range(n_layers - 1, -1, -1):
        inputs = hidden[layer - 1] if layer > 0 else X
        grads[2 * layer] = inputs.T @ delta
        grads[2 * layer + 1] = delta.sum(axis=0)
        if layer > 0:
            delta = delta @ params[2 * layer].T
            if derivatives[layer - 1] is not None:
                delta *= derivatives[layer - 1]
    return grads


def np_activation_derivatives(hidden, activation="relu"):
    """Derivative of the activation at every hidden layer (None for identity)."""
    return [_np_activation_derivative(h, activation) for h in hidden]


def np_jvp(params, X, hidden, tangents, activation="relu", derivatives=None):
    """Derivative of the logits at ``params`` along ``tangents`` (forward mode)."""
    if derivatives is None:
        derivatives = np_activation_derivatives(hidden, activation)
    n_layers = len(params) // 2
    dh = None
    h = X
    for layer in range(n_layers):
        dz = h @ tangents[2 * layer]
        dz += tangents[2 * layer + 1]
        if dh is not None:
            dz += dh @ params[2 * layer]
        if layer == n_layers - 1:
            return dz
        derivative = derivatives[layer]
        dh = dz if derivative is None else derivative * dz
        h = hidden[layer]


#: Up to this many classes, row maxima and sums are taken column by column:
#: numpy's reductions over a short last axis cost about 10 us whatever its
#: length, several times a whole student step's arithmetic.
_COLUMNWISE_MAX_CLASSES = 8


def _row_reduce(ufunc, z):
    """``ufunc.reduce(z, axis=-1, keepdims=True)``, fast for few classes."""
    n_classes = z.shape[-1]
    if n_classes > _COLUMNWISE_MAX_CLASSES or n_classes < 2:
        return ufunc.reduce(z, axis=-1, keepdims=True)
    out = ufunc(z[..., 0:1], z[..., 1:2])
    for column in range(2, n_classes):
        ufunc(out, z[..., column : column + 1], out=out)
    return out


def _np_log_softmax(z):
    """Log-softmax over the last axis."""
    z = z - _row_reduce(np.maximum, z)
    return z - np.log(_row_reduce(np.add, np.exp(z)))


#: Range of the validation temperature that `calibrated_temperature` returns.
CALIBRATION_BOUNDS = (0.1, 10.0)


def calibrated_temperature(
    logits, y_index, start=1.0, bounds=CALIBRATION_BOUNDS, tol=1e-4
):
    """The temperature ``T`` that minimises ``CE(y, softmax(logits / T))``.

    Temperature scaling (Guo et al. 2017) of a network's validation logits.
    The cross-entropy is convex in ``s = 1 / T``: its derivative is the mean of
    ``E_p[z] - z_y`` and its second derivative the mean of ``Var_p(z)``, with
    ``p = softmax(s z)``. Newton steps in ``s`` from ``1 / start``, kept
    inside the bracket that the sign of the derivative narrows (bisection
    where a Newton step would leave it), within ``bounds`` (where the minimum
    lies beyond them, e.g. on rows that are all classified correctly, the
    bound is returned). Stops when a step changes ``s`` by at most ``tol``
    times its value.
    """
    z = np.asarray(logits, dtype=np.float64)
    z_true = z[np.arange(len(z)), y_index]
    low, high = 1.0 / bounds[1], 1.0 / bounds[0]
    s = float(np.clip(1.0 / start, low, high))
    for _ in range(50):
        sz = s * z
        p = np.exp(sz - sz.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        mean_z = (p * z).sum(axis=1)
        first = float(np.mean(mean_z - z_true))
        second = float(np.mean((p * z * z).sum(axis=1) - mean_z * mean_z))
        if first == 0.0:
            return 1.0 / s  # a stationary point (or a loss that ignores s)
        if first < 0:
            low = s  # the loss still falls with s
        else:
            high = s
        new_s = s - first / second if second > 0 else np.nan
        if not low < new_s < high:
            new_s = 0.5 * (low + high)
        if abs(new_s - s) <= tol * s:
            return 1.0 / new_s
        s = new_s
    return 1.0 / s


class NumpyKDStep:
    """Student steps and exact hypergradients of the tuner, in numpy.

    Holds the data (already standardised, in the working dtype) and computes,
    for a minibatch, the SGD step on the distillation loss and, optionally,
    the greedy hypergradient ``[dL_val/dlam, dL_val/dT]`` at the new weights;
    the numbers agree with `exact_hypergradient` / `training_step` to float
    tolerance (tests).

    The rows of ``y_onehot`` are the hard term's targets: one-hot, or one-hot
    times a row weight (zero for an unlabelled row), as `kd_loss` takes them.
    """

    def __init__(
        self,
        X,
        teacher_logits,
        y_onehot,
        X_val,
        y_val_onehot,
        val_temperature,
        lr,
        activation,
        hinton_scaling,
        decay=0.0,
        objective="cross_entropy",
    ):
        # One array, so that a minibatch is a single fancy-indexing copy.
        self._rows = np.hstack([X, teacher_logits, y_onehot])
        self._split = (X.shape[1], X.shape[1] + teacher_logits.shape[1])
        # One-hot targets (the common case) skip the rows' masses.
        self._unit_targets = bool(np.all(y_onehot.sum(axis=1) == 1))
        self.X_val, self.y_val = X_val, y_val_onehot
        self.val_temperature = float(val_temperature)
        self.lr = float(lr)
        self.activation = activation
        self.hinton_scaling = bool(hinton_scaling)
        # One discount per metaparameter (lam, T), or one for both.
        self.decay = np.broadcast_to(np.asarray(decay, dtype=np.float64), (2,))
        self._tangents = None
        self.objective = objective

    def step(self, params, batch, lam, temperature, hypergradient, val_rows=None):
        """Returns ``(new_params, hypergradient or None, training loss)``.

        ``val_rows`` (indices into the validation set) evaluates the
        hypergradient's validation loss on those rows only; ``None``: all.
        """
        rows = self._rows[batch]
        a, b = self._split
        X, f, y = rows[:, :a], rows[:, a:b], rows[:, b:]
        n = X.shape[0]
        logits, hidden = np_forward(params, X, self.activation)
        derivatives = np_activation_derivatives(hidden, self.activation)
        # The three softmaxes of a step in one stacked call: their cost is the
        # number of numpy calls, not the arithmetic.
        stacked = np.empty((3, *logits.shape), dtype=logits.dtype)
        stacked[0] = logits
        np.divide(logits, temperature, out=stacked[1])
        np.divide(f, temperature, out=stacked[2])
        log_all = _np_log_softmax(stacked)
        log_hard, log_soft, log_q = log_all
        p_hard, p_soft, q = np.exp(log_all)
        scale = temperature if self.hinton_scaling else 1.0 / temperature
        if self._unit_targets:
            hard = (p_hard - y) / n
        else:  # d CE / dg for targets of mass s: s * softmax(g) - y
            hard = (p_hard * _row_reduce(np.add, y) - y) / n
        soft = (p_soft - q) * (scale / n)
        delta = lam * hard + (1.0 - lam) * soft
        grads = np_backward(params, X, hidden, delta, self.activation, derivatives)
        new_params = [p - self.lr * g for p, g in zip(params, grads, strict=True)]

        ce_hard = -float(np.vdot(y, log_hard)) / n
        ce_soft = -float(np.vdot(q, log_soft)) / n
        if self.hinton_scaling:
            ce_soft *= temperature * temperature
        loss = lam * ce_hard + (1.0 - lam) * ce_soft
        if not hypergradient:
            return new_params, None, loss

        # v = grad of the validation loss at the new weights.
        if val_rows is None:
            X_val, y_val = self.X_val, self.y_val
        else:
            X_val, y_val = self.X_val[val_rows], self.y_val[val_rows]
        val_logits, val_hidden = np_forward(new_params, X_val, self.activation)
        log_val = _np_log_softmax(val_logits / self.val_temperature)
        # Kept: the epoch's validation loss is often taken at these weights.
        self._val_cache = (new_params, log_val) if val_rows is None else None
        p_val = np.exp(log_val)
        val_delta = (p_val - y_val) / (X_val.shape[0] * self.val_temperature)
        if self.objective == "expected_error":
            # d (1 - p_y) / dz = p_y (p - y): the cross-entropy's delta times p_y.
            val_delta *= _row_reduce(np.add, p_val * y_val)
        v = np_backward(new_params, X_val, val_hidden, val_delta, self.activation)

        # d softmax(z / T) / dT = -p (z - <p, z>) / T^2, row by row.
        t2 = temperature * temperature
        dp = p_soft * (_row_reduce(np.add, p_soft * logits) - logits)
        dq = q * (_row_reduce(np.add, q * f) - f)
        if self.hinton_scaling:
            d_soft = ((p_soft - q) + (dp - dq) / temperature) / n
        else:
            d_soft = ((dp - dq) / temperature - (p_soft - q)) / (t2 * n)
        if not self.decay.any():
            u = np_jvp(params, X, hidden, v, self.activation, derivatives)
            grad_lam = -self.lr * float(np.vdot(u, hard - soft))
            grad_temp = -self.lr * (1.0 - lam) * float(np.vdot(u, d_soft))
            return new_params, np.array([grad_lam, grad_temp]), loss
        # A longer horizon: the weights' sensitivity to (lam, T) summed over
        # the past steps, discounted by ``decay`` (the Hessian terms dropped),
        # z <- decay * z + d grad_w / d theta; dL_val/dtheta = -lr <v, z>.
        d_grads = (
            np_backward(params, X, hidden, hard - soft, self.activation, derivatives),
            np_backward(
                params, X, hidden, (1.0 - lam) * d_soft, self.activation, derivatives
            ),
        )
        if self._tangents is None:
            self._tangents = [[g.copy() for g in d] for d in d_grads]
        else:
            for z, d, decay in zip(self._tangents, d_grads, self.decay, strict=True):
                for z_i, d_i in zip(z, d, strict=True):
                    z_i *= decay
                    z_i += d_i
        hypergradient = np.array(
            [
                -self.lr
                * sum(float(np.vdot(v_i, z_i)) for v_i, z_i in zip(v, z, strict=True))
                for z in self._tangents
            ]
        )
        return new_params, hypergradient, loss

    def validation_loss(self, params):
        cached = getattr(self, "_val_cache", None)
        if cached is not None and cached[0] is params:
            log_proba = cached[1]
        else:
            logits, _ = np_forward(params, self.X_val, self.activation)
            log_proba = _np_log_softmax(logits / self.val_temperature)
        return -float(np.vdot(self.y_val, log_proba)) / self.X_val.shape[0]
