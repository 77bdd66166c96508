"""Fixtures shared by the test files: small problems that fit in milliseconds."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons


@pytest.fixture(scope="session")
def moons_small():
    """Two interleaved half-moons, 200 rows: a binary problem with a curved
    boundary that a linear model cannot fit."""
    return make_moons(n_samples=200, noise=0.1, random_state=0)


@pytest.fixture(scope="session")
def blobs_small():
    """Three classes of five features, 150 rows, with string class labels."""
    X, y = make_blobs(n_samples=150, n_features=5, centers=3, random_state=0)
    return X, np.array(["a", "b", "c"])[y]
