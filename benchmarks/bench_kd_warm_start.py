"""A warm start of (lambda_1, T) for KDMetaparamTuner from short fixed fits.

On the compression setting of ``bench_kd_tables.py`` (the same splits,
frozen ``HistGradientBoostingClassifier`` teacher, one perturbed row per
training row, ``(32,)`` students, 1500 iterations, 20 % validation): five
short fits (a tenth of the epochs) with fixed pairs -- the naive ``(0.5, 1)``
and four draws -- score their final validation cross-entropy; then, per set,
the tuner from ``(0.5, 1)`` ("tuned"), the tuner from the best pair ("warm")
and the best pair kept fixed ("best-fixed").

Run:  cd benchmarks && python bench_kd_warm_start.py SEED [FRACTION]
      [N_CANDIDATES] [SETS]   (e.g. ``python bench_kd_warm_start.py 0``);
      writes /tmp/kd_warm_start_s{SEED}.json.
"""

import json
import sys
import time
import zlib

import numpy as np
import torch
from bench_kd_tables import DEFAULT_SETS, split_and_teacher, with_transfer_rows
from suite_datasets import load_suite
from threadpoolctl import threadpool_limits

from skdistill._kd.tuner import KDMetaparamTuner


def main():
    torch.set_num_threads(1)
    threadpool_limits(1)
    seed = int(sys.argv[1])
    fraction = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    n_candidates = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    sets = sys.argv[4].split(",") if len(sys.argv) > 4 else DEFAULT_SETS
    out = {}
    for data in load_suite(sets, max_rows=3000):
        X_train, X_test, codes, y_test, teacher = split_and_teacher(data, seed)
        X, y = with_transfer_rows("perturb", X_train, codes, teacher, len(codes), seed)
        epochs = int(np.ceil(1500 / np.ceil(0.8 * len(y) / 64)))
        student = dict(
            hidden_layer_sizes=(32,),
            learning_rate_init=0.1,
            batch_size=64,
            validation_fraction=0.2,
            random_state=seed,
        )
        rng = np.random.RandomState([seed, 7, zlib.crc32(data.name.encode())])
        candidates = [(0.5, 1.0)] + [
            (rng.uniform(0, 1), 10 ** rng.uniform(-1, 1))
            for _ in range(n_candidates - 1)
        ]
        short = max(1, int(round(fraction * epochs)))
        start = time.perf_counter()
        scored = []
        for lam, temperature in candidates:
            model = KDMetaparamTuner(
                teacher,
                lambda_init=lam,
                temperature_init=temperature,
                meta_learning_rate=0,
                max_iter=short,
                **student,
            ).fit(X, y)
            scored.append((model.validation_loss_curve_[-1], lam, temperature))
        t_short = time.perf_counter() - start
        _, lam, temperature = min(scored)
        start = time.perf_counter()
        tuned = KDMetaparamTuner(teacher, max_iter=epochs, **student).fit(X, y)
        t_tuned = time.perf_counter() - start
        warm = KDMetaparamTuner(
            teacher,
            lambda_init=lam,
            temperature_init=temperature,
            max_iter=epochs,
            **student,
        ).fit(X, y)
        fixed = KDMetaparamTuner(
            teacher,
            lambda_init=lam,
            temperature_init=temperature,
            meta_learning_rate=0,
            max_iter=epochs,
            **student,
        ).fit(X, y)
        r = dict(
            tuned=tuned.score(X_test, y_test),
            warm=warm.score(X_test, y_test),
            fixed_best=fixed.score(X_test, y_test),
            best=(lam, temperature),
            t_short=t_short,
            t_tuned=t_tuned,
        )
        out[data.name] = r
        print(
            f"{data.name:14s} tuned {r['tuned']:.3f} warm {r['warm']:.3f} "
            f"best-fixed {r['fixed_best']:.3f} start ({lam:.2f},{temperature:.2f}) "
            f"short {t_short:.1f}s tuned {t_tuned:.1f}s",
            flush=True,
        )
    for key in ("tuned", "warm", "fixed_best", "t_short", "t_tuned"):
        print(f"mean {key}: {np.mean([r[key] for r in out.values()]):.4f}")
    with open(f"/tmp/kd_warm_start_s{seed}.json", "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
