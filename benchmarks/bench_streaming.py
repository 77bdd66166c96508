"""Distilling a table larger than memory: peak memory and one-pass throughput.

Generates a parquet table of N rows (8 float32 features and an int8 label
that depends on them; one file of 10^6 rows per partition), then, each in a
fresh process:

* ``lazy``: ``DatasetDistiller.fit`` on ``dask.dataframe.read_parquet(path)``,
  which scans the table once (standardisation, classes, checks) and then
  reads a few partitions at a time;
* ``in-memory`` (only with ``--in-memory``): the same table read into pandas
  first and fitted as an ordinary DataFrame.

For each it prints the peak resident memory of the process (VmHWM), the
seconds and rows per second of the one-pass statistics, and the seconds of the
outer iterations.

    python benchmarks/bench_streaming.py --rows 10000000 --in-memory
    python benchmarks/bench_streaming.py --rows 100000000
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS_PER_FILE = 1_000_000
N_FEATURES = 8


def generate(path, n_rows, seed=0):
    """Write the table, one parquet file per million rows; return the path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    marker = path / f"_complete_{n_rows}"
    if marker.exists():
        return path
    rng = np.random.default_rng(seed)
    w = rng.normal(size=N_FEATURES)
    for start in range(0, n_rows, ROWS_PER_FILE):
        n = min(ROWS_PER_FILE, n_rows - start)
        X = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
        score = X @ w + 0.5 * np.sin(3 * X[:, 0]) + 0.3 * rng.normal(size=n)
        label = np.digitize(score, [-1.0, 1.0]).astype(np.int8)  # 3 classes
        columns = {f"x{j}": X[:, j] for j in range(N_FEATURES)}
        columns["label"] = label
        pq.write_table(
            pa.table(columns), path / f"part-{start // ROWS_PER_FILE:05d}.parquet"
        )
    marker.touch()
    return path


def child(mode, path, max_iter):
    """Run one fit in this process and print a JSON line of its figures."""
    import dask
    import dask.dataframe as dd

    from skdistill import DatasetDistiller

    dask.config.set(scheduler="threads", num_workers=2)
    features = [f"x{j}" for j in range(N_FEATURES)]
    frame = dd.read_parquet(str(path))
    if mode == "in-memory":
        frame = frame.compute()
    # The figures in doc/scaling.md were recorded with 64 real rows per outer
    # iteration, the default then (now "auto": 1024 at these sizes).
    distiller = DatasetDistiller(
        n_steps=10, n_epochs=3, batch_size=64, max_iter=max_iter, random_state=0
    )
    scan = float("nan")
    if mode == "lazy":
        from skdistill._data.streaming import LazyRows

        start = time.perf_counter()
        LazyRows(frame[features], frame["label"]).scan()
        scan = time.perf_counter() - start
    start = time.perf_counter()
    distiller.fit(frame[features], frame["label"])
    total = time.perf_counter() - start
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(
        json.dumps(
            {
                "mode": mode,
                "peak_mib": peak / 1024,
                "fit_seconds": total,
                "scan_seconds": scan,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--path", default=None, help="where to keep the table")
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the table")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.max_iter)
        return
    root = Path(args.path or tempfile.mkdtemp(prefix="skdistill-bench-"))
    path = root / f"table-{args.rows}"
    start = time.perf_counter()
    generate(path, args.rows)
    size = sum(f.stat().st_size for f in path.glob("*.parquet")) / 2**20
    print(
        f"table: {args.rows:,} rows x {N_FEATURES} float32 features + label, "
        f"{size:,.0f} MiB of parquet ({time.perf_counter() - start:.0f} s to write)"
    )
    modes = ["lazy"] + (["in-memory"] if args.in_memory else [])
    print(f"{'mode':<10} {'peak RSS':>10} {'scan s':>8} {'rows/s':>12} {'fit s':>8}")
    try:
        for mode in modes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(path),
                 "--max-iter", str(args.max_iter)],
                capture_output=True, text=True, check=False,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )  # fmt: skip
            if out.returncode:
                print(f"{mode:<10} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rate = args.rows / r["scan_seconds"] if r["scan_seconds"] else float("nan")
            print(
                f"{mode:<10} {r['peak_mib']:>7.0f} MiB {r['scan_seconds']:>8.1f} "
                f"{rate:>12,.0f} {r['fit_seconds']:>8.1f}"
            )
    finally:
        if not (args.keep or args.path):
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
