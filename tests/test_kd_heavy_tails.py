"""KDMetaparamTuner(feature_transform=...): heavy-tailed columns mapped
through their quantiles before the student's standardisation, as the
distiller maps them."""

import numpy as np
import pytest
from _tables import gaussian_table, heavy_table
from scipy.special import softmax
from sklearn.tree import DecisionTreeClassifier

from skdistill import KDMetaparamTuner
from skdistill._data.feature_transform import FeatureTransform, fit_quantile_transform
from skdistill._kd.transfer import make_transfer_set

CHEAP = dict(hidden_layer_sizes=(8,), max_iter=5, batch_size=32, random_state=0)


def _tuner(**params):
    return KDMetaparamTuner(
        DecisionTreeClassifier(max_depth=3, random_state=0), **{**CHEAP, **params}
    )


def _heavy_table(n=300, seed=0):
    return heavy_table(n, seed, lognormal=True)


def _relu_logits(model, inputs):
    h = inputs
    for i, (w, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True)):
        h = h @ w + b
        if i < len(model.coefs_) - 1:
            h = np.maximum(h, 0)
    return h


def test_bad_feature_transform_names_the_parameter():
    X, y = gaussian_table()
    with pytest.raises(ValueError, match="feature_transform"):
        _tuner(feature_transform="quantile").fit(X, y)


@pytest.mark.parametrize("transfer_set", [None, "perturb", "munge"])
def test_tables_without_heavy_tails_fit_as_without_the_transform(transfer_set):
    X, y = gaussian_table()
    auto = _tuner(transfer_set=transfer_set).fit(X, y)
    plain = _tuner(transfer_set=transfer_set, feature_transform=None).fit(X, y)
    assert auto.feature_transform_ is None and not auto.heavy_tailed_features_.any()
    for a, b in zip(auto.coefs_ + auto.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(auto.mean_, plain.mean_)
    np.testing.assert_array_equal(auto.predict_proba(X), plain.predict_proba(X))


def test_heavy_columns_are_mapped_then_standardised():
    X, y = _heavy_table()
    X_val, y_val = _heavy_table(n=100, seed=1)
    weight = np.random.RandomState(2).uniform(0.5, 2.0, len(y))
    weight[:20] = 0.0
    X_before, X_val_before = X.copy(), X_val.copy()
    model = _tuner().fit(X, y, X_val, y_val, sample_weight=weight)
    np.testing.assert_array_equal(model.heavy_tailed_features_, [False, True, True])
    # With an explicit validation set every row of X trains: the transform is
    # fitted on them, weighted as the distiller weights them.
    transform = model.feature_transform_
    assert isinstance(transform, FeatureTransform)
    assert transform == fit_quantile_transform(X, [1, 2], weight)
    assert transform != fit_quantile_transform(X, [1, 2])
    # The student's inputs are the mapped columns, standardised: on raw rows
    # the prediction is the network on (transform(X) - mean_) / scale_.
    mapped = (transform.transform(X_val) - model.mean_) / model.scale_
    assert np.abs(mapped[:, 1:]).max() < 6  # far from the raw tails (> 1e3 sd)
    np.testing.assert_allclose(
        model.predict_proba(X_val), softmax(_relu_logits(model, mapped), axis=1)
    )
    # The caller's arrays are left as they were.
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(X_val, X_val_before)


def test_feature_transform_none_standardises_only():
    X, y = _heavy_table()
    model = _tuner(feature_transform=None).fit(X, y)
    assert model.feature_transform_ is None
    # Still reported: the columns the transform would map.
    np.testing.assert_array_equal(model.heavy_tailed_features_, [False, True, True])
    inputs = (X - model.mean_) / model.scale_
    np.testing.assert_allclose(
        model.predict_proba(X), softmax(_relu_logits(model, inputs), axis=1)
    )


def test_fit_with_the_transform_is_reproducible():
    X, y = _heavy_table()
    first = _tuner(transfer_set="perturb").fit(X, y)
    again = _tuner(transfer_set="perturb").fit(X, y)
    assert first.feature_transform_ == again.feature_transform_
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))


@pytest.mark.parametrize("kind", ["perturb", "munge"])
def test_transfer_rows_are_made_in_the_mapped_space(kind):
    X, _ = _heavy_table(n=400)
    transform = fit_quantile_transform(X, [1, 2])
    rows, sources = make_transfer_set(
        kind, X, 800, np.random.RandomState(0), transform=transform
    )
    plain, plain_sources = make_transfer_set(kind, X, 800, np.random.RandomState(0))
    np.testing.assert_array_equal(sources, plain_sources)
    if kind == "perturb":
        # Back in the original units, the unmapped column bit for bit as
        # without the transform (MUNGE's neighbours are found in the mapped
        # space, so they differ).
        np.testing.assert_array_equal(rows[:, 0], plain[:, 0])
    # The moves are local in the mapped space (where the columns are
    # Gaussian-like): a heavy column's noise follows its bulk, not its tail.
    moved = transform.transform(rows) - transform.transform(X[sources])
    spread = np.abs(moved[:, 1:]).mean(axis=0)
    assert np.all(spread < 0.5)
    if kind == "perturb":
        # Noise of a tenth of the raw standard deviation (set by the tail)
        # throws the bulk's rows far in the mapped space.
        raw_noise = transform.transform(plain) - transform.transform(X[sources])
        assert np.all(np.abs(raw_noise[:, 1:]).mean(axis=0) > 2 * spread)


def test_transfer_rows_reach_the_student_mapped(monkeypatch):
    X, y = _heavy_table()
    seen = {}

    def spy_train(self, X_train, *args):
        seen["X_train"] = X_train

    monkeypatch.setattr(KDMetaparamTuner, "_train_student", spy_train)
    model = _tuner(transfer_set="perturb", validation_fraction=0.25)
    model.fit(X, y)
    # 225 real training rows and 225 synthetic ones, all in the mapped space.
    inputs = seen["X_train"]
    assert inputs.shape == (450, 3)
    assert np.abs(inputs[:, 1:]).max() < 5  # Gaussian-like, not the raw tails
    assert np.abs(X[:, 1:]).max() > 1e3


def test_unlabelled_rows_count_in_the_transform():
    X, y = _heavy_table()
    X_val, y_val = _heavy_table(n=100, seed=1)
    y_few = y.copy()
    y_few[40:] = -1  # 40 labelled rows, 260 unlabelled
    model = _tuner().fit(X, y_few, X_val, y_val)
    # Judged and fitted on every real training row, labelled or not.
    assert model.feature_transform_ == fit_quantile_transform(X, [1, 2])
    assert model.teacher_.tree_.n_node_samples[0] == 40


@pytest.mark.parametrize("feature_transform", ["auto", None])
def test_zero_weight_on_the_labelled_training_rows_is_named(feature_transform):
    # Only two rows weigh; at this seed both fall in the validation half. The
    # error names the weights, whether or not a map is fitted first.
    X, y = _heavy_table()
    weight = np.zeros(len(y))
    weight[[0, 1]] = 1.0
    tuner = _tuner(validation_fraction=0.5, feature_transform=feature_transform)
    with pytest.raises(ValueError, match="labelled training rows all have zero"):
        tuner.fit(X, y, sample_weight=weight)


@pytest.mark.parametrize("feature_transform", ["auto", None])
def test_distilled_transfer_rows_follow_the_setting(monkeypatch, feature_transform):
    import skdistill._kd.transfer as transfer

    settings = []
    original = transfer.DatasetDistiller

    def spy(**params):
        settings.append(params.get("feature_transform"))
        return original(**{**params, "max_iter": 2})

    monkeypatch.setattr(transfer, "DatasetDistiller", spy)
    X, y = _heavy_table()
    _tuner(transfer_set="distilled", feature_transform=feature_transform).fit(X, y)
    assert settings == [feature_transform]
