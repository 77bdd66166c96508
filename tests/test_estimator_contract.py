"""The contract every public torch estimator keeps, checked on each of them.

Threads restored, global random streams untouched, random_state fixing the fit
to the bit, pickle round trip, progress when verbose, and a refit that fails
leaves the estimator unfitted (not its old network beside new classes). The
text estimators run the same checks on a small corpus of generated reviews.
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
    DistilledDataset,
    DistilledMLPClassifier,
    DivergenceError,
    KDMetaparamTuner,
    TextConvNetClassifier,
    TextDatasetDistiller,
)
from skdistill._utils import DOCS_URL

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CHEAP_DISTILLER = dict(n_steps=2, n_epochs=2, max_iter=4, batch_size=32, n_models=1)
# A small text network with a learned 4-d embedding, so that the embedding's
# randomness is covered too.
CHEAP_TEXT = dict(sequence_length=8, embedding_dim=4, n_filters=4, kernel_sizes=(2,))
CHEAP_TEXT_DISTILLER = dict(
    **CHEAP_TEXT, n_steps=2, n_epochs=1, max_iter=3, batch_size=16, n_models=1
)

WORDS = {
    0: ["bad", "awful", "poor", "dull"],
    1: ["good", "great", "fine", "superb"],
}
FILLER = ["film", "movie", "plot", "actor", "scene", "the", "and", "was", "this"]


@pytest.fixture(scope="module")
def texts_small():
    """80 short reviews: filler words and two sentiment words of the label."""
    rng = np.random.RandomState(0)
    texts, labels = [], []
    for i in range(80):
        words = list(rng.choice(FILLER, 5)) + list(rng.choice(WORDS[i % 2], 2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(["neg", "pos"][i % 2])
    return np.array(texts, dtype=object), np.array(labels)


def _scaled(factor):
    return lambda X: X * factor


def _with_nan(X):
    return np.full_like(X, np.nan)


def _with_an_empty_text(X):
    X = X.copy()
    X[3] = "  "
    return X


# name -> factory(**params), the data fixture, parameters that make a fit
# diverge and what to do to X for it, bad input and its error message.
ESTIMATORS = {
    "DatasetDistiller": dict(
        make=lambda **p: DatasetDistiller(**{**CHEAP_DISTILLER, **p}),
        diverging=dict(lr_init=1e20),
        diverging_X=_scaled(1.0),
    ),
    "DatasetDistiller+search_space": dict(
        make=lambda **p: DatasetDistiller(
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
        diverging=dict(lr_init=1e20),
        diverging_X=_scaled(1.0),
    ),
    "DistilledMLPClassifier": dict(
        make=lambda **p: DistilledMLPClassifier(
            **{"hidden_layer_sizes": (8,), "max_iter": 5, "n_iter_no_change": 2, **p}
        ),
        diverging=dict(learning_rate_init=1e30),
        diverging_X=_scaled(1e3),
    ),
    "DistilledMLPClassifier+distiller": dict(
        make=lambda **p: DistilledMLPClassifier(
            **{
                "hidden_layer_sizes": (8,),
                "distiller": DatasetDistiller(**CHEAP_DISTILLER, random_state=0),
                "schedule": "constant",
                **p,
            }
        ),
        diverging=dict(learning_rate_init=1e30),
        diverging_X=_scaled(1.0),
    ),
    "KDMetaparamTuner": dict(
        make=lambda **p: KDMetaparamTuner(
            **{
                "teacher": DecisionTreeClassifier(max_depth=3, random_state=0),
                "hidden_layer_sizes": (8,),
                "max_iter": 3,
                "batch_size": 32,
                **p,
            }
        ),
        diverging=dict(learning_rate_init=1e30),
        diverging_X=_scaled(1e3),
    ),
    "TextDatasetDistiller": dict(
        make=lambda **p: TextDatasetDistiller(**{**CHEAP_TEXT_DISTILLER, **p}),
        data="texts_small",
        diverging=dict(lr_init=1e20),
        bad_X=_with_an_empty_text,
        bad_match="empty text",
    ),
    "TextConvNetClassifier": dict(
        make=lambda **p: TextConvNetClassifier(**{**CHEAP_TEXT, "max_iter": 2, **p}),
        data="texts_small",
        diverging=dict(learning_rate=1e30),
        bad_X=_with_an_empty_text,
        bad_match="empty text",
    ),
    "TextConvNetClassifier+distiller": dict(
        make=lambda **p: TextConvNetClassifier(
            **{
                "distiller": TextDatasetDistiller(
                    **CHEAP_TEXT_DISTILLER, random_state=0
                ),
                **p,
            }
        ),
        data="texts_small",
        diverging=dict(distiller__lr_init=1e20),
        bad_X=_with_an_empty_text,
        bad_match="empty text",
    ),
}
NAMES = list(ESTIMATORS)


def _make(name, **params):
    return ESTIMATORS[name]["make"](**params)


def _data(name, request):
    return request.getfixturevalue(ESTIMATORS[name].get("data", "moons_small"))


def _fitted_state(estimator):
    return {k: v for k, v in vars(estimator).items() if k.endswith("_")}


def _float_arrays(value):
    """The float arrays a fitted attribute holds (itself, its items, or the
    arrays of a DistilledDataset)."""
    if isinstance(value, np.ndarray):
        return [value] if value.dtype.kind == "f" else []
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in _float_arrays(item)]
    if isinstance(value, DistilledDataset):
        return _float_arrays([value.X_scaled, value.y, value.lr_schedule])
    return []


@pytest.mark.parametrize("name", NAMES)
def test_threads_restored(name, request):
    X, y = _data(name, request)
    before = torch.get_num_threads()
    _make(name, n_threads=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("name", NAMES)
def test_global_random_streams_untouched(name, request):
    X, y = _data(name, request)
    np_state = np.random.get_state()  # noqa: NPY002
    torch_state = torch.random.get_rng_state()
    py_state = random.getstate()
    for random_state in (0, None):
        _make(name, random_state=random_state).fit(X, y)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # noqa: NPY002
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert random.getstate() == py_state


@pytest.mark.parametrize("name", NAMES)
def test_random_state_fixes_the_fit_to_the_bit(name, request):
    X, y = _data(name, request)
    a = _make(name, random_state=3).fit(X, y)
    b = _make(name, random_state=3).fit(X, y)
    compared = 0
    for key, value in _fitted_state(a).items():
        other = _float_arrays(getattr(b, key))
        for i, array in enumerate(_float_arrays(value)):
            np.testing.assert_array_equal(array, other[i], err_msg=key)
            compared += 1
    assert compared > 0


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip(name, request):
    X, y = _data(name, request)
    fitted = _make(name, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    if hasattr(fitted, "predict_proba"):
        np.testing.assert_array_equal(
            restored.predict_proba(X), fitted.predict_proba(X)
        )
    else:
        np.testing.assert_array_equal(
            restored.distilled_.X_scaled, fitted.distilled_.X_scaled
        )


@pytest.mark.parametrize("name", NAMES)
def test_verbose_reports_progress(name, request, capsys):
    X, y = _data(name, request)
    _make(name, verbose=1, random_state=0).fit(X, y)
    lines = [
        line for line in capsys.readouterr().out.splitlines() if "iteration" in line
    ]
    assert lines and all(line.startswith("[") for line in lines)
    _make(name, verbose=0, random_state=0).fit(X, y)
    assert "iteration" not in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_failed_refit_leaves_the_estimator_unfitted(name, request):
    X, y = _data(name, request)
    case = ESTIMATORS[name]
    estimator = _make(name, random_state=0).fit(X, y)
    check_is_fitted(estimator)
    estimator.set_params(**case["diverging"])
    with pytest.raises(DivergenceError):
        estimator.fit(case.get("diverging_X", _scaled(1))(X), y)
    assert _fitted_state(estimator) == {}
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    # Bad input on a refit does the same.
    estimator = _make(name, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=case.get("bad_match", "NaN")):
        estimator.fit(case.get("bad_X", _with_nan)(X), y)
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
        skdistill.TextDatasetDistiller(),
        skdistill.TextConvNetClassifier(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_html_repr_links_to_the_api_page(estimator):
    name = type(estimator).__name__
    url = f"{DOCS_URL}modules/generated/skdistill.{name}.html"
    assert estimator._get_doc_link() == url
    assert url in estimator._repr_html_()
