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

numba is a dependency of the package. Where it is missing anyway, fails to
compile, or the problem is too large for the loops to beat torch's matrix
products, the caller uses the torch path; :func:`use_fast_path` decides.

The kernels compile at their first call with each argument types (float32
for the estimators; float64 only where a caller asks for it), not at import,
and the machine code is cached on disk (``cache=True``). Compile time grows
with the size of the linked code, not with the number of small helpers, so
the helpers stay separate functions and avoid array constructs whose
implementations are slow to compile (array-to-array slice assignment and
in-place ufuncs, which format their error messages in compiled code).
"""

import math
import os
import warnings

import numpy as np
import torch

try:
    import numba

    # The BLAS that numba's np.dot calls, loaded now so that threadpoolctl
    # sees it (numba would load it at the first compilation).
    import scipy.linalg.cython_blas  # noqa: F401
except ImportError:  # an install without numba: the torch path only
    numba = None

# Reassociation and contraction let the compiler vectorise the inner products;
# no flag that assumes finite values, so that a diverging unroll still yields
# NaN or inf and is reported as divergence.
_FASTMATH = {"reassoc", "contract"}

# The compiled path beats torch's (benchmarks/bench_speed.py, section 6):
# 2-10x up to a few hundred thousand multiply-adds per internal step, 1.4x at
# 0.9 million; beyond, both are bound by the same matrix products and within
# 15% of each other, either way, so torch keeps the large problems.
MAX_STEP_MACS = 1_000_000


def _jit(function):
    """``numba.njit`` with the on-disk cache; compiled lazily, at the first call
    with each argument types (float32 for the estimators), not at import."""
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
def _add_bias(out, b):
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] += b[j]


@_jit
def _copy(out, values):
    """``out[:] = values`` for 1-d arrays, without the shape checks (and their
    error messages' string formatting) that are slow to compile."""
    for p in range(out.shape[0]):
        out[p] = values[p]


@_jit
def _add(out, values):
    """``out += values`` for 2-d arrays of the same shape, without compiling a
    broadcasting ufunc."""
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] += values[i, j]


@_jit
def _sum_rows(values, out):
    out[:] = 0.0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            out[j] += values[i, j]


@_jit
def _forward(theta, x, rows, sizes, w_off, b_off, acts, a_off):
    """Every layer's output into ``acts``: ReLU for hidden layers, logits last."""
    n_layers = len(sizes) - 1
    inp = x
    for layer in range(n_layers):
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        W = _view(theta, w_off[layer], fan_in, fan_out)
        out = _view(acts, a_off[layer], rows, fan_out)
        # BLAS through numba: for these small products it is ~10x a plain loop.
        np.dot(inp, W, out)
        _add_bias(out, theta[b_off[layer] : b_off[layer] + fan_out])
        if layer < n_layers - 1:
            for i in range(rows):
                for j in range(fan_out):
                    # relu(NaN) stays NaN, as in torch.
                    if out[i, j] < 0.0:
                        out[i, j] = 0.0
        inp = out


@_jit
def _mask(values, activations):
    """``values *= relu'``, the ReLU derivative read off its output."""
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if not activations[i, j] > 0.0:
                values[i, j] = 0.0


@_jit
def _backprop(theta, x, rows, sizes, w_off, b_off, acts, a_off, delta, tmp, grad):
    """Gradient of a loss with respect to ``theta`` into ``grad``; ``delta``
    (the logits' gradient) and ``tmp`` are overwritten."""
    n_layers = len(sizes) - 1
    cur, nxt = delta, tmp
    for layer in range(n_layers - 1, -1, -1):
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        inp = x if layer == 0 else _view(acts, a_off[layer - 1], rows, fan_in)
        d = _view(cur, 0, rows, fan_out)
        np.dot(inp.T, d, _view(grad, w_off[layer], fan_in, fan_out))
        _sum_rows(d, grad[b_off[layer] : b_off[layer] + fan_out])
        if layer > 0:
            W = _view(theta, w_off[layer], fan_in, fan_out)
            prev = _view(nxt, 0, rows, fan_in)
            np.dot(d, W.T, prev)
            _mask(prev, inp)
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
def _train(thetas, x_all, Y_all, lrs, start, stop, dims, bufs, decay):
    """Steps ``start`` to ``stop``: ``thetas[t]`` is the parameter vector
    before step ``start + t``; ``thetas[0]`` must be set. ``decay`` is the
    weight decay of every parameter (0 for biases), or empty for none."""
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
        if decay.shape[0] > 0:
            for p in range(n_params):
                following[p] = current[p] - lr * (grad[p] + decay[p] * current[p])
        else:
            for p in range(n_params):
                following[p] = current[p] - lr * grad[p]


@_jit
def _reverse_step(theta, lam, x, Y, lr, rows, dims, bufs, rbufs, gX, gY, decay):
    """Walk back one step: ``lam -= lr * grad_theta phi``, add the x and Y
    terms to ``gX``, ``gY``; returns ``phi = <lam, g>`` (``dL/dlr = -phi``).
    With weight decay the step's gradient is ``g + decay * theta``: ``phi``
    gains ``<lam, decay * theta>`` and ``grad_theta phi`` ``decay * lam``."""
    sizes, w_off, b_off, a_off = dims
    acts, proba, delta, tmp, grad = bufs
    dots, zbar_a, zbar_b, zdbar_a, zdbar_b, scratch = rbufs
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
        out = _view(dots, a_off[layer], rows, fan_out)
        np.dot(inp, V, out)
        _add_bias(out, lam[b_off[layer] : b_off[layer] + fan_out])
        if layer > 0:
            W = _view(theta, w_off[layer], fan_in, fan_out)
            adot = _view(dots, a_off[layer - 1], rows, fan_in)
            product = _view(scratch, 0, rows, fan_out)
            np.dot(adot, W, product)
            _add(out, product)
        if layer < n_layers - 1:
            a = _view(acts, a_off[layer], rows, fan_out)
            _mask(out, a)
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
        _sum_rows(zb, grad[b_off[layer] : b_off[layer] + fan_out])
        # xbar (layer 0) or abar: zbar W^T + zdotbar V^T.
        bar = (
            _view(nxt_z, 0, rows, fan_in) if layer > 0 else _view(tmp, 0, rows, fan_in)
        )
        product = _view(scratch, 0, rows, fan_in)
        np.dot(zb, W.T, bar)
        np.dot(zdb, V.T, product)
        _add(bar, product)
        if layer > 0:
            a = _view(acts, a_off[layer - 1], rows, fan_in)
            adot = _view(dots, a_off[layer - 1], rows, fan_in)
            np.dot(a.T, zb, gW)
            gW_tangent = _view(scratch, 0, fan_in, fan_out)
            np.dot(adot.T, zdb, gW_tangent)
            _add(gW, gW_tangent)
            zdb_prev = _view(nxt_d, 0, rows, fan_in)
            np.dot(zdb, W.T, zdb_prev)
            _mask(zdb_prev, a)
            _mask(bar, a)
            cur_z, nxt_z = nxt_z, cur_z
            cur_d, nxt_d = nxt_d, cur_d
        else:
            np.dot(x.T, zb, gW)
            for i in range(rows):
                for k in range(fan_in):
                    gX[i, k] -= lr * bar[i, k]
    if decay.shape[0] > 0:
        for p in range(lam.shape[0]):
            phi += decay[p] * lam[p] * theta[p]
            lam[p] -= lr * (grad[p] + decay[p] * lam[p])
    else:
        for p in range(lam.shape[0]):
            lam[p] -= lr * grad[p]
    return phi


@_jit
def _value_and_grad(
    syn_X, syn_Y, lrs, params, X_real, y_real, sizes, w_off, b_off, a_off,
    bounds, scale, grad_X, grad_Y, grad_lrs, decay,
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
        # Products to add: (rows, width) or a layer's (fan_in, fan_out).
        np.empty(max(n_rows_max * max_width, n_params), dtype),
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
        _copy(thetas[0], params[m])
        for s in range(n_segments):
            if s > 0:
                _copy(thetas[0], thetas[bounds[s] - bounds[s - 1]])
            _copy(starts[s], thetas[0])
            _train(thetas, syn_X, syn_Y, lrs, bounds[s], bounds[s + 1], dims, bufs,
                   decay)  # fmt: skip
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
                _copy(thetas[0], starts[s])
                _train(thetas, syn_X, syn_Y, lrs, start, stop, dims, bufs, decay)
            for k in range(stop - 1, start - 1, -1):
                b = k % n_steps
                phi = _reverse_step(
                    thetas[k - start], lam, syn_X[b], syn_Y[b], lrs[k],
                    rows, dims, bufs, rbufs, grad_X[b], grad_Y[b], decay,
                )  # fmt: skip
                grad_lrs[k] -= phi
    return total


_failed = False
_blas = None


def _blas_threads(n_threads):
    """Limit the BLAS of np.dot to torch's number of threads (n_threads).

    OpenBLAS would otherwise use every core for the larger products, which on
    a busy machine made calls 10-30x slower (benchmarks/bench_speed.py).
    """
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas")
    return _blas.limit(limits=n_threads)


def step_macs(sizes, rows):
    """Multiply-adds of one internal step (forward and backward) of one network."""
    return rows * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def use_fast_path(syn_X, init_params, X_real, check_size=True):
    """Whether the compiled path can and should compute this hypergradient.

    It needs numba, tensors on the CPU in float32 or float64 and, unless
    ``check_size`` is false, internal steps of at most ``MAX_STEP_MACS``
    multiply-adds per network. Setting the environment variable
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
    return all(
        step_macs(_sizes_of(params), rows) <= MAX_STEP_MACS for params in init_params
    )


def _sizes_of(params):
    return [params[0].shape[1], *(w.shape[2] for w in params[0::2])]


def _numpy(tensor, dtype=None):
    array = tensor.detach().cpu().numpy()
    return np.ascontiguousarray(array, dtype=dtype)


def value_and_grad(
    syn_X,
    syn_Y,
    lrs,
    init_params,
    X_real,
    y_real,
    bounds,
    lr_scales=None,
    weight_decays=None,
):
    """`distillation_value_and_grad` by the compiled kernel (ReLU networks).

    ``bounds`` are the checkpoint segments' boundaries, ``[0, ..., n_total]``;
    ``lr_scales`` and ``weight_decays`` as in `distillation_value_and_grad`.
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
    try:
        with _blas_threads(torch.get_num_threads()):
            for group, params in enumerate(init_params):
                factor = 1.0 if lr_scales is None else float(lr_scales[group])
                decay = 0.0 if weight_decays is None else float(weight_decays[group])
                group_lrs, group_grad_lrs = lrs_np, grad_lrs
                if factor != 1.0:
                    # The group trains at c * lrs; dL/dlrs = c * dL/d(c lrs).
                    group_lrs = (lrs_np * factor).astype(np_dtype)
                    group_grad_lrs = np.zeros_like(grad_lrs)
                total += _architecture_terms(
                    params, syn_X_np, syn_Y_np, group_lrs, X_real_np, y_np,
                    bounds_np, scale, rows_max, grad_X, grad_Y, group_grad_lrs,
                    decay,
                )  # fmt: skip
                if group_grad_lrs is not grad_lrs:
                    grad_lrs += factor * group_grad_lrs
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


def _architecture_terms(
    params, syn_X, syn_Y, lrs, X_real, y_real, bounds, scale, rows_max,
    grad_X, grad_Y, grad_lrs, weight_decay=0.0,
):  # fmt: skip
    sizes = _sizes_of(params)
    n_models = params[0].shape[0]
    flat = np.concatenate(
        [_numpy(p, syn_X.dtype).reshape(n_models, -1) for p in params], axis=1
    )
    w_off, b_off, offset = [], [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w_off.append(offset)
        b_off.append(offset + fan_in * fan_out)
        offset += (fan_in + 1) * fan_out
    a_off = np.cumsum([0, *sizes[1:-1]]) * rows_max
    return _value_and_grad(
        syn_X, syn_Y, lrs, flat, X_real, y_real,
        np.asarray(sizes, np.int64), np.asarray(w_off, np.int64),
        np.asarray(b_off, np.int64), np.asarray(a_off, np.int64),
        bounds, scale, grad_X, grad_Y, grad_lrs,
        _decay_vector(sizes, weight_decay, syn_X.dtype),
    )  # fmt: skip


def _decay_vector(sizes, weight_decay, dtype):
    """The weight decay of every entry of a flat parameter vector (the
    weights of each layer, then its bias, which is not decayed); empty when
    there is no decay, which the kernels take as none."""
    if not weight_decay:
        return np.empty(0, dtype)
    parts = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        parts.append(np.full(fan_in * fan_out, weight_decay, dtype))
        parts.append(np.zeros(fan_out, dtype))
    return np.concatenate(parts)


@_jit
def _replay(params, steps_X, steps_Y, lrs, sizes, w_off, b_off, a_off, out, decay):
    """Train every network of ``params`` on the steps in order, into ``out``."""
    dtype = steps_X.dtype
    n_models, n_params = params.shape
    rows = steps_X.shape[1]
    n_layers = len(sizes) - 1
    width = 0
    max_width = 0
    for layer in range(1, n_layers + 1):
        width += sizes[layer]
        max_width = max(max_width, sizes[layer], sizes[layer - 1])
    dims = (sizes, w_off, b_off, a_off)
    bufs = (
        np.empty(rows * width, dtype),
        np.empty(rows * sizes[n_layers], dtype),
        np.empty(rows * max_width, dtype),
        np.empty(rows * max_width, dtype),
        np.empty(n_params, dtype),
    )
    thetas = np.empty((2, n_params), dtype)
    for m in range(n_models):
        _copy(thetas[0], params[m])
        for k in range(len(lrs)):
            _train(thetas, steps_X, steps_Y, lrs, k, k + 1, dims, bufs, decay)
            _copy(thetas[0], thetas[1])
        _copy(out[m], thetas[0])


def use_fast_replay(params, step_X, activation):
    """Whether `replay` can and should train these networks."""
    if numba is None or _failed or os.environ.get("SKDISTILL_DISABLE_NUMBA"):
        return False
    if activation != "relu" or not step_X:
        return False
    tensors = [*params, *step_X]
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return False  # autograd differentiates through the torch path
    if any(t.device.type != "cpu" for t in tensors):
        return False
    if params[0].dtype not in (torch.float32, torch.float64):
        return False
    if any(x.shape != step_X[0].shape or x.dtype != params[0].dtype for x in step_X):
        return False
    rows = step_X[0].shape[0]
    # One network at a time against torch's products over all of them at once.
    n_models = params[0].shape[0]
    return n_models * step_macs(_sizes_of(params), rows) <= MAX_REPLAY_MACS


# Replay runs no reverse pass, and torch trains all networks in one product;
# measured by benchmarks/bench_speed.py (section 8).
MAX_REPLAY_MACS = 1_000_000


def replay(params, step_X, step_Y, step_lrs, weight_decay=0.0):
    """`skdistill._unroll.replay_distilled` by the compiled kernel (ReLU).

    Returns None when the kernel cannot be compiled, after a warning.
    """
    global _failed
    np_dtype = np.float32 if params[0].dtype == torch.float32 else np.float64
    sizes = _sizes_of(params)
    n_models = params[0].shape[0]
    flat = np.concatenate(
        [_numpy(p, np_dtype).reshape(n_models, -1) for p in params], axis=1
    )
    steps_X = np.stack([_numpy(x, np_dtype) for x in step_X])
    steps_Y = np.stack([_numpy(y, np_dtype) for y in step_Y])
    # Step k takes batch k mod len(step_X), as _train indexes it.
    lrs = np.asarray([float(lr) for lr in step_lrs], dtype=np_dtype)
    w_off, b_off, offset = [], [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w_off.append(offset)
        b_off.append(offset + fan_in * fan_out)
        offset += (fan_in + 1) * fan_out
    a_off = np.cumsum([0, *sizes[1:-1]]) * steps_X.shape[1]
    out = np.empty_like(flat)
    try:
        with _blas_threads(torch.get_num_threads()):
            _replay(
                flat, steps_X, steps_Y, lrs, np.asarray(sizes, np.int64),
                np.asarray(w_off, np.int64), np.asarray(b_off, np.int64),
                np.asarray(a_off, np.int64), out,
                _decay_vector(sizes, weight_decay, np_dtype),
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
    trained, start = [], 0
    for p in params:
        size = p[0].numel()
        piece = torch.from_numpy(out[:, start : start + size].copy())
        trained.append(piece.reshape(p.shape))
        start += size
    return trained
