"""Real rows for the distiller: in memory, or read lazily from a Dask collection
or a parquet table.

Distillation reads only ``batch_size`` real rows per outer iteration, so the
real data need never be in memory at once. What it needs of the whole data is
one pass: the number of rows, the standardisation, the classes, and the checks
that every value is a finite number and every label present. This module gives
the distiller its real rows through the batch-source interface of
``_training/batches.py`` (``next_batch()``), which rows in memory
(``InMemoryRows``) implement too:

* `LazyRows`: a Dask DataFrame or Array (e.g. ``dask.dataframe.read_parquet``),
  read partition by partition.
* `ParquetRows`: a parquet file or directory (or a ``pyarrow.dataset.Dataset``),
  read with pyarrow one row group at a time, in record batches, so a single
  large file never has to be in memory.

Both lazy sources cut the data into *parts* (Dask partitions, parquet row
groups) and share the rest (`StreamedRows`). `StreamedRows.scan` makes the one
pass, part by part and chunk by chunk, combining per-part means and sums of
squares with Chan's parallel formula. The same pass draws a random key for
every row from a generator seeded by the fit's seed and the part's index, so
the keys are the same on every pass however a part is cut into chunks: rows
whose key is below ``hold_out`` are held out for validation (a fixed set of
rows, never in a batch), and the rows of smallest keys form uniform samples of
the held-out and of the training rows. Batches are then drawn from a buffer
of ``partitions_in_memory`` parts chosen at random: every epoch visits the
parts in a fresh random order and every training row of a buffer once, in a
random order. So every training row is visited exactly once per epoch, as in
memory, and a batch mixes rows from several parts instead of one.

dask and pyarrow are optional dependencies, imported only when a lazy input
is given.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.utils.multiclass import type_of_target

from .feature_transform import learned_rows


def is_lazy(data):
    """True for a Dask collection (without importing dask when it is absent)."""
    if "dask" not in sys.modules:
        return False
    from dask.base import is_dask_collection

    return is_dask_collection(data)


def is_table_source(data):
    """True for a path (a parquet file or directory) or a pyarrow Dataset."""
    if isinstance(data, (str, os.PathLike)):
        return True
    if "pyarrow.dataset" not in sys.modules:
        return False
    from pyarrow.dataset import Dataset

    return isinstance(data, Dataset)


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


def _chunks_of(X, y):
    """``(X, y)`` as pairs of blocks of at most `_CHUNK_ROWS` rows, X in float64."""
    X, y = np.asarray(X), np.asarray(y).ravel()
    for start in range(0, len(y), _CHUNK_ROWS):
        stop = start + _CHUNK_ROWS
        yield np.asarray(X[start:stop], dtype=np.float64), y[start:stop]


def _row_keys(seed, part):
    """The generator of the random keys of the rows of one part, in row order.

    Drawn chunk by chunk from one stream, the keys do not depend on how the
    part is cut into chunks: the held-out rows are the same on every pass.
    """
    return np.random.default_rng([seed, part])


def _smallest_keys(sample, keys, X, y, k):
    """The (at most) ``k`` rows of smallest key among ``sample`` and ``(keys, X,
    y)``, sorted by key. ``sample`` is such a triple or None."""
    if sample is not None:
        if len(sample[0]) == k:
            # Only rows below the largest kept key can enter.
            below = keys < sample[0][-1]
            keys, X, y = keys[below], X[below], y[below]
        keys = np.concatenate([sample[0], keys])
        X = np.concatenate([sample[1], X])
        y = np.concatenate([sample[2], y])
    order = np.argsort(keys, kind="stable")[:k]
    return keys[order], X[order], y[order]


def _part_summary(chunks, n_features, keys, hold_out, k):
    """What the one pass needs of one part, from its chunks ``(X, y)``.

    ``keys`` is the part's `_row_keys`; rows of key below ``hold_out`` (a
    fraction, or None) are held out. Small numpy values only, except the two
    samples of at most ``k`` rows.
    """
    import pandas as pd

    moments = (0, np.zeros(n_features), np.zeros(n_features))
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    n_rows = n_held = n_nan = n_inf = n_missing = 0
    labels, samples = [], {"held_sample": None, "train_sample": None}
    for X, y in chunks:
        n_rows += len(y)
        missing = np.asarray(pd.isna(y), dtype=bool)
        n_missing += int(missing.sum())
        if not missing.all():
            labels.append(np.unique(y[~missing]))
        with np.errstate(invalid="ignore", over="ignore"):
            mean = X.mean(axis=0)
            m2 = ((X - mean) ** 2).sum(axis=0)
            moments = _combine_moments(moments, (len(X), mean, m2))
            low = np.minimum(low, X.min(axis=0))
            high = np.maximum(high, X.max(axis=0))
            if not np.isfinite(mean).all():  # else no NaN nor infinity
                nan = np.isnan(X)
                n_nan += int(nan.sum())
                n_inf += int((~np.isfinite(X) & ~nan).sum())
        u = keys.random(len(y))
        held = u < hold_out if hold_out else np.zeros(len(y), dtype=bool)
        n_held += int(held.sum())
        for name, rows in (("held_sample", held), ("train_sample", ~held)):
            sample = samples[name]
            if sample is not None and len(sample[0]) == k:
                # Only rows below the largest kept key can enter.
                rows = rows & (u < sample[0][-1])
            if rows.any():
                samples[name] = _smallest_keys(sample, u[rows], X[rows], y[rows], k)
    return {
        "sizes": [n_rows],
        "held": [n_held],
        "moments": moments,
        "low": low,
        "high": high,
        "n_nan": n_nan,
        "n_inf": n_inf,
        "labels": [np.unique(np.concatenate(labels))] if labels else [],
        "n_missing": n_missing,
        **samples,
    }


def _merge_summaries(k, first, *others):
    """One summary of consecutive parts, in order."""
    total = dict(first)
    for other in others:
        total["sizes"] = total["sizes"] + other["sizes"]
        total["held"] = total["held"] + other["held"]
        with np.errstate(invalid="ignore", over="ignore"):  # reported by scan
            total["moments"] = _combine_moments(total["moments"], other["moments"])
        total["low"] = np.minimum(total["low"], other["low"])
        total["high"] = np.maximum(total["high"], other["high"])
        for count in ("n_nan", "n_inf", "n_missing"):
            total[count] += other[count]
        labels = total["labels"] + other["labels"]
        total["labels"] = [np.unique(np.concatenate(labels))] if labels else []
        for name in ("held_sample", "train_sample"):
            if other[name] is not None:
                total[name] = _smallest_keys(total[name], *other[name], k)
    return total


@_delayed
def _dask_part_summary(part, n_features, seed, index, hold_out, k):
    return _part_summary(
        _chunks_of(*part), n_features, _row_keys(seed, index), hold_out, k
    )


_dask_merge_summaries = _delayed(_merge_summaries)
#: Summaries merged at a time in the reduction tree of a Dask collection.
_MERGE_FAN_IN = 8


class StreamedRows:
    """Rows read part by part, scanned once and sampled by part.

    A subclass sets ``parts``, ``n_features`` and ``feature_names`` (or None),
    and implements `_read` (the chunks of one part) and `_summary` (the merged
    `_part_summary` of all parts, in order).

    Parameters
    ----------
    partitions_in_memory : int, default=4
        Parts held in the sampling buffer at a time.
    """

    def __init__(self, partitions_in_memory=4):
        self.partitions_in_memory = int(partitions_in_memory)

    def _read(self, part):
        """Chunks ``(X float64, y)`` of the rows of part ``part``, in order."""
        raise NotImplementedError

    def _summary(self, seed, hold_out, k):
        raise NotImplementedError

    def scan(self, seed=0, hold_out=None, sample_rows=10_000):
        """One pass over the data: sizes, standardisation, classes, checks.

        Rows whose key (drawn from ``seed``) is below ``hold_out`` (a
        fraction in (0, 1), or None) are held out of the batches; ``validation``
        is a uniform sample of at most ``sample_rows`` of them (standardised
        rows and class indices, or None without ``hold_out``), ``sample`` one
        of as many training rows.

        Sets ``n_samples`` (every row, held-out ones included), ``n_features``,
        ``partition_sizes`` (training rows per part), ``mean``, ``scale``,
        ``constant`` (columns that never vary), ``classes``, ``validation``,
        ``sample`` and ``sample_original`` (the rows of ``sample`` in the
        original units). Raises a ValueError naming the problem for missing or
        infinite values, missing labels, continuous labels, fewer than two
        classes, or a hold-out that leaves no row on one side.
        """
        self.seed, self.hold_out = int(seed), hold_out
        summary = self._summary(self.seed, hold_out, int(sample_rows))
        n_rows = 0 if summary is None else sum(summary["sizes"])
        if n_rows < 2:
            raise ValueError(
                f"Found {n_rows} row(s) in the lazy X; at least 2 are required."
            )
        if summary["n_nan"]:
            raise ValueError(
                f"Input X contains NaN ({summary['n_nan']} values): fill or drop "
                "them before distilling."
            )
        if summary["n_inf"]:
            raise ValueError(
                f"Input X contains infinity ({summary['n_inf']} values) or a value "
                "too large for float64."
            )
        if summary["n_missing"]:
            raise ValueError(
                f"y contains {summary['n_missing']} missing labels (NaN or None); "
                "drop those rows first."
            )
        classes = summary["labels"][0]
        kind = type_of_target(classes)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {kind!r} in the lazy y.")
        if len(classes) < 2:
            raise ValueError(
                "The distiller needs at least two classes in y; got one class: "
                f"{classes[0]!r}."
            )
        n_held = sum(summary["held"])
        if hold_out and not 0 < n_held < n_rows:
            raise ValueError(
                f"validation_fraction={hold_out} holds out {n_held} of the "
                f"{n_rows} rows, leaving none on one side: use more rows or pass "
                "validation_fraction=None."
            )
        n, mean, m2 = summary["moments"]
        scale = np.sqrt(m2 / n)
        self.constant = summary["high"] == summary["low"]
        # StandardScaler's convention: a column that does not vary keeps scale 1.
        scale[self.constant | (scale < 10 * np.finfo(np.float64).eps)] = 1.0
        self.n_samples, self.n_features = int(n), int(len(mean))
        self.partition_sizes = np.asarray(summary["sizes"]) - summary["held"]
        self.mean, self.scale, self.classes = mean, scale, classes
        self.feature_transform = None
        # The two samples in the original units, kept to be mapped anew by
        # `set_feature_transform`.
        held = summary["held_sample"] if hold_out else None
        self._samples = held, summary["train_sample"]
        self.sample_original = summary["train_sample"][1]
        self._learned_samples()
        return self

    def set_feature_transform(self, transform, mean, scale):
        """Serve rows mapped by ``transform`` (a `FeatureTransform`, or None),
        then standardised with ``(mean, scale)``: sets ``feature_transform``,
        ``mean`` and ``scale`` and maps ``sample`` and ``validation`` anew.

        Every row is mapped from its float64 values in the original units
        (the batches' before they enter the buffer), so the buffer's dtype
        only rounds the mapped rows. Call after `scan`, before `start`.
        """
        self.feature_transform = transform
        self.mean, self.scale = mean, scale
        self._learned_samples()
        return self

    def _learned(self, X):
        """Rows ``X`` (float64, original units) as the distiller learns on
        them: mapped by ``feature_transform`` if any, then standardised."""
        return learned_rows(X, self.feature_transform, self.mean, self.scale)

    def _learned_samples(self):
        held, train = self._samples
        self.validation = None if held is None else self._labelled(held)
        self.sample = self._labelled(train)

    def _labelled(self, sample):
        _, X, y = sample
        return self._learned(X), np.searchsorted(self.classes, y)

    def start(self, rng, batch_size, dtype="float32"):
        """Begin sampling batches; call after `scan`."""
        self.rng = rng
        n_train = int(self.partition_sizes.sum())
        self.batch_size = min(int(batch_size), n_train)
        self._partition_order, self._next_partition = self._new_partition_order(), 0
        # One buffer for the whole fit, refilled in place: the rows as learned
        # on (`_learned`), their labels, and the random order in which they
        # are handed out.
        largest = np.sort(self.partition_sizes)[::-1][: self.partitions_in_memory]
        capacity = self.batch_size + int(largest.sum())
        self._rows = np.empty((capacity, self.n_features), dtype=dtype)
        self._labels = np.empty(capacity, dtype=np.int32)
        self._order, self._cursor = np.empty(0, dtype=np.int64), 0
        return self

    def _new_partition_order(self):
        return self.rng.permutation(np.flatnonzero(self.partition_sizes))

    def _training_chunks(self, part):
        """The chunks of part ``part`` without its held-out rows."""
        keys = _row_keys(self.seed, part)
        for X, y in self._read(part):
            u = keys.random(len(y))
            if self.hold_out:
                train = u >= self.hold_out
                X, y = X[train], y[train]
            yield X, y

    def _refill(self):
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
        # One part at a time, chunk by chunk.
        for i in chosen:
            for X, y in self._training_chunks(i):
                stop = filled + len(y)
                self._rows[filled:stop] = self._learned(X)
                self._labels[filled:stop] = np.searchsorted(self.classes, y)
                filled = stop
        self._order, self._cursor = self.rng.permutation(filled), 0

    def next_batch(self):
        """``(X_std, y_index)`` of the next batch, as numpy arrays."""
        if len(self._order) - self._cursor < self.batch_size:
            self._refill()
        batch = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self._rows[batch], self._labels[batch]


class LazyRows(StreamedRows):
    """Rows of a Dask collection; its parts are the partitions.

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
        super().__init__(partitions_in_memory)
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
            self.parts = [_split_frame(p) for p in combined.to_delayed()]
            self._n_columns = len(X.columns)
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
            self.parts = [
                _pair(xb, yb) for xb, yb in zip(X.to_delayed()[:, 0], y.to_delayed())
            ]
            self._n_columns = int(X.shape[1])

    def _read(self, part):
        import dask

        X, y = dask.compute(self.parts[part])[0]
        yield from _chunks_of(X, y)

    def _summary(self, seed, hold_out, k):
        import dask

        level = [
            _dask_part_summary(p, self._n_columns, seed, i, hold_out, k)
            for i, p in enumerate(self.parts)
        ]
        if not level:
            return None
        # A reduction tree: the driver never holds every part's samples at once.
        while len(level) > 1:
            level = [
                _dask_merge_summaries(k, *level[i : i + _MERGE_FAN_IN])
                for i in range(0, len(level), _MERGE_FAN_IN)
            ]
        return dask.compute(level[0])[0]


def _open_dataset(source):
    """A pyarrow Dataset of ``source`` (a path or a Dataset), with clear errors."""
    try:
        import pyarrow as pa
        import pyarrow.dataset as ds
    except ImportError:
        raise ImportError(
            "Reading a parquet table needs pyarrow: pip install 'skdistill[dask]'."
        ) from None
    if isinstance(source, ds.Dataset):
        return source
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"X is a path, and {path!r} does not exist: give a parquet file or a "
            "directory of parquet files."
        )
    try:
        return ds.dataset(path, format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(
            f"{path!r} could not be read as a parquet file or a directory of "
            f"parquet files: {exc}"
        ) from None


def _numpy_column(column):
    """A pyarrow array as numpy (nulls as NaN in numbers, None in labels)."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return column.to_numpy(zero_copy_only=False)


class ParquetRows(StreamedRows):
    """Rows of a parquet table read with pyarrow; its parts are the row groups.

    Every part is read in record batches of at most `_CHUNK_ROWS` rows, so a
    single large file is never in memory at once, however it is laid out.

    Parameters
    ----------
    source : str, path-like or pyarrow.dataset.Dataset
        A parquet file, a directory of parquet files (files whose names start
        with ``_`` or ``.`` are skipped), or a pyarrow Dataset of any format.
    label : str
        The name of the label column; every other column is a feature and
        must be numeric (integer, floating or boolean).
    partitions_in_memory : int, default=4
        Row groups held in the sampling buffer at a time.
    n_workers : int, default=None
        Threads of the one pass (row groups read at a time); None: the
        number of CPUs.
    """

    def __init__(self, source, label, partitions_in_memory=4, n_workers=None):
        super().__init__(partitions_in_memory)
        if not isinstance(label, str):
            raise TypeError(
                "With a parquet table (a path or a pyarrow Dataset) as X, y must "
                f"be the name of its label column (a str); got {type(label).__name__}."
            )
        import pyarrow as pa

        self.dataset = _open_dataset(source)
        schema = self.dataset.schema
        if label not in schema.names:
            raise ValueError(
                f"y={label!r} is not a column of the table; its columns are "
                f"{schema.names}."
            )
        features = [f for f in schema if f.name != label]
        if not features:
            raise ValueError(f"The table has no column besides the label {label!r}.")
        numeric = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean)
        non_numeric = [
            f.name for f in features if not any(kind(f.type) for kind in numeric)
        ]
        if non_numeric:
            raise ValueError(
                f"X has non-numeric columns {non_numeric}: encode them first "
                "(e.g. with a OneHotEncoder); the table was not read."
            )
        self.feature_names = np.asarray([f.name for f in features], dtype=object)
        self._columns = [*self.feature_names.tolist(), label]
        self.n_workers = n_workers or os.cpu_count() or 1
        self.parts = []
        for fragment in self.dataset.get_fragments():
            split = getattr(fragment, "split_by_row_group", None)
            self.parts.extend(split() if split is not None else [fragment])

    def _read(self, part):
        import pyarrow as pa

        n_features = len(self._columns) - 1
        fragment = self.parts[part]
        batches = fragment.to_batches(
            columns=self._columns,
            schema=self.dataset.schema,
            batch_size=_CHUNK_ROWS,
        )
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowException, OSError) as exc:
                # A file of a directory that disagrees with the table's schema
                # (the first file's), or a file that cannot be read.
                where = getattr(fragment, "path", "a fragment")
                columns = ", ".join(f"{f.name}: {f.type}" for f in self.dataset.schema)
                raise ValueError(
                    f"{where!r} could not be read as the table's columns "
                    f"({columns}): {exc}"
                ) from None
            if batch is None:
                return
            # Ordered: a scan yields a fragment's batches in row order (and
            # the row keys do not depend on the batch sizes). Column-major,
            # as the columns arrive.
            X = np.empty((batch.num_rows, n_features), order="F")
            for j in range(n_features):
                X[:, j] = _numpy_column(batch.column(j))
            yield X, _numpy_column(batch.column(n_features))

    def _summary(self, seed, hold_out, k):
        n_features = len(self._columns) - 1

        def summary(i):
            return _part_summary(
                self._read(i), n_features, _row_keys(seed, i), hold_out, k
            )

        total = None
        window = 2 * self.n_workers  # summaries waiting at a time
        with ThreadPoolExecutor(self.n_workers) as pool:
            for start in range(0, len(self.parts), window):
                stop = min(start + window, len(self.parts))
                for part in pool.map(summary, range(start, stop)):
                    total = part if total is None else _merge_summaries(k, total, part)
        return total


def lazy_rows(X, y):
    """The `StreamedRows` of a Dask collection or a parquet table (not scanned)."""
    if is_lazy(X):
        return LazyRows(X, y)
    return ParquetRows(X, y)
