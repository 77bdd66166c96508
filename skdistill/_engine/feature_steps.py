"""Per-feature sizes of the outer steps on the synthetic rows, and the
heavy-tailed columns that ask for them.

The outer Adam moves every synthetic value by about its step size per
iteration, in standardised units, whatever the column. On a heavy-tailed
column the bulk of the real rows spans a few hundredths of a standard
deviation, so the same step throws synthetic rows far out of the bulk.
``"spread"`` multiplies the step of each column by its typical spread over
its standard deviation, capped at 1: the mean absolute deviation over
``sqrt(2 / pi) * std`` (0.7979; 1 for a Gaussian column, about 0.3 for the
sign-preserving exponential of a Gaussian). The mean absolute deviation
stays positive on one-hot columns (a category held by few rows), where an
interquartile range would be 0 and freeze the column.

``"auto"`` applies those factors only to the columns that are heavy-tailed
(`heavy_tailed_columns`): continuous columns whose spread ratio is below
`HEAVY_TAIL_SPREAD`. (The distiller's default feature transform maps those
columns to Gaussian-like ones first, after which it passes no column here as
heavy-tailed; see ``_data/feature_transform.py``.) A rare category of a
one-hot column also has a small ratio (``2 sqrt(p (1 - p)) / 0.7979``, 0.25
for one row in a hundred) but no bulk to stay in, so columns of few distinct
values never count.
"""

import numpy as np

#: The mean absolute deviation of a Gaussian over its standard deviation.
GAUSSIAN_MAD = float(np.sqrt(2.0 / np.pi))

#: A continuous column whose spread ratio (`spread_scales`) is below this is
#: heavy-tailed. On the rows the distiller fits (a training part, less the
#: held-out fifth, at ten seeds) the continuous columns of the benchmark suite
#: are at 0.48 or more (the most skewed: a potassium content, 0.48-0.88, and a
#: population count, 0.50-0.53; the other sets 0.60 or more); the
#: sign-preserving exponentials of Gaussian columns of the robustness
#: benchmark are at 0.16-0.30, a Cauchy column below 0.1. 0.4 leaves a margin
#: below the suite for the sampling noise of the ratio, which depends on the
#: largest values of a column. For reference, on a few thousand rows: an
#: exponential column is at 0.92, a lognormal one of log-standard deviation 1
#: at 0.74-0.85 and of 2 at 0.3-0.5, a Student-t of 2 degrees of freedom
#: about 0.5.
HEAVY_TAIL_SPREAD = 0.4
#: A column of at most this many distinct values is categorical or ordinal
#: (one-hot columns, counts, pixel levels: the suite's digits has up to 17),
#: never heavy-tailed.
CONTINUOUS_MIN_DISTINCT = 20


def spread_scales(X):
    """One step factor per column of ``X``: ``min(1, MAD / (0.7979 std))``.

    Constant columns get 1 (their synthetic values do not move anyway).
    """
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    mad = np.abs(X - X.mean(axis=0)).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(std > 0, mad / (GAUSSIAN_MAD * std), 1.0)
    return np.minimum(ratio, 1.0)


def heavy_tailed_columns(X, scales=None):
    """Boolean mask of the heavy-tailed columns of ``X``: more than
    `CONTINUOUS_MIN_DISTINCT` distinct values and a spread ratio below
    `HEAVY_TAIL_SPREAD`. ``scales`` are ``spread_scales(X)`` if known."""
    X = np.asarray(X, dtype=np.float64)
    if scales is None:
        scales = spread_scales(X)
    heavy = scales < HEAVY_TAIL_SPREAD
    # Distinct values are counted only where the ratio is low (a sort each).
    for j in np.flatnonzero(heavy):
        heavy[j] = len(np.unique(X[:, j])) > CONTINUOUS_MIN_DISTINCT
    return heavy


def feature_step_scales(feature_steps, scales, heavy):
    """The per-feature step factors of ``feature_steps`` given the columns'
    `spread_scales` and their `heavy_tailed_columns` mask, or None when every
    factor is 1 (the plain outer step, to the bit).

    ``"uniform"``: None. ``"spread"``: ``scales`` on every column.
    ``"auto"``: ``scales`` on the heavy-tailed columns, 1 elsewhere.
    """
    if feature_steps == "uniform":
        return None
    if feature_steps == "auto":
        if not np.any(heavy):
            return None
        return np.where(heavy, scales, 1.0)
    return np.asarray(scales)
