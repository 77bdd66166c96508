"""Distillation speed, threads, memory, scale, crossover and compile time.

1. Speed: seconds per outer iteration for a plain implementation --
   unrolled with ``torch.autograd.grad(create_graph=True)``, a Python loop
   over the internal models, as both reference implementations of dataset
   distillation work -- and for skdistill's torch path and its compiled
   (numba) path, in the same process on the same data, interleaved; the
   ratios of the medians are printed. Two configurations: the tabular paper's
   (one hidden layer of 10 units, 3 internal models, 40 steps x 5 epochs, 8
   synthetic rows per step, real batch 64, make_moons) and a wider one ((64,
   64) MLPs, 20 features, 10 classes, 10 rows per step, 100 steps, 3 models,
   real batch 64). Targets: 30x and 15x the plain loop.
2. Threads: skdistill's outer iteration with 1, 2 and torch's default number
   of intra-op threads.
3. Memory: peak resident memory of one outer iteration over 1000 unrolled
   steps, with and without ``checkpoint_segments="sqrt"``, for each path;
   each in a fresh subprocess.
4. Scale: seconds per outer iteration of ``DatasetDistiller.fit`` on 10^3,
   10^5 and 10^6 generated training rows.
5. Progress: ``fit`` with ``verbose=1`` against ``verbose=0``.
6. Crossover: torch path against compiled path on shapes around the rule
   that chooses between them (``skdistill._engine.fastpath.use_fast_path``).
7. Compile time of the compiled path: first call in a fresh process with an
   empty numba cache, then with the cache it wrote.

Run:  python benchmarks/bench_speed.py [--repeats 7] [--skip-memory] [--skip-scale]
      [--only 1,6]
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
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification, make_moons

from skdistill import DatasetDistiller
from skdistill._engine.reverse import distillation_value_and_grad
from skdistill._nets.mlp import layer_sizes, xavier_init

N_STEPS, N_EPOCHS, PER_STEP, N_MODELS, BATCH, HIDDEN = 40, 5, 8, 3, 64, (10,)

# name: (n_features, n_classes, hidden, n_steps, n_epochs, rows per step)
CONFIGS = {
    "paper": (2, 2, HIDDEN, N_STEPS, N_EPOCHS, PER_STEP),
    "wide": (20, 10, (64, 64), 100, 1, 10),
}


def _problem(seed=0, config="paper"):
    n_features, n_classes, _, n_steps, n_epochs, per_step = CONFIGS[config]
    if config == "paper":
        X, y = make_moons(n_samples=1500, noise=0.05, random_state=8)
    else:
        X, y = make_classification(
            n_samples=1500,
            n_features=n_features,
            n_informative=10,
            n_classes=n_classes,
            random_state=8,
        )
    X = (X - X.mean(0)) / X.std(0)
    generator = torch.Generator().manual_seed(seed)
    syn_X = torch.randn((n_steps, per_step, n_features), generator=generator)
    rows = torch.arange(n_steps * per_step).reshape(n_steps, per_step)
    syn_Y = F.one_hot(rows % n_classes, n_classes).float()
    # DatasetDistiller's default lr_init.
    log_lr = torch.full((n_steps * n_epochs,), math.log(0.1))
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


def plain_outer_iteration(learned, optimizer, X_real, y_real, generator, config):
    """The measuring stick: autograd.grad(create_graph=True), a loop over models."""
    n_features, n_classes, hidden, n_steps, n_epochs, _ = CONFIGS[config]
    syn_X, syn_Y, log_lr = learned
    sizes = layer_sizes(n_features, hidden, n_classes)
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
        for k in range(n_steps * n_epochs):
            logits = _plain_mlp(params, syn_X[k % n_steps])
            target = syn_Y[k % n_steps]
            loss = -(target * F.log_softmax(logits, -1)).sum(-1).mean()
            grads = torch.autograd.grad(loss, params, create_graph=True)
            params = [p - lrs[k] * g for p, g in zip(params, grads)]
        total = total + F.cross_entropy(_plain_mlp(params, X_real), y_real)
    (total / N_MODELS).backward()
    optimizer.step()


def skdistill_outer_iteration(
    learned, optimizer, X_real, y_real, generator, config="paper", backend="auto"
):
    """One outer iteration as DatasetDistiller.fit runs it."""
    n_features, n_classes, hidden, *_ = CONFIGS[config]
    syn_X, syn_Y, log_lr = learned
    sizes = layer_sizes(n_features, hidden, n_classes)
    inits = [xavier_init(sizes, N_MODELS, generator=generator)]
    lrs = log_lr.detach().exp()
    _, grad_X, grad_Y, grad_lrs = distillation_value_and_grad(
        syn_X.detach(), syn_Y.detach(), lrs, inits, X_real, y_real, backend=backend
    )
    syn_X.grad, syn_Y.grad, log_lr.grad = grad_X, grad_Y, grad_lrs * lrs
    optimizer.step()


def skdistill_torch_outer_iteration(*args):
    skdistill_outer_iteration(*args, backend="torch")


def skdistill_numba_outer_iteration(*args):
    skdistill_outer_iteration(*args, backend="numba")


def _timed(function, *args):
    # Collect the previous run's garbage first, so that neither implementation
    # pays for the other's (the plain one leaves large autograd graphs).
    gc.collect()
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def speed(repeats):
    print("\n1. Speed, seconds per outer iteration (median)")
    implementations = [
        ("plain", plain_outer_iteration),
        ("skdistill torch path", skdistill_torch_outer_iteration),
        ("skdistill numba path", skdistill_numba_outer_iteration),
        ("skdistill default", skdistill_outer_iteration),
    ]
    if not _fastpath_available():
        print("   (numba is not installed: the numba path runs the torch path)")
    torch.set_num_threads(1)
    for config, target in (("paper", 30), ("wide", 15)):
        syn_X, syn_Y, log_lr, X_real, y_real, generator = _problem(config=config)
        runs = {}
        for name, function in implementations:
            learned = [t.clone().requires_grad_(True) for t in (syn_X, syn_Y, log_lr)]
            runs[name] = (function, learned, torch.optim.Adam(learned, lr=0.003))
        times = {name: [] for name in runs}
        for _ in range(repeats + 1):  # the first round warms up (and compiles)
            for name, (function, learned, optimizer) in runs.items():
                times[name].append(
                    _timed(
                        function, learned, optimizer, X_real, y_real, generator, config
                    )
                )
        medians = {name: statistics.median(t[1:]) for name, t in times.items()}
        n_features, n_classes, hidden, n_steps, n_epochs, per_step = CONFIGS[config]
        print(
            f"   {config}: hidden {hidden}, {n_features} features, {n_classes} "
            f"classes, {n_steps} x {n_epochs} steps, {per_step} rows per step, "
            f"{N_MODELS} models, batch {BATCH}"
        )
        for name, value in medians.items():
            ratio = medians["plain"] / value
            print(f"     {name:<22} {value:8.4f}   plain / this {ratio:6.1f}x")
        achieved = medians["plain"] / medians["skdistill default"]
        verdict = "met" if achieved >= target else "NOT met"
        print(f"     target {target}x the plain loop (default path): {verdict}")


def _fastpath_available():
    from skdistill._engine import fastpath as _fastpath

    return _fastpath.numba is not None


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
from skdistill._nets.mlp import layer_sizes, xavier_init
from skdistill._engine.reverse import distillation_value_and_grad
torch.set_num_threads(1)
segments = None if sys.argv[1] == "none" else int(sys.argv[1])
hidden = tuple(int(h) for h in sys.argv[2].split(","))
per_step, n_models = int(sys.argv[3]), int(sys.argv[4])
backend = sys.argv[5]
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
distillation_value_and_grad(
    syn_X, syn_Y, lrs[:4], init, X_real, y_real, segments, backend=backend
)
# Reset the peak (VmHWM) to the current RSS: the peak of the imports would
# otherwise hide any unroll smaller than it.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status_kib("VmRSS")
distillation_value_and_grad(
    syn_X, syn_Y, lrs, init, X_real, y_real, segments, backend=backend
)
print(status_kib("VmHWM") - before)
"""


def memory():
    print("\n3. Memory of one outer iteration over 1000 unrolled steps, 100 features")
    backends = ("torch", "numba") if _fastpath_available() else ("torch",)
    for title, shape in (
        ("a (256, 256) MLP, 10 rows per step, 1 model", ("256,256", "10", "1")),
        ("a (10,) MLP, 64 rows per step, 3 models", ("10", "64", "3")),
    ):
        for backend in backends:
            print(f"   {title}, {backend} path:")
            _memory_of((*shape, backend))


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
    # A fixed batch: batch_size="auto" grows with the rows, and this section
    # measures what the number of rows alone costs.
    base = dict(
        n_steps=10,
        n_epochs=2,
        samples_per_step=8,
        n_models=3,
        batch_size=64,
        random_state=0,
    )
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


# (n_features, hidden, n_classes, rows per step) around the selection rule;
# 10 x 5 steps, 3 models, real batch 64.
CROSSOVER_SHAPES = [
    (2, (10,), 2, 8),
    (2, (10,), 2, 64),
    (10, (32,), 2, 16),
    (10, (32,), 2, 64),
    (20, (64, 64), 10, 10),
    (20, (64, 64), 10, 16),
    (20, (64, 64), 10, 32),
    (20, (64, 64), 10, 64),
    (100, (10,), 2, 64),
    (50, (128,), 10, 32),
    (20, (128, 128), 10, 10),
    (100, (256, 256), 2, 10),
    (100, (256, 256), 2, 64),
    (200, (512,), 10, 128),
]


def crossover(repeats):
    from skdistill._engine import fastpath as _fastpath

    print("\n6. Crossover, seconds per call of distillation_value_and_grad (median)")
    if not _fastpath_available():
        print("   skipped: numba is not installed")
        return
    print(
        "   rule: compiled path if multiply-adds per internal step and network "
        f"<= {_fastpath.MAX_STEP_MACS:,}"
    )
    print(
        "   features hidden        classes rows  MACs/step     torch     numba"
        "  torch/numba  rule picks"
    )
    torch.set_num_threads(1)
    for n_features, hidden, n_classes, rows in CROSSOVER_SHAPES:
        generator = torch.Generator().manual_seed(0)
        syn_X = torch.randn((10, rows, n_features), generator=generator)
        index = torch.arange(10 * rows).reshape(10, rows) % n_classes
        syn_Y = F.one_hot(index, n_classes).float()
        lrs = torch.full((50,), 0.01)
        sizes = layer_sizes(n_features, hidden, n_classes)
        inits = [xavier_init(sizes, N_MODELS, generator=generator)]
        X_real = torch.randn((BATCH, n_features), generator=generator)
        y_real = torch.randint(0, n_classes, (BATCH,), generator=generator)
        args = (syn_X, syn_Y, lrs, inits, X_real, y_real)
        times = {"torch": [], "numba": []}
        for _ in range(repeats + 1):
            for backend in times:
                times[backend].append(
                    _timed(distillation_value_and_grad, *args, None, backend)
                )
        torch_s, numba_s = (statistics.median(t[1:]) for t in times.values())
        picks = "numba" if _fastpath.use_fast_path(syn_X, inits, X_real) else "torch"
        print(
            f"   {n_features:>8} {str(hidden):<14} {n_classes:>7} {rows:>4} "
            f"{_fastpath.step_macs(sizes, rows):>10,} {torch_s:9.4f} {numba_s:9.4f}"
            f" {torch_s / numba_s:12.2f}  {picks}"
        )


_COMPILE_CHILD = """
import time
start = time.perf_counter()
import torch
from skdistill._nets.mlp import layer_sizes, xavier_init
from skdistill._engine.reverse import distillation_value_and_grad
imported = time.perf_counter()
torch.set_num_threads(1)
g = torch.Generator().manual_seed(0)
syn_X = torch.randn((4, 8, 2), generator=g)
syn_Y = torch.softmax(torch.randn((4, 8, 2), generator=g), -1)
init = [xavier_init(layer_sizes(2, (10,), 2), 3, generator=g)]
args = (syn_X, syn_Y, torch.full((8,), 0.1), init, syn_X[0], torch.tensor([0, 1] * 4))
distillation_value_and_grad(*args, backend="numba")
first = time.perf_counter()
distillation_value_and_grad(*args, backend="numba")
second = time.perf_counter()
print(imported - start, first - imported, second - first)
"""


def compile_time():
    print("\n7. Compile time of the numba path (float32), fresh processes")
    if not _fastpath_available():
        print("   skipped: numba is not installed")
        return
    with tempfile.TemporaryDirectory() as cache:
        for label in ("empty cache", "warm cache"):
            output = subprocess.run(
                [sys.executable, "-c", _COMPILE_CHILD],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "NUMBA_CACHE_DIR": cache},
            )
            imported, first, second = map(float, output.stdout.split())
            print(
                f"   {label:<12} import {imported:5.2f} s   first call {first:6.2f} s"
                f"   second call {second:.4f} s"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--only", help="comma-separated section numbers to run (default: all)"
    )
    args = parser.parse_args()
    only = None if args.only is None else {int(s) for s in args.only.split(",")}

    def wanted(section):
        return only is None or section in only

    default_threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {default_threads} intra-op threads by default")
    if wanted(1):
        speed(args.repeats)
    if wanted(2):
        threads(args.repeats, default_threads)
    if wanted(3) and not args.skip_memory:
        memory()
    if wanted(4) and not args.skip_scale:
        scale()
    if wanted(5):
        progress(args.repeats)
    if wanted(6):
        crossover(args.repeats)
    if wanted(7):
        compile_time()


if __name__ == "__main__":
    main()
