"""The student of KDMetaparamTuner: one SGD step with its hypergradient, on
torch (autograd, the reference) or on numpy (the hand-written pass, faster for
small networks)."""

import numpy as np
import torch

from .._engine.kd_hypergradient import (
    HYPERGRADIENTS,
    NumpyKDStep,
    horizon_hypergradient,
    np_forward,
    training_step,
    validation_loss,
)
from .._nets.mlp import forward
from .._utils import to_numpy

#: The numpy path is used when the validation forward pass (the largest product
#: of a step) is at most this many multiply-adds. It removes a fixed
#: per-operation overhead (benchmarks/bench_kd_speed.py); beyond this size the
#: arithmetic dominates, the gain vanishes, and the torch path, whose kernels
#: may use several threads, is kept.
NUMPY_PATH_MAX_WORK = 2_000_000


def _initial_val_temperature(est):
    """``val_temperature``; with ``"auto"``, 1 until the first calibration."""
    return 1.0 if est.val_temperature == "auto" else float(est.val_temperature)


#: Which metaparameters ``meta_horizon`` applies to, (lam, T).
HORIZON_METAPARAMETERS = (True, False)


def _horizon_decay(est):
    """The discounts ``(lam, T)`` of the accumulated weight sensitivities."""
    beta = 1.0 - 1.0 / est.meta_horizon
    return tuple(beta if on else 0.0 for on in HORIZON_METAPARAMETERS)


def _use_numpy_path(hypergradient, sizes, n_val):
    """Whether a fit runs its student through `NumpyKDStep`.

    Only the exact hypergradient has a numpy implementation; the
    finite-difference variant stays on torch.
    """
    if hypergradient != "exact":
        return False
    work = n_val * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return work <= NUMPY_PATH_MAX_WORK


class TorchStudent:
    """The student on torch: autograd through the step (the reference path)."""

    def __init__(self, params, X, teacher_logits, targets, X_val, yv_index, c, est):
        dtype = torch.float32
        self.params = params
        self.X = torch.as_tensor(X, dtype=dtype)
        self.X_val = torch.as_tensor(X_val, dtype=dtype)
        # Rows summing to the hard term's weight (0 on unlabelled rows).
        self.y = torch.as_tensor(targets, dtype=dtype)
        self.y_val = torch.as_tensor(yv_index, dtype=torch.int64)
        self.f = torch.as_tensor(teacher_logits, dtype=dtype)
        self.hypergradient = HYPERGRADIENTS[est.hypergradient]
        self.lr = float(est.learning_rate_init)
        self.val_temperature = _initial_val_temperature(est)
        self.activation = est.activation
        self.hinton_scaling = est.hinton_scaling
        self.decay = _horizon_decay(est)
        self.tangents = None
        self.objective = est.meta_objective

    def step(self, rows, lam, temperature, with_hypergradient, val_rows=None):
        batch = torch.as_tensor(rows, dtype=torch.int64)
        Xb, yb, fb = self.X[batch], self.y[batch], self.f[batch]
        if with_hypergradient:
            X_val, y_val = self.X_val, self.y_val
            if val_rows is not None:
                picked = torch.as_tensor(val_rows, dtype=torch.int64)
                X_val, y_val = X_val[picked], y_val[picked]
            args = (
                self.params,
                Xb,
                fb,
                yb,
                lam,
                temperature,
                self.lr,
                X_val,
                y_val,
                self.val_temperature,
                self.activation,
                self.hinton_scaling,
            )
            if any(self.decay):
                self.params, grad, loss, _, self.tangents = horizon_hypergradient(
                    *args, self.tangents, self.decay, self.objective
                )
            else:
                self.params, grad, loss, _ = self.hypergradient(*args, self.objective)
            return grad, loss
        with torch.no_grad():
            self.params, loss = training_step(
                self.params,
                Xb,
                fb,
                yb,
                lam,
                temperature,
                self.lr,
                self.activation,
                self.hinton_scaling,
            )
        return None, loss.item()

    def validation_loss(self):
        with torch.no_grad():
            return validation_loss(
                self.params,
                self.X_val,
                self.y_val,
                self.val_temperature,
                self.activation,
            ).item()

    def validation_logits(self):
        with torch.no_grad():
            logits, _ = forward(self.params, self.X_val, self.activation)
        return logits[0].numpy()

    def set_val_temperature(self, value):
        self.val_temperature = float(value)

    def coefs_intercepts(self):
        return (
            [to_numpy(w)[0] for w in self.params[0::2]],
            [to_numpy(b)[0, 0] for b in self.params[1::2]],
        )


class NumpyStudent:
    """The student on numpy, float32 like the torch path (see `NumpyKDStep`)."""

    def __init__(self, params, X, teacher_logits, targets, X_val, yv_index, c, est):
        dtype = np.float32
        self.params = [
            p.numpy()[0] if i % 2 == 0 else p.numpy()[0, 0]
            for i, p in enumerate(params)
        ]
        eye = np.eye(c, dtype=dtype)
        self.core = NumpyKDStep(
            X.astype(dtype),
            teacher_logits.astype(dtype),
            targets.astype(dtype),
            X_val.astype(dtype),
            eye[yv_index],
            _initial_val_temperature(est),
            est.learning_rate_init,
            est.activation,
            est.hinton_scaling,
            decay=_horizon_decay(est),
            objective=est.meta_objective,
        )

    def step(self, rows, lam, temperature, with_hypergradient, val_rows=None):
        self.params, grad, loss = self.core.step(
            self.params, rows, lam, temperature, with_hypergradient, val_rows
        )
        return grad, loss

    def validation_loss(self):
        return self.core.validation_loss(self.params)

    def validation_logits(self):
        core = self.core
        cached = getattr(core, "_val_cache", None)
        if cached is not None and cached[0] is self.params:
            # The validation loss's log-softmax at T_val, times T_val: the
            # logits up to a constant per row, which softmax ignores.
            return cached[1] * core.val_temperature
        logits, _ = np_forward(self.params, core.X_val, core.activation)
        return logits

    def set_val_temperature(self, value):
        self.core.val_temperature = float(value)
        self.core._val_cache = None

    def coefs_intercepts(self):
        return (
            [w.astype(np.float64) for w in self.params[0::2]],
            [b.astype(np.float64) for b in self.params[1::2]],
        )
