"""Long learned runs: replay of distilled sets against the full-data MLP, per seed.

A short loop over distillation seeds for the settings of the horizon section of
``doc/dataset_distiller.md`` (``unroll_window``, ``n_epochs``,
``feature_steps``). For every set and seed: ``DatasetDistiller(architectures=
((32, 32),), random_state=seed, **params)``, its CPU seconds, and the replay
measured exactly as the benchmark that owns the set measures it:

* a suite set or a large table of ``suite_datasets.py`` (``LARGE_NAMES``) as
  ``bench_suite.py`` does a suite set: the stratified 1/3 test split (seed 0),
  standardised, ``distillation_accuracy`` of 5 fresh (32, 32) networks, against
  ``MLPClassifier((32, 32), max_iter=500)`` on all training rows (3 seeds);
* a table of ``bench_robustness.py`` (``heavy_tails``, ...) as it does: 3 replays
  per distillation (seeds ``1000 * seed + k``), balanced accuracy where the
  table asks for it, against the full-data MLP over the same seeds.

    python benchmarks/bench_horizon.py --sets heavy_tails,fishing --seeds 0,1
    python benchmarks/bench_horizon.py --sets fishing --seeds 0,1,2,3,4 \\
        --params n_epochs=16,unroll_window=40

``--then PARAMS`` measures a progressive horizon: the distillation at
``--params`` runs to its early stop, and a second distillation at ``--params``
updated by ``--then`` (for example a longer run, ``n_epochs=24``) starts from
its best set -- rows, soft labels and learned rates, the rates of the steps
the first run did not have set to those of its last epoch (``--extend last``)
or to its whole run repeated (``--extend repeat``) -- and runs to its own early
stop. The replay is of the second set; the CPU seconds and iterations are those
of both. (A prototype on the distiller's private ``_outer_state`` hook; the
distiller's ``second_stage`` option is the same method inside one fit, the second
stage continuing the fit's random streams: ``--params second_stage=auto``.)

    python benchmarks/bench_horizon.py --sets fishing,yogurt --seeds 0,1,2,3,4 \\
        --then n_epochs=24,n_models=2,n_iter_no_change=150
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_robustness  # noqa: E402
import bench_suite  # noqa: E402
from _harness import parse_params  # noqa: E402
from suite_datasets import LARGE_NAMES, SUITE_NAMES, load_suite  # noqa: E402

from skdistill import (  # noqa: E402
    DatasetDistiller,
    DistilledMLPClassifier,
    distillation_accuracy,
)
from skdistill._tabular.sizes import auto_n_steps, resolve_n_epochs  # noqa: E402

HIDDEN = (32, 32)


class _FirstPhase(DatasetDistiller):
    """Keeps its outer state: after ``fit`` the best set of early stopping."""

    def _outer_state(self, *args, **options):
        self.outer_state_ = super()._outer_state(*args, **options)
        return self.outer_state_


class _NextPhase(DatasetDistiller):
    """Starts from ``start``, ``(X, Y, log_lr)`` of a first phase, its rates
    extended to the longer run as ``extend`` says."""

    start = None
    extend = "last"

    def _outer_state(self, rows, row_class, n_total_steps, lr_init, **options):
        state = super()._outer_state(rows, row_class, n_total_steps, lr_init, **options)
        X, Y, log_lr = self.start
        n_steps, n_first = X.shape[0], log_lr.shape[0]
        if n_total_steps % n_steps or n_total_steps < n_first:
            raise ValueError("--then must keep n_steps and not shorten the run")
        if self.extend == "last":
            tail = log_lr[n_first - n_steps :]
            extra = [tail] * ((n_total_steps - n_first) // n_steps)
            rates = torch.cat([log_lr, *extra])
        else:
            whole = -(-n_total_steps // n_first)
            rates = log_lr.repeat(whole)[:n_total_steps]
        with torch.no_grad():
            for tensor, value in zip((state.X, state.Y, state.log_lr), (X, Y, rates)):
                tensor.copy_(value)
            if state.averaged is not None:
                for tensor, value in zip(state.averaged, (X, Y, rates)):
                    tensor.copy_(value)
        return state


def fit_timed(distiller, X, y):
    """Fit; return the process CPU seconds."""
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        distiller.fit(X, y)
    return time.process_time() - start


def fit_progressive(X, y, params, then, seed, extend="last", min_steps=None):
    """``(distiller, CPU seconds, iterations)`` of a distillation at
    ``params`` (``then=None``) or of the progressive one: a second run at
    ``params`` updated by ``then`` from the first's best set. With
    ``min_steps``, where the "auto" sizes' run already has as many internal
    steps, the distillation is the defaults' (neither ``params`` nor a second
    run), and where ``then`` does not give ``n_epochs``, the second run's is
    the fewest epochs of at least ``min_steps`` steps. (The rule reads the
    "auto" sizes of a table without heavy-tailed columns: 8 epochs.) The
    progressive runs start from three internal networks over 8 epochs unless
    ``params`` says otherwise (``n_models=3``: the distiller's run before its
    single long run, which the prototype was measured from)."""
    if then is not None and min_steps is not None:
        n_steps = auto_n_steps(len(X))
        if n_steps * resolve_n_epochs("auto", False) >= min_steps:
            params, then = {}, None
        elif "n_epochs" not in then:
            then = {**then, "n_epochs": -(-min_steps // n_steps)}
    if then is not None:
        params = {"n_models": 3, **params}
        then = {**params, **then}
    first = DatasetDistiller if then is None else _FirstPhase
    distiller = first(architectures=(HIDDEN,), **{**params, "random_state": seed})
    seconds = fit_timed(distiller, X, y)
    # "330+160": the iterations of each stage, when a second stage ran.
    n_iter = "+".join(map(str, getattr(distiller, "stage_iterations_", [])))
    n_iter = n_iter or str(distiller.n_iter_)
    if then is None:
        return distiller, seconds, n_iter
    state = distiller.outer_state_
    _NextPhase.start = (state.X.clone(), state.Y.clone(), state.log_lr.clone())
    _NextPhase.extend = extend
    distiller = _NextPhase(architectures=(HIDDEN,), **{**then, "random_state": seed})
    seconds += fit_timed(distiller, X, y)
    return distiller, seconds, f"{n_iter}+{distiller.n_iter_}"


def load(name, seeds):
    """``(X, X_test, y, y_test, replay, full)``: the standardised split, a
    replay scorer ``replay(distiller, seed)`` and the full-data score."""
    if name in bench_robustness.TABLES:
        (X, X_te, y, y_te), balanced = bench_robustness.TABLES[name](False)
        scaler = StandardScaler().fit(X)
        X, X_te = scaler.transform(X), scaler.transform(X_te)

        def replay(distiller, seed):
            frozen = FrozenEstimator(distiller)
            scores = []
            for k in range(bench_robustness.REPLAY_MODELS):
                clf = DistilledMLPClassifier(
                    HIDDEN, distiller=frozen, random_state=1000 * seed + k
                ).fit(X, y)
                scores.append(bench_robustness.score(y_te, clf.predict(X_te), balanced))
            return float(np.mean(scores))

        full = bench_robustness.full_mlp(X, y, X_te, y_te, seeds, balanced)
        return X, X_te, y, y_te, replay, full
    (data,) = load_suite([name])
    X, X_te, y, y_te = train_test_split(
        data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
    )
    scaler = StandardScaler().fit(X)
    X, X_te = scaler.transform(X), scaler.transform(X_te)

    def replay(distiller, seed):
        clf = DistilledMLPClassifier(HIDDEN, distiller=FrozenEstimator(distiller))
        score = distillation_accuracy(clf, X, y, X_te, y_te, n_models=5, random_state=0)
        return score.mean

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full, _ = bench_suite.mlp_accuracy(X, y, X_te, y_te, range(3), max_iter=500)
    return X, X_te, y, y_te, replay, full


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = list(SUITE_NAMES) + list(LARGE_NAMES) + list(bench_robustness.TABLES)
    parser.add_argument("--sets", required=True, help=f"comma-separated, of {names}")
    parser.add_argument("--seeds", default="0,1", help="distillation seeds")
    parser.add_argument(
        "--params", default="", help="DatasetDistiller parameters, e.g. n_epochs=16"
    )
    parser.add_argument(
        "--then",
        default="",
        help="a second distillation from the first's best set, at --params "
        "updated by these (e.g. n_epochs=24); see the module docstring",
    )
    parser.add_argument("--extend", choices=("last", "repeat"), default="last")
    parser.add_argument(
        "--min-steps",
        type=int,
        help="with --then: the defaults alone where their run has this many "
        "steps; else, unless --then gives n_epochs, the fewest epochs giving as many",
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    params = parse_params(args.params)
    then = parse_params(args.then) if args.then else None
    print(f"DatasetDistiller(architectures=({HIDDEN},), {args.params}); seeds {seeds}")
    if then is not None:
        print(
            f"then from its best set: {args.then} (rates extended: {args.extend}; "
            f"min steps: {args.min_steps})"
        )
    print(
        "| set | full MLP | replay per seed | mean | % of full | % per seed | "
        "lowest % | CPU s | iters |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        if name not in names:
            parser.error(f"unknown set {name!r}; choose from {names}")
        X, _, y, _, replay, full = load(name, seeds)
        scores, cpu, iters = [], [], []
        for seed in seeds:
            distiller, seconds, n_iter = fit_progressive(
                X, y, params, then, seed, args.extend, args.min_steps
            )
            cpu.append(seconds)
            iters.append(n_iter)
            scores.append(replay(distiller, seed))
        per_seed = " / ".join(f"{s:.3f}" for s in scores)
        ratios = 100 * np.asarray(scores) / full
        print(
            f"| {name} | {full:.3f} | {per_seed} | {np.mean(scores):.3f} | "
            f"{np.mean(ratios):.1f} | {' / '.join(f'{r:.1f}' for r in ratios)} | "
            f"{ratios.min():.1f} | {np.mean(cpu):.1f} | "
            f"{' / '.join(map(str, iters))} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
