"""Synthetic transfer rows for knowledge distillation without unlabelled rows.

A teacher labels these rows softly; the student learns from them as from
unlabelled rows. Three generators, two local perturbations of real rows and
one learned set:

* `munge`: MUNGE (Bucila, Caruana & Niculescu-Mizil, "Model compression",
  KDD 2006): every synthetic row starts as a real row and takes, attribute by
  attribute with probability ``p``, a value near its nearest neighbour's (a
  draw from a normal centred on the neighbour's value with standard deviation
  ``|a - b| / s``); binary (e.g. one-hot) columns are swapped, not blurred.
* `perturb`: a real row plus Gaussian noise of ``scale`` standard deviations
  in every continuous column (binary columns unchanged).
* `distilled`: the rows of a `DatasetDistiller` fitted on the real rows
  labelled by the teacher's predicted classes: synthetic rows placed so that
  a network of the student's architecture trained on them imitates the
  teacher (the two halves of the package meeting).
"""

import math

import numpy as np
from sklearn.neighbors import NearestNeighbors

from .._tabular.distiller import DatasetDistiller

#: Outer iterations of the `distilled` generator at most (its early stopping
#: usually ends it before).
DISTILLED_MAX_ITER = 300
#: Internal steps of the `distilled` generator's replay (its rows are split
#: evenly over them).
DISTILLED_STEPS = 10
#: Internal networks per outer iteration of the `distilled` generator: 3, the
#: distiller's run before its single long run.
DISTILLED_MODELS = 3


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


def distilled(
    X,
    size,
    rng,
    *,
    labels,
    hidden_layer_sizes=(32,),
    sample_weight=None,
    n_threads=1,
    feature_transform="auto",
):
    """``(rows, None)``: about ``size`` rows of a distilled dataset.

    A `DatasetDistiller` (the student's architecture as its one internal
    architecture, ReLU) is fitted on ``(X, labels)`` and its rows
    ``distilled_X_`` (in the units of ``X``) are returned; its soft labels are
    not (the teacher labels the rows). The rows are split over
    ``DISTILLED_STEPS`` internal steps (``ceil(size / DISTILLED_STEPS)`` per
    step, so ``size`` is rounded up to a multiple of ``DISTILLED_STEPS``), and
    the distiller runs at most ``DISTILLED_MAX_ITER`` outer iterations with
    its default early stopping. No row has a single source, so ``sources`` is
    None.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Real rows.
    size : int
        Synthetic rows wanted.
    rng : numpy RandomState
        Seeds the distiller.
    labels : ndarray of shape (n_samples,)
        A class for every row of ``X`` (the teacher's prediction).
    hidden_layer_sizes : tuple of int, default=(32,)
        The internal networks' hidden layers (the student's).
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weights of the rows of ``X``, passed to the distiller.
    n_threads : int or None, default=1
        Torch threads of the distiller.
    feature_transform : "auto" or None, default="auto"
        The distiller's ``feature_transform`` (the tuner's own setting).
    """
    per_step = math.ceil(size / DISTILLED_STEPS)
    distiller = DatasetDistiller(
        n_steps=DISTILLED_STEPS,
        samples_per_step=per_step,
        # Three networks, as when the transfer set was chosen (see the user
        # guide), not the distiller's single long run.
        n_models=DISTILLED_MODELS,
        architectures=(tuple(hidden_layer_sizes),),
        max_iter=DISTILLED_MAX_ITER,
        n_threads=n_threads,
        feature_transform=feature_transform,
        random_state=int(rng.randint(np.iinfo(np.int32).max)),
    )
    distiller.fit(X, labels, sample_weight=sample_weight)
    return np.asarray(distiller.distilled_X_, dtype=np.float64), None


#: Transfer-set generators by name (``transfer_set=`` of the tuner).
TRANSFER_SETS = {"munge": munge, "perturb": perturb, "distilled": distilled}

#: Generators that need the teacher's labels and the student's architecture.
_LEARNED = {"distilled"}


def make_transfer_set(kind, X, size, rng, transform=None, **context):
    """``(rows, sources)`` of the named generator; see the module docstring.

    ``context`` (``labels``, ``hidden_layer_sizes``, ``sample_weight``,
    ``n_threads``, ``feature_transform``) reaches the learned generators
    only. ``sources`` is the real row each synthetic row came from, or None
    when rows have no single source. ``transform`` (a `FeatureTransform` or
    None): the local generators (`munge`, `perturb`) move the rows in the
    space it maps to (the one the student's inputs are standardised in, where
    a heavy-tailed column is Gaussian-like, so that its noise is on the scale
    of the bulk of the column, not of its tail), and the rows come back in
    the units of ``X``; `distilled` fits a distiller, which maps such columns
    itself (as ``context``'s ``feature_transform`` says).
    """
    if kind in _LEARNED:
        return TRANSFER_SETS[kind](X, size, rng, **context)
    if transform is None:
        return TRANSFER_SETS[kind](X, size, rng)
    rows, sources = TRANSFER_SETS[kind](transform.transform(X), size, rng)
    return transform.inverse_transform(rows), sources
