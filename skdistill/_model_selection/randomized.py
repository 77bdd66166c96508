"""DistilledRandomizedSearchCV: DistilledSearchCV over sampled candidates."""

from numbers import Integral

import numpy as np
from sklearn.model_selection import ParameterSampler
from sklearn.utils._param_validation import Interval

from .common import _CLASS_DOC, _BaseDistilledSearch


class DistilledRandomizedSearchCV(_BaseDistilledSearch):
    """Randomized search that ranks candidates on a distilled set and confirms
    the best by cross-validation.

    The candidates are ``n_iter`` settings drawn from ``param_distributions``
    as :class:`~sklearn.model_selection.RandomizedSearchCV` draws them
    (seeded by ``random_state``); the search is otherwise
    :class:`DistilledSearchCV`'s.
    """

    __doc__ = (
        __doc__.rstrip()
        + _CLASS_DOC
        + """
    Parameters
    ----------
    estimator : classifier or Pipeline ending in one
        As in :class:`DistilledSearchCV`.

    param_distributions : dict or list of dicts
        Lists of values or distributions (with an ``rvs`` method) per
        parameter, as in ``RandomizedSearchCV``.

    n_iter : int, default=10
        Candidates drawn.

    distiller, n_confirm, confirm_splits, first_stage_splits, first_stage, \
            cv, scoring, refit, n_jobs, verbose, error_score
        As in :class:`DistilledSearchCV`.

    random_state : int, RandomState instance or None, default=None
        Seeds the draw of the candidates, and what it seeds in
        :class:`DistilledSearchCV`.

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, \
refit_time_, distiller_, distilled_, distillation_time_, \
n_first_stage_splits_, first_stage_, first_stage_votes_, scorer_, \
n_splits_, multimetric_, classes_, n_features_in_, feature_names_in_
        As in :class:`DistilledSearchCV`.

    See Also
    --------
    DistilledSearchCV : The same search over a grid.
    sklearn.model_selection.RandomizedSearchCV : Cross-validates every
        candidate.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import make_moons
    >>> from skdistill import DatasetDistiller, DistilledMLPClassifier
    >>> from skdistill import DistilledRandomizedSearchCV
    >>> X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    >>> search = DistilledRandomizedSearchCV(
    ...     DistilledMLPClassifier(max_iter=50, random_state=0),
    ...     {"hidden_layer_sizes": [(8,), (16,)],
    ...      "learning_rate_init": loguniform(0.003, 0.3)},
    ...     n_iter=4, n_confirm=1, cv=3, random_state=0,
    ...     distiller=DatasetDistiller(n_steps=4, n_epochs=2, max_iter=20),
    ... ).fit(X, y)
    >>> len(search.cv_results_["params"])
    4
    """
    )

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        distiller=None,
        n_confirm="auto",
        confirm_splits="auto",
        first_stage_splits="auto",
        first_stage="auto",
        cv=5,
        scoring=None,
        refit=True,
        n_jobs=None,
        random_state=None,
        verbose=0,
        error_score=np.nan,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.distiller = distiller
        self.n_confirm = n_confirm
        self.confirm_splits = confirm_splits
        self.first_stage_splits = first_stage_splits
        self.first_stage = first_stage
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.error_score = error_score

    _parameter_constraints: dict = {
        **_BaseDistilledSearch._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def _candidates(self, seed):
        return list(
            ParameterSampler(self.param_distributions, self.n_iter, random_state=seed)
        )
