"""Prediction from a fitted MLP, shared by the MLP classifiers of skdistill."""

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data

from .._utils import to_numpy
from .mlp import forward


class MLPPredictionMixin:
    """``predict``, ``predict_proba`` and ``predict_log_proba`` of a fitted MLP.

    The estimator holds its network as ``coefs_`` and ``intercepts_`` (lists of
    numpy arrays, as in :class:`sklearn.neural_network.MLPClassifier`), its
    ``activation`` and ``classes_``, and names the standardisation its network
    expects in `_input_scaling`. Prediction runs in float64, so that the
    probabilities of a row do not depend on the other rows of the batch
    (float32 products of different shapes round differently).
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

    def _logits(self, X, params=None):
        """Logits ``(m, n_samples, n_classes)`` of ``params`` (default: the fit)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scaling = self._input_scaling()
        if callable(scaling):
            X = scaling(X)
        elif scaling is not None:
            X = (X - scaling[0]) / scaling[1]
        if params is None:
            params = self._fitted_params()
        with torch.no_grad():
            params = [p.to(torch.float64) for p in params]
            logits, _ = forward(params, torch.from_numpy(X), self.activation)
        return logits

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
        return to_numpy(torch.softmax(self._logits(X)[0], dim=-1))

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
        return to_numpy(torch.log_softmax(self._logits(X)[0], dim=-1))

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
        logits = to_numpy(self._logits(X)[0])
        return self.classes_[np.argmax(logits, axis=1)]
