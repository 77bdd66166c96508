"""Tables shared by the test files: Gaussian columns and heavy-tailed ones."""

import numpy as np


def heavy(z, power=3.0):
    """``z`` through a sign-preserving exponential: heavy tails both ways."""
    return np.sign(z) * np.expm1(power * np.abs(z))


def gaussian_table(n=300, seed=0):
    """Three Gaussian columns and a one-hot-like one (about 7 % ones)."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 4))
    X[:, 3] = (X[:, 3] > 1.5).astype(float)  # a one-hot-like column
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def heavy_table(n=300, seed=0, lognormal=False):
    """A Gaussian column and two heavy-tailed ones: `heavy` columns, or with
    ``lognormal`` a `heavy` column and a lognormal one of log-standard
    deviation 3 (whose standard deviation is 10^4 times its median)."""
    rng = np.random.RandomState(seed)
    z = rng.standard_normal((n, 3))
    last = 100 * np.exp(3 * z[:, 2]) if lognormal else heavy(z[:, 2])
    X = np.column_stack([z[:, 0], heavy(z[:, 1]), last])
    y = (z[:, 0] + z[:, 1] - z[:, 2] > 0).astype(int)
    return X, y
