"""The README's demo as a new user runs it: first run, then later runs.

``skdistill demo`` (the README's main command, pictures included) in fresh
processes, for one or more checkouts of the package (``PYTHONPATH`` set to
each), each with its own empty numba cache directory (``NUMBA_CACHE_DIR``)
and matplotlib configuration directory (``MPLCONFIGDIR``), which is what a
fresh install has: the first run compiles the numba kernels and builds
matplotlib's font cache, the later runs load them. The checkouts are
interleaved run by run so that they share the machine's load. Wall seconds and
the CPU seconds of the child (user + system) are printed for every run, and
the fit seconds the demo reports ("Distilled in ...").

A checkout given as ``PATH:torch`` runs with ``SKDISTILL_DISABLE_NUMBA=1``:
the package as installed without numba.

Target: the first run <= 30 s wall on 2 cores, compile included; later runs
as fast as before.

Run:  python benchmarks/bench_first_run.py [--checkout PATH[:torch] ...]
      [--repeats 3] [--warm-runs 1]
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_demo(checkout, torch_only, cache_dir, work_dir):
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "NUMBA_CACHE_DIR": str(cache_dir / "numba"),
        "MPLCONFIGDIR": str(cache_dir / "matplotlib"),
        "MPLBACKEND": "Agg",
    }
    env.pop("SKDISTILL_DISABLE_NUMBA", None)
    if torch_only:
        env["SKDISTILL_DISABLE_NUMBA"] = "1"
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "skdistill", "demo"],
        cwd=work_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    fit = float(re.search(r"Distilled in ([0-9.]+) s", result.stdout).group(1))
    return wall, cpu, fit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkout",
        action="append",
        help="a checkout to measure, PATH or PATH:torch (default: this one)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=1)
    args = parser.parse_args()
    checkouts = []
    for spec in args.checkout or [str(HERE)]:
        path, _, mode = spec.partition(":")
        checkouts.append((Path(path).resolve(), mode == "torch", spec))

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    try:
        print(f"load average before: {os.getloadavg()}")
    except OSError:
        pass
    records = {spec: {"first": [], "later": []} for *_, spec in checkouts}
    for repeat in range(args.repeats):
        for checkout, torch_only, spec in checkouts:
            with tempfile.TemporaryDirectory() as tmp:
                cache, work = Path(tmp, "cache"), Path(tmp, "work")
                for directory in (cache / "numba", cache / "matplotlib", work):
                    directory.mkdir(parents=True)
                for run in range(1 + args.warm_runs):
                    kind = "first" if run == 0 else "later"
                    wall, cpu, fit = run_demo(checkout, torch_only, cache, work)
                    records[spec][kind].append((wall, cpu, fit))
                    print(
                        f"  repeat {repeat} {spec:<40} {kind:<5} run: "
                        f"{wall:6.1f} s wall {cpu:6.1f} s CPU   fit {fit:5.1f} s",
                        flush=True,
                    )
    try:
        print(f"load average after: {os.getloadavg()}")
    except OSError:
        pass

    print("\nskdistill demo, median over repeats (wall / CPU / the demo's fit, s)")
    print(f"  {'checkout':<40} {'first run':>22}   {'later runs':>22}")
    for *_, spec in checkouts:
        cells = []
        for kind in ("first", "later"):
            rows = records[spec][kind]
            if not rows:
                cells.append(f"{'-':>22}")
                continue
            wall, cpu, fit = (statistics.median(column) for column in zip(*rows))
            cells.append(f"{wall:6.1f} / {cpu:5.1f} / {fit:5.1f}")
        print(f"  {spec:<40} {cells[0]:>22}   {cells[1]:>22}")


if __name__ == "__main__":
    main()
