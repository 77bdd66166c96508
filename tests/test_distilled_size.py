"""The size of the distilled set said directly: ``n_samples`` and
``n_samples_per_class`` of DatasetDistiller."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine

from skdistill import DatasetDistiller
from skdistill._tabular.sizes import split_distilled_size

CHEAP = dict(n_epochs=1, max_iter=3, n_models=1, random_state=0)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_rows_per_class_gives_exactly_that_many_rows_of_each_class(iris, k):
    X, y = iris
    distiller = DatasetDistiller(n_samples_per_class=k, soft_labels=False, **CHEAP).fit(
        X, y
    )
    assert distiller.distilled_X_.shape == (3 * k, 4)
    assert distiller.sampling_strategy_ == {0: k, 1: k, 2: k}
    X_syn, y_syn = distiller.fit_resample(X, y)
    assert np.bincount(y_syn).tolist() == [k] * 3
    # Up to the training rows' "auto" steps (10 here), k steps of one row
    # per class; beyond, 10 steps.
    steps = min(k, 10)
    assert distiller.distilled_.n_steps == steps
    np.testing.assert_array_equal(
        np.bincount(distiller.distilled_step_), [3 * k // steps] * steps
    )
    assert len(distiller.lr_schedule_) == steps * distiller.n_epochs


def test_soft_labels_keep_the_requested_size(iris):
    X, y = iris
    distiller = DatasetDistiller(n_samples_per_class=4, **CHEAP).fit(X, y)
    assert distiller.distilled_X_.shape == (12, 4)
    assert sum(distiller.sampling_strategy_.values()) == 12


@pytest.mark.parametrize(
    "n_samples, counts", [(7, [3, 2, 2]), (2, [1, 1, 0]), (30, [10, 10, 10])]
)
def test_total_rows_are_dealt_round_robin_over_the_classes(iris, n_samples, counts):
    X, y = iris
    distiller = DatasetDistiller(n_samples=n_samples, soft_labels=False, **CHEAP).fit(
        X, y
    )
    assert len(distiller.distilled_X_) == n_samples
    assert list(distiller.sampling_strategy_.values()) == counts


def test_a_given_step_count_or_step_size_splits_the_rows(iris):
    X, y = iris
    by_steps = DatasetDistiller(n_samples=12, n_steps=4, **CHEAP).fit(X, y)
    assert by_steps.distilled_.n_steps == 4
    assert by_steps.distilled_X_.shape == (12, 4)
    by_rows = DatasetDistiller(n_samples=12, samples_per_step=6, **CHEAP).fit(X, y)
    assert by_rows.distilled_.n_steps == 2
    # Both given and consistent: the same fit as without n_samples.
    both = DatasetDistiller(n_samples=12, n_steps=4, samples_per_step=3, **CHEAP)
    plain = DatasetDistiller(n_steps=4, samples_per_step=3, **CHEAP)
    np.testing.assert_array_equal(
        both.fit(X, y).distilled_X_, plain.fit(X, y).distilled_X_
    )


def test_rows_per_class_is_the_same_fit_as_the_equivalent_steps():
    X, y = load_wine(return_X_y=True)
    sized = DatasetDistiller(n_samples_per_class=5, **CHEAP).fit(X, y)
    steps = DatasetDistiller(n_steps=5, samples_per_step=3, **CHEAP).fit(X, y)
    np.testing.assert_array_equal(sized.distilled_X_, steps.distilled_X_)
    np.testing.assert_array_equal(sized.lr_schedule_, steps.lr_schedule_)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_samples=0), "'n_samples' parameter"),
        (dict(n_samples=2.5), "'n_samples' parameter"),
        (dict(n_samples="auto"), "'n_samples' parameter"),
        (dict(n_samples_per_class=0), "'n_samples_per_class' parameter"),
        (dict(n_samples_per_class=-3), "'n_samples_per_class' parameter"),
        (
            dict(n_samples=6, n_samples_per_class=2),
            "n_samples=6 and n_samples_per_class=2 both set",
        ),
        (dict(n_samples=12, n_steps=5), "n_samples=12 is not a multiple of n_steps=5"),
        (
            dict(n_samples=12, samples_per_step=5),
            "n_samples=12 is not a multiple of samples_per_step=5",
        ),
        (
            dict(n_samples=12, n_steps=2, samples_per_step=5),
            "n_samples=12 conflicts with n_steps=2 and samples_per_step=5",
        ),
        (
            dict(n_samples_per_class=5, n_steps=4),
            r"n_samples_per_class=5 \(15 rows for 3 classes\) is not a multiple "
            "of n_steps=4",
        ),
    ],
)
def test_bad_or_conflicting_sizes_name_the_parameters(iris, params, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        DatasetDistiller(**CHEAP, **params).fit(X, y)


@pytest.mark.parametrize(
    "n_rows, n_classes, auto_steps, expected",
    [
        (3, 3, 10, (1, 3)),  # one row per class: one step
        (30, 3, 10, (10, 3)),  # ten per class: ten steps of one per class
        (150, 3, 10, (10, 15)),  # fifty per class: the auto steps
        (600, 12, 30, (30, 20)),  # a large table's longer unroll
        (7, 3, 10, (1, 7)),  # a prime number of rows: one step
        (2, 3, 10, (1, 2)),  # fewer rows than classes
        (14, 2, 10, (7, 2)),
    ],
)
def test_split_keeps_a_row_per_class_in_every_step(
    n_rows, n_classes, auto_steps, expected
):
    assert (
        split_distilled_size(n_rows, "auto", "auto", auto_steps, n_classes) == expected
    )


def test_a_given_size_replays_sixteen_epochs_by_default(iris):
    X, y = iris
    cheap = dict(max_iter=2, n_models=1, random_state=0)
    for size in (dict(n_samples_per_class=2), dict(n_samples=6)):
        distiller = DatasetDistiller(**size, **cheap).fit(X, y)
        assert distiller.distilled_.n_steps == 2
        assert len(distiller.lr_schedule_) == 2 * 16
        # "auto" is the same fit as n_epochs=16 given.
        given = DatasetDistiller(n_epochs=16, **size, **cheap).fit(X, y)
        np.testing.assert_array_equal(distiller.distilled_X_, given.distilled_X_)
        np.testing.assert_array_equal(distiller.lr_schedule_, given.lr_schedule_)
    # A given n_epochs wins; without a given size "auto" stays at 8 epochs.
    three = DatasetDistiller(n_samples_per_class=2, n_epochs=3, **cheap).fit(X, y)
    assert len(three.lr_schedule_) == 2 * 3
    sized = DatasetDistiller(n_steps=2, samples_per_step=3, **cheap).fit(X, y)
    assert len(sized.lr_schedule_) == 2 * 8
