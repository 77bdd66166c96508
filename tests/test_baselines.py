"""Baseline resamplers: small real-data sets to compare a distilled set with."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill._class_sampler import rows_per_class
from skdistill._tabular.baselines import (
    ClassMeanSampler,
    KMeansSampler,
    OptimizedRealSampler,
    RandomRealSampler,
)

SAMPLERS = [RandomRealSampler, OptimizedRealSampler, KMeansSampler, ClassMeanSampler]


@parametrize_with_checks(
    [
        RandomRealSampler(random_state=0),
        OptimizedRealSampler(n_candidates=3, random_state=0),
        KMeansSampler(n_init=1, random_state=0),
        ClassMeanSampler(random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _is_row_of(rows, X):
    return all((X == r).all(axis=1).any() for r in rows)


def test_rows_per_class_deals_evenly_most_frequent_first():
    np.testing.assert_array_equal(rows_per_class([5, 9, 7], "auto"), [1, 1, 1])
    np.testing.assert_array_equal(rows_per_class([5, 9, 7], 7), [2, 3, 2])
    np.testing.assert_array_equal(rows_per_class([5, 9, 7], 2), [0, 1, 1])
    np.testing.assert_array_equal(rows_per_class([4, 4, 4], 5), [2, 2, 1])


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_size_and_labels_match_the_request(Sampler, iris):
    X, y = iris
    X_small, y_small = Sampler(n_samples=7, random_state=0).fit_resample(X, y)
    assert X_small.shape == (7, 4)
    np.testing.assert_array_equal(y_small, [0, 0, 0, 1, 1, 2, 2])
    X_auto, y_auto = Sampler(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(y_auto, [0, 1, 2])


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_fewer_rows_than_classes_keep_the_most_frequent(Sampler):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.repeat(["a", "b", "c", "d"], [10, 25, 5, 20])
    _, y_small = Sampler(n_samples=2, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(y_small, ["b", "d"])


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_too_many_rows_for_a_class_is_an_error(Sampler):
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0] * 8 + [1] * 2)
    with pytest.raises(ValueError, match="class 1, which has only 2"):
        Sampler(n_samples=6).fit(X, y)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_continuous_targets_are_rejected(Sampler, iris):
    X, _ = iris
    with pytest.raises(ValueError, match="Unknown label type"):
        Sampler().fit(X, X[:, 0])


@pytest.mark.parametrize("Sampler", [RandomRealSampler, OptimizedRealSampler])
def test_real_samplers_return_real_rows_of_the_right_class(Sampler, iris):
    X, y = iris
    X_small, y_small = Sampler(n_samples=9, random_state=1).fit_resample(X, y)
    for c in range(3):
        assert _is_row_of(X_small[y_small == c], X[y == c])
    assert len(np.unique(X_small, axis=0)) == 9  # without replacement


def test_random_real_depends_on_the_seed(iris):
    X, y = iris
    a = RandomRealSampler(n_samples=6, random_state=0).fit_resample(X, y)[0]
    b = RandomRealSampler(n_samples=6, random_state=0).fit_resample(X, y)[0]
    c = RandomRealSampler(n_samples=6, random_state=1).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_optimized_real_keeps_the_best_candidate(iris):
    X, y = iris
    sampler = OptimizedRealSampler(n_samples=3, n_candidates=8, random_state=0)
    X_small, y_small = sampler.fit_resample(X, y)
    assert sampler.candidate_scores_.shape == (8,)
    best = sampler.candidate_scores_.max()
    assert sampler.candidate_scores_[sampler.best_candidate_] == best
    assert best > sampler.candidate_scores_.min()  # the choice mattered
    assert KNeighborsClassifier(n_neighbors=1).fit(X_small, y_small).score(X, y) == best


def test_optimized_real_uses_the_given_estimator(iris):
    X, y = iris
    sampler = OptimizedRealSampler(
        n_samples=3, n_candidates=4, estimator=LogisticRegression(), random_state=0
    ).fit(X, y)
    X_small, y_small = sampler.X_resampled_, sampler.y_resampled_
    score = LogisticRegression().fit(X_small, y_small).score(X, y)
    assert sampler.candidate_scores_[sampler.best_candidate_] == score


def test_kmeans_centroids(iris):
    X, y = iris
    X_one, _ = KMeansSampler().fit_resample(X, y)
    np.testing.assert_allclose(X_one, [X[y == c].mean(axis=0) for c in range(3)])
    X_two, y_two = KMeansSampler(n_samples=6, random_state=0).fit_resample(X, y)
    for c in range(3):
        centers = X_two[y_two == c]
        # Each row is its cluster's mean: the Lloyd fixed point.
        labels = np.argmin(((X[y == c][:, None] - centers) ** 2).sum(-1), axis=1)
        for k in range(2):
            np.testing.assert_allclose(
                centers[k], X[y == c][labels == k].mean(axis=0), atol=1e-6
            )


def test_class_means(iris):
    X, y = iris
    X_small, y_small = ClassMeanSampler().fit_resample(X, y)
    np.testing.assert_array_equal(X_small, [X[y == c].mean(axis=0) for c in range(3)])
    X_five, y_five = ClassMeanSampler(n_samples=6, random_state=0).fit_resample(X, y)
    # Two groups of 25 rows per class: their means average to the class mean.
    for c in range(3):
        np.testing.assert_allclose(
            X_five[y_five == c].mean(axis=0), X[y == c].mean(axis=0)
        )
        assert not np.allclose(X_five[y_five == c][0], X_five[y_five == c][1])


def test_knn_baseline_on_centroids_beats_chance(iris):
    X, y = iris
    X_small, y_small = KMeansSampler(n_samples=6, random_state=0).fit_resample(X, y)
    assert KNeighborsClassifier(n_neighbors=1).fit(X_small, y_small).score(X, y) > 0.85


def test_optimized_real_n_jobs_gives_the_same_set(iris):
    X, y = iris
    kwargs = dict(n_samples=6, n_candidates=6, estimator=LogisticRegression())
    serial = OptimizedRealSampler(**kwargs, random_state=0).fit(X, y)
    parallel = OptimizedRealSampler(**kwargs, n_jobs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(serial.candidate_scores_, parallel.candidate_scores_)
    np.testing.assert_array_equal(serial.X_resampled_, parallel.X_resampled_)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_text_column_is_named_with_the_remedy(Sampler):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": ["u", "v", "u", "v"]})
    with pytest.raises(ValueError, match=r"\['colour'\].*OneHotEncoder"):
        Sampler().fit(X, [0, 1, 0, 1])


def test_none_in_y_is_reported_as_missing_labels(iris):
    X, y = iris
    y = np.array(["a", "b", "c"], dtype=object)[y]
    y[5] = None
    with pytest.raises(ValueError, match="missing label.*row 5"):
        RandomRealSampler().fit(X, y)
