"""Networks that differ only in alpha, trained as one stack: the same networks
as their own fits, in the classifier and in the search's first stage."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning

from skdistill import DistilledMLPClassifier, DistilledSearchCV
from skdistill._model_selection import common
from skdistill._model_selection.common import _alpha_stacks
from skdistill._model_selection.prototypes import ClassPrototypes
from skdistill._tabular.classifier import fit_alpha_stack

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ALPHAS = [1e-4, 0.3, 3.0]


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _assert_same_networks(stacked, alone, X):
    # The same training: the stack's batched products may round the last
    # bit of float32 differently, nothing more.
    assert stacked.alpha == alone.alpha
    for a, b in zip(
        stacked.coefs_ + stacked.intercepts_, alone.coefs_ + alone.intercepts_
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(stacked.predict(X), alone.predict(X))


@pytest.mark.parametrize("hidden", [(5,), (8, 4)])
def test_stack_trains_each_network_as_its_own_fit(data, hidden):
    X, y = data
    # tol large enough that the networks stop at different epochs: a stopped
    # network must stay where its own fit stops.
    estimator = DistilledMLPClassifier(
        hidden_layer_sizes=hidden, max_iter=300, tol=1e-3, random_state=0
    )
    stacked = fit_alpha_stack(estimator, ALPHAS, X, y)
    alone = [clone(estimator).set_params(alpha=a).fit(X, y) for a in ALPHAS]
    assert len({m.n_iter_ for m in alone}) > 1
    for s, a in zip(stacked, alone):
        _assert_same_networks(s, a, X)


def test_stack_on_a_set_without_a_schedule(data):
    X, y = data
    prototypes = ClassPrototypes(n_samples=30, random_state=0).fit(X, y)
    estimator = DistilledMLPClassifier(
        hidden_layer_sizes=(6,),
        max_iter=50,
        random_state=1,
        distiller=prototypes.distilled_,
    )
    stacked = fit_alpha_stack(estimator, ALPHAS)
    for s, a in zip(stacked, ALPHAS):
        _assert_same_networks(s, clone(estimator).set_params(alpha=a).fit(), X)


def test_stack_starts_from_the_networks_it_is_given(data):
    # Training on from given networks is a warm start of each network alone.
    X, y = data
    estimator = DistilledMLPClassifier(
        hidden_layer_sizes=(5,), max_iter=20, random_state=0
    )
    first = fit_alpha_stack(estimator, ALPHAS, X, y)
    initial = [
        np.stack(
            [
                getattr(m, name)[layer]
                if name == "coefs_"
                else getattr(m, name)[layer][None]
                for m in first
            ]
        )
        for layer in range(2)
        for name in ("coefs_", "intercepts_")
    ]
    stacked = fit_alpha_stack(estimator, ALPHAS, X, y, initial=initial)
    for s, a, m in zip(stacked, ALPHAS, first):
        alone = clone(m).set_params(warm_start=True)
        alone.coefs_, alone.intercepts_ = m.coefs_, m.intercepts_
        _assert_same_networks(s, alone.set_params(alpha=a).fit(X, y), X)
    with pytest.raises(ValueError, match="shapes"):
        fit_alpha_stack(estimator, ALPHAS[:2], X, y, initial=initial)


def test_stack_refuses_what_it_cannot_train_alike(data):
    X, y = data
    with pytest.raises(ValueError, match="early_stopping"):
        fit_alpha_stack(DistilledMLPClassifier(early_stopping=True), ALPHAS, X, y)
    with pytest.raises(ValueError, match="alpha"):
        fit_alpha_stack(DistilledMLPClassifier(), [0.1, -1.0], X, y)


def test_search_groups_candidates_that_differ_only_in_alpha():
    rng = np.random.RandomState(0)
    finals = [
        DistilledMLPClassifier(hidden_layer_sizes=(4,), alpha=0.1),
        DistilledMLPClassifier(hidden_layer_sizes=(8,), alpha=0.1),
        DistilledMLPClassifier(hidden_layer_sizes=(4,), alpha=3.0),
        DistilledMLPClassifier(hidden_layer_sizes=(4,), alpha=3.0, early_stopping=True),
        DistilledMLPClassifier(hidden_layer_sizes=(8,), alpha=1e-4),
        DistilledMLPClassifier(hidden_layer_sizes=(4,), alpha=1e-4, random_state=0),
        DistilledMLPClassifier(hidden_layer_sizes=(4,), alpha=0.1, random_state=0),
        DistilledMLPClassifier(hidden_layer_sizes=(4,), alpha=1.0, random_state=rng),
    ]
    assert _alpha_stacks(finals, dataset=None) == [[0, 2], [1, 4], [3], [5, 6], [7]]


def _unstacked(finals, dataset):
    return [[i] for i in range(len(finals))]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_search_first_stage_is_that_of_one_fit_per_candidate(data, monkeypatch, n_jobs):
    X, y = data
    grid = {"hidden_layer_sizes": [(4,), (8, 4)], "alpha": ALPHAS}
    estimator = DistilledMLPClassifier(max_iter=40, random_state=0)
    params = dict(cv=3, first_stage_splits=2, n_confirm=2, random_state=0)
    stacked = DistilledSearchCV(estimator, grid, n_jobs=n_jobs, **params).fit(X, y)
    monkeypatch.setattr(common, "_alpha_stacks", _unstacked)
    alone = DistilledSearchCV(estimator, grid, **params).fit(X, y)
    for key in ("mean_distilled_score", "mean_test_score"):
        np.testing.assert_array_equal(stacked.cv_results_[key], alone.cv_results_[key])
    assert stacked.best_params_ == alone.best_params_


def test_a_candidate_refused_in_a_stack_fails_alone(data):
    # One value of the stack is refused: the others are trained one by one
    # and keep their scores, and the failure is that candidate's.
    X, y = data
    estimator = DistilledMLPClassifier(max_iter=40, random_state=0)
    params = dict(cv=3, first_stage_splits=1, n_confirm=1, random_state=0)
    search = DistilledSearchCV(estimator, {"alpha": [0.1, -1.0, 3.0]}, **params)
    with pytest.warns(FitFailedWarning, match="1 of the 3"):
        search.fit(X, y)
    valid = DistilledSearchCV(estimator, {"alpha": [0.1, 3.0]}, **params).fit(X, y)
    scores = search.cv_results_["mean_distilled_score"]
    assert np.isnan(scores[1])
    np.testing.assert_array_equal(
        scores[[0, 2]], valid.cv_results_["mean_distilled_score"]
    )
