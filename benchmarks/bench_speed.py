"""Distillation speed, threads, memory and scale (issue 5).

1. Speed: seconds per outer iteration at the tabular paper's configuration
   (one hidden layer of 10 units, 3 internal models, 40 steps x 5 epochs, 8
   synthetic rows per step, real batch 64, make_moons), for a plain
   implementation -- unrolled with ``torch.autograd.grad(create_graph=True)``,
   a Python loop over the internal models, as both reference implementations
   of dataset distillation work -- and for skdistill's, in the same process on
   the same data, interleaved; the ratio of the medians is printed.
2. Threads: skdistill's outer iteration with 1, 2 and torch's default number
   of intra-op threads.
3. Memory: peak resident memory of one outer iteration over 1000 unrolled
   steps of a (256, 256) MLP on 100 features, with and without
   ``checkpoint_segments="sqrt"``; each in a fresh subprocess.
4. Scale: seconds per outer iteration of ``DatasetDistiller.fit`` on 10^3,
   10^5 and 10^6 generated training rows.
5. Progress: ``fit`` with ``verbose=1`` against ``verbose=0``.

Run:  python benchmarks/bench_speed.py [--repeats 7] [--skip-memory] [--skip-scale]
"""

import argparse
import contextlib
import gc
import io
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import make_moons

from skdistill import DatasetDistiller
from skdistill._mlp import layer_sizes, xavier_init
from skdistill._reverse import distillation_value_and_grad

N_STEPS, N_EPOCHS, PER_STEP, N_MODELS, BATCH, HIDDEN = 40, 5, 8, 3, 64, (10,)


def _problem(seed=0):
    X, y = make_moons(n_samples=1500, noise=0.05, random_state=8)
    X = (X - X.mean(0)) / X.std(0)
    generator = torch.Generator().manual_seed(seed)
    syn_X = torch.randn((N_STEPS, PER_STEP, 2), generator=generator)
    rows = torch.arange(N_STEPS * PER_STEP).reshape(N_STEPS, PER_STEP)
    syn_Y = F.one_hot(rows % 2, 2).float()
    log_lr = torch.full((N_STEPS * N_EPOCHS,), math.log(0.1))
    batch = torch.randperm(len(X), generator=generator)[:BATCH]
    X_real = torch.as_tensor(X, dtype=torch.float32)[batch]
    y_real = torch.as_tensor(y)[batch]
    return syn_X, syn_Y, log_lr, X_real, y_real, generator


def _plain_mlp(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = F.linear(h, params[i], params[i + 1])
        if i < len(params) - 2:
            h = F.relu(h)
    return h


def plain_outer_iteration(learned, optimizer, X_real, y_real, generator):
    """The measuring stick: autograd.grad(create_graph=True), a loop over models."""
    syn_X, syn_Y, log_lr = learned
    sizes = layer_sizes(2, HIDDEN, 2)
    optimizer.zero_grad()
    lrs = log_lr.exp()
    total = 0.0
    for _ in range(N_MODELS):
        init = xavier_init(sizes, 1, generator=generator)
        # torch.nn.functional.linear takes (out, in) weights and flat biases.
        params = [
            (p[0].T if i % 2 == 0 else p[0, 0]).clone().requires_grad_(True)
            for i, p in enumerate(init)
        ]
        for k in range(N_STEPS * N_EPOCHS):
            logits = _plain_mlp(params, syn_X[k % N_STEPS])
            target = syn_Y[k % N_STEPS]
            loss = -(target * F.log_softmax(logits, -1)).sum(-1).mean()
            grads = torch.autograd.grad(loss, params, create_graph=True)
            params = [p - lrs[k] * g for p, g in zip(params, grads)]
        total = total + F.cross_entropy(_plain_mlp(params, X_real), y_real)
    (total / N_MODELS).backward()
    optimizer.step()


def skdistill_outer_iteration(learned, optimizer, X_real, y_real, generator):
    """One outer iteration as DatasetDistiller.fit runs it."""
    syn_X, syn_Y, log_lr = learned
    inits = [xavier_init(layer_sizes(2, HIDDEN, 2), N_MODELS, generator=generator)]
    lrs = log_lr.detach().exp()
    _, grad_X, grad_Y, grad_lrs = distillation_value_and_grad(
        syn_X.detach(), syn_Y.detach(), lrs, inits, X_real, y_real
    )
    syn_X.grad, syn_Y.grad, log_lr.grad = grad_X, grad_Y, grad_lrs * lrs
    optimizer.step()


def _timed(function, *args):
    # Collect the previous run's garbage first, so that neither implementation
    # pays for the other's (the plain one leaves large autograd graphs).
    gc.collect()
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def speed(repeats):
    syn_X, syn_Y, log_lr, X_real, y_real, generator = _problem()
    runs = {}
    for name, function in (
        ("plain", plain_outer_iteration),
        ("skdistill", skdistill_outer_iteration),
    ):
        learned = [t.clone().requires_grad_(True) for t in (syn_X, syn_Y, log_lr)]
        runs[name] = (function, learned, torch.optim.Adam(learned, lr=0.003))
    times = {name: [] for name in runs}
    torch.set_num_threads(1)
    for _ in range(repeats + 1):  # the first round warms up
        for name, (function, learned, optimizer) in runs.items():
            times[name].append(
                _timed(function, learned, optimizer, X_real, y_real, generator)
            )
    medians = {name: statistics.median(t[1:]) for name, t in times.items()}
    print("\n1. Speed, paper configuration, seconds per outer iteration (median)")
    for name, value in medians.items():
        print(f"   {name:<10} {value:8.4f}")
    print(f"   ratio plain / skdistill: {medians['plain'] / medians['skdistill']:.1f}x")
    return medians


def threads(repeats, default):
    syn_X, syn_Y, log_lr, X_real, y_real, generator = _problem()
    learned = [t.clone().requires_grad_(True) for t in (syn_X, syn_Y, log_lr)]
    optimizer = torch.optim.Adam(learned, lr=0.003)
    print("\n2. Threads, skdistill seconds per outer iteration (median)")
    settings = sorted({1, 2, default})
    times = {n: [] for n in settings}
    for _ in range(repeats + 1):
        for n in settings:
            torch.set_num_threads(n)
            times[n].append(
                _timed(
                    skdistill_outer_iteration,
                    learned,
                    optimizer,
                    X_real,
                    y_real,
                    generator,
                )
            )
    torch.set_num_threads(default)
    for n in settings:
        label = f"{n} thread{'s' * (n > 1)}" + (
            " (torch default)" if n == default else ""
        )
        print(f"   {label:<26} {statistics.median(times[n][1:]):8.4f}")


_MEMORY_CHILD = """
import sys, torch
from skdistill._mlp import layer_sizes, xavier_init
from skdistill._reverse import distillation_value_and_grad
torch.set_num_threads(1)
segments = None if sys.argv[1] == "none" else int(sys.argv[1])
hidden = tuple(int(h) for h in sys.argv[2].split(","))
per_step, n_models = int(sys.argv[3]), int(sys.argv[4])
g = torch.Generator().manual_seed(0)
n_steps, d, c = 10, 100, 2
syn_X = torch.randn((n_steps, per_step, d), generator=g)
syn_Y = torch.softmax(torch.randn((n_steps, per_step, c), generator=g), -1)
lrs = torch.full((1000,), 1e-3)
init = [xavier_init(layer_sizes(d, hidden, c), n_models, generator=g)]
X_real = torch.randn((64, d), generator=g)
y_real = torch.randint(0, c, (64,), generator=g)
def status_kib(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field))
# A short warm-up run first, so that one-time allocations of torch's first
# calls are not counted as the unroll's memory.
distillation_value_and_grad(syn_X, syn_Y, lrs[:4], init, X_real, y_real, segments)
# Reset the peak (VmHWM) to the current RSS: the peak of the imports would
# otherwise hide any unroll smaller than it.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status_kib("VmRSS")
distillation_value_and_grad(syn_X, syn_Y, lrs, init, X_real, y_real, segments)
print(status_kib("VmHWM") - before)
"""


def memory():
    print("\n3. Memory of one outer iteration over 1000 unrolled steps, 100 features")
    for title, shape in (
        ("a (256, 256) MLP, 10 rows per step, 1 model", ("256,256", "10", "1")),
        ("a (10,) MLP, 64 rows per step, 3 models", ("10", "64", "3")),
    ):
        print(f"   {title}:")
        _memory_of(shape)


def _memory_of(shape):
    results = {}
    for label, segments in (
        ("full unroll", "none"),
        ('checkpoint_segments="sqrt"', str(math.ceil(math.sqrt(1000)))),
    ):
        start = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, segments, *shape],
            capture_output=True,
            text=True,
            check=True,
            # A fixed mmap threshold: glibc otherwise raises it after the first
            # large free and keeps later freed tensors resident, so that peak
            # RSS measures the allocator's history rather than live memory.
            env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"},
        )
        seconds = time.perf_counter() - start
        results[label] = int(output.stdout.strip()) / 1024
        print(f"     {label:<28} peak +{results[label]:8.1f} MiB   ({seconds:.1f} s)")
    full, bounded = results.values()
    print(f"     checkpointed / full: {bounded / full:.3f}")


def scale():
    print("\n4. Scale, DatasetDistiller.fit seconds per outer iteration")
    base = dict(n_steps=10, n_epochs=2, samples_per_step=8, n_models=3, random_state=0)
    for n_rows in (10**3, 10**5, 10**6):
        rng = np.random.RandomState(0)
        X = rng.standard_normal((n_rows, 10))
        y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
        fits = {}
        for max_iter in (10, 60):
            start = time.perf_counter()
            DatasetDistiller(max_iter=max_iter, **base).fit(X, y)
            fits[max_iter] = time.perf_counter() - start
        per_iteration = (fits[60] - fits[10]) / 50
        print(
            f"   {n_rows:>9,} rows: {per_iteration:.4f} s per outer iteration "
            f"(fit with 10 iterations: {fits[10]:.2f} s, setup included)"
        )


def progress(repeats):
    """verbose=1 against verbose=0: the cost of reporting progress."""
    X, y = make_moons(n_samples=1500, noise=0.05, random_state=8)
    params = dict(n_steps=10, n_epochs=2, samples_per_step=8, max_iter=100)
    times = {0: [], 1: []}
    for _ in range(repeats):
        for verbose in times:
            distiller = DatasetDistiller(**params, verbose=verbose, random_state=0)
            with contextlib.redirect_stdout(io.StringIO()):
                times[verbose].append(_timed(distiller.fit, X, y))
    quiet, verbose = (statistics.median(times[v]) for v in (0, 1))
    print("\n5. Progress, DatasetDistiller.fit (100 outer iterations), median seconds")
    print(
        f"   verbose=0 {quiet:.3f}   verbose=1 {verbose:.3f}   "
        f"ratio {verbose / quiet:.3f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {default_threads} intra-op threads by default")
    speed(args.repeats)
    threads(args.repeats, default_threads)
    if not args.skip_memory:
        memory()
    if not args.skip_scale:
        scale()
    progress(args.repeats)


if __name__ == "__main__":
    main()
