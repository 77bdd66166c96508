"""DatasetDistiller: behaviour a user relies on."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris, make_circles, make_classification, make_moons
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import (
    DatasetDistiller,
    DistilledMLPClassifier,
    DivergenceError,
    DivergenceWarning,
    KMeansSampler,
    RandomRealSampler,
    distillation_accuracy,
)

CHEAP = dict(n_steps=2, n_epochs=1, max_iter=3, batch_size=16, n_models=1)


@parametrize_with_checks([DatasetDistiller(**CHEAP, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=200, noise=0.1, random_state=0)


def test_fitted_attributes_shapes_and_labels(moons):
    X, y = moons
    distiller = DatasetDistiller(
        n_steps=4, n_epochs=2, samples_per_step=6, max_iter=5, random_state=0
    ).fit(X, y)
    assert distiller.distilled_X_.shape == (24, 2)
    assert distiller.distilled_y_.shape == (24, 2)
    np.testing.assert_allclose(distiller.distilled_y_.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(distiller.distilled_y_ >= 0)
    np.testing.assert_array_equal(distiller.distilled_step_, np.repeat(range(4), 6))
    assert distiller.lr_schedule_.shape == (8,)
    assert np.all(distiller.lr_schedule_ > 0)
    assert len(distiller.loss_curve_) == distiller.n_iter_ == 5
    np.testing.assert_array_equal(distiller.classes_, [0, 1])
    X_res, y_res = distiller.fit_resample(X, y)
    np.testing.assert_array_equal(X_res, distiller.distilled_X_)
    np.testing.assert_array_equal(y_res, distiller.distilled_y_.argmax(axis=1))


def test_distillation_lowers_the_objective(moons):
    X, y = moons
    distiller = DatasetDistiller(
        n_steps=5, n_epochs=2, max_iter=60, random_state=0
    ).fit(X, y)
    curve = np.asarray(distiller.loss_curve_)
    assert curve[-10:].mean() < 0.8 * curve[:10].mean()


def test_hard_labels_stay_one_hot_and_fixed_lrs_stay_fixed(moons):
    X, y = moons
    distiller = DatasetDistiller(
        n_steps=3,
        max_iter=5,
        soft_labels=False,
        learn_lr=False,
        lr_init=0.2,
        random_state=0,
    ).fit(X, y)
    assert set(np.unique(distiller.distilled_y_)) == {0.0, 1.0}
    np.testing.assert_allclose(distiller.lr_schedule_, 0.2, rtol=1e-6)


def test_soft_resample_labels_and_string_classes(moons):
    X, y = moons
    y_str = np.array(["left", "right"])[y]
    distiller = DatasetDistiller(
        n_steps=3, max_iter=3, resample_labels="soft", random_state=0
    )
    X_res, y_res = distiller.fit_resample(X, y_str)
    assert y_res.shape == (X_res.shape[0], 2)
    hard = distiller.set_params(resample_labels="hard").fit_resample(X, y_str)[1]
    assert set(hard) <= {"left", "right"}


def test_fewer_rows_per_step_than_classes():
    X, y = load_iris(return_X_y=True)
    distiller = DatasetDistiller(
        n_steps=3, samples_per_step=1, max_iter=3, random_state=0
    ).fit(X, y)
    # Classes are dealt round-robin: three steps of one row cover all classes.
    np.testing.assert_array_equal(distiller.distilled_y_.argmax(axis=1), [0, 1, 2])


def test_rows_come_back_in_user_units(moons):
    X, y = moons
    offset, factor = np.array([1000.0, -5.0]), np.array([250.0, 0.01])
    a = DatasetDistiller(n_steps=3, max_iter=4, random_state=0).fit(X, y)
    b = DatasetDistiller(n_steps=3, max_iter=4, random_state=0).fit(
        X * factor + offset, y
    )
    np.testing.assert_allclose(
        b.distilled_X_,
        a.distilled_X_ * factor + offset,
        rtol=1e-5,
        atol=1e-6 * np.abs(offset).max(),
    )
    np.testing.assert_allclose(b.lr_schedule_, a.lr_schedule_, rtol=1e-5)


def test_random_state_reproducible_and_global_rngs_untouched(moons):
    X, y = moons
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()  # noqa: NPY002
    params = dict(n_steps=3, max_iter=5, architectures=((), (5,)), n_models=3)
    a = DatasetDistiller(**params, random_state=7).fit(X, y)
    b = DatasetDistiller(**params, random_state=7).fit(X, y)
    c = DatasetDistiller(**params, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.distilled_X_, b.distilled_X_)
    np.testing.assert_array_equal(a.lr_schedule_, b.lr_schedule_)
    assert not np.array_equal(a.distilled_X_, c.distilled_X_)
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])  # noqa: NPY002


def test_threads_restored_after_fit(moons):
    X, y = moons
    before = torch.get_num_threads()
    DatasetDistiller(n_steps=2, max_iter=2, n_threads=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before


def test_fixed_init_keeps_its_initialisation(moons):
    X, y = moons
    distiller = DatasetDistiller(
        n_steps=2,
        max_iter=3,
        fixed_init=True,
        architectures=((4,),),
        n_models=2,
        random_state=0,
    ).fit(X, y)
    (params,) = distiller.fixed_init_params_
    assert [p.shape for p in params] == [(2, 2, 4), (2, 1, 4), (2, 4, 2), (2, 1, 2)]
    assert (
        DatasetDistiller(random_state=0)
        .set_params(max_iter=1, n_steps=1)
        .fit(X, y)
        .fixed_init_params_
        is None
    )


def test_dataframe_feature_names(moons):
    pd = pytest.importorskip("pandas")
    X, y = moons
    frame = pd.DataFrame(X, columns=["a", "b"])
    distiller = DatasetDistiller(n_steps=2, max_iter=2, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(distiller.feature_names_in_, ["a", "b"])


def test_pickle_round_trip(moons):
    X, y = moons
    distiller = DatasetDistiller(n_steps=2, max_iter=2, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_array_equal(restored.distilled_X_, distiller.distilled_X_)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), [0, 1], "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), [0, 1], "infinity"),
        (np.empty((0, 2)), [], "0 sample"),
        (np.zeros((4, 2, 2)), [0, 1, 0, 1], "dim 3"),
        (np.array([["a", "b"], ["c", "d"]]), [0, 1], "could not convert"),
        (np.zeros((4, 2)), [0, 1, 0], "inconsistent numbers of samples"),
        (np.zeros((4, 2)), [1, 1, 1, 1], "at least two classes"),
        (np.zeros((4, 2)), [0.1, 0.5, 0.7, 0.2], "Unknown label type"),
    ],
)
def test_bad_input_raises_clear_errors(X, y, match):
    with pytest.raises(ValueError, match=match):
        DatasetDistiller(n_steps=1, max_iter=1).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(architectures=(10,)), "hidden-layer-size tuples"),
        (dict(architectures=()), "hidden-layer-size tuples"),
        (dict(architectures=((10, 0),)), "hidden-layer-size tuples"),
        (dict(architectures=((), (3,)), n_models=1), "n_models=1"),
        (dict(lr_init=-1.0), "lr_init"),
        (dict(device="nonsense"), "device"),
    ],
)
def test_bad_parameters_raise_clear_errors(moons, params, match):
    X, y = moons
    with pytest.raises(ValueError, match=match):
        DatasetDistiller(**{"max_iter": 1, "n_steps": 1, **params}).fit(X, y)


def test_divergence_names_the_parameter_to_lower(moons):
    """A divergence that lowering the internal rates a bounded number of times
    does not cure ends the fit with a clear error, after one warning per try."""
    X, y = moons
    distiller = DatasetDistiller(
        n_steps=5, n_epochs=3, lr_init=1e20, max_iter=5, random_state=0
    )
    with pytest.warns(DivergenceWarning) as caught:
        with pytest.raises(DivergenceError, match="lowered 4 times.*lower lr_init"):
            distiller.fit(X * 100, y)
    assert len(caught) == 4


def test_fit_recovers_from_a_divergence_with_lower_rates(moons):
    X, y = moons
    params = dict(n_steps=5, n_epochs=3, max_iter=30, random_state=0)
    with pytest.warns(DivergenceWarning, match="divided by 10"):
        distiller = DatasetDistiller(lr_init=1e3, **params).fit(X, y)
    assert distiller.divergence_recoveries_ == [1, 1]
    assert distiller.lr_init_ == 1e3
    assert np.isfinite(distiller.distilled_X_).all()
    assert np.isfinite(distiller.distilled_y_).all()
    # The rates restarted from 1e3 / 100 and were learned from there.
    assert np.all(distiller.lr_schedule_ < 30)
    assert np.all(np.isfinite(distiller.loss_curve_))
    # The set replays without going non-finite.
    clf = DistilledMLPClassifier((10,), distiller=FrozenEstimator(distiller))
    assert np.isfinite(clf.fit(X, y).predict_proba(X)).all()


def test_ordinary_fit_does_not_recover_or_warn(moons, recwarn):
    X, y = moons
    distiller = DatasetDistiller(n_steps=3, max_iter=20, random_state=0).fit(X, y)
    assert distiller.divergence_recoveries_ == []
    assert not [w for w in recwarn if issubclass(w.category, DivergenceWarning)]


def test_auto_lr_init_follows_the_width_of_the_table():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 20)
    params = dict(n_steps=2, n_epochs=1, max_iter=2, random_state=0)
    narrow = DatasetDistiller(**params).fit(rng.normal(size=(40, 30)), y)
    assert narrow.lr_init_ == 0.1
    assert narrow.distilled_.lr_init == 0.1
    # 1000 columns of which 200 are constant: 800 vary.
    X = np.column_stack([rng.normal(size=(40, 800)), np.ones((40, 200))])
    wide = DatasetDistiller(**params).fit(X, y)
    assert wide.lr_init_ == pytest.approx(25 / 800)
    assert wide.distilled_.lr_init == pytest.approx(25 / 800)
    given = DatasetDistiller(lr_init=0.5, **params).fit(X, y)
    assert given.lr_init_ == 0.5


def test_checkpointing_gives_the_same_distillation(moons):
    X, y = moons
    params = dict(
        n_steps=4,
        n_epochs=3,
        max_iter=5,
        architectures=((), (6, 6)),
        n_models=2,
        random_state=0,
    )
    full = DatasetDistiller(**params).fit(X, y)
    for segments in ("sqrt", 5):
        bounded = DatasetDistiller(**params, checkpoint_segments=segments).fit(X, y)
        np.testing.assert_allclose(
            bounded.distilled_X_, full.distilled_X_, rtol=1e-5, atol=1e-5
        )
        np.testing.assert_allclose(bounded.lr_schedule_, full.lr_schedule_, rtol=1e-5)
        np.testing.assert_allclose(bounded.loss_curve_, full.loss_curve_, rtol=1e-5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_device_on_a_cpu_machine_is_a_clear_error(moons):
    X, y = moons
    with pytest.raises(ValueError, match="CUDA is not available"):
        DatasetDistiller(n_steps=1, max_iter=1, device="cuda").fit(X, y)


def test_explicit_cpu_device_and_thread_override(moons):
    X, y = moons
    params = dict(n_steps=2, max_iter=3, random_state=0)
    default = DatasetDistiller(**params).fit(X, y)
    other = DatasetDistiller(**params, device="cpu", n_threads=2).fit(X, y)
    np.testing.assert_allclose(other.distilled_X_, default.distilled_X_, rtol=1e-5)


def test_random_state_none_leaves_numpy_global_state_untouched(moons):
    X, y = moons
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    DatasetDistiller(n_steps=2, max_iter=2).fit(X, y)
    np.testing.assert_array_equal(before, np.random.get_state()[1])  # noqa: NPY002


def test_constant_columns_keep_their_value(moons):
    X, y = moons
    X = np.column_stack([X, np.full(len(X), 3.0)])
    distiller = DatasetDistiller(n_steps=3, max_iter=10, random_state=0).fit(X, y)
    np.testing.assert_allclose(distiller.distilled_X_[:, 2], 3.0)
    assert distiller.scale_[2] == 1.0


@pytest.mark.parametrize("factor", [1e-16, 1e12])
def test_extreme_units_are_standardised(moons, factor):
    X, y = moons
    a = DatasetDistiller(n_steps=3, max_iter=4, random_state=0).fit(X, y)
    b = DatasetDistiller(n_steps=3, max_iter=4, random_state=0).fit(X * factor, y)
    np.testing.assert_allclose(b.distilled_X_, a.distilled_X_ * factor, rtol=1e-4)


def test_values_too_large_to_standardise_raise(moons):
    X, y = moons
    with pytest.raises(ValueError, match="too large to standardise"):
        DatasetDistiller(n_steps=1, max_iter=1).fit(X * 1e160, y)


def test_failed_refit_leaves_the_estimator_unfitted(moons):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    X, y = moons
    distiller = DatasetDistiller(n_steps=2, max_iter=2, random_state=0).fit(X, y)
    X_iris, y_iris = load_iris(return_X_y=True)
    with pytest.raises(DivergenceError):
        distiller.set_params(lr_init=1e30).fit(X_iris * 100, y_iris)
    with pytest.raises(NotFittedError):
        check_is_fitted(distiller)


@pytest.mark.parametrize("device", ["meta", "mps"])
def test_unsupported_devices_are_clear_errors(moons, device):
    X, y = moons
    with pytest.raises(ValueError, match="device"):
        DatasetDistiller(n_steps=1, max_iter=1, device=device).fit(X, y)


def test_fit_resample_returns_pandas_for_pandas_input(moons):
    pd = pytest.importorskip("pandas")
    X, y = moons
    frame, target = pd.DataFrame(X, columns=["a", "b"]), pd.Series(y, name="label")
    distiller = DatasetDistiller(n_steps=2, max_iter=2, random_state=0)
    X_res, y_res = distiller.fit_resample(frame, target)
    assert list(X_res.columns) == ["a", "b"] and y_res.name == "label"
    soft = distiller.set_params(resample_labels="soft").fit_resample(frame, target)[1]
    assert list(soft.columns) == [0, 1]


def test_verbose_reports_progress(moons, capsys):
    X, y = moons
    DatasetDistiller(n_steps=2, max_iter=20, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10  # about ten lines per fit, whatever its length
    assert lines[-1].startswith("[DatasetDistiller] iteration 20/20, loss = ")
    assert "elapsed" in lines[-1] and "remaining 0.0s" in lines[-1]
    DatasetDistiller(n_steps=2, max_iter=20, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(init="zeros"), "init"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(validation_fraction=0.0), "validation_fraction"),
        (dict(n_iter_no_change=0), "n_iter_no_change"),
        (dict(tol=-1.0), "tol"),
        (dict(average_decay=1.0), "average_decay"),
        (dict(average_decay=-0.1), "average_decay"),
        (dict(n_steps="many"), "n_steps"),
        (dict(n_steps=0), "n_steps"),
        (dict(n_steps=1.5), "n_steps"),
        (dict(batch_size="large"), "batch_size"),
        (dict(batch_size=0), "batch_size"),
        (dict(lr_max=0.0), "lr_max"),
        (dict(lr_max=-1.0), "lr_max"),
        (dict(lr_max="auto"), "lr_max"),
    ],
)
def test_bad_new_parameters_name_the_parameter(moons, params, match):
    X, y = moons
    with pytest.raises(ValueError, match=match):
        DatasetDistiller(**{"max_iter": 1, "n_steps": 1, **params}).fit(X, y)


def _barely_moved(init, X, y, **params):
    # A vanishing outer step leaves the synthetic rows where they started.
    return DatasetDistiller(
        init=init,
        learning_rate=1e-12,
        max_iter=1,
        validation_fraction=None,
        random_state=0,
        **params,
    ).fit(X, y)


def test_init_real_starts_from_real_rows_of_each_rows_class():
    X, y = load_iris(return_X_y=True)
    distiller = _barely_moved("real", X, y, n_steps=4, samples_per_step=3)
    labels = distiller.distilled_y_.argmax(axis=1)
    for row, label in zip(distiller.distilled_X_, labels):
        distance = np.abs(X[y == label] - row).max(axis=1).min()
        assert distance < 1e-5
    # Without replacement while the class has rows enough: no row twice.
    assert len(np.unique(distiller.distilled_X_.round(5), axis=0)) == 12


def test_init_kmeans_starts_from_class_centroids():
    X, y = load_iris(return_X_y=True)
    # One synthetic row per class: its k-means centroid is the class mean.
    distiller = _barely_moved("kmeans", X, y, n_steps=1, samples_per_step=3)
    np.testing.assert_allclose(
        distiller.distilled_X_, [X[y == c].mean(axis=0) for c in range(3)], atol=1e-5
    )
    # Several rows per class: distinct centroids, each inside its class's box.
    distiller = _barely_moved("kmeans", X, y, n_steps=5, samples_per_step=3)
    labels = distiller.distilled_y_.argmax(axis=1)
    for c in range(3):
        rows = distiller.distilled_X_[labels == c]
        assert len(np.unique(rows.round(5), axis=0)) == 5
        assert np.all(rows >= X[y == c].min(axis=0) - 1e-5)
        assert np.all(rows <= X[y == c].max(axis=0) + 1e-5)


def test_init_noise_is_the_papers_standard_normal_start(moons):
    X, y = moons
    distiller = _barely_moved("noise", X, y, n_steps=50)
    standardised = (distiller.distilled_X_ - distiller.mean_) / distiller.scale_
    assert abs(standardised.mean()) < 0.15
    assert 0.85 < standardised.std() < 1.15


def test_early_stopping_stops_and_keeps_the_best_set(moons):
    X, y = moons
    params = dict(
        n_steps=2,
        n_epochs=2,
        learning_rate=0.05,
        validation_fraction=0.3,
        n_iter_no_change=20,
        random_state=0,
    )
    distiller = DatasetDistiller(max_iter=400, **params).fit(X, y)
    assert distiller.n_iter_ < 400
    assert distiller.n_iter_ - distiller.best_iteration_ >= 20
    assert len(distiller.loss_curve_) == distiller.n_iter_
    # One check before the first iteration, then one every 10.
    assert len(distiller.validation_scores_) == 1 + distiller.n_iter_ // 10
    best = max(distiller.validation_scores_)
    assert distiller.validation_scores_[distiller.best_iteration_ // 10] == best
    # The kept set is the one of best_iteration_: a fit stopped there agrees.
    if distiller.best_iteration_ > 0:
        stopped = DatasetDistiller(max_iter=distiller.best_iteration_, **params)
        stopped.fit(X, y)
        np.testing.assert_array_equal(stopped.distilled_X_, distiller.distilled_X_)
        np.testing.assert_array_equal(stopped.lr_schedule_, distiller.lr_schedule_)


def test_without_validation_runs_max_iter_and_keeps_the_last_set(moons):
    X, y = moons
    distiller = DatasetDistiller(
        n_steps=2, max_iter=30, validation_fraction=None, random_state=0
    ).fit(X, y)
    assert distiller.n_iter_ == distiller.best_iteration_ == 30
    assert distiller.validation_scores_ is None


def test_larger_tol_stops_earlier(moons):
    X, y = moons
    params = dict(n_steps=2, validation_fraction=0.3, n_iter_no_change=30)
    params.update(max_iter=300, random_state=0)
    strict = DatasetDistiller(tol=0.0, **params).fit(X, y)
    lax = DatasetDistiller(tol=0.5, **params).fit(X, y)
    # Nothing improves by half the accuracy: the fit stops at the first check
    # more than n_iter_no_change iterations after the starting set's.
    assert lax.n_iter_ == 40
    assert strict.n_iter_ >= lax.n_iter_


@pytest.mark.parametrize(
    "n_samples, n_classes, n_steps, expected",
    [
        (10, 2, 10, 2),  # a tiny set: one row per class and step
        (100, 3, 10, 5),  # ceil(5 * 10 / 10)
        (1444, 2, 10, 19),  # ceil(5 * 38 / 10)
        (1445, 2, 10, 20),
        (10**6, 2, 10, 20),  # capped
        (10**6, 30, 10, 30),  # never fewer than one row per class
        (100, 2, 1, 20),  # one step carries the whole set, capped
    ],
)
def test_auto_samples_per_step_grows_with_the_root_of_the_rows(
    n_samples, n_classes, n_steps, expected
):
    from skdistill._tabular.sizes import auto_samples_per_step

    assert auto_samples_per_step(n_samples, n_classes, n_steps) == expected


@pytest.mark.parametrize(
    "sizes, n_samples, smallest_class, kwargs, expected",
    [
        (("auto", "auto", "auto"), 13_456, 6000, {}, False),  # a short run
        (("auto", "auto", "auto"), 13_457, 6000, {}, True),  # 240 steps
        # The smallest class fills its share of 46 * 30 rows over 5 classes.
        (("auto", "auto", "auto"), 33_333, 276, {}, True),
        (("auto", "auto", "auto"), 33_333, 275, {}, False),  # a rare class
        ((46, "auto", "auto"), 33_333, 6000, {}, False),  # steps given
        (("auto", 20, "auto"), 33_333, 6000, {}, False),  # rows given
        (("auto", "auto", "auto"), 33_333, 6000, {"heavy_tailed": True}, False),
        (("auto", "auto", "auto"), 33_333, 6000, {"requested": (50, "n")}, False),
    ],
)
def test_which_tables_get_the_sizes_of_a_large_table(
    sizes, n_samples, smallest_class, kwargs, expected
):
    from skdistill._tabular.sizes import large_table_sizes

    large = large_table_sizes(sizes, n_samples, 5, smallest_class, **kwargs)
    assert large is expected


@pytest.mark.parametrize(
    "n_samples, large_table, expected",
    [
        (33_333, False, (46, 20, 1024)),  # 920 rows
        (33_333, True, (46, 30, 1024)),  # 1380 rows
        (13_457, True, (30, 30, 420)),
        (10**8, True, (50, 30, 1024)),  # at most 1500
    ],
)
def test_the_sizes_of_a_large_table_have_more_rows_per_step(
    n_samples, large_table, expected
):
    from skdistill._tabular.sizes import resolve_sizes

    sizes = ("auto", "auto", "auto")
    assert resolve_sizes(sizes, n_samples, 5, large_table=large_table) == expected


def test_smallest_class_rows_scales_a_sample_to_the_table():
    from skdistill._tabular.sizes import smallest_class_rows

    y_sample = np.array([0] * 90 + [1] * 10)
    assert smallest_class_rows(y_sample, 2, 20_000) == 2000
    assert smallest_class_rows(y_sample, 3, 20_000) == 0  # a class unseen
    assert smallest_class_rows(np.array([], dtype=int), 2, 20_000) == 0


def test_a_large_table_is_distilled_into_more_rows_on_two_networks():
    X, y = make_classification(n_samples=13_500, n_features=4, random_state=0)
    params = dict(max_iter=1, validation_fraction=None, random_state=0)
    auto = DatasetDistiller(**params).fit(X, y)
    # 30 steps of 1.5 * 20 rows, where 5 * sqrt(n) rows would be 600.
    assert auto.distilled_.n_steps == 30
    assert auto.distilled_X_.shape == (900, 4)
    assert auto.n_models_ == 2 and auto.distilled_.n_epochs == 8
    explicit = DatasetDistiller(**params, samples_per_step=30, n_models=2)
    np.testing.assert_array_equal(explicit.fit(X, y).distilled_X_, auto.distilled_X_)
    # A size given keeps 5 * sqrt(n) rows and three networks.
    given = DatasetDistiller(**params, samples_per_step=20).fit(X, y)
    assert given.distilled_X_.shape == (600, 4) and given.n_models_ == 3
    # So does a class of fewer rows than its share of the larger set (450).
    rare = np.flatnonzero(y == 1)[449:]
    keep = np.setdiff1d(np.arange(len(y)), rare)
    X_rare, y_rare = X[keep], y[keep]
    assert np.sum(y_rare == 1) == 449
    X_rare = np.vstack([X_rare, X_rare[y_rare == 0][: len(y) - len(y_rare)]])
    y_rare = np.concatenate([y_rare, np.zeros(len(y) - len(keep), dtype=int)])
    small = DatasetDistiller(**params).fit(X_rare, y_rare)
    assert small.distilled_X_.shape == (600, 4) and small.n_models_ == 3


def test_auto_samples_per_step_sizes_the_fitted_set():
    X, y = make_moons(n_samples=400, noise=0.2, random_state=0)
    # 5 * sqrt(400) = 100 rows, 10 per step; the held-out rows count too.
    params = {**CHEAP, "n_steps": 10}
    distiller = DatasetDistiller(**params, random_state=0).fit(X, y)
    assert distiller.distilled_X_.shape == (100, 2)
    np.testing.assert_array_equal(np.bincount(distiller.distilled_step_), [10] * 10)
    # An explicit size is kept as given.
    distiller.set_params(samples_per_step=3).fit(X, y)
    assert distiller.distilled_X_.shape == (30, 2)


@pytest.mark.parametrize(
    "n_samples, expected",
    [
        (100, 10),
        (1600, 10),  # 5 * 40 = 200 rows fit in 10 steps of 20
        (1700, 11),  # ceil(5 * 41.2 / 20)
        (33_333, 46),  # the suite's largest set
        (10**8, 50),  # capped
    ],
)
def test_auto_n_steps_lengthens_the_unroll_of_large_sets(n_samples, expected):
    from skdistill._tabular.sizes import auto_n_steps

    assert auto_n_steps(n_samples) == expected


@pytest.mark.parametrize(
    "n_samples, expected", [(10, 64), (2047, 64), (4096, 128), (33_333, 1024)]
)
def test_auto_batch_size_grows_with_the_rows(n_samples, expected):
    from skdistill._tabular.sizes import auto_batch_size

    assert auto_batch_size(n_samples) == expected


def test_auto_steps_and_batch_size_are_what_the_fit_uses():
    X, y = make_moons(n_samples=4096, noise=0.2, random_state=0)
    params = dict(n_epochs=1, max_iter=3, n_models=1, samples_per_step=2)
    auto = DatasetDistiller(**params, random_state=0).fit(X, y)
    # 5 * 64 = 320 rows need 16 steps of 20; 4096 / 32 = 128 real rows.
    assert auto.distilled_.n_steps == 16
    explicit = DatasetDistiller(
        **params, n_steps=16, batch_size=128, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(auto.distilled_X_, explicit.distilled_X_)
    other_batch = DatasetDistiller(
        **params, n_steps=16, batch_size=64, random_state=0
    ).fit(X, y)
    assert not np.array_equal(auto.distilled_X_, other_batch.distilled_X_)


@pytest.mark.parametrize(
    "n_epochs, n_models, n_steps, n_architectures, flags, expected",
    [
        # The single long run: one network for three times the epochs.
        ("auto", "auto", 10, 1, {}, (24, 1, True)),
        ("auto", "auto", 29, 1, {}, (24, 1, True)),  # 232 steps at 8 epochs
        ("auto", "auto", 30, 1, {}, (8, 3, False)),  # 240 steps: long enough
        ("auto", "auto", 46, 1, {}, (8, 3, False)),  # steps or rows given
        # At the sizes of a large table: two networks.
        ("auto", "auto", 46, 1, {"large_table": True}, (8, 2, False)),
        (8, "auto", 46, 1, {"large_table": True}, (8, 3, False)),
        ("auto", 3, 46, 1, {"large_table": True}, (8, 3, False)),
        ("auto", "auto", 46, 2, {"large_table": True}, (8, 3, False)),
        ("auto", "auto", 46, 1, {"large_table": True, "plain": False}, (8, 3, False)),
        # Anything that sets the run otherwise keeps three networks.
        (8, "auto", 10, 1, {}, (8, 3, False)),
        ("auto", 3, 10, 1, {}, (8, 3, False)),
        ("auto", 1, 10, 1, {}, (8, 1, False)),
        ("auto", "auto", 10, 2, {}, (8, 3, False)),
        ("auto", "auto", 10, 4, {}, (8, 4, False)),  # one per architecture
        ("auto", "auto", 10, 1, {"plain": False}, (8, 3, False)),
        ("auto", "auto", 10, 1, {"requested": True}, (16, 3, False)),
        ("auto", "auto", 10, 1, {"heavy_tailed": True}, (12, 3, False)),
    ],
)
def test_auto_run_is_one_long_run_where_the_run_is_short(
    n_epochs, n_models, n_steps, n_architectures, flags, expected
):
    from skdistill._tabular.sizes import resolve_run

    flags = {"plain": True, "heavy_tailed": False, **flags}
    assert resolve_run(n_epochs, n_models, n_steps, n_architectures, **flags) == (
        expected
    )


def test_the_single_long_run_is_the_explicit_run_it_resolves_to():
    # 300 rows: 10 steps; the "auto" real batch of 64 rows is raised to 256.
    X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    params = dict(max_iter=4, samples_per_step=2, validation_fraction=None)
    auto = DatasetDistiller(**params, random_state=0).fit(X, y)
    assert auto.n_models_ == 1
    assert auto.lr_schedule_.shape == (10 * 24,)
    provenance = auto.distilled_.provenance
    assert (provenance["n_epochs"], provenance["n_models"]) == (24, 1)
    assert provenance["batch_size"] == 256
    explicit = DatasetDistiller(
        **params, n_epochs=24, n_models=1, batch_size=256, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(auto.distilled_X_, explicit.distilled_X_)
    np.testing.assert_array_equal(auto.lr_schedule_, explicit.lr_schedule_)
    # Given a run, the networks stay three and the batch "auto" as before.
    eight = DatasetDistiller(**params, n_epochs=8, random_state=0).fit(X, y)
    assert eight.n_models_ == 3
    assert eight.distilled_.provenance["batch_size"] == 64


@pytest.mark.parametrize(
    "params, n_epochs",
    [
        ({"n_samples_per_class": 2}, 16),
        ({"fixed_init": True}, 8),
        ({"search_space": {"hidden_layer_sizes": [(5,), (8,)]}}, 8),
        ({"architectures": ((5,), (8,))}, 8),
    ],
)
def test_the_single_long_run_leaves_other_runs_at_three_networks(params, n_epochs):
    X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    distiller = DatasetDistiller(
        **params, max_iter=2, validation_fraction=None, random_state=0
    ).fit(X, y)
    assert distiller.n_models_ == 3
    provenance = distiller.distilled_.provenance
    assert (provenance["n_epochs"], provenance["batch_size"]) == (n_epochs, 64)


@pytest.mark.parametrize("n_models", [0, "many", 1.5])
def test_bad_n_models_names_the_parameter(n_models):
    X, y = make_moons(n_samples=60, random_state=0)
    with pytest.raises(ValueError, match="'n_models' parameter"):
        DatasetDistiller(n_models=n_models, max_iter=1).fit(X, y)


def test_distilled_set_beats_real_rows_and_prototypes_of_equal_size():
    # The package's core claim on a fixed small problem: two concentric
    # rings, four rows. Per-class k-means centroids of a ring sit inside it,
    # where the inner class is, and random rows are few; the distilled rows,
    # their soft labels and learned rates teach the ring to fresh networks.
    X, y = make_circles(n_samples=400, noise=0.1, factor=0.4, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    distiller = DatasetDistiller(
        n_steps=2,
        samples_per_step=2,
        architectures=((16,),),
        max_iter=200,
        learning_rate=0.01,
        random_state=0,
    ).fit(X_train, y_train)
    replay = DistilledMLPClassifier((16,), distiller=FrozenEstimator(distiller))
    distilled = distillation_accuracy(
        replay, X_train, y_train, X_test, y_test, n_models=10, random_state=0
    )
    ordinary = DistilledMLPClassifier((16,), max_iter=2000, learning_rate_init=0.01)
    for sampler in (RandomRealSampler, KMeansSampler):
        X_small, y_small = sampler(n_samples=4, random_state=0).fit_resample(
            X_train, y_train
        )
        baseline = distillation_accuracy(
            ordinary, X_small, y_small, X_test, y_test, n_models=10, random_state=0
        )
        assert distilled.mean > baseline.mean + 0.05, (sampler, distilled, baseline)


# -- sample_weight ---------------------------------------------------------------


def test_distiller_integer_weights_act_as_repeated_rows(monkeypatch):
    import skdistill._tabular.outer_gradients as module

    rng = np.random.RandomState(0)
    n = 30
    # Column 0 is the row's number, so that a drawn real row can be told.
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=n)])
    y = np.arange(n) % 2
    weights = np.tile([0, 1, 3], n // 3)
    drawn = []
    original = module.distillation_value_and_grad

    def recording(syn_X, syn_Y, lrs, inits, X_real, y_real, **kwargs):
        drawn.append(X_real[:, 0].numpy().copy())
        return original(syn_X, syn_Y, lrs, inits, X_real, y_real, **kwargs)

    monkeypatch.setattr(module, "distillation_value_and_grad", recording)
    # Every row is a training row (no validation split), so draws follow w.
    distiller = DatasetDistiller(
        **{**CHEAP, "max_iter": 200}, validation_fraction=None, random_state=0
    )
    distiller.fit(X, y, sample_weight=weights)

    # The standardisation is that of the repeated rows.
    repeated = np.repeat(X, weights, axis=0)
    np.testing.assert_allclose(distiller.mean_, repeated.mean(axis=0))
    np.testing.assert_allclose(distiller.scale_, repeated.std(axis=0))
    # Rows are drawn in proportion to their weight; weight 0 is never drawn.
    rows = np.rint(np.concatenate(drawn) * distiller.scale_[0] + distiller.mean_[0])
    counts = np.bincount(rows.astype(int), minlength=n)
    assert counts[weights == 0].sum() == 0
    ratio = counts[weights == 3].sum() / counts[weights == 1].sum()
    assert 2.6 < ratio < 3.4  # 3 in expectation; 3200 draws


def test_distiller_sample_weight_is_validated():
    X, y = make_moons(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="Negative"):
        DatasetDistiller(**CHEAP).fit(X, y, sample_weight=-np.ones(40))
    with pytest.raises(ValueError, match="shape|length"):
        DatasetDistiller(**CHEAP).fit(X, y, sample_weight=np.ones(3))


def test_bool_sizes_are_taken_as_integers(moons):
    # scikit-learn's Interval(Integral) lets True through; it must act as 1,
    # not reach torch as a size.
    X, y = moons
    params = dict(n_epochs=1, max_iter=2, n_models=1, random_state=0)
    as_bool = DatasetDistiller(**params, n_steps=True, batch_size=True).fit(X, y)
    as_int = DatasetDistiller(**params, n_steps=1, batch_size=1).fit(X, y)
    assert as_bool.distilled_.n_steps == 1
    np.testing.assert_array_equal(as_bool.distilled_X_, as_int.distilled_X_)


def test_average_decay_judges_and_returns_the_averaged_set(moons):
    X, y = moons
    params = dict(n_steps=2, n_epochs=1, max_iter=40, n_models=1, random_state=0)
    current = DatasetDistiller(**params, average_decay=None).fit(X, y)
    # A decay of 0 averages nothing: the same fit to the bit.
    zero = DatasetDistiller(**params, average_decay=0.0).fit(X, y)
    np.testing.assert_array_equal(current.distilled_X_, zero.distilled_X_)
    averaged = DatasetDistiller(**params, average_decay=0.9).fit(X, y)
    assert not np.array_equal(current.distilled_X_, averaged.distilled_X_)
    assert not np.array_equal(current.validation_scores_, averaged.validation_scores_)
    # Soft labels of the average are still probabilities.
    np.testing.assert_allclose(averaged.distilled_y_.sum(axis=1), 1.0, atol=1e-6)
    assert (averaged.distilled_y_ >= 0).all()
    # Without early stopping the average is not used.
    params["validation_fraction"] = None
    last = DatasetDistiller(**params, average_decay=None).fit(X, y)
    also_last = DatasetDistiller(**params, average_decay=0.9).fit(X, y)
    np.testing.assert_array_equal(last.distilled_X_, also_last.distilled_X_)


def test_every_class_of_an_imbalanced_table_gets_its_share_of_rows():
    """One positive in 100: the rows are dealt evenly over the classes, so the
    minority class is not starved of distilled rows."""
    X, y = make_classification(
        n_samples=1000, n_features=5, weights=[0.99], flip_y=0, random_state=0
    )
    assert np.bincount(y).tolist() == [990, 10]
    distiller = DatasetDistiller(n_steps=3, max_iter=50, random_state=0).fit(X, y)
    assert distiller.sampling_strategy_ == {0: 30, 1: 30}


def test_tables_too_small_to_hold_out_are_distilled_on_all_rows():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 4)), np.repeat(np.arange(10), 3)
    distiller = DatasetDistiller(n_steps=3, max_iter=20, random_state=0).fit(X, y)
    # 20 % of 30 rows is 6, fewer than 2 per class: no early stopping.
    assert distiller.validation_scores_ is None
    assert distiller.n_iter_ == distiller.best_iteration_ == 20
    # With 2 held-out rows per class the split is back.
    X, y = rng.normal(size=(100, 4)), np.repeat(np.arange(10), 10)
    distiller = DatasetDistiller(n_steps=3, max_iter=20, random_state=0).fit(X, y)
    assert distiller.validation_scores_ is not None


@pytest.mark.parametrize("seed", range(5))
def test_a_class_of_one_row_stays_in_training(seed):
    # No stratified split exists; the one row of class 1 is never held out, so
    # init="real" starts its synthetic rows at it (they barely move here).
    rng = np.random.RandomState(seed)
    X, y = rng.normal(size=(40, 3)), np.array([0] * 39 + [1])
    distiller = DatasetDistiller(
        n_steps=1,
        samples_per_step=2,
        max_iter=1,
        init="real",
        learning_rate=1e-9,
        validation_fraction=0.2,
        random_state=seed,
    ).fit(X, y)
    assert distiller.validation_scores_ is not None
    one_row = distiller.distilled_X_[distiller.distilled_y_.argmax(axis=1) == 1]
    np.testing.assert_allclose(one_row, X[[39]], atol=1e-5)


def test_lr_max_bounds_the_learned_rates(moons):
    X, y = moons
    params = dict(
        n_steps=4,
        n_epochs=2,
        max_iter=40,
        learning_rate=0.05,
        validation_fraction=None,
        random_state=0,
    )
    free = DatasetDistiller(**params).fit(X, y)
    assert free.lr_schedule_.max() > 0.15
    bounded = DatasetDistiller(**params, lr_max=0.15).fit(X, y)
    assert bounded.lr_schedule_.max() <= 0.15 * (1 + 1e-6)
    assert np.isclose(bounded.lr_schedule_.max(), 0.15, rtol=1e-5)
    # A bound the rates never reach changes nothing.
    loose = DatasetDistiller(**params, lr_max=1e6).fit(X, y)
    np.testing.assert_array_equal(loose.lr_schedule_, free.lr_schedule_)
    np.testing.assert_array_equal(loose.distilled_X_, free.distilled_X_)
    # A start above the bound starts at the bound.
    start = DatasetDistiller(**params, lr_init=0.5, lr_max=0.2).set_params(
        learning_rate=1e-12
    )
    np.testing.assert_allclose(start.fit(X, y).lr_schedule_, 0.2, rtol=1e-5)
