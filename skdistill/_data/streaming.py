"""Real rows for the distiller: in memory, or read lazily from a Dask collection.

Distillation reads only ``batch_size`` real rows per outer iteration, so the
real data need never be in memory at once. What it needs of the whole data is
one pass: the number of rows, the standardisation, the classes, and the checks
that every value is a finite number and every label present. This module gives
the distiller its real rows through one interface, `RealRows`:

* `InMemoryRows`: a numpy array, visited in shuffled epochs (every row once
  per epoch, in a fresh random order each time).
* `LazyRows`: a Dask DataFrame or Array (e.g. ``dask.dataframe.read_parquet``).
  `LazyRows.scan` makes the one pass, partition by partition, combining
  per-partition means and sums of squares with Chan's parallel formula.
  Batches are then drawn from a buffer of ``partitions_in_memory`` partitions
  chosen at random: every epoch visits the partitions in a fresh random order
  and every row of a buffer once, in a random order. So every row is visited
  exactly once per epoch, as in memory, and a batch mixes rows from several
  partitions instead of one.

dask is an optional dependency, imported only when a lazy input is given.
"""

import sys

import numpy as np
import torch
from sklearn.utils.multiclass import type_of_target


def is_lazy(data):
    """True for a Dask collection (without importing dask when it is absent)."""
    if "dask" not in sys.modules:
        return False
    from dask.base import is_dask_collection

    return is_dask_collection(data)


class InMemoryRows:
    """Standardised rows in memory (tensors), visited in shuffled epochs."""

    def __init__(self, X_std, y_index, rng, batch_size):
        self.X_std, self.y_index, self.rng = X_std, y_index, rng
        self.n_samples = len(y_index)
        self.batch_size = min(batch_size, self.n_samples)
        self.order, self.cursor = rng.permutation(self.n_samples), 0

    def next_batch(self):
        """``(X_std, y_index)`` of the next batch."""
        if self.cursor + self.batch_size > self.n_samples:
            self.order, self.cursor = self.rng.permutation(self.n_samples), 0
        batch = self.order[self.cursor : self.cursor + self.batch_size]
        batch = torch.as_tensor(batch, device=self.X_std.device)
        self.cursor += self.batch_size
        return self.X_std[batch], self.y_index[batch]


def _delayed(function):
    """``function`` run lazily by dask (imported only when dask is used)."""

    def wrapper(*args):
        import dask

        return dask.delayed(function, pure=True)(*args)

    return wrapper


#: The column under which the labels travel with the rows of a lazy frame.
_TARGET = "__skdistill_target__"


@_delayed
def _split_frame(part):
    # Straight to numpy: a frame without the target column would be a copy.
    return part.iloc[:, :-1].to_numpy(), part[_TARGET].to_numpy()


@_delayed
def _pair(X, y):
    return X, y


#: Rows converted to float64 at a time, bounding the temporaries of a pass.
_CHUNK_ROWS = 65536


def _combine_moments(a, b):
    """Chan et al.'s parallel combination of ``(count, mean, sum of squares)``."""
    (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) = a, b
    if n_a == 0:
        return b
    total = n_a + n_b
    delta = mean_b - mean_a
    return (
        total,
        mean_a + delta * n_b / total,
        m2_a + m2_b + delta**2 * n_a * n_b / total,
    )


def _row_chunks(X):
    """``X`` as float64 blocks of at most `_CHUNK_ROWS` rows."""
    X = np.asarray(X)
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        yield np.asarray(X[start : start + _CHUNK_ROWS], dtype=np.float64)


@_delayed
def _partition_statistics(part):
    """What one pass needs of one partition (numpy in, small numpy out)."""
    import pandas as pd

    X, y = part
    missing = np.asarray(pd.isna(y), dtype=bool).ravel()
    labels = np.unique(np.asarray(y).ravel()[~missing])
    n_features = np.shape(X)[1]
    moments = (0, np.zeros(n_features), np.zeros(n_features))
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    n_nan = n_inf = 0
    with np.errstate(invalid="ignore", over="ignore"):
        for chunk in _row_chunks(X):
            mean = chunk.mean(axis=0)
            m2 = ((chunk - mean) ** 2).sum(axis=0)
            moments = _combine_moments(moments, (len(chunk), mean, m2))
            low = np.minimum(low, chunk.min(axis=0))
            high = np.maximum(high, chunk.max(axis=0))
            nan = np.isnan(chunk)
            n_nan += int(nan.sum())
            n_inf += int((~np.isfinite(chunk) & ~nan).sum())
    return (*moments, low, high, n_nan, n_inf, labels, int(missing.sum()))


class LazyRows:
    """Rows of a Dask collection, scanned once and sampled by partition.

    Parameters
    ----------
    X : dask DataFrame or dask Array of shape (n_samples, n_features)
        Numeric features; a Dask Array must be chunked along rows only.
    y : dask Series, DataFrame column or dask Array of shape (n_samples,)
        Class labels, partitioned like ``X``.
    partitions_in_memory : int, default=4
        Partitions held in the sampling buffer at a time.
    """

    def __init__(self, X, y, partitions_in_memory=4):
        self.partitions_in_memory = int(partitions_in_memory)
        self.feature_names = None
        if hasattr(X, "columns"):
            non_numeric = [
                str(c) for c, dtype in X.dtypes.items() if dtype.kind not in "biuf"
            ]
            if non_numeric:
                raise ValueError(
                    f"X has non-numeric columns {non_numeric}: encode them first "
                    "(e.g. with a OneHotEncoder); the lazy frame was not read."
                )
            self.feature_names = np.asarray([str(c) for c in X.columns], dtype=object)
            if not hasattr(y, "to_delayed") or getattr(y, "ndim", 1) != 1:
                raise TypeError(
                    "With a lazy X, y must be a dask Series taken from the same "
                    f"frame (e.g. frame['target']); got {type(y).__name__}."
                )
            # One frame keeps rows and labels in the same partitions, however
            # dask groups the partitions of a column projection.
            try:
                combined = X.assign(**{_TARGET: y})
            except Exception as exc:  # dask raises several types here
                raise ValueError(
                    "y cannot be aligned with X: take both from one Dask frame, "
                    f"e.g. frame[features] and frame['target'] ({exc})."
                ) from None
            parts = [_split_frame(p) for p in combined.to_delayed()]
        else:
            if X.ndim != 2:
                raise ValueError(f"Expected a 2-D dask array; got {X.ndim} dimensions.")
            if X.dtype.kind not in "biuf":
                raise ValueError(
                    f"X has dtype {X.dtype}; distillation needs numeric features."
                )
            if not hasattr(y, "rechunk") or y.ndim != 1 or y.shape[0] != X.shape[0]:
                raise TypeError(
                    "With a lazy X array, y must be a 1-D dask array of the same "
                    f"length; got {type(y).__name__}."
                )
            X = X.rechunk({1: -1})
            y = y.rechunk({0: X.chunks[0]})
            parts = [
                _pair(xb, yb) for xb, yb in zip(X.to_delayed()[:, 0], y.to_delayed())
            ]
        self.parts = parts

    def scan(self):
        """One pass over the data: sizes, standardisation, classes, checks.

        Sets ``n_samples``, ``n_features``, ``partition_sizes``, ``mean``,
        ``scale``, ``constant`` (columns that never vary) and ``classes``.
        Raises a ValueError naming the problem for missing or infinite
        values, missing labels, continuous labels, or fewer than two classes.
        """
        import dask

        stats = dask.compute(*[_partition_statistics(part) for part in self.parts])
        sizes = np.asarray([s[0] for s in stats])
        if sizes.sum() < 2:
            raise ValueError(
                f"Found {int(sizes.sum())} row(s) in the lazy X; at least 2 are "
                "required."
            )
        n_nan = sum(s[5] for s in stats)
        n_inf = sum(s[6] for s in stats)
        if n_nan:
            raise ValueError(
                f"Input X contains NaN ({n_nan} values): fill or drop them before "
                "distilling."
            )
        if n_inf:
            raise ValueError(
                f"Input X contains infinity ({n_inf} values) or a value too large "
                "for float64."
            )
        missing_labels = sum(s[8] for s in stats)
        if missing_labels:
            raise ValueError(
                f"y contains {missing_labels} missing labels (NaN or None); drop "
                "those rows first."
            )
        full = [s for s in stats if s[0]]
        n, mean, m2 = full[0][:3]
        for part in full[1:]:
            n, mean, m2 = _combine_moments((n, mean, m2), part[:3])
        low = np.min([s[3] for s in full], axis=0)
        high = np.max([s[4] for s in full], axis=0)
        classes = np.unique(np.concatenate([s[7] for s in full]))
        kind = type_of_target(classes)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {kind!r} in the lazy y.")
        if len(classes) < 2:
            raise ValueError(
                "The distiller needs at least two classes in y; got one class: "
                f"{classes[0]!r}."
            )
        scale = np.sqrt(m2 / n)
        self.constant = high == low
        # StandardScaler's convention: a column that does not vary keeps scale 1.
        scale[self.constant | (scale < 10 * np.finfo(np.float64).eps)] = 1.0
        self.n_samples, self.n_features = int(n), int(len(mean))
        self.partition_sizes = sizes
        self.mean, self.scale, self.classes = mean, scale, classes
        return self

    def start(self, rng, batch_size, dtype="float32"):
        """Begin sampling batches; call after `scan`."""
        self.rng = rng
        self.batch_size = min(int(batch_size), self.n_samples)
        self._partition_order, self._next_partition = self._new_partition_order(), 0
        # One buffer for the whole fit, refilled in place: standardised rows,
        # their labels, and the random order in which they are handed out.
        largest = np.sort(self.partition_sizes)[::-1][: self.partitions_in_memory]
        capacity = self.batch_size + int(largest.sum())
        self._rows = np.empty((capacity, self.n_features), dtype=dtype)
        self._labels = np.empty(capacity, dtype=np.int32)
        self._order, self._cursor = np.empty(0, dtype=np.int64), 0
        return self

    def _new_partition_order(self):
        return self.rng.permutation(np.flatnonzero(self.partition_sizes))

    def _sample_of(self, partitions, rng, max_rows):
        """Standardised rows and labels: an even share of ``max_rows`` drawn
        at random from each partition, read one at a time."""
        import dask

        share = max(1, max_rows // len(partitions))
        rows, labels = [], []
        for i in partitions:
            X, y = dask.compute(self.parts[i])[0]
            keep = rng.permutation(len(y))[:share]
            rows.append((np.asarray(X)[keep] - self.mean) / self.scale)
            labels.append(np.searchsorted(self.classes, np.asarray(y).ravel()[keep]))
        return np.concatenate(rows), np.concatenate(labels)

    def hold_out(self, fraction, rng, max_rows):
        """Set aside ``fraction`` of the partitions (at least one); return a
        sample of at most ``max_rows`` of their rows. Batches never come from
        them. Call after `scan`, before `start`."""
        filled = np.flatnonzero(self.partition_sizes)
        if len(filled) < 2:
            raise ValueError(
                "Early stopping on a Dask collection holds out whole partitions, "
                "and this one has a single partition: repartition it (e.g. "
                "frame.repartition(npartitions=10)) or pass validation_fraction=None."
            )
        n_held = min(len(filled) - 1, max(1, round(fraction * len(filled))))
        held = rng.choice(filled, n_held, replace=False)
        sample = self._sample_of(held, rng, max_rows)
        self.partition_sizes = self.partition_sizes.copy()
        self.partition_sizes[held] = 0
        self.n_samples = int(self.partition_sizes.sum())
        return sample

    def sample(self, rng, max_rows):
        """A sample of at most ``max_rows`` rows from ``partitions_in_memory``
        random partitions (those not held out)."""
        filled = np.flatnonzero(self.partition_sizes)
        chosen = rng.choice(
            filled, min(len(filled), self.partitions_in_memory), replace=False
        )
        return self._sample_of(chosen, rng, max_rows)

    def _refill(self):
        import dask

        chosen = []
        while len(chosen) < self.partitions_in_memory:
            if self._next_partition == len(self._partition_order):
                if chosen:
                    break
                self._partition_order = self._new_partition_order()
                self._next_partition = 0
            chosen.append(self._partition_order[self._next_partition])
            self._next_partition += 1
        # Rows the last buffer has not handed out yet move to its front: none
        # is skipped.
        left = self._order[self._cursor :]
        filled = len(left)
        self._rows[:filled], self._labels[:filled] = (
            self._rows[left],
            self._labels[left],
        )
        # One partition at a time: only one raw partition is in memory.
        for i in chosen:
            X, y = dask.compute(self.parts[i])[0]
            for chunk in _row_chunks(X):
                stop = filled + len(chunk)
                self._rows[filled:stop] = (chunk - self.mean) / self.scale
                filled = stop
            labels = np.searchsorted(self.classes, np.asarray(y).ravel())
            self._labels[filled - len(labels) : filled] = labels
            del X, y
        self._order, self._cursor = self.rng.permutation(filled), 0

    def next_batch(self):
        """``(X_std, y_index)`` of the next batch, as numpy arrays."""
        if len(self._order) - self._cursor < self.batch_size:
            self._refill()
        batch = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self._rows[batch], self._labels[batch]
