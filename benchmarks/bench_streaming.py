"""Distilling a table larger than memory: peak memory and one-pass throughput.

Generates a parquet table of N rows (8 float32 features and an int8 label
that depends on them), laid out either as one file of 10^6 rows per million
rows (``--layout files``) or as a single file of row groups of 500,000 rows
(``--layout one-file``; the same rows). Then, each in a fresh process, it fits
``DatasetDistiller`` at its defaults (early stopping included; ``max_iter``
set by ``--max-iter``) on the table read in one of these ways (``--modes``):

* ``path``: ``fit(path, "label")``; the distiller reads the parquet table
  with pyarrow, one row group at a time, in record batches;
* ``dask``: ``fit(frame[features], frame["label"])`` on
  ``dask.dataframe.read_parquet(path)`` (one partition per file, so a single
  file is a single partition);
* ``dask-split``: the same with ``read_parquet(path, split_row_groups=True)``
  (one partition per row group);
* ``in-memory``: the table read into pandas first and fitted as an ordinary
  DataFrame.

For each it prints the peak resident memory of the process (VmHWM), the
seconds and rows per second of the one pass (timed on its own first), and the
seconds of the whole fit (the pass again, then the outer iterations).

    python benchmarks/bench_streaming.py --rows 10000000 --layout one-file
    python benchmarks/bench_streaming.py --rows 10000000 --layout files
    python benchmarks/bench_streaming.py --rows 100000000 --layout one-file \
        --modes path,dask-split
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
ROWS_PER_GROUP = 500_000
N_FEATURES = 8
MODES = ("path", "dask", "dask-split", "in-memory")


def generate(path, n_rows, layout, seed=0):
    """Write the table (the same rows in either layout); return its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    marker = path / f"_complete_{n_rows}"
    target = path / "table.parquet" if layout == "one-file" else path
    if marker.exists():
        return target
    rng = np.random.default_rng(seed)
    w = rng.normal(size=N_FEATURES)
    schema = pa.schema(
        [(f"x{j}", pa.float32()) for j in range(N_FEATURES)] + [("label", pa.int8())]
    )
    writer = pq.ParquetWriter(target, schema) if layout == "one-file" else None
    try:
        for start in range(0, n_rows, ROWS_PER_FILE):
            n = min(ROWS_PER_FILE, n_rows - start)
            X = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
            score = X @ w + 0.5 * np.sin(3 * X[:, 0]) + 0.3 * rng.normal(size=n)
            label = np.digitize(score, [-1.0, 1.0]).astype(np.int8)  # 3 classes
            columns = {f"x{j}": X[:, j] for j in range(N_FEATURES)}
            columns["label"] = label
            table = pa.table(columns, schema=schema)
            if writer is not None:
                writer.write_table(table, row_group_size=ROWS_PER_GROUP)
            else:
                name = f"part-{start // ROWS_PER_FILE:05d}.parquet"
                pq.write_table(table, path / name)
    finally:
        if writer is not None:
            writer.close()
    marker.touch()
    return target


def child(mode, path, max_iter):
    """Run one fit in this process and print a JSON line of its figures."""
    import dask
    import dask.dataframe as dd

    from skdistill import DatasetDistiller
    from skdistill._data.streaming import lazy_rows

    dask.config.set(scheduler="threads", num_workers=2)
    features = [f"x{j}" for j in range(N_FEATURES)]
    if mode == "path":
        X, y = str(path), "label"
        n_parts = None
    else:
        split = {"split_row_groups": True} if mode == "dask-split" else {}
        frame = dd.read_parquet(str(path), **split)
        n_parts = frame.npartitions
        if mode == "in-memory":
            frame = frame.compute()
        X, y = frame[features], frame["label"]
    distiller = DatasetDistiller(max_iter=max_iter, n_threads=1, random_state=0)
    scan = float("nan")
    if mode != "in-memory":
        start = time.perf_counter()
        rows = lazy_rows(X, y).scan(seed=0, hold_out=0.2)
        scan = time.perf_counter() - start
        n_parts = len(rows.partition_sizes)
        del rows
    start = time.perf_counter()
    distiller.fit(X, y)
    total = time.perf_counter() - start
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(
        json.dumps(
            {
                "mode": mode,
                "parts": n_parts,
                "peak_mib": peak / 1024,
                "fit_seconds": total,
                "scan_seconds": scan,
                "n_iter": distiller.n_iter_,
                "best_score": max(distiller.validation_scores_),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--layout", choices=("files", "one-file"), default="files")
    parser.add_argument("--modes", default="path,dask,dask-split")
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--path", default=None, help="where to keep the table")
    parser.add_argument("--keep", action="store_true", help="keep the table")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.max_iter)
        return
    modes = args.modes.split(",")
    if set(modes) - set(MODES):
        parser.error(f"--modes takes some of {MODES}")
    root = Path(args.path or tempfile.mkdtemp(prefix="skdistill-bench-"))
    start = time.perf_counter()
    path = generate(root / f"{args.layout}-{args.rows}", args.rows, args.layout)
    files = [path] if path.is_file() else list(path.glob("*.parquet"))
    size = sum(f.stat().st_size for f in files) / 2**20
    print(
        f"table: {args.rows:,} rows x {N_FEATURES} float32 features + label, "
        f"{len(files)} parquet file(s), {size:,.0f} MiB "
        f"({time.perf_counter() - start:.0f} s to write)"
    )
    print(
        f"{'mode':<11} {'parts':>6} {'peak RSS':>10} {'pass s':>7} {'rows/s':>12} "
        f"{'fit s':>7} {'iters':>6} {'val acc':>8}"
    )
    try:
        for mode in modes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(path),
                 "--max-iter", str(args.max_iter)],
                capture_output=True, text=True, check=False,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )  # fmt: skip
            if out.returncode:
                why = out.stderr.strip().splitlines() or [f"exit {out.returncode}"]
                print(f"{mode:<11} failed: {why[-1]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rate = args.rows / r["scan_seconds"] if r["scan_seconds"] else float("nan")
            print(
                f"{mode:<11} {r['parts']:>6} {r['peak_mib']:>6.0f} MiB "
                f"{r['scan_seconds']:>7.1f} {rate:>12,.0f} {r['fit_seconds']:>7.1f} "
                f"{r['n_iter']:>6} {r['best_score']:>8.3f}"
            )
    finally:
        if not (args.keep or args.path):
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
