"""DistilledSearchCV and DistilledRandomizedSearchCV."""

import pickle

import numpy as np
import pytest
import torch
from numpy.ma import MaskedArray
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.exceptions import FitFailedWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import (
    DatasetDistiller,
    DistilledMLPClassifier,
    DistilledRandomizedSearchCV,
    DistilledSearchCV,
    KMeansSampler,
)
from skdistill._model_selection.common import auto_n_confirm, auto_n_splits
from skdistill._model_selection.prototypes import (
    ClassPrototypes,
    auto_n_prototypes,
    balanced_counts,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# A distiller that takes a fraction of a second on the test problems.
CHEAP = dict(n_steps=4, n_epochs=2, max_iter=40)


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=200, noise=0.2, random_state=0)


def _mlp(**params):
    return DistilledMLPClassifier(**{"max_iter": 60, "random_state": 0, **params})


def _search(estimator=None, grid=None, **params):
    # The first stage on the first split alone, unless a test says otherwise:
    # most tests check its scores against a training on that split's set.
    params = {
        "distiller": DatasetDistiller(**CHEAP),
        "cv": 3,
        "first_stage_splits": 1,
        "random_state": 0,
        **params,
    }
    estimator = _mlp() if estimator is None else estimator
    grid = {"hidden_layer_sizes": [(), (4,), (16,)]} if grid is None else grid
    return DistilledSearchCV(estimator, grid, **params)


@pytest.fixture(scope="module")
def fitted(moons):
    return _search(n_confirm=2).fit(*moons)


@parametrize_with_checks(
    [
        DistilledSearchCV(
            LogisticRegression(),
            {"C": [0.1, 1.0]},
            cv=2,
            random_state=0,
            error_score="raise",
        ),
    ],
    # As scikit-learn checks its own searches (error_score="raise"), with the
    # check its test_common marks as failing for GridSearchCV.
    expected_failed_checks=lambda estimator: {
        "check_requires_y_none": "Doesn't fail gracefully",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- what it picks -------------------------------------------------------------


def test_picks_what_grid_search_picks(moons):
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (16,)]}
    full = GridSearchCV(_mlp(), grid, cv=3).fit(X, y)
    # A linear model cannot fit the moons; the first stage alone sees it.
    first_stage_only = _search(grid=grid, n_confirm=1).fit(X, y)
    assert full.best_params_ == {"hidden_layer_sizes": (16,)}
    assert first_stage_only.best_params_ == full.best_params_
    scores = first_stage_only.cv_results_["mean_distilled_score"]
    assert scores[1] > scores[0]


def test_confirming_every_candidate_is_grid_search(moons):
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (4,), (16,)], "alpha": [1e-4, 1.0]}
    full = GridSearchCV(_mlp(), grid, cv=3).fit(X, y)
    search = _search(grid=grid, n_confirm=100).fit(X, y)
    assert search.best_params_ == full.best_params_
    assert search.best_index_ == full.best_index_
    assert search.best_score_ == full.best_score_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_array_equal(search.cv_results_[key], full.cv_results_[key])
    assert search.cv_results_["params"] == full.cv_results_["params"]
    for key in ("param_alpha", "param_hidden_layer_sizes"):
        ours, theirs = search.cv_results_[key], full.cv_results_[key]
        assert ours.dtype == theirs.dtype
        assert list(ours) == list(theirs)
    np.testing.assert_array_equal(search.predict(X), full.predict(X))


def test_other_classifiers_train_on_hard_labels(moons):
    X, y = moons
    search = _search(LogisticRegression(), {"C": [0.01, 1.0]}, n_confirm=1).fit(X, y)
    train, held = next(StratifiedKFold(3).split(X, y))
    dataset = search.distilled_
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_distilled_score"]
    ):
        model = LogisticRegression(**params).fit(dataset.X, dataset.hard_labels)
        assert score == model.score(X[held], y[held])


def test_the_first_stage_scores_on_held_out_real_rows(moons):
    X, y = moons
    search = _search(n_confirm=1).fit(X, y)
    # The distiller learned from the rows of the first split only ...
    train, held = next(StratifiedKFold(3).split(X, y))
    np.testing.assert_allclose(search.distiller_.mean_, X[train].mean(axis=0))
    # ... and every candidate is scored on the held-out rows.
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_distilled_score"]
    ):
        model = _mlp(distiller=search.distilled_, **params).fit()
        assert score == model.score(X[held], y[held])


def _same_search(a, b):
    """Two fitted searches are the same to the bit."""
    np.testing.assert_array_equal(a.distilled_.X, b.distilled_.X)
    assert a.distillation_time_ > 0 and b.distillation_time_ > 0
    assert a.best_params_ == b.best_params_ and a.best_score_ == b.best_score_
    for key in ("mean_distilled_score", "distilled_fit_time", "mean_test_score"):
        assert np.isnan(a.cv_results_[key]).sum() == np.isnan(b.cv_results_[key]).sum()
    for key in ("mean_distilled_score", "mean_test_score", "confirmed"):
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key])
    for key in ("predict_proba",):
        X = a.distilled_.X
        np.testing.assert_array_equal(getattr(a, key)(X), getattr(b, key)(X))


def test_first_stage_on_one_split_is_the_first_split_alone(moons):
    """first_stage_splits=1 distills the first split only, and the search is
    the same to the bit as one whose cv holds that split alone in its first
    stage (the confirmation is on every split in both)."""
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (4,), (16,)], "alpha": [1e-4, 1.0]}
    one = _search(grid=grid, n_confirm=2, first_stage_splits=1).fit(X, y)
    assert one.n_first_stage_splits_ == 1
    assert set(one.cv_results_) >= {"split0_distilled_score"}
    assert "split1_distilled_score" not in one.cv_results_
    np.testing.assert_array_equal(one.cv_results_["std_distilled_score"], 0.0)
    np.testing.assert_array_equal(
        one.cv_results_["split0_distilled_score"],
        one.cv_results_["mean_distilled_score"],
    )
    # Its scores are those of the candidates trained on the first split's set
    # and scored on its held-out rows.
    _, held = next(StratifiedKFold(3).split(X, y))
    for params, score in zip(
        one.cv_results_["params"], one.cv_results_["mean_distilled_score"]
    ):
        model = _mlp(distiller=one.distilled_, **params).fit()
        assert score == model.score(X[held], y[held])
    # The same search again, and with the first stage on more splits.
    _same_search(one, _search(grid=grid, n_confirm=2, first_stage_splits=1).fit(X, y))


def test_first_stage_over_several_splits_averages_the_splits(moons):
    """first_stage_splits=k distills the training rows of each of the first
    k splits and averages each candidate's held-out score over them: the
    mean of k searches whose first stage is on one of those splits."""
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (4,), (16,)], "alpha": [1e-4, 1.0]}
    splits = list(StratifiedKFold(3).split(X, y))
    params = dict(
        grid=grid, n_confirm=2, distiller=ClassPrototypes(), first_stage_splits=1
    )
    # One search per split, its first stage on that split (cv rotated so the
    # split comes first; the first stage reads the first split only).
    alone = [
        _search(cv=splits[k:] + splits[:k], **params).fit(X, y).cv_results_
        for k in range(3)
    ]
    alone = np.array([r["mean_distilled_score"] for r in alone])
    search = _search(**{**params, "first_stage_splits": 3}).fit(X, y)
    results = search.cv_results_
    assert search.n_first_stage_splits_ == 3
    for k in range(3):
        np.testing.assert_array_equal(results[f"split{k}_distilled_score"], alone[k])
    np.testing.assert_allclose(results["mean_distilled_score"], alone.mean(axis=0))
    np.testing.assert_allclose(results["std_distilled_score"], alone.std(axis=0))
    # The confirmed candidates are the best of the mean.
    order = np.argsort(-results["mean_distilled_score"], kind="stable")
    assert set(np.flatnonzero(results["confirmed"])) == set(order[:2])
    # distiller_ and distilled_ are the first split's; the time is the total.
    first = _search(**params).fit(X, y)
    np.testing.assert_array_equal(search.distilled_.X, first.distilled_.X)
    assert search.distillation_time_ > 0
    # More splits than cv has: all of them.
    assert (
        _search(**{**params, "first_stage_splits": 9}).fit(X, y).n_first_stage_splits_
        == 3
    )


def test_first_stage_splits_auto_on_a_small_table_uses_three_splits(moons):
    """With "auto", 200 rows (held-out folds of 40 rows) would need every
    split to reach 500 held-out rows; the first stage takes three, the cap.
    The fit is repeatable under random_state."""
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (4,), (16,)], "alpha": [1e-4, 1.0]}
    params = dict(grid=grid, n_confirm=2, distiller=ClassPrototypes(), cv=5)
    search = _search(first_stage_splits="auto", **params).fit(X, y)
    assert search.n_first_stage_splits_ == 3
    results = search.cv_results_
    per_split = np.array([results[f"split{k}_distilled_score"] for k in range(3)])
    assert "split3_distilled_score" not in results
    np.testing.assert_allclose(results["mean_distilled_score"], per_split.mean(axis=0))
    explicit = _search(first_stage_splits=3, **params).fit(X, y)
    _same_search(search, explicit)
    # It is the default.
    default = DistilledSearchCV(
        _mlp(), grid, n_confirm=2, distiller=ClassPrototypes(), cv=5, random_state=0
    )
    _same_search(search, default.fit(X, y))
    # Another seed gives other prototypes.
    other = _search(first_stage_splits="auto", **{**params, "random_state": 1}).fit(
        X, y
    )
    assert not np.array_equal(search.distilled_.X, other.distilled_.X)


@pytest.mark.parametrize(
    "n_rows, confirm, first",
    [(200, 5, 3), (700, 4, 3), (1000, 3, 3), (1500, 2, 2), (2500, 1, 1)],
)
def test_auto_splits_of_each_stage(n_rows, confirm, first):
    """The "auto" rule with cv=5: the fewest first folds holding 500 held-out
    rows (the confirmation), at most three of them (the first stage)."""
    from skdistill._model_selection.common import auto_n_splits

    folds = [n_rows // 5] * 5
    assert auto_n_splits(folds) == confirm
    assert auto_n_splits(folds, max_splits=3) == first


def test_first_stage_splits_auto_on_a_large_table_is_one_split():
    """From 2500 rows on (held-out folds of 500 rows with cv=5), "auto" keeps
    one split in the first stage: the fit is that of first_stage_splits=1 to
    the bit."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=2500, n_features=6, n_informative=3, random_state=0
    )
    grid = {"C": [1e-3, 1e-2, 1.0]}
    runs = [
        DistilledSearchCV(
            LogisticRegression(),
            grid,
            n_confirm=2,
            first_stage_splits=k,
            random_state=0,
        ).fit(X, y)
        for k in ("auto", 1)
    ]
    assert [r.n_first_stage_splits_ for r in runs] == [1, 1]
    auto, one = runs
    np.testing.assert_array_equal(auto.distilled_.X, one.distilled_.X)
    assert set(auto.cv_results_) == set(one.cv_results_)
    for key, value in auto.cv_results_.items():
        if key.endswith("_time"):
            continue
        if key == "params":
            assert value == one.cv_results_[key]
        else:
            np.testing.assert_array_equal(value, one.cv_results_[key])
    assert auto.best_params_ == one.best_params_
    np.testing.assert_array_equal(auto.best_estimator_.coef_, one.best_estimator_.coef_)


def test_a_candidate_failing_on_one_split_is_never_confirmed(moons):
    """A first-stage fit that fails on one split gives the candidate a NaN
    mean (error_score=NaN): it is never confirmed."""
    X, y = moons

    class FailsOnFewRows(LogisticRegression):
        # Fails when trained on a set of fewer than 40 rows.
        def fit(self, X, y, sample_weight=None):
            if self.C > 10 and len(X) < 40:
                raise ValueError("too few rows")
            return super().fit(X, y, sample_weight)

    # The default prototypes number 5 sqrt(n) for n training rows: 58 on the
    # splits of 133 rows, 39 on the second split, cut to 60 training rows.
    splits = list(StratifiedKFold(3).split(X, y))
    small = (splits[0][0][:60], splits[0][1])
    cv = [splits[1], small, splits[2]]
    search = DistilledSearchCV(
        FailsOnFewRows(),
        {"C": [0.1, 100.0]},
        n_confirm=2,
        cv=cv,
        first_stage_splits=3,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning, match="1 of the 6 first-stage fits"):
        search.fit(X, y)
    results = search.cv_results_
    assert np.isfinite(results["split0_distilled_score"]).all()
    assert np.isnan(results["split1_distilled_score"][1])
    assert np.isnan(results["mean_distilled_score"][1])
    assert list(results["confirmed"]) == [True, False]
    # When every candidate fails on some split, none can be confirmed.
    search.set_params(param_grid={"C": [100.0, 200.0]})
    with pytest.warns(FitFailedWarning, match="2 of the 6 first-stage fits"):
        with pytest.raises(ValueError, match="Every one of the 2 candidates has a NaN"):
            search.fit(X, y)


# -- cv_results_ ---------------------------------------------------------------


def test_cv_results_layout(fitted):
    results = fitted.cv_results_
    n = 3
    expected = {
        "params",
        "param_hidden_layer_sizes",
        "split0_distilled_score",
        "mean_distilled_score",
        "std_distilled_score",
        "rank_distilled_score",
        "distilled_fit_time",
        "confirmed",
        "n_confirm_splits",
        "split0_test_score",
        "split1_test_score",
        "split2_test_score",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_fit_time",
        "std_fit_time",
        "mean_score_time",
        "std_score_time",
    }
    assert set(results) == expected
    for key, value in results.items():
        assert len(value) == n, key
    assert isinstance(results["param_hidden_layer_sizes"], MaskedArray)
    assert results["param_hidden_layer_sizes"].dtype == object
    confirmed = results["confirmed"]
    assert confirmed.dtype == bool and confirmed.sum() == 2
    # The two confirmed are the two best of the first stage.
    assert set(results["rank_distilled_score"][confirmed]) <= {1, 2}
    for key in ("mean_test_score", "split0_test_score", "mean_fit_time"):
        assert np.isnan(results[key][~confirmed]).all(), key
        assert np.isfinite(results[key][confirmed]).all(), key
    assert np.isfinite(results["mean_distilled_score"]).all()
    rank = results["rank_test_score"]
    assert rank.dtype == np.int32
    assert sorted(rank[confirmed]) in ([1, 2], [1, 1])
    assert (rank[~confirmed] == 3).all()
    assert fitted.best_index_ == int(np.argmin(rank))
    assert fitted.best_score_ == results["mean_test_score"][fitted.best_index_]
    assert fitted.best_params_ == results["params"][fitted.best_index_]
    assert fitted.n_splits_ == 3
    assert fitted.refit_time_ > 0 and fitted.distillation_time_ > 0


def test_masked_parameters_of_a_list_of_grids(moons):
    X, y = moons
    grid = [{"hidden_layer_sizes": [(), (4,)]}, {"alpha": [0.1]}]
    results = _search(grid=grid, n_confirm=1).fit(X, y).cv_results_
    assert list(results["param_alpha"].mask) == [True, True, False]
    assert list(results["param_hidden_layer_sizes"].mask) == [False, False, True]
    assert results["param_alpha"][2] == 0.1


def test_prediction_is_delegated_to_the_refitted_pick(fitted, moons):
    X, y = moons
    best = fitted.best_estimator_
    assert (
        best.get_params()["hidden_layer_sizes"]
        == (fitted.best_params_["hidden_layer_sizes"])
    )
    np.testing.assert_array_equal(fitted.predict(X), best.predict(X))
    np.testing.assert_array_equal(fitted.predict_proba(X), best.predict_proba(X))
    np.testing.assert_array_equal(fitted.classes_, [0, 1])
    assert fitted.score(X, y) == best.score(X, y)
    assert fitted.n_features_in_ == 2


def test_without_refit(moons):
    X, y = moons
    search = _search(refit=False, n_confirm=1).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert search.best_params_ in search.cv_results_["params"]
    with pytest.raises(AttributeError, match="predict"):
        search.predict(X)


@pytest.mark.parametrize(
    "n_candidates, expected", [(1, 1), (2, 2), (9, 2), (16, 2), (17, 3), (18, 3)]
)
def test_auto_n_confirm(n_candidates, expected):
    assert auto_n_confirm(n_candidates) == expected


def test_auto_n_confirm_grows_slowly_and_is_bounded():
    assert auto_n_confirm(64) == 4
    assert auto_n_confirm(65) == 5
    assert auto_n_confirm(10_000) == 5


@pytest.mark.parametrize(
    "n_candidates, n_held_out, expected",
    [
        (18, None, 3),
        (18, 500, 3),  # 500 held-out rows or more: the rule on the grid alone
        (18, 6000, 3),
        (18, 499, 4),  # 3 * sqrt(500 / 499), rounded up
        (18, 282, 4),
        (18, 281, 5),  # 3 * sqrt(500 / 281) > 4
        (18, 72, 5),  # at most 5
        (4, 120, 3),  # ceil(1 * 2.04)
        (4, 40, 4),
        (2, 10, 2),  # never more than the candidates
        (100, 50, 5),
    ],
)
def test_auto_n_confirm_grows_when_the_first_stage_held_out_few_rows(
    n_candidates, n_held_out, expected
):
    assert auto_n_confirm(n_candidates, n_held_out) == expected


@pytest.mark.parametrize(
    "n_candidates, n_held_out, expected",
    [
        (18, None, 2),
        (18, 6000, 2),
        (40, None, 3),  # ceil(sqrt(40) / 2) = 4, one fewer
        (18, 281, 4),  # 5 without the pilots (3 * sqrt(500 / 281) > 4)
        (9, None, 2),  # never below 2
        (100, 50, 5),  # 16 - 1, at most 5
    ],
)
def test_auto_n_confirm_is_one_fewer_after_pilots_kept_the_weighted_stage(
    n_candidates, n_held_out, expected
):
    assert (
        auto_n_confirm(n_candidates, n_held_out, pilots_kept_weighted=True) == expected
    )


def test_auto_n_confirm_of_a_search_follows_the_first_stage_held_out_rows(moons):
    """200 rows, cv=5: the first stage scores the candidates on 40 held-out
    rows with one split, on 120 with three; "auto" confirms 4 and 3 of the 4
    candidates, and 2 (the rule on the grid alone) when the held-out rows of
    the first stage reach 500."""
    X, y = moons
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    params = dict(distiller=None, cv=5, random_state=0)
    for k, expected in ((1, 4), (3, 3)):
        search = _search(LogisticRegression(), grid, first_stage_splits=k, **params)
        search.fit(X, y)
        assert search.cv_results_["confirmed"].sum() == expected
    X_big, y_big = make_moons(n_samples=2500, noise=0.2, random_state=0)
    search = _search(LogisticRegression(), grid, first_stage_splits=1, **params)
    search.fit(X_big, y_big)
    assert search.cv_results_["confirmed"].sum() == 2


@pytest.mark.parametrize(
    "test_sizes, expected",
    [
        ([40] * 5, 5),  # 200 rows: every split
        ([100] * 5, 5),  # 500 rows: 500 held-out rows need all five
        ([125] * 5, 4),  # 625 rows
        ([167] * 5, 3),
        ([250] * 5, 2),
        ([499, 499, 499], 2),
        ([500] * 5, 1),  # 2500 rows: one split holds 500
        ([3000, 3000], 1),
        ([10] * 3, 3),
    ],
)
def test_auto_n_splits(test_sizes, expected):
    assert auto_n_splits(test_sizes) == expected


def test_confirmation_on_the_first_splits(moons):
    """``confirm_splits=k`` cross-validates the confirmed candidates on the
    first k splits of cv, as GridSearchCV on those splits does, and
    cv_results_ says which candidates were confirmed on how many splits."""
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (4,), (16,)], "alpha": [1e-4, 1.0]}
    first_two = list(StratifiedKFold(3).split(X, y))[:2]
    full = GridSearchCV(_mlp(), grid, cv=first_two).fit(X, y)
    search = _search(grid=grid, n_confirm=100, confirm_splits=2).fit(X, y)
    assert search.n_splits_ == 2
    results = search.cv_results_
    assert "split1_test_score" in results and "split2_test_score" not in results
    assert (results["n_confirm_splits"] == 2).all()
    assert search.best_params_ == full.best_params_
    assert search.best_score_ == full.best_score_
    np.testing.assert_array_equal(
        results["mean_test_score"], full.cv_results_["mean_test_score"]
    )
    # Fewer confirmed candidates: the others are marked, with 0 splits.
    search = _search(grid=grid, n_confirm=2, confirm_splits=1).fit(X, y)
    results = search.cv_results_
    assert search.n_splits_ == 1
    assert results["n_confirm_splits"].tolist() == [
        1 if c else 0 for c in results["confirmed"]
    ]
    assert results["confirmed"].sum() == 2
    # More splits than cv has: all of them.
    assert _search(n_confirm=1, confirm_splits=7).fit(X, y).n_splits_ == 3


def test_auto_confirm_splits_on_a_large_table_keeps_the_grid_search_pick():
    """On 6000 rows every fold of cv=5 holds 1200 rows: "auto" confirms on one
    split (a fifth of the grid search's fits per candidate) and still picks
    what GridSearchCV(cv=5) picks on this problem."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=6000, n_features=10, n_informative=4, flip_y=0.1, random_state=0
    )
    grid = {"C": [1e-4, 1e-3, 1e-2, 1.0]}
    full = GridSearchCV(LogisticRegression(), grid, cv=5).fit(X, y)
    search = DistilledSearchCV(LogisticRegression(), grid, n_confirm=3, random_state=0)
    search.fit(X, y)
    assert search.n_splits_ == 1
    assert set(search.cv_results_) >= {"split0_test_score"}
    assert "split1_test_score" not in search.cv_results_
    assert search.best_params_ == full.best_params_
    # With every split, the confirmed candidates' scores are the grid search's.
    every = DistilledSearchCV(
        LogisticRegression(), grid, n_confirm=3, confirm_splits=5, random_state=0
    ).fit(X, y)
    confirmed = every.cv_results_["confirmed"]
    assert every.n_splits_ == 5
    np.testing.assert_array_equal(
        every.cv_results_["mean_test_score"][confirmed],
        full.cv_results_["mean_test_score"][confirmed],
    )


# -- the distiller -------------------------------------------------------------


def test_default_first_stage_is_prototypes_shared_by_the_classes():
    X, y = make_moons(n_samples=400, noise=0.2, random_state=0)
    y = np.where(np.arange(400) % 4 == 0, 2, y)  # a third class of 100 rows
    grid = {"hidden_layer_sizes": [(3,), (5,)]}
    search = DistilledSearchCV(_mlp(), grid, n_confirm=1, cv=4, random_state=0)
    search.fit(X, y)
    assert isinstance(search.distiller_, ClassPrototypes)
    assert isinstance(search.distiller_.random_state, int)
    # 300 distillation rows: 5 * sqrt(300) = 87 prototypes, shared equally by
    # the three classes.
    assert search.distilled_.n_rows == auto_n_prototypes(300) == 87
    assert np.bincount(search.distilled_.hard_labels).tolist() == [29, 29, 29]
    assert auto_n_prototypes(40) == 20  # at most half the rows
    assert search.distilled_.lr_schedule is None


@pytest.mark.parametrize(
    "sizes, n_rows, expected",
    [
        ([50, 50], 10, [5, 5]),
        ([90, 10], 10, [5, 5]),
        ([990, 3], 10, [7, 3]),  # a small class leaves its share to the others
        ([3, 2], 100, [3, 2]),  # never more than a class has
        ([60, 30, 10], 8, [3, 3, 2]),  # the remainder to the largest classes
    ],
)
def test_prototypes_per_class(sizes, n_rows, expected):
    assert balanced_counts(sizes, n_rows).tolist() == expected


def test_prototypes_are_centroids_of_their_class():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(10, 1, (20, 2))]
    y = np.r_[np.zeros(60, int), np.ones(20, int)]
    prototypes = ClassPrototypes(n_samples=8, random_state=0).fit(X, y)
    data = prototypes.distilled_
    assert np.bincount(data.hard_labels).tolist() == [4, 4]
    assert (data.X[data.hard_labels == 1] > 5).all()
    assert (data.X[data.hard_labels == 0] < 5).all()
    again = ClassPrototypes(n_samples=8, random_state=0).fit(X, y).distilled_
    np.testing.assert_array_equal(data.X, again.X)
    with pytest.raises(InvalidParameterError, match="n_samples"):
        ClassPrototypes(n_samples=0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        ClassPrototypes().fit(np.where(X > 9, np.nan, X), y)


def test_a_given_dataset_is_used_as_is(moons):
    X, y = moons
    train, _ = next(StratifiedKFold(3).split(X, y))
    distiller = DatasetDistiller(**CHEAP, random_state=1).fit(X[train], y[train])
    for given in (distiller.distilled_, FrozenEstimator(distiller)):
        search = _search(distiller=given, n_confirm=1).fit(X, y)
        assert search.distiller_ is given
        assert search.distilled_ is distiller.distilled_
    other = DatasetDistiller(**CHEAP).fit(np.c_[X, X], y)
    with pytest.raises(ValueError, match="distilled set has 4 features"):
        _search(distiller=other.distilled_).fit(X, y)


def test_a_baseline_sampler_as_distiller(moons):
    X, y = moons
    search = _search(distiller=KMeansSampler(n_samples=20), n_confirm=1).fit(X, y)
    assert search.distilled_.n_rows == 20
    assert search.distilled_.lr_schedule is None


# -- random_state --------------------------------------------------------------


def test_random_state_makes_the_search_repeatable(moons):
    X, y = moons
    # The estimator's own random_state is unset: the search seeds the first
    # stage, and fixes nothing else.
    grid = {"hidden_layer_sizes": [(), (4,), (16,)]}
    estimator = _mlp(random_state=None)
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    torch_state = torch.get_rng_state()
    runs = [
        _search(estimator, grid, n_confirm=1, random_state=seed).fit(X, y)
        for seed in (0, 0, 1)
    ]
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    assert torch.equal(torch.get_rng_state(), torch_state)
    first, again, other = runs
    np.testing.assert_array_equal(first.distilled_.X_scaled, again.distilled_.X_scaled)
    np.testing.assert_array_equal(
        first.cv_results_["mean_distilled_score"],
        again.cv_results_["mean_distilled_score"],
    )
    assert not np.array_equal(first.distilled_.X_scaled, other.distilled_.X_scaled)
    # The estimator's own parameters are left as they were.
    assert first.estimator.random_state is None


def test_a_fixed_estimator_seed_makes_the_pick_repeatable(moons):
    X, y = moons
    a = _search(n_confirm=2).fit(X, y)
    b = _search(n_confirm=2).fit(X, y)
    np.testing.assert_array_equal(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


# -- meta-estimator behaviour -------------------------------------------------


def test_clone_and_pickle(fitted, moons):
    X, _ = moons
    cloned = clone(fitted)
    assert cloned.get_params()["n_confirm"] == 2
    assert not hasattr(cloned, "cv_results_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(
        restored.cv_results_["mean_distilled_score"],
        fitted.cv_results_["mean_distilled_score"],
    )


def test_pipeline_distils_the_transformed_rows(moons):
    X, y = moons
    X = X * [100.0, 0.01] + [5.0, -3.0]
    pipe = Pipeline([("scale", StandardScaler()), ("clf", _mlp())])
    search = _search(pipe, {"clf__hidden_layer_sizes": [(), (16,)]}, n_confirm=1)
    search.fit(X, y)
    # The distiller saw the scaler's output, whose mean is 0 and scale 1 ...
    np.testing.assert_allclose(search.distiller_.mean_, 0, atol=1e-12)
    np.testing.assert_allclose(search.distiller_.scale_, 1, atol=1e-12)
    assert search.best_params_ == {"clf__hidden_layer_sizes": (16,)}
    assert isinstance(search.best_estimator_, Pipeline)
    assert search.score(X, y) > 0.8


def test_pipeline_grid_may_vary_the_final_step_only(moons):
    X, y = moons
    pipe = Pipeline([("scale", StandardScaler()), ("clf", _mlp())])
    grid = {"scale__with_mean": [True, False], "clf__alpha": [0.1]}
    with pytest.raises(ValueError, match="'scale__with_mean'.*final step 'clf'"):
        _search(pipe, grid).fit(X, y)


def test_searching_the_final_estimator_itself(moons):
    X, y = moons
    pipe = Pipeline([("scale", StandardScaler()), ("clf", _mlp())])
    grid = {"clf": [LogisticRegression(), _mlp(hidden_layer_sizes=(16,))]}
    search = _search(pipe, grid, n_confirm=2).fit(X, y)
    assert isinstance(search.best_estimator_[-1], DistilledMLPClassifier)
    # The estimators of the grid are cloned, never fitted in place.
    assert not any(hasattr(clf, "classes_") for clf in grid["clf"])


def test_n_jobs_gives_the_same_search(moons):
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (4,)]}
    runs = [
        _search(grid=grid, n_confirm=1, cv=2, n_jobs=n, first_stage_splits=2).fit(X, y)
        for n in (1, 2)
    ]
    keys = ("split0_distilled_score", "split1_distilled_score", "mean_distilled_score")
    for key in (*keys, "mean_test_score", "rank_test_score"):
        np.testing.assert_array_equal(
            runs[0].cv_results_[key], runs[1].cv_results_[key]
        )


def test_verbose_shows_progress(moons, capsys):
    X, y = moons
    _search(n_confirm=1, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "Distilling 133 training rows" in out
    assert "[distilled 3/3]" in out
    assert "Confirming the best 1 candidates" in out
    assert "Fitting 3 folds for each of 1 candidates" in out
    _search(n_confirm=1, verbose=1, first_stage_splits=2).fit(X, y)
    out = capsys.readouterr().out
    assert "each of the first 2 splits of cv" in out
    assert "training 3 candidates on each of the 2 sets" in out


def test_randomized_search(moons):
    X, y = moons
    from scipy.stats import loguniform

    params = dict(n_iter=5, n_confirm=2, cv=3, distiller=DatasetDistiller(**CHEAP))
    distributions = {
        "hidden_layer_sizes": [(), (8,), (16,)],
        "learning_rate_init": loguniform(1e-3, 1e-1),
    }
    a = DistilledRandomizedSearchCV(_mlp(), distributions, random_state=0, **params)
    b = DistilledRandomizedSearchCV(_mlp(), distributions, random_state=0, **params)
    c = DistilledRandomizedSearchCV(_mlp(), distributions, random_state=1, **params)
    a.fit(X, y), b.fit(X, y), c.fit(X, y)
    assert len(a.cv_results_["params"]) == 5
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert a.cv_results_["params"] != c.cv_results_["params"]
    assert a.cv_results_["confirmed"].sum() == 2
    assert a.n_splits_ == 3  # 200 rows: "auto" keeps every split
    one = DistilledRandomizedSearchCV(
        _mlp(), distributions, random_state=0, confirm_splits=1, **params
    ).fit(X, y)
    assert one.n_splits_ == 1 and "split1_test_score" not in one.cv_results_
    assert one.cv_results_["n_confirm_splits"].max() == 1


# -- bad input -----------------------------------------------------------------


def test_unknown_parameter_raises_before_distilling(moons):
    X, y = moons
    search = _search(grid={"hidden_layer_size": [(4,)]})
    with pytest.raises(ValueError, match="Invalid parameter 'hidden_layer_size'"):
        search.fit(X, y)
    assert not hasattr(search, "distiller_")


@pytest.mark.parametrize(
    "grid, message",
    [
        ([], "no candidates"),
        ({"alpha": []}, "non-empty sequence"),
        ({"alpha": 0.1}, "needs to be a list or a numpy array"),
    ],
)
def test_empty_or_malformed_grids_raise(moons, grid, message):
    X, y = moons
    with pytest.raises((ValueError, TypeError), match=message):
        _search(grid=grid).fit(X, y)


def test_values_the_estimator_refuses(moons):
    X, y = moons
    with pytest.raises(ValueError, match="All the 2 candidates failed"):
        _search(grid={"alpha": [-1.0, -2.0]}).fit(X, y)
    with pytest.warns(FitFailedWarning, match="1 of the 2 candidates failed"):
        search = _search(grid={"alpha": [-1.0, 0.1]}, n_confirm=2).fit(X, y)
    results = search.cv_results_
    assert np.isnan(results["mean_distilled_score"][0])
    assert list(results["confirmed"]) == [False, True]
    assert search.best_params_ == {"alpha": 0.1}


def test_error_score_in_the_first_stage(moons):
    X, y = moons
    grid = {"alpha": [-1.0, 0.1]}
    with pytest.warns(FitFailedWarning):
        search = _search(grid=grid, n_confirm=1, error_score=-7.0).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_distilled_score"][0], -7.0)
    assert list(search.cv_results_["confirmed"]) == [False, True]
    with pytest.raises(InvalidParameterError, match="alpha"):
        _search(grid=grid, error_score="raise").fit(X, y)


def test_scoring_is_used_in_both_stages(moons):
    X, y = moons
    search = _search(n_confirm=1, scoring="neg_log_loss").fit(X, y)
    _, held = next(StratifiedKFold(3).split(X, y))
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_distilled_score"]
    ):
        model = _mlp(distiller=search.distilled_, **params).fit()
        assert score == search.scorer_(model, X[held], y[held])
        assert score < 0
    assert search.best_score_ < 0


def test_verbose_3_shows_the_distillers_progress(moons, capsys):
    X, y = moons
    _search(n_confirm=1, verbose=1).fit(X, y)
    quiet = capsys.readouterr().out
    _search(n_confirm=1, verbose=3).fit(X, y)
    loud = capsys.readouterr().out
    assert "DatasetDistiller" in loud and "DatasetDistiller" not in quiet


def test_bad_parameters_of_the_search(moons):
    X, y = moons
    with pytest.raises(InvalidParameterError, match="n_confirm"):
        _search(n_confirm=0).fit(X, y)
    for bad in (0, -1, 1.5, "all", None):
        with pytest.raises(InvalidParameterError, match="confirm_splits"):
            _search(confirm_splits=bad).fit(X, y)
        with pytest.raises(InvalidParameterError, match="first_stage_splits"):
            _search(first_stage_splits=bad).fit(X, y)
    with pytest.raises(InvalidParameterError, match="scoring"):
        _search(scoring={"a": "accuracy"}).fit(X, y)
    with pytest.raises(ValueError, match="searches classifiers"):
        from sklearn.linear_model import Ridge

        _search(Ridge(), {"alpha": [1.0]}).fit(X, y)


def test_default_first_stage_trains_on_the_prototypes_as_on_rows(moons):
    X, y = moons
    grid = {"hidden_layer_sizes": [(), (2,), (16,)], "alpha": [1e-4, 1.0]}
    full = GridSearchCV(_mlp(), grid, cv=3).fit(X, y)
    search = DistilledSearchCV(_mlp(), grid, n_confirm=1, cv=3, random_state=0)
    search.fit(X, y)
    # The prototypes alone rank the grid search's pick above the smaller
    # architectures.
    assert search.best_params_ == full.best_params_
    assert full.best_params_ == {"alpha": 1e-4, "hidden_layer_sizes": (16,)}
    scores = search.cv_results_["mean_distilled_score"]
    assert scores[2] > max(scores[0], scores[1])
    # Each first-stage score is that of the estimator fitted on the
    # prototypes as on ordinary rows, scored on the held-out rows (the
    # first split's; the default averages the first three splits of cv).
    assert search.n_first_stage_splits_ == 3
    scores = search.cv_results_["split0_distilled_score"]
    _, held = next(StratifiedKFold(3).split(X, y))
    prototypes = search.distilled_
    for params, score in zip(search.cv_results_["params"], scores):
        model = _mlp(**params).fit(prototypes.X, prototypes.hard_labels)
        assert score == pytest.approx(model.score(X[held], y[held]))
