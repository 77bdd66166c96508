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

from ._mlp import (
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
    ``y_onehot`` is ``(n, c)``. ``lam`` and ``temperature`` are floats or
    scalar tensors (differentiable when they require grad).
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


def validation_loss(params, X_val, y_val_index, val_temperature, activation="relu"):
    """Cross-entropy of the labels under ``softmax(g / T_val)``, mean over rows."""
    logits, _ = forward(params, X_val, activation)
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
        new_params, X_val, y_val_index, val_temperature, activation
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


HYPERGRADIENTS = {
    "exact": exact_hypergradient,
    "finite_difference": finite_difference_hypergradient,
}


def project(value, bounds):
    """Clip ``value`` into the closed interval ``bounds = (low, high)``."""
    low, high = bounds
    return float(min(max(value, low), high))


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


def predict_linear_trajectory(values, n_ahead, bounds=None):
    """Extrapolate the line through ``values`` for ``n_ahead`` more iterations.

    ``values`` are the metaparameters after the hypergradient iterations
    ``z = 1..e1``; the predictions are the line at ``z = e1 + 1 .. e1 +
    n_ahead``, shape ``(n_ahead, k)``. ``bounds`` (one ``(low, high)`` pair per
    column) projects every prediction into its interval.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    slope, intercept = fit_linear_trajectory(values)
    z = np.arange(len(values) + 1, len(values) + n_ahead + 1, dtype=np.float64)
    predicted = z[:, None] * slope[None, :] + intercept[None, :]
    if bounds is not None:
        for column, (low, high) in enumerate(bounds):
            predicted[:, column] = np.clip(predicted[:, column], low, high)
    return predicted
