"""The numpy prediction path of the MLP classifiers against the torch reference."""

import numpy as np
import pytest
import torch

from skdistill import DistilledMLPClassifier, KDMetaparamTuner
from skdistill._nets.mlp import ACTIVATIONS


def _reference(model, X):
    """``predict_proba``, ``predict_log_proba`` and ``predict`` of the torch
    forward pass (`_logits`), the reference of the numpy path."""
    logits = model._logits(X)[0]
    return (
        torch.softmax(logits, dim=-1).numpy(),
        torch.log_softmax(logits, dim=-1).numpy(),
        model.classes_[np.argmax(logits.numpy(), axis=1)],
    )


def _assert_matches_reference(model, X):
    proba, log_proba, labels = _reference(model, X)
    np.testing.assert_allclose(model.predict_proba(X), proba, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        model.predict_log_proba(X), log_proba, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(model.predict(X), labels)


def _network(hidden, activation, scaled, n_features=4, n_classes=3, seed=0):
    """A `DistilledMLPClassifier` holding random weights (no fit needed), with
    or without an input standardisation."""
    rng = np.random.RandomState(seed)
    sizes = [n_features, *hidden, n_classes]
    model = DistilledMLPClassifier(hidden, activation=activation)
    model.coefs_ = [rng.randn(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    model.intercepts_ = [0.5 * rng.randn(b) for b in sizes[1:]]
    model.classes_ = np.array(["a", "b", "c"][:n_classes])
    model.n_features_in_ = n_features
    if scaled:
        model.input_mean_ = rng.randn(n_features)
        model.input_scale_ = rng.uniform(0.5, 2.0, n_features)
    else:
        model.input_mean_ = model.input_scale_ = None
    return model


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(), (6,), (6, 5)])
@pytest.mark.parametrize("scaled", [False, True])
def test_numpy_prediction_matches_the_torch_forward(hidden, activation, scaled):
    model = _network(hidden, activation, scaled)
    X = 3 * np.random.RandomState(1).randn(50, 4)
    _assert_matches_reference(model, X)


def test_numpy_prediction_of_two_classes_and_of_one_row():
    model = _network((6,), "relu", True, n_classes=2)
    X = np.random.RandomState(2).randn(30, 4)
    _assert_matches_reference(model, X)
    # A row's probabilities do not depend on the other rows of the batch.
    np.testing.assert_allclose(
        model.predict_proba(X[:1]), model.predict_proba(X)[:1], rtol=1e-13
    )
    assert model.predict_proba(X).flags.c_contiguous


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_students_predict_as_the_reference():
    rng = np.random.RandomState(0)
    X = rng.randn(120, 5)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    tuner = KDMetaparamTuner(max_iter=3, random_state=0).fit(X, y)
    _assert_matches_reference(tuner, X)
    clf = DistilledMLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    _assert_matches_reference(clf, X)
    # Input checks stay those of scikit-learn.
    with pytest.raises(ValueError, match="features"):
        tuner.predict_proba(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        tuner.predict(np.full((2, 5), np.nan))
