"""The feature transform of heavy-tailed columns: learned at fit, exactly
invertible, carried by the distilled dataset and applied by its consumers."""

import json

import numpy as np
import pytest
from _tables import gaussian_table, heavy_table

from skdistill import DatasetDistiller, DistilledDataset, DistilledMLPClassifier
from skdistill._data.feature_transform import FeatureTransform, fit_quantile_transform

FAST = dict(max_iter=15, n_steps=4, samples_per_step=6, n_epochs=2, random_state=0)


def test_quantile_transform_makes_columns_gaussian_and_inverts_exactly():
    X, _ = heavy_table(n=2000, lognormal=True)
    transform = fit_quantile_transform(X, [1, 2])
    Z = transform.transform(X)
    np.testing.assert_array_equal(Z[:, 0], X[:, 0])  # not transformed
    for j in (1, 2):
        assert abs(np.mean(Z[:, j])) < 0.05 and abs(np.std(Z[:, j]) - 1) < 0.05
        # The median maps to 0 and the quartiles to the Gaussian ones.
        q = np.percentile(Z[:, j], [25, 50, 75])
        np.testing.assert_allclose(q, [-0.674, 0, 0.674], atol=0.02)
    np.testing.assert_allclose(transform.inverse_transform(Z), X, rtol=1e-12)
    # Past the fitted range the map continues linearly, both ways.
    far = np.array([[0.0, -1e6, -50.0], [0.0, 1e7, 1e9]])
    assert np.all(np.isfinite(transform.transform(far)))
    np.testing.assert_allclose(
        transform.inverse_transform(transform.transform(far)), far, rtol=1e-9
    )
    z_far = np.array([[0.0, -9.0, 12.0]])
    np.testing.assert_allclose(
        transform.transform(transform.inverse_transform(z_far)), z_far, rtol=1e-9
    )


def test_values_just_past_close_extremes_stay_near_the_gaussian_range():
    rng = np.random.RandomState(1)
    column = np.concatenate([rng.lognormal(0, 2, 998) + 2.0, [1.0, 1.0 + 1e-9]])
    transform = fit_quantile_transform(column[:, None], [0])
    lowest = transform.transform(np.array([[1.0]]))[0, 0]
    below = transform.transform(np.array([[0.5], [-10.0]]))[:, 0]
    # Not the slope of the last segment (1e-9 wide): a chord over a unit.
    assert lowest - 1 < below[0] < lowest and below[1] > lowest - 30
    np.testing.assert_allclose(
        transform.inverse_transform(below[:, None])[:, 0], [0.5, -10.0]
    )


def test_quantile_transform_of_point_masses_and_weights():
    rng = np.random.RandomState(0)
    column = np.where(rng.rand(500) < 0.4, 0.0, rng.lognormal(0, 2, 500))
    transform = fit_quantile_transform(column[:, None], [0])
    Z = transform.transform(column[:, None])
    # Every zero maps to one value; the map stays invertible.
    assert len(np.unique(Z[column == 0])) == 1
    np.testing.assert_allclose(transform.inverse_transform(Z)[:, 0], column)
    # Integer weights act as repeated rows.
    X = rng.lognormal(0, 2, (50, 1))
    weights = rng.randint(1, 4, 50)
    weighted = fit_quantile_transform(X, [0], weights)
    repeated = fit_quantile_transform(np.repeat(X, weights, axis=0), [0])
    probe = np.linspace(X.min(), X.max(), 7)[:, None]
    # Both are piecewise-linear through quantiles of the same distribution.
    np.testing.assert_allclose(
        weighted.transform(probe), repeated.transform(probe), atol=0.15
    )


def test_bad_knots_are_refused():
    with pytest.raises(ValueError, match="strictly increasing"):
        FeatureTransform([0], [[1.0], [1.0]], [[0.0], [1.0]])
    with pytest.raises(ValueError, match="distinct"):
        FeatureTransform([0, 0], np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="feature_transform maps columns"):
        DistilledDataset(
            [[0.0]],
            [[1.0, 0.0]],
            [0, 1],
            feature_transform=FeatureTransform([2], [[0.0], [1.0]], [[0.0], [1.0]]),
        )
    with pytest.raises(TypeError, match="feature_transform must be"):
        DistilledDataset([[0.0]], [[1.0, 0.0]], [0, 1], feature_transform={})


def test_bad_columns_and_weights_are_refused():
    X = np.random.RandomState(0).lognormal(0, 2, (50, 3))
    knots = [[0.0], [1.0]]
    mask = np.array([False, True, False])
    with pytest.raises(ValueError, match="not a boolean mask.*flatnonzero"):
        fit_quantile_transform(X, mask)
    with pytest.raises(ValueError, match="not a boolean mask"):
        FeatureTransform([True], knots, knots)
    with pytest.raises(ValueError, match="integer column indices"):
        fit_quantile_transform(X, [1.7])
    assert fit_quantile_transform(X, np.flatnonzero(mask)).columns.tolist() == [1]
    for weight in (np.zeros(50), -np.ones(50), np.r_[-1.0, np.ones(49)]):
        with pytest.raises(ValueError, match="non-negative.*positive"):
            fit_quantile_transform(X, [1], weight)
    with pytest.raises(ValueError, match="one weight per row"):
        fit_quantile_transform(X, [1], np.ones(49))


@pytest.fixture(scope="module")
def heavy_fit():
    X, y = heavy_table(lognormal=True)
    return DatasetDistiller(**FAST).fit(X, y), X, y


def test_distiller_transforms_the_heavy_tailed_columns(heavy_fit):
    distiller, X, _ = heavy_fit
    np.testing.assert_array_equal(distiller.heavy_tailed_features_, [0, 1, 1])
    transform = distiller.feature_transform_
    assert transform.columns.tolist() == [1, 2]
    ds = distiller.distilled_
    assert ds.feature_transform == transform
    # The rows round-trip: X (original units) -> learned space -> X.
    np.testing.assert_allclose(ds.scale_rows(ds.X), ds.X_scaled, atol=1e-9)
    np.testing.assert_allclose(ds.unscale_rows(ds.scale_rows(X)), X, rtol=1e-9)
    np.testing.assert_array_equal(distiller.distilled_X_, ds.X)
    # The real rows are standardised after the map: mean 0, standard
    # deviation about 1 on the transformed columns too.
    scaled = ds.scale_rows(X)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-9)
    # The lognormal column's distilled values stay positive, as its values.
    assert np.all(ds.X[:, 2] > 0)


def test_save_and_load_keep_the_transform(heavy_fit, tmp_path):
    distiller, X, y = heavy_fit
    path = distiller.distilled_.save(tmp_path / "heavy.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert json.loads(str(archive["metadata"]))["version"] == 3
        assert "feature_transform/knots_x" in archive.files
    loaded = DistilledDataset.load(path)
    assert loaded.feature_transform == distiller.feature_transform_
    np.testing.assert_array_equal(
        loaded.scale_rows(X), distiller.distilled_.scale_rows(X)
    )
    a = DistilledMLPClassifier(distiller=loaded, random_state=0).fit(X, y)
    b = DistilledMLPClassifier(distiller=distiller.distilled_, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_classifier_maps_raw_rows_as_by_hand(heavy_fit):
    distiller, X, y = heavy_fit
    ds = distiller.distilled_
    clf = DistilledMLPClassifier(distiller=ds, random_state=0).fit(X, y)
    assert clf.input_transform_ == ds.feature_transform
    # The same network trained on the same rows without the transform in the
    # dataset, given rows transformed by hand.
    by_hand = ds.replace(feature_transform=None)
    plain = DistilledMLPClassifier(distiller=by_hand, random_state=0)
    mapped = ds.feature_transform.transform(X)
    plain.fit(mapped, y)
    for a, b in zip(clf.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        clf.predict_proba(X), plain.predict_proba(mapped), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_array_equal(clf.predict(X), plain.predict(mapped))
    # It predicts as well as the distilled set allows: better than chance.
    assert clf.score(X, y) > 0.7


def test_classifier_maps_rows_of_a_dataset_without_standardisation():
    # A dataset may carry a feature transform and no standardisation: the
    # classifier maps raw rows, as the dataset's scale_rows does.
    transform = FeatureTransform([0], [[0.0], [1.0], [100.0]], [[-1.0], [0.0], [1.0]])
    rng = np.random.RandomState(0)
    y = np.eye(2)[np.arange(20) % 2]
    ds = DistilledDataset(rng.randn(20, 2), y, [0, 1], feature_transform=transform)
    X = rng.lognormal(0, 2, (30, 2))
    clf = DistilledMLPClassifier(distiller=ds, max_iter=5, random_state=0).fit()
    plain = DistilledMLPClassifier(
        distiller=ds.replace(feature_transform=None), max_iter=5, random_state=0
    ).fit()
    np.testing.assert_array_equal(
        clf.predict_proba(X), plain.predict_proba(ds.scale_rows(X))
    )
    np.testing.assert_array_equal(ds.scale_rows(X), transform.transform(X))


def test_transform_fit_is_repeatable(heavy_fit):
    distiller, X, y = heavy_fit
    again = DatasetDistiller(**FAST).fit(X, y)
    assert again.feature_transform_ == distiller.feature_transform_
    np.testing.assert_array_equal(again.distilled_X_, distiller.distilled_X_)
    np.testing.assert_array_equal(again.lr_schedule_, distiller.lr_schedule_)


@pytest.mark.parametrize("value", ["quantile", True, 1])
def test_bad_values_name_the_parameter(value):
    X, y = heavy_table(lognormal=True)
    with pytest.raises(ValueError, match="feature_transform"):
        DatasetDistiller(feature_transform=value, max_iter=2).fit(X, y)


def test_a_table_without_heavy_tails_fits_as_without_the_transform():
    X, y = gaussian_table()
    params = dict(max_iter=25, random_state=0)
    auto = DatasetDistiller(**params).fit(X, y)
    off = DatasetDistiller(**params, feature_transform=None).fit(X, y)
    assert auto.feature_transform_ is None and auto.distilled_.feature_transform is None
    for name in ("distilled_X_", "distilled_y_", "lr_schedule_", "mean_", "scale_"):
        np.testing.assert_array_equal(getattr(auto, name), getattr(off, name))
    np.testing.assert_array_equal(auto.loss_curve_, off.loss_curve_)


def test_without_the_transform_the_heavy_tail_defaults_apply():
    X, y = heavy_table(lognormal=True)
    off = DatasetDistiller(feature_transform=None, max_iter=2, random_state=0)
    off.fit(X, y)
    assert off.feature_transform_ is None
    # 300 rows: 10 steps of 9 rows on a plain table; the heavy-tailed one
    # gets three times the rows per step and 12 epochs.
    assert off.distilled_X_.shape == (10 * 27, 3)
    assert off.lr_schedule_.shape == (10 * 12,)
    on = DatasetDistiller(max_iter=2, random_state=0).fit(X, y)
    # The transformed columns are no longer heavy-tailed: the plain sizes,
    # and the plain table's single long run of 24 epochs.
    assert on.distilled_X_.shape == (10 * 9, 3)
    assert on.lr_schedule_.shape == (10 * 24,)


def test_dask_collection_gets_the_transform():
    da = pytest.importorskip("dask.array")
    X, y = heavy_table(n=1200, lognormal=True)
    lazy = DatasetDistiller(**FAST).fit(
        da.from_array(X, chunks=(300, 3)), da.from_array(y, chunks=300)
    )
    np.testing.assert_array_equal(lazy.heavy_tailed_features_, [False, True, True])
    ds = lazy.distilled_
    assert ds.feature_transform.columns.tolist() == [1, 2]
    np.testing.assert_allclose(ds.scale_rows(ds.X), ds.X_scaled, atol=1e-9)
    # The training rows are about standardised in the learned space.
    scaled = ds.scale_rows(X)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=0.1)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=0.1)
    clf = DistilledMLPClassifier(distiller=ds, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.7


def _archive(path):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return arrays, json.loads(str(arrays["metadata"]))


def _rewrite(path, arrays, metadata):
    arrays = dict(arrays, metadata=np.array(json.dumps(metadata)))
    np.savez(path, **arrays)
    return path


def test_a_dataset_without_transform_is_written_as_version_2(tmp_path):
    # Readers of version 2 read it: it holds nothing of version 3.
    ds = DistilledDataset(
        [[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], ["a", "b"]
    )
    arrays, metadata = _archive(ds.save(tmp_path / "plain.npz"))
    assert metadata["version"] == 2
    assert not any(name.startswith("feature_transform/") for name in arrays)
    loaded = DistilledDataset.load(tmp_path / "plain.npz")
    assert loaded.feature_transform is None
    np.testing.assert_array_equal(loaded.X, ds.X)


def test_transform_arrays_are_read_whole_and_from_version_3(tmp_path):
    transform = FeatureTransform([0], [[0.0], [1.0], [100.0]], [[-1.0], [0.0], [1.0]])
    ds = DistilledDataset(
        [[0.0, 1.0], [1.0, 0.0]],
        [[1.0, 0.0], [0.0, 1.0]],
        ["a", "b"],
        mean=[0.0, 0.0],
        scale=[1.0, 1.0],
        feature_transform=transform,
    )
    arrays, metadata = _archive(ds.save(tmp_path / "mapped.npz"))
    assert metadata["version"] == 3
    assert DistilledDataset.load(tmp_path / "mapped.npz").feature_transform == transform
    # A file that lost one of the transform's arrays is refused by name.
    partial = {k: v for k, v in arrays.items() if k != "feature_transform/knots_z"}
    path = _rewrite(tmp_path / "partial.npz", partial, metadata)
    with pytest.raises(
        ValueError, match=r"lacks the arrays \['feature_transform/knots_z'"
    ):
        DistilledDataset.load(path)
    # Version 2 has no feature transform: its files are read without one.
    path = _rewrite(tmp_path / "v2.npz", arrays, dict(metadata, version=2))
    assert DistilledDataset.load(path).feature_transform is None


def test_parquet_table_gets_the_transform(tmp_path):
    pytest.importorskip("pyarrow.parquet")
    import pandas as pd

    X, y = heavy_table(n=1200, lognormal=True)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=y)
    path = tmp_path / "heavy.parquet"
    frame.to_parquet(path, row_group_size=300, index=False)
    lazy = DatasetDistiller(**FAST).fit(str(path), "label")
    ds = lazy.distilled_
    assert ds.feature_transform.columns.tolist() == [1, 2]
    # The batches were mapped as the dataset maps rows: the training rows are
    # about standardised in the learned space.
    scaled = ds.scale_rows(X)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=0.1)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=0.1)
    clf = DistilledMLPClassifier(distiller=ds, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.7


def test_lazy_batches_are_mapped_as_the_dataset_maps_rows():
    da = pytest.importorskip("dask.array")
    from skdistill._tabular.real_rows import lazy_rows

    X, y = heavy_table(n=1200, lognormal=True)
    distiller = DatasetDistiller(random_state=0)
    source, _, _, (sample, _, _, _) = lazy_rows(
        distiller, da.from_array(X, chunks=(300, 3)), da.from_array(y, chunks=300)
    )
    transform = distiller.feature_transform_
    assert transform.columns.tolist() == [1, 2]
    mapped = (transform.transform(X) - distiller.mean_) / distiller.scale_

    def distance(rows):
        """How far every row is from the nearest real row as mapped."""
        return np.abs(rows[:, None, :] - mapped[None]).max(axis=2).min(axis=1)

    assert distance(sample[0]).max() < 1e-12
    # Every row is mapped from its float64 values before it enters the
    # float32 buffer of batches: only the mapped value is rounded, even
    # where the map is steep (the lower tail of the lognormal column, whose
    # standard deviation is 10^4 times its median).
    batches = source(64)
    for _ in range(5):
        assert distance(batches.next_batch()[0]).max() < 1e-6
