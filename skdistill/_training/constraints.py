"""Parameter constraints shared by several estimators.

An estimator's ``_parameter_constraints`` merges the dicts it shares with
``**``, as scikit-learn's estimators merge their base classes'.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._nets.mlp import ACTIVATIONS

#: What every torch estimator takes to control its fit.
FIT_CONTROLS = {
    "n_threads": [None, Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

#: The network of an MLP student: `DistilledMLPClassifier`, `KDMetaparamTuner`.
MLP_NETWORK = {
    "hidden_layer_sizes": [tuple, list, Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
}

#: An iterative fit with a stopper of ``stopping.py``.
STOPPING = {
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
}

#: The share of the rows `validation_split` sets aside.
VALIDATION_FRACTION = [Interval(Real, 0, 1, closed="neither")]
