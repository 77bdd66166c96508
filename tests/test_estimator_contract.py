"""The contract every public torch estimator keeps, checked on each of them.

Threads restored, global random streams untouched, pickle round trip, progress
when verbose, and a refit that fails leaves the estimator unfitted (not its old
network beside new classes).
"""

import pickle
import random

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.validation import check_is_fitted

import skdistill
from skdistill import (
    DatasetDistiller,
    DistilledMLPClassifier,
    DivergenceError,
    KDMetaparamTuner,
)
from skdistill._utils import DOCS_URL

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CHEAP_DISTILLER = dict(n_steps=2, n_epochs=2, max_iter=4, batch_size=32, n_models=1)

# name -> (factory(**params), parameters that make a fit diverge, X multiplier)
ESTIMATORS = {
    "DatasetDistiller": (
        lambda **p: DatasetDistiller(**{**CHEAP_DISTILLER, **p}),
        dict(lr_init=1e20),
        1.0,
    ),
    "DatasetDistiller+search_space": (
        lambda **p: DatasetDistiller(
            **{
                **CHEAP_DISTILLER,
                "search_space": {
                    "hidden_layer_sizes": [(4,), (3, 3)],
                    "alpha": [1e-4, 1.0],
                    "learning_rate_init": [1e-3, 1e-2],
                },
                **p,
            }
        ),
        dict(lr_init=1e20),
        1.0,
    ),
    "DistilledMLPClassifier": (
        lambda **p: DistilledMLPClassifier(
            **{"hidden_layer_sizes": (8,), "max_iter": 5, "n_iter_no_change": 2, **p}
        ),
        dict(learning_rate_init=1e30),
        1e3,
    ),
    "DistilledMLPClassifier+distiller": (
        lambda **p: DistilledMLPClassifier(
            **{
                "hidden_layer_sizes": (8,),
                "distiller": DatasetDistiller(**CHEAP_DISTILLER, random_state=0),
                "schedule": "constant",
                **p,
            }
        ),
        dict(learning_rate_init=1e30),
        1.0,
    ),
    "KDMetaparamTuner": (
        lambda **p: KDMetaparamTuner(
            **{
                "teacher": DecisionTreeClassifier(max_depth=3, random_state=0),
                "hidden_layer_sizes": (8,),
                "max_iter": 3,
                "batch_size": 32,
                **p,
            }
        ),
        dict(learning_rate_init=1e30),
        1e3,
    ),
}
NAMES = list(ESTIMATORS)


def _make(name, **params):
    return ESTIMATORS[name][0](**params)


def _fitted_state(estimator):
    return {k: v for k, v in vars(estimator).items() if k.endswith("_")}


@pytest.mark.parametrize("name", NAMES)
def test_threads_restored(name, moons_small):
    X, y = moons_small
    before = torch.get_num_threads()
    _make(name, n_threads=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("name", NAMES)
def test_global_random_streams_untouched(name, moons_small):
    X, y = moons_small
    np_state = np.random.get_state()  # noqa: NPY002
    torch_state = torch.random.get_rng_state()
    py_state = random.getstate()
    for random_state in (0, None):
        _make(name, random_state=random_state).fit(X, y)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # noqa: NPY002
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert random.getstate() == py_state


@pytest.mark.parametrize("name", NAMES)
def test_random_state_fixes_the_fit_to_the_bit(name, moons_small):
    X, y = moons_small
    a = _make(name, random_state=3).fit(X, y)
    b = _make(name, random_state=3).fit(X, y)
    for key, value in _fitted_state(a).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            np.testing.assert_array_equal(value, getattr(b, key), err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip(name, moons_small):
    X, y = moons_small
    fitted = _make(name, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    if hasattr(fitted, "predict_proba"):
        np.testing.assert_array_equal(
            restored.predict_proba(X), fitted.predict_proba(X)
        )
    else:
        np.testing.assert_array_equal(restored.distilled_X_, fitted.distilled_X_)


@pytest.mark.parametrize("name", NAMES)
def test_verbose_reports_progress(name, moons_small, capsys):
    X, y = moons_small
    _make(name, verbose=1, random_state=0).fit(X, y)
    lines = [
        line for line in capsys.readouterr().out.splitlines() if "iteration" in line
    ]
    assert lines and all(line.startswith("[") for line in lines)
    _make(name, verbose=0, random_state=0).fit(X, y)
    assert "iteration" not in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_failed_refit_leaves_the_estimator_unfitted(name, moons_small):
    X, y = moons_small
    _, diverging, x_scale = ESTIMATORS[name]
    estimator = _make(name, random_state=0).fit(X, y)
    check_is_fitted(estimator)
    estimator.set_params(**diverging)
    with pytest.raises(DivergenceError):
        estimator.fit(X * x_scale, y)
    assert _fitted_state(estimator) == {}
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    # Bad input on a refit does the same.
    estimator = _make(name, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(np.full_like(X, np.nan), y)
    assert _fitted_state(estimator) == {}


def test_refit_of_a_frozen_distillation_that_fails_keeps_nothing(moons_small):
    """The bug this contract was written for: a classifier whose refit diverged
    kept its old network beside the new classes, and still answered."""
    X, y = moons_small
    distiller = DatasetDistiller(**CHEAP_DISTILLER, random_state=0).fit(X, y)
    clf = DistilledMLPClassifier(
        (8,), distiller=FrozenEstimator(distiller), schedule="constant"
    ).fit(X, y)
    clf.set_params(learning_rate_init=1e30)
    with pytest.raises(DivergenceError):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


@pytest.mark.parametrize(
    "estimator",
    [
        skdistill.DatasetDistiller(),
        skdistill.DistilledMLPClassifier(),
        skdistill.KDMetaparamTuner(),
        skdistill.KMeansSampler(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_html_repr_links_to_the_api_page(estimator):
    name = type(estimator).__name__
    url = f"{DOCS_URL}modules/generated/skdistill.{name}.html"
    assert estimator._get_doc_link() == url
    assert url in estimator._repr_html_()
