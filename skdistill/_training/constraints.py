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

#: A positive count, or "auto" for one the estimator chooses from the data.
AUTO_COUNT = [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")]

#: The outer loop of a dataset distiller (`DatasetDistiller`,
#: `TextDatasetDistiller`): the internal runs, the learned parts and the outer
#: step size.
DISTILLATION = {
    "n_epochs": [Interval(Integral, 1, None, closed="left")],
    "n_models": [Interval(Integral, 1, None, closed="left")],
    "soft_labels": ["boolean"],
    "learn_lr": ["boolean"],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "fixed_init": ["boolean"],
    "init": [StrOptions({"noise", "real", "kmeans"})],
}
