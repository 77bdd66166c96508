"""DistilledMLPClassifier: behaviour a user relies on."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import DatasetDistiller
from skdistill._engine.unroll import replay_distilled
from skdistill._nets.mlp import layer_sizes, xavier_init
from skdistill._tabular.classifier import DistilledMLPClassifier
from skdistill._utils import torch_generator

CHEAP_DISTILLER = dict(n_steps=2, n_epochs=1, max_iter=3, batch_size=16, n_models=1)


@parametrize_with_checks(
    [
        DistilledMLPClassifier(
            (10,), max_iter=50, learning_rate_init=0.05, random_state=0
        ),
        # The same checks through a distillation inside fit.
        DistilledMLPClassifier(
            (10,),
            distiller=DatasetDistiller(
                n_steps=3, n_epochs=2, max_iter=100, n_models=1, random_state=0
            ),
            schedule="strategy2",
            n_repeats=3,
            random_state=0,
        ),
    ],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": (
            "Weights equal repeats in exact arithmetic, not to the 1e-7 the "
            "check asks: the network trains in float32, where a weighted sum "
            "and a sum of repeated rows round differently (about 1e-6 apart; "
            "test_integer_weights_act_as_repeated_rows checks 1e-4); a "
            "distiller draws weighted minibatches at random, so it matches "
            "repeats in expectation only."
            if estimator.distiller is None
            else "A distiller draws weighted minibatches at random, so weights "
            "match repeated rows in expectation only (see "
            "test_distiller_integer_weights_act_as_repeated_rows)."
        )
    },
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=400, noise=0.1, random_state=0)
    return train_test_split(X, y, test_size=0.5, random_state=0)


@pytest.fixture(scope="module")
def distiller(moons):
    """One small distiller, fitted once for the whole module (about a second)."""
    X_train, _, y_train, _ = moons
    return DatasetDistiller(
        n_steps=5, n_epochs=2, samples_per_step=4, max_iter=80, random_state=0
    ).fit(X_train, y_train)


def _frozen_clf(distiller, **params):
    params = {"random_state": 0, **params}
    return DistilledMLPClassifier((10,), distiller=FrozenEstimator(distiller), **params)


# -- training on a distilled dataset ---------------------------------------------


def test_distilled_data_trains_a_good_moons_classifier(moons, distiller):
    X_train, X_test, y_train, y_test = moons
    scores = [
        _frozen_clf(distiller, random_state=seed)
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for seed in range(5)
    ]
    # 20 synthetic rows and 10 gradient steps; an untrained network is at ~0.5.
    assert np.mean(scores) > 0.82


def test_replay_is_exactly_the_learned_run(moons, distiller):
    """schedule="distilled" takes the distilled steps with the learned rates."""
    X_train, _, y_train, _ = moons
    clf = _frozen_clf(distiller).fit(X_train, y_train)

    # The same run by hand: same initialisation, same batches, same rates.
    generator = torch_generator(check_random_state(0))
    params = xavier_init(layer_sizes(2, (10,), 2), 1, generator=generator)
    X_std = (distiller.distilled_X_ - distiller.mean_) / distiller.scale_
    steps = distiller.distilled_step_
    step_X = [torch.tensor(X_std[steps == s], dtype=torch.float32) for s in range(5)]
    step_Y = [
        torch.tensor(distiller.distilled_y_[steps == s], dtype=torch.float32)
        for s in range(5)
    ]
    # alpha is a weight decay scaled by MLPClassifier's batch of the real rows.
    n_samples = distiller.distilled_.provenance["n_samples"]
    trained = replay_distilled(
        params,
        step_X,
        step_Y,
        distiller.lr_schedule_.tolist(),
        weight_decay=clf.alpha / min(200, n_samples),
    )
    for expected, got in zip(trained[0::2], clf.coefs_, strict=True):
        np.testing.assert_array_equal(expected[0].double().numpy(), got)
    assert clf.n_iter_ == distiller.n_epochs == len(clf.loss_curve_)
    np.testing.assert_array_equal(clf.input_mean_, distiller.mean_)
    np.testing.assert_array_equal(clf.input_scale_, distiller.scale_)


def test_predict_applies_the_distillers_standardisation(moons, distiller):
    X_train, X_test, y_train, _ = moons
    clf = _frozen_clf(distiller).fit(X_train, y_train)
    raw = DistilledMLPClassifier((10,))
    raw.coefs_, raw.intercepts_ = clf.coefs_, clf.intercepts_
    raw.classes_, raw.n_features_in_ = clf.classes_, 2
    raw.input_mean_ = raw.input_scale_ = None
    X_std = (X_test - distiller.mean_) / distiller.scale_
    np.testing.assert_allclose(raw.predict_proba(X_std), clf.predict_proba(X_test))


@pytest.mark.parametrize(
    "schedule, n_epochs",
    [
        ("distilled", 2),
        ("strategy1", 20),
        ("strategy2", 20),
        ("strategy3", 20),
        ("constant", 20),
    ],
)
def test_schedules_set_the_length_of_the_run(moons, distiller, schedule, n_epochs):
    X_train, X_test, y_train, y_test = moons
    clf = _frozen_clf(distiller, schedule=schedule).fit(X_train, y_train)
    assert clf.n_iter_ == len(clf.loss_curve_) == n_epochs
    assert clf.score(X_test, y_test) > 0.8


def test_n_repeats_and_learning_rate_init_are_used(moons, distiller):
    X_train, _, y_train, _ = moons
    clf = _frozen_clf(distiller, schedule="strategy2", n_repeats=3)
    assert clf.fit(X_train, y_train).n_iter_ == 6
    slow = _frozen_clf(distiller, schedule="constant", learning_rate_init=1e-6)
    fast = _frozen_clf(distiller, schedule="constant", learning_rate_init=0.5)
    slow.fit(X_train, y_train)
    fast.fit(X_train, y_train)
    # With a negligible rate the network barely moves from its initial loss.
    assert slow.loss_curve_[-1] == pytest.approx(slow.loss_curve_[0], rel=1e-3)
    assert fast.loss_curve_[-1] < 0.8 * slow.loss_curve_[-1]


@pytest.mark.parametrize("hidden", [(), (10, 10, 10), (7, 5)])
def test_other_architectures_train_on_the_distilled_set(moons, distiller, hidden):
    X_train, X_test, y_train, y_test = moons
    clf = DistilledMLPClassifier(
        hidden,
        distiller=FrozenEstimator(distiller),
        schedule="strategy1",
        random_state=0,
    ).fit(X_train, y_train)
    assert [c.shape for c in clf.coefs_] == list(
        zip(layer_sizes(2, hidden, 2)[:-1], layer_sizes(2, hidden, 2)[1:], strict=True)
    )
    assert clf.n_layers_ == len(hidden) + 2
    assert clf.score(X_test, y_test) > 0.75


# -- model selection ----------------------------------------------------------------


def test_grid_search_reuses_a_frozen_distiller(moons, distiller, monkeypatch):
    X_train, X_test, y_train, y_test = moons
    before = distiller.distilled_X_.copy()
    calls = []
    original_fit = DatasetDistiller.fit
    monkeypatch.setattr(
        DatasetDistiller,
        "fit",
        lambda self, *a, **k: calls.append(1) or original_fit(self, *a, **k),
    )
    grid = GridSearchCV(
        DistilledMLPClassifier(distiller=FrozenEstimator(distiller), random_state=0),
        {"hidden_layer_sizes": [(), (10,)], "schedule": ["distilled", "strategy3"]},
        cv=3,
    ).fit(X_train, y_train)
    assert calls == []  # 13 fits, not one distillation
    np.testing.assert_array_equal(distiller.distilled_X_, before)
    assert grid.best_estimator_.distiller_.estimator is distiller
    assert grid.score(X_test, y_test) > 0.8


def test_grid_search_over_the_distillers_parameters(moons):
    X_train, _, y_train, _ = moons
    grid = GridSearchCV(
        DistilledMLPClassifier(
            (10,),
            distiller=DatasetDistiller(**CHEAP_DISTILLER, random_state=0),
            random_state=0,
        ),
        {"distiller__max_iter": [2, 4], "distiller__n_steps": [2, 3]},
        cv=2,
    ).fit(X_train, y_train)
    best = grid.best_estimator_
    assert best.distiller_.n_iter_ == grid.best_params_["distiller__max_iter"]
    assert best.distiller_.lr_schedule_.shape == (
        grid.best_params_["distiller__n_steps"],
    )
    # The template distiller stays unfitted: every fit distils a clone.
    assert not hasattr(grid.estimator.distiller, "distilled_X_")


def test_cross_val_score_of_a_scaled_pipeline(moons):
    X_train, _, y_train, _ = moons
    pipe = make_pipeline(
        StandardScaler(),
        DistilledMLPClassifier(
            (10,),
            distiller=DatasetDistiller(
                n_steps=5, n_epochs=2, samples_per_step=4, max_iter=40, random_state=0
            ),
            schedule="strategy2",
            random_state=0,
        ),
    )
    scores = cross_val_score(pipe, X_train, y_train, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.75


# -- errors -----------------------------------------------------------------------


def test_distilled_set_with_other_features_is_rejected(moons, distiller):
    X_train, _, y_train, _ = moons
    X_3 = np.hstack([X_train, X_train[:, :1]])
    with pytest.raises(ValueError, match="3 features, but the distilled dataset has 2"):
        _frozen_clf(distiller).fit(X_3, y_train)


def test_classes_unknown_to_the_distiller_are_rejected(moons, distiller):
    X_train, _, y_train, _ = moons
    with pytest.raises(ValueError, match=r"classes \[2\]"):
        _frozen_clf(distiller).fit(X_train, np.where(y_train == 1, 2, 0))


def test_negative_learned_learning_rate_is_rejected(moons, distiller):
    X_train, _, y_train, _ = moons
    broken = copy.deepcopy(distiller)
    broken.lr_schedule_[3] = -0.1
    with pytest.raises(ValueError, match="not positive"):
        _frozen_clf(broken).fit(X_train, y_train)


def test_negative_learning_rate_init_is_rejected(moons):
    X_train, _, y_train, _ = moons
    with pytest.raises(ValueError, match="learning_rate_init"):
        DistilledMLPClassifier(learning_rate_init=-0.1).fit(X_train, y_train)


def test_unfitted_distiller_must_not_be_frozen(moons):
    X_train, _, y_train, _ = moons
    clf = DistilledMLPClassifier(distiller=FrozenEstimator(DatasetDistiller()))
    with pytest.raises(Exception, match="not fitted"):
        clf.fit(X_train, y_train)


# -- soft labels --------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_hot_soft_labels_train_like_hard_labels(moons):
    X_train, X_test, y_train, _ = moons
    params = dict(learning_rate_init=0.01, max_iter=20, random_state=0)
    hard = DistilledMLPClassifier((10,), **params).fit(X_train, y_train)
    soft = DistilledMLPClassifier((10,), **params).fit(X_train, np.eye(2)[y_train])
    np.testing.assert_array_equal(soft.classes_, [0, 1])
    for a, b in zip(hard.coefs_, soft.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(hard.predict(X_test), soft.predict(X_test))


def test_soft_labels_are_learned_as_probabilities():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    Y = np.tile([0.2, 0.5, 0.3], (200, 1))
    clf = DistilledMLPClassifier(
        (), learning_rate_init=0.05, max_iter=300, random_state=0
    ).fit(X, Y)
    # A hard-label fit would push one class towards probability 1.
    np.testing.assert_allclose(
        clf.predict_proba(X).mean(axis=0), [0.2, 0.5, 0.3], atol=0.02
    )
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert set(clf.predict(X)) == {1}


@pytest.mark.parametrize(
    "Y, match",
    [
        (np.array([[0.5, 0.6], [1.0, 0.0]]), "row 0 sums to"),
        (np.array([[1.5, -0.5], [1.0, 0.0]]), "negative"),
        (np.array([[1.0, 1.0], [1.0, 1.0]]), "must sum to 1"),  # multilabel
        (np.array([[np.nan, 1.0], [1.0, 0.0]]), "NaN"),
    ],
)
def test_soft_labels_that_are_not_probabilities_are_rejected(Y, match):
    with pytest.raises(ValueError, match=match):
        DistilledMLPClassifier().fit(np.zeros((2, 2)), Y)


def test_soft_labels_with_a_distiller_are_rejected(moons, distiller):
    X_train, _, y_train, _ = moons
    with pytest.raises(ValueError, match="class labels"):
        _frozen_clf(distiller).fit(X_train, np.eye(2)[y_train])


# -- ordinary data ------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_ordinary_training_matches_mlpclassifier_behaviour(moons):
    X_train, X_test, y_train, y_test = moons
    clf = DistilledMLPClassifier(
        (10,), learning_rate_init=0.01, max_iter=300, random_state=0
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.95
    assert clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 2
    assert [c.shape for c in clf.coefs_] == [(2, 10), (10, 2)]
    assert [b.shape for b in clf.intercepts_] == [(10,), (2,)]


def test_training_stops_when_the_loss_stalls(moons):
    X_train, _, y_train, _ = moons
    params = dict(learning_rate_init=0.01, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = DistilledMLPClassifier((10,), tol=1e-2, **params).fit(X_train, y_train)
    assert clf.n_iter_ < 300
    curve = np.asarray(clf.loss_curve_)
    # Each of the last n_iter_no_change epochs failed to beat the best loss so
    # far by tol (MLPClassifier's rule), and not all epochs before did.
    stalled_epochs = [curve[i] > curve[:i].min() - 1e-2 for i in range(1, len(curve))]
    assert all(stalled_epochs[-10:]) and not all(stalled_epochs)
    stalled = DistilledMLPClassifier((10,), tol=1e-2, n_iter_no_change=30, **params)
    assert stalled.fit(X_train, y_train).n_iter_ > clf.n_iter_


def test_alpha_shrinks_the_weights(moons):
    X_train, _, y_train, _ = moons
    norms = []
    for alpha in (0.0, 1.0):
        clf = DistilledMLPClassifier(
            (10,), alpha=alpha, learning_rate_init=0.01, max_iter=100, random_state=0
        )
        with pytest.warns(ConvergenceWarning):
            clf.fit(X_train, y_train)
        norms.append(sum((c**2).sum() for c in clf.coefs_))
    assert norms[1] < 0.8 * norms[0]


def test_batch_size_sets_the_number_of_updates(moons):
    X_train, _, y_train, _ = moons
    params = dict(learning_rate_init=0.01, max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        big = DistilledMLPClassifier((10,), batch_size=200, **params).fit(
            X_train, y_train
        )
    with pytest.warns(ConvergenceWarning):
        small = DistilledMLPClassifier((10,), batch_size=10, **params).fit(
            X_train, y_train
        )
    # Twenty times more Adam steps in the same number of epochs.
    assert small.loss_curve_[-1] < big.loss_curve_[-1]


def test_fit_is_repeatable_and_pickles(moons, distiller):
    X_train, X_test, y_train, _ = moons
    for make in (
        lambda: _frozen_clf(distiller, schedule="strategy3"),
        lambda: DistilledMLPClassifier(
            (5,), learning_rate_init=0.01, max_iter=20, random_state=3
        ),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            a = make().fit(X_train, y_train)
            b = make().fit(X_train, y_train)
        for x, z in zip(
            a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True
        ):
            np.testing.assert_array_equal(x, z)
        restored = pickle.loads(pickle.dumps(a))
        np.testing.assert_array_equal(
            restored.predict_proba(X_test), a.predict_proba(X_test)
        )


def test_verbose_reports_progress(moons, distiller, capsys):
    X_train, _, y_train, _ = moons
    _frozen_clf(distiller, schedule="strategy2", verbose=1).fit(X_train, y_train)
    out = capsys.readouterr().out
    assert "DistilledMLPClassifier" in out and "iteration 20/20" in out


def test_iris_with_a_distiller_in_fit():
    X, y = load_iris(return_X_y=True)
    clf = DistilledMLPClassifier(
        (10,),
        distiller=DatasetDistiller(n_steps=5, n_epochs=2, max_iter=300, random_state=0),
        schedule="strategy2",
        random_state=0,
    ).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.distiller_.n_iter_ == 300
    assert clf.score(X, y) > 0.7  # chance is 1/3


# -- MLPClassifier parity: sample_weight, early stopping, warm start ------------


def _weighted_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=40) > 0).astype(int)
    weights = rng.randint(0, 4, size=40)
    return X, y, weights


def test_integer_weights_act_as_repeated_rows():
    X, y, weights = _weighted_problem()
    # One full batch per epoch: the order of the rows does not matter, so the
    # two fits differ by float32 rounding only.
    params = dict(hidden_layer_sizes=(5,), batch_size=500, max_iter=30, alpha=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = DistilledMLPClassifier(**params, random_state=0).fit(
            X, y, sample_weight=weights
        )
        repeated = DistilledMLPClassifier(**params, random_state=0).fit(
            np.repeat(X, weights, axis=0), np.repeat(y, weights)
        )
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-4, atol=1e-6
    )
    unweighted = DistilledMLPClassifier(**params, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        unweighted.fit(X, y)
    assert not np.allclose(unweighted.loss_curve_, weighted.loss_curve_, rtol=1e-3)


def test_sample_weight_with_a_fitted_distiller_is_refused(moons, distiller):
    X_train, _, y_train, _ = moons
    clf = DistilledMLPClassifier((5,), distiller=FrozenEstimator(distiller))
    with pytest.raises(ValueError, match="sample_weight has no effect"):
        clf.fit(X_train, y_train, sample_weight=np.ones(len(y_train)))


def test_sample_weight_is_routed_to_a_distiller_fitted_inside(moons):
    X_train, _, y_train, _ = moons
    seen = {}

    class Recording(DatasetDistiller):
        def fit(self, X, y, sample_weight=None):
            seen["weights"] = sample_weight
            return super().fit(X, y, sample_weight=sample_weight)

    weights = np.arange(len(y_train)) % 3 + 1.0
    DistilledMLPClassifier((5,), distiller=Recording(**CHEAP_DISTILLER)).fit(
        X_train, y_train, sample_weight=weights
    )
    np.testing.assert_array_equal(seen["weights"], weights)


def test_sample_weight_metadata_routing_in_a_pipeline():
    import sklearn

    X, y, weights = _weighted_problem()
    with sklearn.config_context(enable_metadata_routing=True):
        clf = DistilledMLPClassifier(
            (5,), batch_size=500, max_iter=5, random_state=0
        ).set_fit_request(sample_weight=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scaler = StandardScaler().set_fit_request(sample_weight=False)
            pipe = make_pipeline(scaler, clf).fit(X, y, sample_weight=weights)
            direct = DistilledMLPClassifier(
                (5,), batch_size=500, max_iter=5, random_state=0
            ).fit(StandardScaler().fit_transform(X), y, sample_weight=weights)
    np.testing.assert_allclose(pipe[-1].loss_curve_, direct.loss_curve_)


def test_early_stopping_as_mlpclassifier(moons):
    X_train, X_test, y_train, y_test = moons
    clf = DistilledMLPClassifier(
        (10,),
        learning_rate_init=0.01,
        max_iter=300,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X_train, y_train)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ < 300  # stopped on the validation score
    # The kept network is the one of the best validation score: it is not
    # worse on held-out rows than a network 5 epochs later.
    assert clf.score(X_test, y_test) > 0.8
    assert clf.t_ == clf.n_iter_ * int(round(0.8 * len(X_train)))
    plain = DistilledMLPClassifier((10,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X_train, y_train)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    assert plain.t_ == 5 * len(X_train)


def test_early_stopping_needs_two_validation_rows():
    X = np.arange(10.0).reshape(-1, 1)
    y = np.array([0] * 9 + [1])
    clf = DistilledMLPClassifier((3,), early_stopping=True, max_iter=3)
    with pytest.raises(ValueError, match="validation_fraction"):
        clf.fit(X, y)


def test_early_stopping_keeps_a_class_of_one_row_in_training():
    # No stratified split exists: the class of one row trains, the other
    # class gives its share (the package's one validation split).
    X = np.arange(40.0).reshape(-1, 1)
    y = np.array([0] * 39 + [1])
    clf = DistilledMLPClassifier(
        (3,), early_stopping=True, validation_fraction=0.2, max_iter=5
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.t_ == clf.n_iter_ * (40 - 8)  # round(0.2 * 39) rows set aside
    assert clf.classes_.tolist() == [0, 1]


def test_warm_start_continues_the_previous_network(moons):
    X_train, _, y_train, _ = moons
    params = dict(hidden_layer_sizes=(5,), max_iter=3, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = DistilledMLPClassifier(**params, warm_start=True).fit(X_train, y_train)
        first = [c.copy() for c in warm.coefs_]
        warm.fit(X_train, y_train)
        cold = DistilledMLPClassifier(**params).fit(X_train, y_train)
        cold.fit(X_train, y_train)
    assert warm.t_ == 6 * len(X_train) and cold.t_ == 3 * len(X_train)
    # The cold refit starts over from the same initialisation: same network.
    np.testing.assert_array_equal(cold.coefs_[0], first[0])
    assert not np.array_equal(warm.coefs_[0], first[0])
    with pytest.raises(ValueError, match="warm_start=True continues"):
        warm.set_params(hidden_layer_sizes=(7,)).fit(X_train, y_train)


def test_huge_X_names_the_scale_not_the_learning_rate(moons):
    X_train, _, y_train, _ = moons
    with pytest.raises(ValueError, match="rescale X"):
        DistilledMLPClassifier((5,), max_iter=3).fit(X_train * 1e300, y_train)


def test_text_column_is_named_with_the_remedy():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": ["u", "v", "u", "v"]})
    with pytest.raises(ValueError, match=r"\['colour'\].*ColumnTransformer"):
        DistilledMLPClassifier((3,)).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"\['colour'\].*OneHotEncoder"):
        DatasetDistiller(**CHEAP_DISTILLER).fit(X, [0, 1, 0, 1])


def test_none_label_is_reported_as_missing():
    X = np.arange(8.0).reshape(-1, 2)
    with pytest.raises(ValueError, match="missing label"):
        DistilledMLPClassifier((3,)).fit(X, ["a", None, "b", "a"])


def _mlpclassifier_stop_epoch(losses, tol, n_iter_no_change):
    """The epoch at which MLPClassifier's own rule stops on a loss sequence:
    its ``_update_no_improvement_count`` run epoch by epoch, then its test
    ``_no_improvement_count > n_iter_no_change``."""
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(tol=tol, n_iter_no_change=n_iter_no_change)
    mlp.loss_curve_, mlp.best_loss_, mlp._no_improvement_count = [], np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        mlp.loss_curve_.append(loss)
        mlp._update_no_improvement_count(False, None, None, None)
        if mlp._no_improvement_count > mlp.n_iter_no_change:
            return epoch
    return None


def test_training_stops_at_mlpclassifiers_epoch(moons):
    X_train, _, y_train, _ = moons
    clf = DistilledMLPClassifier(
        (10,), tol=1e-2, learning_rate_init=0.01, max_iter=300, random_state=0
    ).fit(X_train, y_train)
    assert clf.n_iter_ < 300
    assert clf.n_iter_ == _mlpclassifier_stop_epoch(clf.loss_curve_, 1e-2, 10)


@pytest.mark.parametrize("fitted", [True, False])
def test_fit_without_data_names_the_frozen_remedy(moons, fitted):
    X_train, _, y_train, _ = moons
    distiller = DatasetDistiller(**CHEAP_DISTILLER, random_state=0)
    if fitted:
        distiller.fit(X_train, y_train)
    clf = DistilledMLPClassifier(distiller=distiller)
    with pytest.raises(ValueError, match=r"FrozenEstimator\(d\).*d\.distilled_"):
        clf.fit()
    # Each remedy the message names works.
    if fitted:
        for remedy in (FrozenEstimator(distiller), distiller.distilled_):
            clf = DistilledMLPClassifier((5,), distiller=remedy, random_state=0)
            assert clf.fit().n_features_in_ == X_train.shape[1]


@pytest.mark.parametrize(
    "fields, match",
    [
        (
            {
                "row_shape": (2, 3),
                "network": {"name": "TextConvNet", "n_filters": 2, "kernel_sizes": [1]},
            },
            "learned for networks of the TextConvNet family",
        ),
        ({"network": {"name": "TanhNet", "hidden": 5}}, "TanhNet family"),
        (
            {"row_shape": (2, 3)},
            r"flat rows, but the distilled dataset's rows have shape \(2, 3\)",
        ),
    ],
)
def test_a_dataset_of_another_network_is_refused(fields, match):
    from skdistill import DistilledDataset

    dataset = DistilledDataset(
        np.random.RandomState(0).rand(4, 6),
        np.eye(2)[[0, 1, 0, 1]],
        np.array([0, 1]),
        step=np.array([0, 0, 1, 1]),
        lr_schedule=np.array([0.1, 0.1]),
        **fields,
    )
    with pytest.raises(ValueError, match=match):
        DistilledMLPClassifier(distiller=dataset).fit()
