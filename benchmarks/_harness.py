"""Shared plumbing of the benchmark scripts: seeds, threads, timing, ``--json``.

A script keeps printing its own table, and also records each printed row in a
`Report`; ``--json PATH`` then writes the rows with what produced them (the
command, the seed, the thread limit, the package versions) to a JSON file::

    from _harness import Report, Timer, add_harness_arguments, limited_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_harness_arguments(parser)          # --json PATH
    args = parser.parse_args()
    report = Report(__file__, args, threads=1)
    with limited_threads(1):               # torch and the BLAS pools
        with Timer() as timer:
            ...
        print(f"{name:<10} {score:.3f} {timer.wall:.1f}")
        report.row(set=name, accuracy=score, seconds=timer.wall)
    report.write(args.json)

Nothing here draws random numbers or touches a global random stream: the
scripts pass their seeds to the estimators (``random_state``), and
`Report` records them.
"""

import ast
import contextlib
import datetime
import json
import os
import pathlib
import platform
import shlex
import sys
import time

import numpy as np


def add_harness_arguments(parser, *, seed=None):
    """Add ``--json PATH`` (and ``--seed``, with this default, when given)."""
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the printed rows, the command and the versions to this "
        "JSON file",
    )
    if seed is not None:
        parser.add_argument(
            "--seed", type=int, default=seed, help=f"random_state (default {seed})"
        )
    return parser


def parse_params(text):
    """``"a=1,b='x'"`` -> ``{"a": 1, "b": "x"}``: values are Python literals,
    or plain strings where they are not (``"solver=adam"``)."""
    params = {}
    if not text:
        return params
    for item in text.split(","):
        key, _, value = item.partition("=")
        try:
            params[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = value.strip()
    return params


@contextlib.contextmanager
def limited_threads(n_threads=1):
    """torch's intra-op threads and the native thread pools (BLAS, OpenMP, via
    threadpoolctl) at ``n_threads`` inside the block, the caller's settings
    restored after it."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        with threadpool_limits(limits=n_threads):
            yield
    finally:
        torch.set_num_threads(before)


class Timer:
    """Wall-clock and process CPU seconds of a ``with`` block (``wall``,
    ``cpu``)."""

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info):
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        return False


def _plain(value):
    """JSON form of numpy scalars and arrays, tuples and other objects."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def _versions():
    versions = {"python": platform.python_version()}
    for name in ("skdistill", "torch", "sklearn", "numpy", "numba"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        versions[name] = getattr(module, "__version__", "unknown")
    return versions


class Report:
    """The rows a benchmark prints, for ``--json``.

    Parameters
    ----------
    script : str
        The script's ``__file__``.
    args : argparse.Namespace, optional
        Its parsed arguments, recorded as they are (``--json`` included).
    threads : int, optional
        The thread limit the measurements ran under (`limited_threads`).
    """

    def __init__(self, script, args=None, *, threads=None):
        self.script = pathlib.Path(script).name
        self.threads = threads
        self.arguments = {} if args is None else dict(vars(args))
        self.rows = []
        self._started = time.perf_counter()
        self._date = datetime.datetime.now(datetime.timezone.utc)

    def row(self, **fields):
        """Record one printed row (its fields by name); returns them."""
        self.rows.append(fields)
        return fields

    def table(self, comparison_table, **fields):
        """Record every row of a `skdistill.comparison_table` result: the data
        source, its size, and the mean and std of each column, with ``fields``
        (e.g. which table it is) added to each."""
        for i, source in enumerate(comparison_table.rows):
            cells = {}
            for j, column in enumerate(comparison_table.columns):
                cells[column] = comparison_table.mean[i, j]
                cells[f"{column} std"] = comparison_table.std[i, j]
            self.row(**fields, data=source, rows=comparison_table.sizes[i], **cells)

    def to_dict(self):
        return {
            "script": self.script,
            "command": shlex.join([os.path.basename(sys.executable), *sys.argv]),
            "arguments": self.arguments,
            "date": self._date.isoformat(timespec="seconds"),
            "wall_seconds": time.perf_counter() - self._started,
            "threads": self.threads,
            "cpu_count": os.cpu_count(),
            "versions": _versions(),
            "rows": self.rows,
        }

    def write(self, path):
        """Write the report to ``path`` as JSON; nothing when ``path`` is None."""
        if path is None:
            return
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.to_dict(), file, indent=2, default=_plain)
            file.write("\n")
