"""Heavy-tailed columns: their detection, the per-feature outer steps of
``feature_steps="auto"`` and the larger, longer set of the "auto" sizes,
which act on the heavy-tailed columns the feature transform leaves as they are
(here all of them: ``feature_transform=None``; the transform is tested in
test_feature_transform.py)."""

import numpy as np
import pytest
from _tables import gaussian_table, heavy, heavy_table

from skdistill import DatasetDistiller
from skdistill._engine.feature_steps import (
    feature_step_scales,
    heavy_tailed_columns,
    spread_scales,
)


def test_detection_fires_on_heavy_tails_only():
    rng = np.random.RandomState(0)
    n = 5000
    z = rng.standard_normal((n, 2))
    columns = [
        z[:, 0],  # Gaussian
        heavy(z[:, 1]),  # heavy tails
        np.exp(2.5 * rng.standard_normal(n)),  # lognormal, log-sd 2.5
        (rng.rand(n) < 0.01).astype(float),  # a rare one-hot category
        np.minimum(rng.geometric(0.5, n), 16).astype(float),  # 16 levels
        rng.exponential(size=n),  # skewed, light tail
        np.full(n, 3.0),  # constant
    ]
    X = np.column_stack(columns)
    np.testing.assert_array_equal(heavy_tailed_columns(X), [0, 1, 1, 0, 0, 0, 0])
    # The one-hot and the ordinal columns have small ratios, yet do not fire.
    assert spread_scales(X)[3] < 0.5 and spread_scales(X)[4] < 0.9


def test_factors_of_each_option():
    scales = np.array([1.0, 0.2, 0.3])
    heavy = np.array([False, True, False])
    assert feature_step_scales("uniform", scales, heavy) is None
    np.testing.assert_array_equal(feature_step_scales("spread", scales, heavy), scales)
    np.testing.assert_array_equal(
        feature_step_scales("auto", scales, heavy), [1.0, 0.2, 1.0]
    )
    assert feature_step_scales("auto", scales, np.zeros(3, bool)) is None


@pytest.mark.parametrize(
    "params, name",
    [
        ({"feature_steps": "iqr"}, "feature_steps"),
        ({"feature_steps": None}, "feature_steps"),
        ({"n_epochs": "many"}, "n_epochs"),
        ({"n_epochs": 0}, "n_epochs"),
    ],
)
def test_bad_values_name_the_parameter(params, name):
    X, y = gaussian_table()
    with pytest.raises(ValueError, match=name):
        DatasetDistiller(**params, max_iter=2).fit(X, y)


def test_defaults_on_a_table_without_heavy_tails_are_the_plain_fit():
    X, y = gaussian_table()
    params = dict(max_iter=25, random_state=0)
    auto = DatasetDistiller(**params).fit(X, y)
    plain = DatasetDistiller(**params, feature_steps="uniform").fit(X, y)
    assert not auto.heavy_tailed_features_.any()
    # The plain table's single long run: 10 steps, 24 epochs.
    assert auto.lr_schedule_.shape == (240,)
    np.testing.assert_array_equal(auto.distilled_X_, plain.distilled_X_)
    np.testing.assert_array_equal(auto.distilled_y_, plain.distilled_y_)
    np.testing.assert_array_equal(auto.lr_schedule_, plain.lr_schedule_)
    np.testing.assert_array_equal(auto.loss_curve_, plain.loss_curve_)


def test_heavy_tailed_table_gets_a_larger_longer_set():
    X, y = heavy_table()
    off = dict(feature_transform=None, max_iter=2, random_state=0)
    auto = DatasetDistiller(**off).fit(X, y)
    np.testing.assert_array_equal(auto.heavy_tailed_features_, [False, True, True])
    plain = DatasetDistiller(**off, n_epochs=8).fit(X, y)
    # 300 rows: 10 steps of 9 rows on a plain table; three times the rows
    # per step and 12 epochs instead of 8 here. An explicit n_epochs is kept.
    assert auto.distilled_X_.shape == (10 * 27, 3)
    assert auto.lr_schedule_.shape == (10 * 12,)
    assert plain.lr_schedule_.shape == (10 * 8,)
    given = DatasetDistiller(**off, samples_per_step=5)
    assert given.fit(X, y).distilled_X_.shape == (50, 3)


def test_auto_steps_hold_only_the_heavy_tailed_columns():
    X, y = heavy_table()
    params = dict(
        n_steps=3,
        samples_per_step=4,
        n_epochs=2,
        validation_fraction=None,
        feature_transform=None,
        random_state=0,
    )
    start = DatasetDistiller(**params, max_iter=1).fit(X, y).distilled_X_
    moved = {}
    for steps in ("uniform", "auto"):
        d = DatasetDistiller(**params, feature_steps=steps, max_iter=40).fit(X, y)
        moved[steps] = np.abs(d.distilled_X_ - start).mean(axis=0) / X.std(axis=0)
    assert np.all(moved["auto"][1:] < 0.6 * moved["uniform"][1:])
    assert moved["auto"][0] > 0.5 * moved["uniform"][0]


def test_heavy_tailed_fit_is_repeatable():
    X, y = heavy_table()
    params = dict(max_iter=15, feature_transform=None, random_state=3)
    first = DatasetDistiller(**params).fit(X, y)
    again = DatasetDistiller(**params).fit(X, y)
    np.testing.assert_array_equal(first.distilled_X_, again.distilled_X_)
    np.testing.assert_array_equal(first.lr_schedule_, again.lr_schedule_)


def test_detection_on_a_dask_collection():
    da = pytest.importorskip("dask.array")
    X, y = heavy_table(n=1200)
    lazy = DatasetDistiller(max_iter=2, feature_transform=None, random_state=0)
    lazy.fit(da.from_array(X, chunks=(300, 3)), da.from_array(y, chunks=300))
    np.testing.assert_array_equal(lazy.heavy_tailed_features_, [False, True, True])
    assert lazy.lr_schedule_.shape == (10 * 12,)  # 12 epochs, not 8


@pytest.mark.parametrize("feature_transform", ["auto", None])
def test_zero_weight_on_the_training_rows_is_named(feature_transform):
    # Only two rows weigh; at this seed both are held out for validation. The
    # error names the weights, whether or not a map is fitted first.
    X, y = heavy_table(lognormal=True)
    weight = np.zeros(len(y))
    weight[[0, 1]] = 1.0
    distiller = DatasetDistiller(
        max_iter=1,
        n_steps=2,
        n_epochs=1,
        validation_fraction=0.5,
        random_state=2,
        feature_transform=feature_transform,
    )
    with pytest.raises(ValueError, match="training rows .* all have weight 0"):
        distiller.fit(X, y, sample_weight=weight)
