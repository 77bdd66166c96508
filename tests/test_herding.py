"""HerdingSampler: real rows whose mean tracks the class mean."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import HerdingSampler


@parametrize_with_checks([HerdingSampler()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_size_labels_and_real_rows_of_their_class(iris):
    X, y = iris
    sampler = HerdingSampler(n_samples=7)
    X_small, y_small = sampler.fit_resample(X, y)
    assert X_small.shape == (7, 4)
    assert sorted(np.bincount(y_small).tolist()) == [2, 2, 3]
    assert sampler.sampling_strategy_ == dict(enumerate(np.bincount(y_small)))
    np.testing.assert_array_equal(X_small, X[sampler.sample_indices_])
    np.testing.assert_array_equal(y_small, y[sampler.sample_indices_])
    assert len(set(sampler.sample_indices_.tolist())) == 7  # no row twice


def test_one_row_per_class_is_the_row_nearest_the_class_mean(iris):
    X, y = iris
    X_small, y_small = HerdingSampler().fit_resample(X, y)
    for c in range(3):
        X_c = X[y == c]
        nearest = X_c[np.argmin(((X_c - X_c.mean(axis=0)) ** 2).sum(axis=1))]
        np.testing.assert_array_equal(X_small[y_small == c][0], nearest)


def test_a_smaller_set_is_the_start_of_a_larger_one(iris):
    X, y = iris
    small = HerdingSampler(n_samples=6).fit(X, y).sample_indices_
    large = HerdingSampler(n_samples=12).fit(X, y).sample_indices_
    for c in range(3):
        assert set(small[y[small] == c]) <= set(large[y[large] == c])
        np.testing.assert_array_equal(small[y[small] == c], large[y[large] == c][:2])


def test_the_chosen_mean_is_closer_to_the_class_mean_than_random_rows(iris):
    # What herding is for: k real rows whose mean is the class mean's.
    X, y = iris
    X_c = X[y == 1]
    k = 10
    X_h = HerdingSampler(n_samples=k).fit_resample(X_c, np.zeros(len(X_c)))[0]
    herding_error = np.linalg.norm(X_h.mean(axis=0) - X_c.mean(axis=0))
    rng = np.random.RandomState(0)
    random_errors = [
        np.linalg.norm(
            X_c[rng.choice(len(X_c), k, replace=False)].mean(axis=0) - X_c.mean(axis=0)
        )
        for _ in range(50)
    ]
    assert herding_error < min(random_errors)


def test_too_many_rows_and_bad_sizes_are_clear_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="n_samples=151 asks for"):
        HerdingSampler(n_samples=151).fit(X, y)
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        HerdingSampler(n_samples=0).fit(X, y)


def test_herding_is_deterministic(iris):
    X, y = iris
    a = HerdingSampler(n_samples=9).fit(X, y).sample_indices_
    b = HerdingSampler(n_samples=9).fit(X.copy(), y).sample_indices_
    np.testing.assert_array_equal(a, b)
