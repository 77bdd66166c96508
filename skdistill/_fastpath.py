"""A compiled (numba) path for the distillation hypergradient.

The torch path of :mod:`skdistill._reverse` is bound by the number of tensor
operations, not by their arithmetic: an internal step of a tabular network is a
few hundred multiply-adds spread over about 16 kernels of 4-5 us each. This
module computes the same thing -- the forward unroll, the objective on the real
batch and the hand-written reverse pass (Algorithm 3) -- as plain loops
compiled by numba, one internal network at a time, so that a step costs its
arithmetic.

Each network's parameters are one flat vector (per layer: the
``(fan_in, fan_out)`` weight, row-major, then the bias), the trajectory is kept
as the parameter vectors of every step (or, with checkpointing, of every
segment start plus one segment), and the activations a reverse step needs are
recomputed from them, which costs one extra forward pass per step and keeps
far less memory than the torch path's per-step records.

numba is optional (the ``fast`` extra). Where it is missing, fails to compile,
or the problem is too large for the loops to beat torch's matrix products, the
caller uses the torch path; :func:`use_fast_path` decides.
"""

import math
import os
import warnings

import numpy as np
import torch

try:
    import numba
except ImportError:  # numba is an optional dependency
    numba = None

# Reassociation and contraction let the compiler vectorise the inner products;
# no flag that assumes finite values, so that a diverging unroll still yields
# NaN or inf and is reported as divergence.
_FASTMATH = {"reassoc", "contract"}

# The loops beat torch's batched products (measured by the crossover section
# of benchmarks/bench_speed.py; doc/performance.md) when an internal step is
# small, whatever its shape, or when it has few rows: torch's products only
# become efficient with enough rows to amortise their per-call cost.
SMALL_STEP_MACS = 30_000
FEW_ROWS = 16


def _jit(function):
    if numba is None:
        return function
    try:
        return numba.njit(cache=True, fastmath=_FASTMATH)(function)
    except RuntimeError:
        # No writable cache directory: compile at every process start instead.
        return numba.njit(cache=False, fastmath=_FASTMATH)(function)


@_jit
def _view(buffer, offset, rows, width):
    return buffer[offset : offset + rows * width].reshape(rows, width)


@_jit
def _forward(theta, x, rows, sizes, w_off, b_off, acts, a_off):
    """Every layer's output into ``acts``: ReLU for hidden layers, logits last."""
    n_layers = len(sizes) - 1
    inp = x
    for layer in range(n_layers):
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        W = _view(theta, w_off[layer], fan_in, fan_out)
        b = theta[b_off[layer] : b_off[layer] + fan_out]
        out = _view(acts, a_off[layer], rows, fan_out)
        for i in range(rows):
            for j in range(fan_out):
                out[i, j] = b[j]
            for k in range(fan_in):
                v = inp[i, k]
                for j in range(fan_out):
                    out[i, j] += v * W[k, j]
            if layer < n_layers - 1:
                for j in range(fan_out):
                    # relu(NaN) stays NaN, as in torch.
                    if out[i, j] < 0.0:
                        out[i, j] = 0.0
        inp = out


@_jit
def _backprop(theta, x, rows, sizes, w_off, b_off, acts, a_off, delta, tmp, grad):
    """Gradient of a loss with respect to ``theta`` into ``grad``; ``delta``
    (the logits' gradient) and ``tmp`` are overwritten."""
    # Accumulate in the arrays' dtype, so that float32 loops vectorise.
    zero = theta.dtype.type(0)
    n_layers = len(sizes) - 1
    cur, nxt = delta, tmp
    for layer in range(n_layers - 1, -1, -1):
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        inp = x if layer == 0 else _view(acts, a_off[layer - 1], rows, fan_in)
        d = _view(cur, 0, rows, fan_out)
        gW = _view(grad, w_off[layer], fan_in, fan_out)
        gb = grad[b_off[layer] : b_off[layer] + fan_out]
        gW[:, :] = 0.0
        gb[:] = 0.0
        for i in range(rows):
            for k in range(fan_in):
                v = inp[i, k]
                for j in range(fan_out):
                    gW[k, j] += v * d[i, j]
            for j in range(fan_out):
                gb[j] += d[i, j]
        if layer > 0:
            W = _view(theta, w_off[layer], fan_in, fan_out)
            prev = _view(nxt, 0, rows, fan_in)
            for i in range(rows):
                for k in range(fan_in):
                    if inp[i, k] > 0.0:
                        s = zero
                        for j in range(fan_out):
                            s += d[i, j] * W[k, j]
                        prev[i, k] = s
                    else:
                        prev[i, k] = 0.0
            cur, nxt = nxt, cur


@_jit
def _softmax_delta(logits, Y, rows, n_classes, proba, delta):
    """``proba = softmax(z)`` and ``delta = (proba * sum(Y) - Y) / n``."""
    for i in range(rows):
        top = logits[i, 0]
        for c in range(1, n_classes):
            top = max(top, logits[i, c])
        total = 0.0
        mass = 0.0
        for c in range(n_classes):
            e = math.exp(logits[i, c] - top)
            proba[i, c] = e
            total += e
            mass += Y[i, c]
        for c in range(n_classes):
            proba[i, c] /= total
            delta[i, c] = (proba[i, c] * mass - Y[i, c]) / rows


@_jit
def _train(thetas, x_all, Y_all, lrs, start, stop, dims, bufs):
    """Steps ``start`` to ``stop``: ``thetas[t]`` is the parameter vector
    before step ``start + t``; ``thetas[0]`` must be set."""
    sizes, w_off, b_off, a_off = dims
    acts, proba, delta, tmp, grad = bufs
    n_steps = x_all.shape[0]
    rows = x_all.shape[1]
    n_classes = sizes[len(sizes) - 1]
    n_params = thetas.shape[1]
    last = a_off[len(sizes) - 2]
    for k in range(start, stop):
        t = k - start
        current = thetas[t]
        x, Y = x_all[k % n_steps], Y_all[k % n_steps]
        _forward(current, x, rows, sizes, w_off, b_off, acts, a_off)
        logits = _view(acts, last, rows, n_classes)
        P = _view(proba, 0, rows, n_classes)
        D = _view(delta, 0, rows, n_classes)
        _softmax_delta(logits, Y, rows, n_classes, P, D)
        _backprop(current, x, rows, sizes, w_off, b_off, acts, a_off, delta, tmp, grad)
        lr = lrs[k]
        following = thetas[t + 1]
        for p in range(n_params):
            following[p] = current[p] - lr * grad[p]


@_jit
def _reverse_step(theta, lam, x, Y, lr, rows, dims, bufs, rbufs, gX, gY):
    """Walk back one step: ``lam -= lr * grad_theta phi``, add the x and Y
    terms to ``gX``, ``gY``; returns ``phi = <lam, g>`` (``dL/dlr = -phi``)."""
    zero = theta.dtype.type(0)
    sizes, w_off, b_off, a_off = dims
    acts, proba, delta, tmp, grad = bufs
    dots, zbar_a, zbar_b, zdbar_a, zdbar_b = rbufs
    n_layers = len(sizes) - 1
    n_classes = sizes[n_layers]
    _forward(theta, x, rows, sizes, w_off, b_off, acts, a_off)
    logits = _view(acts, a_off[n_layers - 1], rows, n_classes)
    P = _view(proba, 0, rows, n_classes)
    D = _view(delta, 0, rows, n_classes)
    _softmax_delta(logits, Y, rows, n_classes, P, D)

    # Tangent pass: zdot_l = adot_{l-1} W_l + a_{l-1} V_l + c_l with adot_0 = 0;
    # the hidden tangents are stored masked (adot = zdot * relu').
    inp = x
    for layer in range(n_layers):
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        V = _view(lam, w_off[layer], fan_in, fan_out)
        c = lam[b_off[layer] : b_off[layer] + fan_out]
        out = _view(dots, a_off[layer], rows, fan_out)
        for i in range(rows):
            for j in range(fan_out):
                out[i, j] = c[j]
            for k in range(fan_in):
                v = inp[i, k]
                for j in range(fan_out):
                    out[i, j] += v * V[k, j]
        if layer > 0:
            W = _view(theta, w_off[layer], fan_in, fan_out)
            adot = _view(dots, a_off[layer - 1], rows, fan_in)
            for i in range(rows):
                for k in range(fan_in):
                    v = adot[i, k]
                    for j in range(fan_out):
                        out[i, j] += v * W[k, j]
        if layer < n_layers - 1:
            a = _view(acts, a_off[layer], rows, fan_out)
            for i in range(rows):
                for j in range(fan_out):
                    if not a[i, j] > 0.0:
                        out[i, j] = 0.0
            inp = a

    # phi = <delta_L, zdot_L>; back through delta_L = (softmax(z) s - Y) / n.
    zdot = _view(dots, a_off[n_layers - 1], rows, n_classes)
    zbar = _view(zbar_a, 0, rows, n_classes)
    zdbar = _view(zdbar_a, 0, rows, n_classes)
    phi = 0.0
    for i in range(rows):
        mean = 0.0
        mass = 0.0
        for c in range(n_classes):
            mean += P[i, c] * zdot[i, c]
            mass += Y[i, c]
            phi += D[i, c] * zdot[i, c]
        for c in range(n_classes):
            centred = zdot[i, c] - mean
            gY[i, c] += lr * centred / rows
            zbar[i, c] = P[i, c] * centred * mass / rows
            zdbar[i, c] = D[i, c]

    # Back through the forward and tangent passes, layer by layer.
    cur_z, nxt_z, cur_d, nxt_d = zbar_a, zbar_b, zdbar_a, zdbar_b
    for layer in range(n_layers - 1, -1, -1):
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        zb = _view(cur_z, 0, rows, fan_out)
        zdb = _view(cur_d, 0, rows, fan_out)
        W = _view(theta, w_off[layer], fan_in, fan_out)
        V = _view(lam, w_off[layer], fan_in, fan_out)
        gW = _view(grad, w_off[layer], fan_in, fan_out)
        gb = grad[b_off[layer] : b_off[layer] + fan_out]
        gW[:, :] = 0.0
        gb[:] = 0.0
        if layer > 0:
            a = _view(acts, a_off[layer - 1], rows, fan_in)
            adot = _view(dots, a_off[layer - 1], rows, fan_in)
            for i in range(rows):
                for k in range(fan_in):
                    va = a[i, k]
                    vd = adot[i, k]
                    for j in range(fan_out):
                        gW[k, j] += va * zb[i, j] + vd * zdb[i, j]
                for j in range(fan_out):
                    gb[j] += zb[i, j]
            zb_prev = _view(nxt_z, 0, rows, fan_in)
            zdb_prev = _view(nxt_d, 0, rows, fan_in)
            for i in range(rows):
                for k in range(fan_in):
                    if a[i, k] > 0.0:
                        s_bar = zero
                        s_dot = zero
                        for j in range(fan_out):
                            s_bar += zb[i, j] * W[k, j] + zdb[i, j] * V[k, j]
                            s_dot += zdb[i, j] * W[k, j]
                        zb_prev[i, k] = s_bar
                        zdb_prev[i, k] = s_dot
                    else:
                        zb_prev[i, k] = 0.0
                        zdb_prev[i, k] = 0.0
            cur_z, nxt_z = nxt_z, cur_z
            cur_d, nxt_d = nxt_d, cur_d
        else:
            for i in range(rows):
                for k in range(fan_in):
                    v = x[i, k]
                    for j in range(fan_out):
                        gW[k, j] += v * zb[i, j]
                for j in range(fan_out):
                    gb[j] += zb[i, j]
                for k in range(fan_in):
                    s = zero
                    for j in range(fan_out):
                        s += zb[i, j] * W[k, j] + zdb[i, j] * V[k, j]
                    gX[i, k] -= lr * s
    for p in range(lam.shape[0]):
        lam[p] -= lr * grad[p]
    return phi


@_jit
def _value_and_grad(
    syn_X, syn_Y, lrs, params, X_real, y_real, sizes, w_off, b_off, a_off,
    bounds, scale, grad_X, grad_Y, grad_lrs,
):  # fmt: skip
    """Add one architecture's terms to the gradients; return its summed loss."""
    dtype = syn_X.dtype
    n_models, n_params = params.shape
    n_rows_max = max(syn_X.shape[1], X_real.shape[0])
    n_layers = len(sizes) - 1
    n_classes = sizes[n_layers]
    width = 0
    max_width = 0
    for layer in range(1, n_layers + 1):
        width += sizes[layer]
        max_width = max(max_width, sizes[layer], sizes[layer - 1])
    dims = (sizes, w_off, b_off, a_off)
    # delta and tmp alternate as the backpropagated gradient of every layer.
    bufs = (
        np.empty(n_rows_max * width, dtype),
        np.empty(n_rows_max * n_classes, dtype),
        np.empty(n_rows_max * max_width, dtype),
        np.empty(n_rows_max * max_width, dtype),
        np.empty(n_params, dtype),
    )
    rbufs = (
        np.empty(n_rows_max * width, dtype),
        np.empty(n_rows_max * max_width, dtype),
        np.empty(n_rows_max * max_width, dtype),
        np.empty(n_rows_max * max_width, dtype),
        np.empty(n_rows_max * max_width, dtype),
    )
    acts, proba, delta, tmp, grad = bufs
    n_segments = len(bounds) - 1
    longest = 0
    for s in range(n_segments):
        longest = max(longest, bounds[s + 1] - bounds[s])
    starts = np.empty((n_segments, n_params), dtype)
    thetas = np.empty((longest + 1, n_params), dtype)
    lam = np.empty(n_params, dtype)
    n_steps = syn_X.shape[0]
    rows = syn_X.shape[1]
    batch = X_real.shape[0]
    total = 0.0
    for m in range(n_models):
        # Forward: keep every segment's start, and the last segment's steps.
        thetas[0] = params[m]
        for s in range(n_segments):
            if s > 0:
                thetas[0] = thetas[bounds[s] - bounds[s - 1]]
            starts[s] = thetas[0]
            _train(thetas, syn_X, syn_Y, lrs, bounds[s], bounds[s + 1], dims, bufs)
        final = thetas[bounds[n_segments] - bounds[n_segments - 1]]

        # The objective on the real batch, and lam = dL/dtheta_T.
        _forward(final, X_real, batch, sizes, w_off, b_off, acts, a_off)
        logits = _view(acts, a_off[n_layers - 1], batch, n_classes)
        D = _view(delta, 0, batch, n_classes)
        for i in range(batch):
            top = logits[i, 0]
            for c in range(1, n_classes):
                top = max(top, logits[i, c])
            summed = 0.0
            for c in range(n_classes):
                summed += math.exp(logits[i, c] - top)
            log_total = math.log(summed) + top
            total += log_total - logits[i, y_real[i]]
            for c in range(n_classes):
                D[i, c] = math.exp(logits[i, c] - log_total) * scale
            D[i, y_real[i]] -= scale
        _backprop(final, X_real, batch, sizes, w_off, b_off, acts, a_off, delta, tmp,
                  lam)  # fmt: skip

        # Reverse, one segment at a time, recomputing all but the last.
        for s in range(n_segments - 1, -1, -1):
            start, stop = bounds[s], bounds[s + 1]
            if s < n_segments - 1:
                thetas[0] = starts[s]
                _train(thetas, syn_X, syn_Y, lrs, start, stop, dims, bufs)
            for k in range(stop - 1, start - 1, -1):
                b = k % n_steps
                phi = _reverse_step(
                    thetas[k - start], lam, syn_X[b], syn_Y[b], lrs[k],
                    rows, dims, bufs, rbufs, grad_X[b], grad_Y[b],
                )  # fmt: skip
                grad_lrs[k] -= phi
    return total


_failed = False


def step_macs(sizes, rows):
    """Multiply-adds of one internal step (forward and backward) of one network."""
    return rows * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def use_fast_path(syn_X, init_params, X_real, check_size=True):
    """Whether the compiled path can and should compute this hypergradient.

    It needs numba, tensors on the CPU in float32 or float64 and, unless
    ``check_size`` is false, steps small enough for plain loops to beat torch's
    matrix products. Setting the environment variable
    ``SKDISTILL_DISABLE_NUMBA`` to a non-empty value turns the path off.
    """
    if numba is None or _failed or os.environ.get("SKDISTILL_DISABLE_NUMBA"):
        return False
    tensors = [syn_X, X_real, *(p for params in init_params for p in params)]
    if any(t.device.type != "cpu" for t in tensors):
        return False
    if syn_X.dtype not in (torch.float32, torch.float64):
        return False
    if not check_size:
        return True
    rows = syn_X.shape[1]
    return rows <= FEW_ROWS or all(
        step_macs(_sizes_of(params), rows) <= SMALL_STEP_MACS for params in init_params
    )


def _sizes_of(params):
    return [params[0].shape[1], *(w.shape[2] for w in params[0::2])]


def _numpy(tensor, dtype=None):
    array = tensor.detach().cpu().numpy()
    return np.ascontiguousarray(array, dtype=dtype)


def value_and_grad(syn_X, syn_Y, lrs, init_params, X_real, y_real, bounds):
    """`distillation_value_and_grad` by the compiled kernel (ReLU networks).

    ``bounds`` are the checkpoint segments' boundaries, ``[0, ..., n_total]``.
    Returns None when the kernel cannot be compiled, after a warning; the
    caller then uses the torch path.
    """
    global _failed
    dtype = syn_X.dtype
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    syn_X_np, syn_Y_np = _numpy(syn_X, np_dtype), _numpy(syn_Y, np_dtype)
    lrs_np, X_real_np = _numpy(lrs, np_dtype), _numpy(X_real, np_dtype)
    y_np = _numpy(y_real, np.int64)
    bounds_np = np.asarray(bounds, dtype=np.int64)
    grad_X, grad_Y = np.zeros_like(syn_X_np), np.zeros_like(syn_Y_np)
    grad_lrs = np.zeros_like(lrs_np)
    n_networks = sum(params[0].shape[0] for params in init_params)
    scale = 1.0 / (len(y_np) * n_networks)
    rows_max = max(syn_X_np.shape[1], len(y_np))
    total = 0.0
    for params in init_params:
        sizes = _sizes_of(params)
        n_models = params[0].shape[0]
        flat = np.concatenate(
            [_numpy(p, np_dtype).reshape(n_models, -1) for p in params], axis=1
        )
        lengths = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
        w_off, b_off, offset = [], [], 0
        for length, fan_out in zip(lengths, sizes[1:]):
            w_off.append(offset)
            b_off.append(offset + length)
            offset += length + fan_out
        a_off = np.cumsum([0, *sizes[1:-1]]) * rows_max
        try:
            total += _value_and_grad(
                syn_X_np, syn_Y_np, lrs_np, flat, X_real_np, y_np,
                np.asarray(sizes, np.int64), np.asarray(w_off, np.int64),
                np.asarray(b_off, np.int64), np.asarray(a_off, np.int64),
                bounds_np, scale, grad_X, grad_Y, grad_lrs,
            )  # fmt: skip
        except numba.core.errors.NumbaError as error:
            _failed = True
            warnings.warn(
                f"skdistill's compiled path failed to compile ({error!r}); "
                "using the torch path instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
    return (
        total * scale,
        torch.from_numpy(grad_X),
        torch.from_numpy(grad_Y),
        torch.from_numpy(grad_lrs),
    )
