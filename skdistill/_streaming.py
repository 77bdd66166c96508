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


def _partition_statistics(X, y):
    """What one pass needs of one partition (numpy in, small numpy out)."""
    import pandas as pd

    X = np.asarray(X, dtype=np.float64)
    missing = np.asarray(pd.isna(y), dtype=bool).ravel()
    labels = np.asarray(y).ravel()[~missing]
    n = X.shape[0]
    if n == 0:
        zeros = np.zeros(X.shape[1])
        return n, zeros, zeros, zeros, zeros, 0, 0, labels, 0
    with np.errstate(invalid="ignore", over="ignore"):
        mean = X.mean(axis=0)
        m2 = ((X - mean) ** 2).sum(axis=0)
    nan = np.isnan(X)
    return (
        n,
        mean,
        m2,
        X.min(axis=0),
        X.max(axis=0),
        int(nan.sum()),
        int((~np.isfinite(X) & ~nan).sum()),
        np.unique(labels),
        int(missing.sum()),
    )


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
            X_parts = X.to_delayed()
        else:
            if X.ndim != 2:
                raise ValueError(f"Expected a 2-D dask array; got {X.ndim} dimensions.")
            if X.dtype.kind not in "biuf":
                raise ValueError(
                    f"X has dtype {X.dtype}; distillation needs numeric features."
                )
            X_parts = list(X.rechunk({1: -1}).to_delayed()[:, 0])
        if hasattr(y, "to_delayed"):
            y_parts = list(np.ravel(y.to_delayed()))
        else:
            raise TypeError(
                "With a lazy X, y must be a dask Series or Array partitioned like X; "
                f"got {type(y).__name__}."
            )
        if len(y_parts) != len(X_parts):
            raise ValueError(
                f"X has {len(X_parts)} partitions and y {len(y_parts)}; partition y "
                "like X (e.g. take it as a column of the same frame)."
            )
        self.X_parts, self.y_parts = X_parts, y_parts

    def scan(self):
        """One pass over the data: sizes, standardisation, classes, checks.

        Sets ``n_samples``, ``n_features``, ``partition_sizes``, ``mean``,
        ``scale``, ``constant`` (columns that never vary) and ``classes``.
        Raises a ValueError naming the problem for missing or infinite
        values, missing labels, continuous labels, or fewer than two classes.
        """
        import dask

        stats = dask.compute(
            *[
                dask.delayed(_partition_statistics)(x, y)
                for x, y in zip(self.X_parts, self.y_parts)
            ]
        )
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
        # Chan et al.'s parallel combination of means and sums of squares.
        n, mean, m2 = full[0][0], full[0][1], full[0][2]
        for count, part_mean, part_m2, *_ in full[1:]:
            total = n + count
            delta = part_mean - mean
            mean = mean + delta * count / total
            m2 = m2 + part_m2 + delta**2 * n * count / total
            n = total
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
        self.rng, self.dtype = rng, dtype
        self.batch_size = min(int(batch_size), self.n_samples)
        self._partition_order, self._next_partition = self._new_partition_order(), 0
        self._buffer_X = np.empty((0, self.n_features), dtype=dtype)
        self._buffer_y = np.empty(0, dtype=np.int64)
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

        # Rows left over from the last buffer stay: no row is skipped.
        chosen = []
        while len(chosen) < self.partitions_in_memory:
            if self._next_partition == len(self._partition_order):
                if chosen:
                    break
                self._partition_order = self._new_partition_order()
                self._next_partition = 0
            chosen.append(self._partition_order[self._next_partition])
            self._next_partition += 1
        loaded = dask.compute(*[(self.X_parts[i], self.y_parts[i]) for i in chosen])
        new_X = np.concatenate([np.asarray(x, dtype=np.float64) for x, _ in loaded])
        labels = np.concatenate([np.asarray(y).ravel() for _, y in loaded])
        new_X = ((new_X - self.mean) / self.scale).astype(self.dtype)
        X = np.concatenate([self._buffer_X, new_X])
        y = np.concatenate([self._buffer_y, np.searchsorted(self.classes, labels)])
        order = self.rng.permutation(len(y))
        self._buffer_X, self._buffer_y = X[order], y[order]

    def next_batch(self):
        """``(X_std, y_index)`` of the next batch, as numpy arrays."""
        while len(self._buffer_y) < self.batch_size:
            self._refill()
        X, y = self._buffer_X[: self.batch_size], self._buffer_y[: self.batch_size]
        self._buffer_X = self._buffer_X[self.batch_size :]
        self._buffer_y = self._buffer_y[self.batch_size :]
        return X, y
