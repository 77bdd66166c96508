"""Prediction from a fitted MLP, shared by the MLP classifiers of skdistill."""

import numpy as np
import torch
from scipy.special import expit
from sklearn.utils.validation import check_is_fitted, validate_data

from .mlp import forward


def _relu(z):
    return np.maximum(z, 0.0, out=z)


def _tanh(z):
    return np.tanh(z, out=z)


def _logistic(z):
    return expit(z, out=z)


def _identity(z):
    return z


_ACTIVATIONS = {
    "relu": _relu,
    "tanh": _tanh,
    "logistic": _logistic,
    "identity": _identity,
}


def class_logits(X, coefs, intercepts, activation):
    """Logits of an MLP on standardised rows, transposed: ``(n_classes, n_samples)``.

    A numpy float64 forward pass. Reductions over the classes of the result
    run along its first axis, elementwise over rows, which numpy does much
    faster than along a short last axis.
    """
    n_layers = len(coefs)
    h = X
    for layer, (weight, bias) in enumerate(zip(coefs, intercepts, strict=True)):
        z = h @ np.asarray(weight, dtype=np.float64)
        z += bias
        if layer == n_layers - 1:
            break
        h = _ACTIVATIONS[activation](z)
    return np.ascontiguousarray(z.T)


class MLPPredictionMixin:
    """``predict``, ``predict_proba`` and ``predict_log_proba`` of a fitted MLP.

    The estimator holds its network as ``coefs_`` and ``intercepts_`` (lists of
    numpy arrays, as in :class:`sklearn.neural_network.MLPClassifier`), its
    ``activation`` and ``classes_``, and names the standardisation its network
    expects in `_input_scaling`. Prediction runs in float64, so that the
    probabilities of a row do not depend on the other rows of the batch
    (float32 products of different shapes round differently).

    The fitted network predicts through `_class_logits`, a numpy forward pass
    that returns the logits transposed, ``(n_classes, n_samples)``: a
    tabular student is so small that torch's per-call overhead and numpy's
    reductions along a short last axis cost more than the arithmetic. It
    computes the same float64 numbers as `_logits`, the torch reference
    (also used for other parameters than the fitted ones), to rounding.
    """

    def _input_scaling(self):
        """``(mean, scale)`` applied to X before the network, a function of X
        that maps it to the network's inputs, or ``None``."""
        raise NotImplementedError

    def _fitted_params(self):
        """The fitted network in the stacked layout of ``_mlp`` (one network)."""
        params = []
        for weight, bias in zip(self.coefs_, self.intercepts_, strict=True):
            params.append(torch.as_tensor(weight, dtype=torch.float64)[None])
            params.append(torch.as_tensor(bias, dtype=torch.float64)[None, None])
        return params

    def _network_inputs(self, X):
        """``X`` validated and mapped to the inputs the network was fitted on."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scaling = self._input_scaling()
        if callable(scaling):
            return scaling(X)
        if scaling is not None:
            X = X - scaling[0]
            X /= scaling[1]
        return X

    def _logits(self, X, params=None):
        """Logits ``(m, n_samples, n_classes)`` of ``params`` (default: the fit)."""
        X = self._network_inputs(X)
        if params is None:
            params = self._fitted_params()
        with torch.no_grad():
            params = [p.to(torch.float64) for p in params]
            logits, _ = forward(params, torch.from_numpy(X), self.activation)
        return logits

    def _class_logits(self, X):
        """Logits of the fitted network, transposed: ``(n_classes, n_samples)``."""
        X = self._network_inputs(X)
        return class_logits(X, self.coefs_, self.intercepts_, self.activation)

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns in the order of ``classes_``.
        """
        logits = self._class_logits(X)
        with np.errstate(invalid="ignore"):
            logits -= logits.max(axis=0)
            np.exp(logits, out=logits)
            logits /= logits.sum(axis=0)
        return np.ascontiguousarray(logits.T)

    def predict_log_proba(self, X):
        """Logarithm of `predict_proba`, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        logits = self._class_logits(X)
        with np.errstate(invalid="ignore", divide="ignore"):
            logits -= logits.max(axis=0)
            logits -= np.log(np.exp(logits).sum(axis=0))
        return np.ascontiguousarray(logits.T)

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels, from ``classes_``.
        """
        # Logits first: they check that the estimator is fitted.
        logits = self._class_logits(X)
        return self.classes_[np.argmax(logits, axis=0)]
