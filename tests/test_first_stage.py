"""The search's first stage: plain, weighted, and chosen by pilot trainings."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DatasetDistiller, DistilledMLPClassifier, DistilledSearchCV
from skdistill._data.dataset import DistilledDataset
from skdistill._model_selection.first_stage import (
    N_PILOTS,
    PILOT_MAX_ROWS,
    disagreement_pilots,
    pairwise_votes,
    pilot_rows,
    prototype_weights,
    refit_output_biases,
    training_factor,
)
from skdistill._model_selection.prototypes import ClassPrototypes

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# 16 candidates: the smallest grid on which "auto" runs its pilots.
GRID = {
    "hidden_layer_sizes": [(3,), (6,), (4, 3), (8, 4)],
    "alpha": [1e-4, 0.01, 0.3, 3.0],
}


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=400,
        n_features=6,
        n_informative=4,
        weights=[0.7, 0.3],
        flip_y=0.05,
        random_state=0,
    )


def _search(**params):
    estimator = DistilledMLPClassifier(max_iter=30, random_state=0)
    params = {
        "cv": 3,
        "first_stage_splits": 1,
        "n_confirm": 2,
        "random_state": 0,
        **params,
    }
    return DistilledSearchCV(estimator, GRID, **params)


def test_prototype_weights_count_the_rows_each_prototype_stands_for():
    prototypes = DistilledDataset(
        np.array([[0.0], [10.0], [0.0]]), np.eye(2)[[0, 0, 1]], np.array([0, 1])
    )
    X = np.array([[1.0], [2.0], [9.0], [8.0], [7.0], [5.0]])
    y = np.array([0, 0, 0, 0, 0, 1])
    # Class 0: two rows nearest 0, three nearest 10; class 1: one row, which
    # counts for its own class's prototype even though 10 is as near.
    weights = prototype_weights(prototypes, X, y)
    np.testing.assert_allclose(weights, np.array([2.0, 3.0, 1.0]) / 2.0)


def test_training_factor_is_the_root_of_the_ratio_of_minibatches():
    final = DistilledMLPClassifier()
    assert training_factor(final, 3395, 292) == pytest.approx((17 / 2) ** (1 / 4))
    assert training_factor(final, 150, 30) == 1.0
    final.set_params(batch_size=10)
    assert training_factor(final, 100, 25) == pytest.approx((10 / 3) ** (1 / 4))


def test_refitted_biases_give_the_rows_class_shares(data):
    # At the optimum of the rows' log-loss in the output biases, the mean
    # predicted probability of every class is its share of the rows.
    X, y = data
    balanced = ClassPrototypes(n_samples=40, random_state=0).fit(X, y).distilled_
    model = DistilledMLPClassifier(max_iter=50, random_state=0)
    model.fit(balanced.X, balanced.hard_labels)
    before = model.predict_proba(X).mean(axis=0)
    refit_output_biases(model, X, y)
    shares = np.bincount(y) / len(y)
    assert np.abs(before - shares).max() > 0.05
    np.testing.assert_allclose(model.predict_proba(X).mean(axis=0), shares, atol=1e-4)


def test_disagreement_pilots_take_both_ends_of_the_rank_gap():
    first = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    second = first[::-1].copy()
    # first likes 0 and 1 better than second does; second likes 5 and 4.
    np.testing.assert_array_equal(disagreement_pilots(first, second, 4), [0, 1, 4, 5])
    assert len(disagreement_pilots(first, second, 10)) == 6


def test_a_pilot_brings_the_candidates_of_its_stack():
    first = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    second = first[::-1].copy()
    stacks = [[0, 3], [1, 2], [4, 5]]
    # 0 (one end) brings 3, then 5 (the other end) brings 4: four pilots.
    np.testing.assert_array_equal(
        disagreement_pilots(first, second, 4, stacks), [0, 3, 4, 5]
    )
    np.testing.assert_array_equal(
        disagreement_pilots(first, second, 5, stacks), np.arange(6)
    )


def test_pairwise_votes_count_pairs_ordered_as_the_real_runs():
    real = [0.9, 0.8, 0.7, np.nan]
    same = [3.0, 2.0, 1.0, 0.0]
    reversed_ = [1.0, 2.0, 3.0, 4.0]
    half = [2.0, 3.0, 1.0, 9.0]
    np.testing.assert_array_equal(
        pairwise_votes(real, same, reversed_, half), [3, 0, 2]
    )
    # Pilots with equal real scores say nothing.
    np.testing.assert_array_equal(pairwise_votes([0.5, 0.5], [1, 2]), [0])


def test_weighted_first_stage_is_one_training_per_candidate(data):
    """The weighted first stage (stacked per alpha) against its reference: each
    candidate's plain network trained on alone, on the weighted prototypes, for
    the rest of the longer run, its output biases refitted on the split's rows,
    scored on the held-out rows."""
    X, y = data
    search = _search(first_stage="weighted").fit(X, y)
    assert search.first_stage_ == "weighted"
    assert search.first_stage_votes_ is None
    train, held = next(StratifiedKFold(3).split(X, y))
    dataset = search.distilled_
    weights = prototype_weights(dataset, X[train], y[train])
    expected = []
    for params in search.cv_results_["params"]:
        model = DistilledMLPClassifier(max_iter=30, random_state=0, **params)
        factor = training_factor(model, len(train), dataset.n_rows)
        model.set_params(distiller=dataset).fit()
        model.set_params(
            distiller=None, warm_start=True, max_iter=int(30 * (factor - 1))
        )
        model.fit(dataset.X, dataset.hard_labels, sample_weight=weights)
        refit_output_biases(model, X[train], y[train])
        expected.append(model.score(X[held], y[held]))
    np.testing.assert_array_equal(search.cv_results_["mean_distilled_score"], expected)


def test_auto_lets_the_pilots_choose(data):
    X, y = data
    auto = _search().fit(X, y)
    votes = auto.first_stage_votes_
    assert set(votes) == {"plain", "weighted"}
    # 8 pilots make 28 pairs; pairs of equal real scores do not vote.
    assert 0 < votes["plain"] + votes["weighted"] <= N_PILOTS * (N_PILOTS - 1) // 2
    chosen = "weighted" if votes["weighted"] > votes["plain"] else "plain"
    assert auto.first_stage_ == chosen
    ran = _search(first_stage=chosen).fit(X, y)
    np.testing.assert_array_equal(
        auto.cv_results_["mean_distilled_score"],
        ran.cv_results_["mean_distilled_score"],
    )
    again = _search().fit(X, y)
    assert again.first_stage_votes_ == votes
    assert again.best_params_ == auto.best_params_


@pytest.mark.parametrize(
    "params",
    [
        # several first-stage splits: the pilots would cost more than they save
        {"first_stage_splits": 2},
        # a distiller's set: no rows per prototype to weigh
        {"distiller": DatasetDistiller(n_steps=2, n_epochs=1, max_iter=5)},
        {"first_stage": "plain"},
    ],
)
def test_auto_keeps_the_plain_first_stage_where_pilots_do_not_apply(data, params):
    X, y = data
    search = _search(**params).fit(X, y)
    assert search.first_stage_ == "plain"
    assert search.first_stage_votes_ is None


def test_auto_needs_a_grid_larger_than_its_pilots(data):
    X, y = data
    estimator = DistilledMLPClassifier(max_iter=30, random_state=0)
    # 15 candidates: one fewer than twice the pilots.
    grid = {
        "hidden_layer_sizes": [(3,), (6,), (4, 3)],
        "alpha": [1e-4, 0.01, 0.1, 0.3, 3.0],
    }
    search = DistilledSearchCV(
        estimator, grid, cv=3, first_stage_splits=1, random_state=0
    )
    search.fit(X, y)
    assert search.first_stage_ == "plain" and search.first_stage_votes_ is None


def test_weighted_needs_mlp_candidates_trained_on_rows(data):
    # A candidate the weighted stage cannot train (another classifier) keeps
    # the whole first stage plain.
    from sklearn.linear_model import LogisticRegression

    X, y = data
    grid = {"C": [0.1, 1.0]}
    search = DistilledSearchCV(
        LogisticRegression(), grid, cv=3, first_stage="weighted", random_state=0
    )
    assert search.fit(X, y).first_stage_ == "plain"


def test_bad_first_stage_names_the_parameter(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match="first_stage"):
        _search(first_stage="pilots").fit(X, y)


def _failing_refit(model, X, y):
    raise RuntimeError("the refit failed")


def test_failures_of_the_weighted_stage_are_reported(data, monkeypatch):
    from sklearn.exceptions import FitFailedWarning

    from skdistill._model_selection import first_stage

    X, y = data
    monkeypatch.setattr(first_stage, "refit_output_biases", _failing_refit)
    with pytest.raises(RuntimeError, match="the refit failed"):
        _search(first_stage="weighted", error_score="raise").fit(X, y)
    # scikit-learn's rule: all the trainings failed raises, whatever error_score.
    with pytest.raises(ValueError, match="All the 16 trainings of the weighted"):
        _search(first_stage="weighted", error_score=0.0).fit(X, y)
    # With "auto", the search goes on with the plain stage, without pilots,
    # even with error_score="raise".
    with pytest.warns(FitFailedWarning, match="plain first stage's scores are kept"):
        search = _search(error_score="raise").fit(X, y)
    assert search.first_stage_ == "plain"
    assert search.first_stage_votes_ is None


def _refit_failing_at_alpha_3(model, X, y):
    if model.alpha == 3.0:
        raise RuntimeError("the refit failed at alpha=3")
    return refit_output_biases(model, X, y)


def test_a_training_failing_only_in_the_weighted_stage(data, monkeypatch):
    from sklearn.exceptions import FitFailedWarning

    from skdistill._model_selection import first_stage

    X, y = data
    monkeypatch.setattr(first_stage, "refit_output_biases", _refit_failing_at_alpha_3)
    # "weighted": the 4 candidates at alpha=3 score NaN there, alone (the
    # others of their stacks are trained one by one and keep their scores).
    with pytest.warns(FitFailedWarning, match="4 of the 16 trainings of the weighted"):
        search = _search(first_stage="weighted").fit(X, y)
    scores = search.cv_results_["mean_distilled_score"]
    failed = np.array([p["alpha"] == 3.0 for p in search.cv_results_["params"]])
    assert np.isnan(scores[failed]).all() and np.isfinite(scores[~failed]).all()
    # "auto" keeps the plain stage rather than lose those candidates.
    with pytest.warns(FitFailedWarning, match="plain first stage's scores are kept"):
        auto = _search().fit(X, y)
    plain = _search(first_stage="plain").fit(X, y)
    assert auto.first_stage_ == "plain"
    np.testing.assert_array_equal(
        auto.cv_results_["mean_distilled_score"],
        plain.cv_results_["mean_distilled_score"],
    )


def test_weighted_stage_falls_back_to_one_training_per_candidate(data, monkeypatch):
    # A stack that fails is trained again one candidate at a time: the same
    # scores, and a failure that is the failing candidate's alone.
    from skdistill._model_selection import first_stage

    X, y = data
    reference = _search(first_stage="weighted").fit(X, y)
    stack = first_stage.fit_alpha_stack

    def refuse_stacks(estimator, alphas, *args, **kwargs):
        if len(alphas) > 1:
            raise RuntimeError("no stacks")
        return stack(estimator, alphas, *args, **kwargs)

    monkeypatch.setattr(first_stage, "fit_alpha_stack", refuse_stacks)
    alone = _search(first_stage="weighted").fit(X, y)
    np.testing.assert_array_equal(
        alone.cv_results_["mean_distilled_score"],
        reference.cv_results_["mean_distilled_score"],
    )


def _record_alphas(monkeypatch, stage):
    """The alphas of the candidates a stage of the search trains (a list,
    filled as the search runs)."""
    from skdistill._model_selection import common

    seen = []
    original = getattr(common, stage)

    def spy(finals, *args, **kwargs):
        seen.extend(f.alpha for f in finals)
        return original(finals, *args, **kwargs)

    monkeypatch.setattr(common, stage, spy)
    return seen


def test_a_candidate_refused_in_the_plain_stage_is_not_trained_again(data, monkeypatch):
    from sklearn.exceptions import FitFailedWarning

    X, y = data
    trained = _record_alphas(monkeypatch, "weighted_fit_and_score")
    estimator = DistilledMLPClassifier(max_iter=30, random_state=0)
    params = dict(cv=3, first_stage_splits=1, n_confirm=1, random_state=0)
    grid = {"hidden_layer_sizes": [(3,), (6,)], "alpha": [0.1, -1.0, 3.0]}
    with pytest.warns(FitFailedWarning, match="2 of the 6"):
        search = DistilledSearchCV(
            estimator, grid, first_stage="weighted", **params
        ).fit(X, y)
    assert search.first_stage_ == "weighted"
    assert sorted(trained) == [0.1, 0.1, 3.0, 3.0]
    # The grid's order: alpha first, -1.0 the second value. The others are
    # scored as in a search without the refused value (each continuing its
    # own plain network).
    scores = search.cv_results_["mean_distilled_score"]
    assert np.isnan(scores[[2, 3]]).all()
    grid["alpha"] = [0.1, 3.0]
    valid = DistilledSearchCV(estimator, grid, first_stage="weighted", **params)
    np.testing.assert_array_equal(
        scores[[0, 1, 4, 5]], valid.fit(X, y).cv_results_["mean_distilled_score"]
    )


def test_the_pilots_side_with_the_ranking_they_agree_with(data, monkeypatch):
    # Pilots whose real scores are the weighted stage's own choose it; pilots
    # scoring the other way round choose plain.
    from skdistill._model_selection import common

    X, y = data
    weighted = _search(first_stage="weighted").fit(X, y)
    plain = _search(first_stage="plain").fit(X, y)
    for target, expected in ((weighted, "weighted"), (plain, "plain")):
        scores = target.cv_results_["mean_distilled_score"]

        def pilots(finals, indices, rows, held, scorer, seed, scores=scores):
            return [{"index": i, "score": scores[i]} for i in indices]

        monkeypatch.setattr(common, "pilot_fit_and_score", pilots)
        search = _search().fit(X, y)
        assert search.first_stage_ == expected
        votes = search.first_stage_votes_
        assert votes[expected] > votes[({"plain", "weighted"} - {expected}).pop()]
        np.testing.assert_array_equal(
            search.cv_results_["mean_distilled_score"], scores
        )


def test_auto_confirms_one_fewer_where_the_pilots_kept_the_weighted_stage(
    data, monkeypatch
):
    # 16 candidates scored on the 134 held-out rows of one split of three:
    # "auto" confirms ceil(2 * sqrt(500 / 134)) = 4 (also after a weighted
    # stage the user chose), and 3 where the pilots' real trainings kept the
    # weighted first stage.
    from skdistill._model_selection import common

    X, y = data
    weighted = _search(first_stage="weighted", n_confirm="auto").fit(X, y)
    assert weighted.cv_results_["confirmed"].sum() == 4
    scores = weighted.cv_results_["mean_distilled_score"]
    for order, expected in ((1, 3), (-1, 4)):

        def pilots(finals, indices, rows, held, scorer, seed, order=order):
            return [{"index": i, "score": order * scores[i]} for i in indices]

        monkeypatch.setattr(common, "pilot_fit_and_score", pilots)
        search = _search(n_confirm="auto").fit(X, y)
        assert search.first_stage_ == ("weighted" if order == 1 else "plain")
        assert search.cv_results_["confirmed"].sum() == expected


def test_pilot_rows_keep_every_class():
    X = np.arange(60.0)[:, None]
    y = np.array([0] * 50 + [1] * 7 + [2] * 3)
    X_pilot, y_pilot = pilot_rows(X, y, seed=0)
    # A stratified quarter of class 0, every row of the classes too small
    # for a quarter to hold two of them.
    assert np.bincount(y_pilot).tolist() == [12, 7, 3]
    assert set(X_pilot[:, 0]) <= set(X[:, 0])
    assert len(set(X_pilot[:, 0])) == len(X_pilot)


def test_pilot_rows_are_capped_on_large_tables():
    # A quarter of 6000 rows would be 1500: the pilots take PILOT_MAX_ROWS,
    # stratified, and two rows of a class that a stratified 850 would give
    # fewer than two of (10 rows here).
    y = np.array([0] * 4000 + [1] * 1990 + [2] * 10)
    X = np.arange(len(y), dtype=float)[:, None]
    X_pilot, y_pilot = pilot_rows(X, y, seed=0)
    counts = np.bincount(y_pilot)
    assert len(y_pilot) == PILOT_MAX_ROWS
    assert counts[2] == 2
    assert abs(counts[0] / counts[1] - 4000 / 1990) < 0.02
    assert len(set(X_pilot[:, 0])) == len(X_pilot)
    assert np.array_equal(y[X_pilot[:, 0].astype(int)], y_pilot)


def test_capped_pilot_rows_hold_every_class_of_a_large_table():
    # 50 classes of 80 rows in 40000: a stratified 850 would give each about
    # 1.7 rows; each brings two, and the cap holds.
    y = np.concatenate([np.repeat([0, 1], 18000), np.repeat(np.arange(2, 52), 80)])
    X_pilot, y_pilot = pilot_rows(np.zeros((len(y), 1)), y, seed=0)
    counts = np.bincount(y_pilot, minlength=52)
    assert len(y_pilot) == PILOT_MAX_ROWS
    assert (counts[2:] == 2).all()
    assert counts[0] + counts[1] == PILOT_MAX_ROWS - 100


@pytest.mark.parametrize("n_rows, expected", [(3200, 800), (3400, 850), (3404, 850)])
def test_pilot_rows_are_a_quarter_up_to_the_cap(n_rows, expected):
    y = np.array([0, 1] * (n_rows // 2))
    X_pilot, y_pilot = pilot_rows(np.zeros((len(y), 1)), y, seed=0)
    assert len(y_pilot) == expected
    assert np.bincount(y_pilot).tolist() == [expected // 2] * 2


def test_pilots_leave_out_candidates_refused_in_the_plain_stage(data, monkeypatch):
    from sklearn.exceptions import FitFailedWarning

    X, y = data
    piloted = _record_alphas(monkeypatch, "pilot_fit_and_score")
    grid = {**GRID, "alpha": GRID["alpha"] + [-1.0]}
    estimator = DistilledMLPClassifier(max_iter=30, random_state=0)
    params = dict(cv=3, first_stage_splits=1, n_confirm=2, random_state=0)
    with pytest.warns(FitFailedWarning, match="4 of the 20"):
        search = DistilledSearchCV(estimator, grid, **params).fit(X, y)
    assert len(piloted) >= 8 and -1.0 not in piloted
    assert sum(search.first_stage_votes_.values()) > 0
