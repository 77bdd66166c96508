"""Synthetic transfer rows for knowledge distillation without unlabelled rows.

A teacher labels these rows softly; the student learns from them as from
unlabelled rows. Two generators, both local perturbations of real rows:

* `munge`: MUNGE (Bucila, Caruana & Niculescu-Mizil, "Model compression",
  KDD 2006): every synthetic row starts as a real row and takes, attribute by
  attribute with probability ``p``, a value near its nearest neighbour's (a
  draw from a normal centred on the neighbour's value with standard deviation
  ``|a - b| / s``); binary (e.g. one-hot) columns are swapped, not blurred.
* `perturb`: a real row plus Gaussian noise of ``scale`` standard deviations
  in every continuous column (binary columns unchanged).
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors


def _binary_columns(X):
    """Columns holding at most two distinct values (e.g. one-hot columns)."""
    return np.array([len(np.unique(X[:, j])) <= 2 for j in range(X.shape[1])])


def _sources(n_rows, size, rng):
    """``size`` row indices that visit every row once per pass, in random order."""
    passes = -(-size // n_rows)
    return np.concatenate([rng.permutation(n_rows) for _ in range(passes)])[:size]


def munge(X, size, rng, p=0.5, s=1.0):
    """``(rows, sources)``: ``size`` MUNGE rows and the real row each came from.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Real rows (at least two).
    size : int
        Synthetic rows to make.
    rng : numpy RandomState
    p : float, default=0.5
        Probability that an attribute moves towards the neighbour's value.
    s : float, default=1.0
        Locality: the spread of a moved continuous value is ``|a - b| / s``.
    """
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    neighbours = NearestNeighbors(n_neighbors=2).fit(X / scale)
    _, index = neighbours.kneighbors(X / scale)
    # The first neighbour is the row itself unless it has an exact duplicate.
    self_first = index[:, 0] == np.arange(len(X))
    nearest = np.where(self_first, index[:, 1], index[:, 0])
    sources = _sources(len(X), size, rng)
    rows, other = X[sources].copy(), X[nearest[sources]]
    moved = rng.uniform(size=rows.shape) < p
    binary = _binary_columns(X)
    swap = moved & binary[None, :]
    rows[swap] = other[swap]
    blur = moved & ~binary[None, :]
    spread = np.abs(rows - other) / s
    rows[blur] = rng.normal(other[blur], spread[blur])
    return rows, sources


def perturb(X, size, rng, scale=0.1):
    """``(rows, sources)``: ``size`` noisy copies of real rows.

    Gaussian noise of ``scale`` times each continuous column's standard
    deviation; binary columns are copied as they are.
    """
    sources = _sources(len(X), size, rng)
    std = X.std(axis=0) * ~_binary_columns(X)
    noise = rng.normal(size=(size, X.shape[1])) * (scale * std)
    return X[sources] + noise, sources


#: Transfer-set generators by name (``transfer_set=`` of the tuner).
TRANSFER_SETS = {"munge": munge, "perturb": perturb}


def make_transfer_set(kind, X, size, rng):
    """``(rows, sources)`` of the named generator; see the module docstring."""
    return TRANSFER_SETS[kind](X, size, rng)
