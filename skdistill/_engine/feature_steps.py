"""Per-feature sizes of the outer steps on the synthetic rows.

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
"""

import numpy as np

#: The mean absolute deviation of a Gaussian over its standard deviation.
GAUSSIAN_MAD = float(np.sqrt(2.0 / np.pi))


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
