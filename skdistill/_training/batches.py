"""Batch sources and the minibatch epoch.

A *batch source* gives real rows in minibatches through one method,
``next_batch()``, returning ``(X, y_index)`` of the next batch as tensors.
Three implement it: `InMemoryRows` (rows in memory, visited in shuffled epochs,
or drawn in proportion to weights) and the lazy sources of
``_data/streaming.py`` (a Dask collection or a parquet table, read part by
part). A fit that draws one batch per iteration (a distiller's outer loop)
takes any of them.

A fit that trains in epochs takes the minibatches of one epoch at a time from
`ShuffledIndices.epoch` and runs them with `minibatch_epoch`. Both ways draw
from the same `ShuffledIndices`, so in memory there is one rule for which rows
a batch holds.
"""

import numpy as np
import torch


def check_training_weight(weight):
    """Raise a ValueError naming the problem when the training rows' weights
    (those not set aside for validation) sum to zero."""
    if not np.sum(weight) > 0:
        raise ValueError(
            "The training rows (those not set aside for validation) all "
            "have weight 0; give positive weights to more rows."
        )


class ShuffledIndices:
    """Row indices of ``n_samples`` rows in minibatches, drawn from ``rng``.

    Without ``weight``, rows are visited in shuffled epochs: every row once per
    epoch, in a fresh random order each time. With ``weight``, rows are drawn
    with replacement with probability proportional to their weights, so the
    mean loss of a batch estimates the weighted loss without bias (integer
    weights act as repeated rows); rows of weight 0 are never drawn.

    Parameters
    ----------
    n_samples : int
        Rows to draw from.
    batch_size : int
        Rows per batch, capped at ``n_samples``.
    rng : numpy.random.RandomState
        The fit's random stream.
    weight : ndarray of shape (n_samples,), default=None
        Non-negative weights of the rows, not all zero.
    """

    def __init__(self, n_samples, batch_size, rng, weight=None):
        self.n_samples, self.rng = n_samples, rng
        self.batch_size = min(batch_size, n_samples)
        self.p = None
        if weight is not None:
            check_training_weight(weight)
            self.p = weight / np.sum(weight)
        self.order, self.cursor = None, 0

    def epoch(self):
        """The batches of one epoch, ``ceil(n_samples / batch_size)`` arrays of
        indices (the last may be smaller): a fresh permutation of the rows, or
        ``n_samples`` rows drawn by weight."""
        n = self.n_samples
        if self.p is None:
            order = self.rng.permutation(n)
        else:
            order = self.rng.choice(n, n, p=self.p)
        # A plain range: gen_batches validates its arguments at every call,
        # which costs more than a student step of the tuner's numpy path.
        return [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]

    def next_batch(self):
        """The indices of the next batch of ``batch_size`` rows: the rest of the
        current shuffled epoch, a new epoch when fewer rows are left (or rows
        drawn by weight)."""
        if self.p is not None:
            return self.rng.choice(len(self.p), size=self.batch_size, p=self.p)
        if self.order is None or self.cursor + self.batch_size > self.n_samples:
            self.order, self.cursor = self.rng.permutation(self.n_samples), 0
        batch = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return batch


class InMemoryRows:
    """A batch source of rows in memory (tensors): see `ShuffledIndices` for
    the order (shuffled epochs, or drawn by ``weight``)."""

    def __init__(self, X, y_index, rng, batch_size, weight=None):
        self.X, self.y_index = X, y_index
        self.indices = ShuffledIndices(len(y_index), batch_size, rng, weight)
        self.batch_size = self.indices.batch_size

    def next_batch(self):
        """``(X, y_index)`` of the next batch."""
        batch = torch.as_tensor(self.indices.next_batch(), device=self.X.device)
        return self.X[batch], self.y_index[batch]


def minibatch_epoch(batches, step, total):
    """Run one epoch: ``step(batch)`` for every batch of indices.

    ``step`` trains on one batch and returns ``(loss, size)``, the batch's mean
    loss (a number, or an array with one loss per network of a stack) and its
    size (rows, or their total weight); or None to skip the batch. Returns the
    epoch's loss, ``sum(loss * size) / total``.
    """
    epoch_loss = 0.0
    for batch in batches:
        result = step(batch)
        if result is not None:
            loss, size = result
            epoch_loss = epoch_loss + loss * size
    return epoch_loss / total
