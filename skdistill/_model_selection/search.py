"""DistilledSearchCV: a hyperparameter search whose first stage trains on a
distilled set, confirmed by ordinary cross-validation on the real rows."""

import math
import time
import traceback
import warnings
from collections import Counter
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import rankdata
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    ParameterSampler,
    check_cv,
)
from sklearn.model_selection._search import (
    BaseSearchCV,
    _yield_masked_array_for_each_param,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets

from .._base import check_hidden_layer_sizes
from .._data.dataset import DistilledDataset, distilled_dataset_of
from .._tabular.classifier import DistilledMLPClassifier
from .._tabular.distiller import DatasetDistiller
from .._utils import DocLinkMixin, check_local_random_state

#: ``n_confirm="auto"``: ``ceil(sqrt(n_candidates))`` candidates, at least
#: this many (or all, when there are fewer), at most `_AUTO_CONFIRM_MAX`.
_AUTO_CONFIRM_MIN = 3
_AUTO_CONFIRM_MAX = 10


def auto_n_confirm(n_candidates):
    """Candidates confirmed by cross-validation with ``n_confirm="auto"``.

    ``ceil(sqrt(n_candidates))`` within ``[3, 10]``, and never more than the
    candidates: 3 of up to 9 candidates, 5 of 18, 9 of 72, 10 of 100 or more.
    The confirmation costs ``n_confirm * cv`` ordinary fits, a share
    ``n_confirm / n_candidates`` of a full grid search that shrinks as the grid
    grows.
    """
    n_confirm = min(
        max(math.ceil(math.sqrt(n_candidates)), _AUTO_CONFIRM_MIN), _AUTO_CONFIRM_MAX
    )
    return min(n_confirm, n_candidates)


def distiller_for_search(estimator, candidates):
    """The default distiller of a search of ``estimator`` over ``candidates``.

    A :class:`DatasetDistiller` whose internal networks are the architectures
    the search will train: the ``hidden_layer_sizes`` of the final estimator of
    every candidate (the estimator's own when the grid does not vary them), so
    that the distilled set serves every architecture searched; as many internal
    models per outer iteration as architectures, and at least the default 3.
    Candidates whose final estimator has no ``hidden_layer_sizes`` (or an
    invalid one, which its own fit will refuse) add no architecture; with none
    at all, the distiller's default architecture is kept.

    This is the one place where the search configures the distiller from what
    it searches.

    Parameters
    ----------
    estimator : estimator or Pipeline
        The estimator searched (its final step, for a pipeline).
    candidates : list of dict
        The parameter settings of the search.

    Returns
    -------
    distiller : DatasetDistiller
        An unfitted distiller.
    """
    architectures = []
    for params in candidates:
        final = _final_step(clone(estimator).set_params(**clone(params, safe=False)))
        sizes = final.get_params(deep=False).get("hidden_layer_sizes")
        if sizes is None:
            continue
        try:
            sizes = check_hidden_layer_sizes(sizes)
        except ValueError:
            continue
        if sizes not in architectures:
            architectures.append(sizes)
    distiller = DatasetDistiller()
    if architectures:
        n_models = max(distiller.n_models, len(architectures))
        distiller.set_params(architectures=tuple(architectures), n_models=n_models)
    return distiller


def _final_step(estimator):
    """The estimator that is trained on the distilled set."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def _check_grid_targets_final_step(estimator, candidates):
    """A pipeline's grid may vary its final step only (see the Notes)."""
    if not isinstance(estimator, Pipeline):
        return
    final_name = estimator.steps[-1][0]
    for params in candidates:
        for name in params:
            if name != final_name and not name.startswith(final_name + "__"):
                raise ValueError(
                    f"The grid varies {name!r}, which is not a parameter of the "
                    f"pipeline's final step {final_name!r}. The distilled set is "
                    "learned once, from the rows as the pipeline's earlier steps "
                    "transform them, so the grid may vary only the final step "
                    f"('{final_name}__<parameter>', or '{final_name}' itself). "
                    "Fix the preprocessing, or search it with GridSearchCV."
                )


def _distilled_rows(dataset):
    """The distilled rows in the units of the data the distiller saw, as a
    DataFrame when that data had column names."""
    rows = dataset.X
    if dataset.feature_names is not None:
        import pandas as pd

        rows = pd.DataFrame(rows, columns=list(dataset.feature_names))
    return rows


def _fit_on_distilled(final, dataset, seed):
    """Train one candidate's final estimator on the distilled set.

    A :class:`DistilledMLPClassifier` replays the set (its schedule, its soft
    labels); any other classifier is fitted on the rows with hard labels (the
    class of the largest soft label). An unset ``random_state`` is given
    ``seed``: every candidate starts from the same random numbers.
    """
    params = final.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        final.set_params(random_state=seed)
    if isinstance(final, DistilledMLPClassifier):
        final.set_params(distiller=dataset)
        return final.fit()
    return final.fit(_distilled_rows(dataset), dataset.hard_labels)


def _distilled_fit_and_score(
    final, dataset, X_held, y_held, scorer, seed, error_score, progress
):
    """First stage of one candidate: train on the distilled set, score on the
    held-out real rows. A failure gives ``error_score`` and its traceback, or
    raises with ``error_score="raise"``."""
    index, n_candidates, verbose = progress
    start = time.perf_counter()
    result = {"score": np.nan, "fit_time": np.nan, "score_time": np.nan}
    try:
        _fit_on_distilled(final, dataset, seed)
        result["fit_time"] = time.perf_counter() - start
        start = time.perf_counter()
        result["score"] = float(scorer(final, X_held, y_held))
        result["score_time"] = time.perf_counter() - start
    except Exception:
        if error_score == "raise":
            raise
        result["score"] = float(error_score)
        result["error"] = traceback.format_exc()
    if verbose > 1:
        print(
            f"[distilled {index + 1}/{n_candidates}] score={result['score']:.3f} "
            f"fit_time={result['fit_time']:.2f}s"
        )
    return result


def _raise_or_warn_about_failures(results):
    """scikit-learn's rule: a few failed fits warn, all failed raise."""
    errors = [r["error"] for r in results if "error" in r]
    if not errors:
        return
    summary = "\n".join(
        f"{count} fit(s) failed with the following error:\n{error}"
        for error, count in Counter(errors).items()
    )
    if len(errors) == len(results):
        raise ValueError(
            f"All the {len(results)} candidates failed to train on the distilled "
            "set. It is very likely that the grid holds values the estimator "
            "refuses.\nBelow are more details about the failures:\n" + summary
        )
    warnings.warn(
        f"{len(errors)} of the {len(results)} candidates failed to train on the "
        "distilled set; their distilled score is error_score.\nBelow are more "
        "details about the failures:\n" + summary,
        FitFailedWarning,
        stacklevel=3,
    )


def _order_of_scores(scores):
    """Candidate indices from the best score to the worst (NaN last); ties
    keep the order of the grid."""
    return np.lexsort(
        (np.arange(len(scores)), np.isnan(scores), -np.nan_to_num(scores))
    )


def _rank(scores):
    """scikit-learn's ranking: 1 is best, ties share the smallest rank, NaN
    scores share the rank after the last finite one."""
    scores = np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).all():
        return np.ones(len(scores), dtype=np.int32)
    filled = np.where(np.isnan(scores), np.nanmin(scores) - 1, scores)
    return rankdata(-filled, method="min").astype(np.int32)


class _BaseDistilledSearch(DocLinkMixin, BaseSearchCV):
    """The two-stage search; subclasses give the candidates."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "distiller": [None, HasMethods(["fit"]), DistilledDataset],
        "n_confirm": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "error_score": [StrOptions({"raise"}), Real],
    }

    def _candidates(self, seed):
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The distillers learn from dense rows.
        tags.input_tags.sparse = False
        return tags

    @_fit_context(
        # The estimator's and the distiller's parameters are validated when
        # they are fitted.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Distill the training rows, rank every candidate on the distilled
        set, confirm the best by cross-validation and refit the winner.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted search.
        """
        if not is_classifier(self.estimator):
            raise ValueError(
                f"{type(self).__name__} searches classifiers (the distilled set "
                "is learned for class labels); got "
                f"{type(self.estimator).__name__}."
            )
        X, y = indexable(X, y)
        check_classification_targets(y)
        rng = check_local_random_state(self.random_state)
        grid_seed, distiller_seed, fit_seed = rng.randint(
            np.iinfo(np.int32).max, size=3
        )
        candidates = self._candidates(grid_seed)
        if not candidates:
            raise ValueError(
                "No fits were performed: the grid has no candidates. Was the "
                "grid empty?"
            )
        _check_grid_targets_final_step(self.estimator, candidates)
        # The parameters are cloned too: a grid of estimators (a pipeline's
        # final step) is never fitted in place.
        finals = [
            _final_step(clone(self.estimator).set_params(**clone(params, safe=False)))
            for params in candidates
        ]
        n_candidates = len(candidates)
        cv = check_cv(self.cv, y, classifier=True)
        scorer = check_scoring(self.estimator, self.scoring)

        # -- first stage: distill once, train every candidate on the set ------
        train, held_out = next(iter(cv.split(X, y)))
        X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
        X_held, y_held = _safe_indexing(X, held_out), _safe_indexing(y, held_out)
        if self.verbose > 0:
            print(
                f"Distilling {len(train)} training rows (the first split of cv); "
                f"{n_candidates} candidates will be scored on the other "
                f"{len(held_out)} rows"
            )
        start = time.perf_counter()
        X_train, X_held = self._preprocess(X_train, y_train, X_held)
        self.distiller_ = self._fit_distiller(
            X_train, y_train, candidates, int(distiller_seed)
        )
        self.distilled_ = distilled_dataset_of(self.distiller_)
        self._check_distilled_set(X_train)
        self.distillation_time_ = time.perf_counter() - start
        if self.verbose > 0:
            print(
                f"Distilled into {self.distilled_.n_rows} rows in "
                f"{self.distillation_time_:.1f}s; training {n_candidates} "
                "candidates on them"
            )
        first = Parallel(n_jobs=self.n_jobs)(
            delayed(_distilled_fit_and_score)(
                final,
                self.distilled_,
                X_held,
                y_held,
                scorer,
                int(fit_seed),
                self.error_score,
                (i, n_candidates, self.verbose),
            )
            for i, final in enumerate(finals)
        )
        _raise_or_warn_about_failures(first)
        distilled_scores = np.array([r["score"] for r in first])

        # -- second stage: cross-validate the best, refit the winner ----------
        n_confirm = (
            auto_n_confirm(n_candidates)
            if self.n_confirm == "auto"
            else min(self.n_confirm, n_candidates)
        )
        # A candidate that failed (NaN score) is never confirmed.
        n_confirm = min(n_confirm, int(np.isfinite(distilled_scores).sum()))
        confirmed = np.sort(_order_of_scores(distilled_scores)[:n_confirm])
        if self.verbose > 0:
            print(f"Confirming the best {n_confirm} candidates by cross-validation")
        search = GridSearchCV(
            self.estimator,
            [
                {name: [value] for name, value in candidates[i].items()}
                for i in confirmed
            ],
            scoring=self.scoring,
            n_jobs=self.n_jobs,
            refit=self.refit,
            cv=cv,
            verbose=self.verbose,
            error_score=self.error_score,
            return_train_score=False,
        ).fit(X, y)

        self.cv_results_ = self._results(candidates, first, confirmed, search)
        self.best_index_ = int(confirmed[search.best_index_])
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(search.best_score_)
        self.scorer_ = search.scorer_
        self.n_splits_ = search.n_splits_
        self.multimetric_ = False
        if self.refit:
            self.best_estimator_ = search.best_estimator_
            self.refit_time_ = search.refit_time_
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _preprocess(self, X_train, y_train, X_held):
        """A pipeline's earlier steps, fitted on the distillation rows: the
        distiller sees the rows they make, and so do the held-out rows."""
        if not isinstance(self.estimator, Pipeline) or len(self.estimator) == 1:
            return X_train, X_held
        preprocessing = clone(self.estimator[:-1])
        X_train = preprocessing.fit_transform(X_train, y_train)
        return X_train, preprocessing.transform(X_held)

    def _fit_distiller(self, X_train, y_train, candidates, seed):
        """The fitted distiller (or the given dataset, or frozen distiller)."""
        if isinstance(self.distiller, (DistilledDataset, FrozenEstimator)):
            return self.distiller
        if self.distiller is None:
            distiller = distiller_for_search(self.estimator, candidates)
        else:
            distiller = clone(self.distiller)
        params = distiller.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            distiller.set_params(random_state=seed)
        if self.verbose > 2 and "verbose" in params:
            distiller.set_params(verbose=1)
        return distiller.fit(X_train, y_train)

    def _check_distilled_set(self, X_train):
        n_features = X_train.shape[1] if hasattr(X_train, "shape") else len(X_train[0])
        if self.distilled_.n_features != n_features:
            raise ValueError(
                f"The distilled set has {self.distilled_.n_features} features, "
                f"but the rows it must stand for have {n_features}"
                + (
                    " (after the pipeline's preprocessing)"
                    if isinstance(self.estimator, Pipeline)
                    else ""
                )
                + ": the distiller was fitted on other data."
            )

    def _results(self, candidates, first, confirmed, search):
        """``cv_results_``: every candidate, NaN where not confirmed."""
        n = len(candidates)
        inner = search.cv_results_
        results = {}

        def spread(values, dtype=np.float64, fill=np.nan):
            array = np.full(n, fill, dtype=dtype)
            array[confirmed] = values
            return array

        for key in ("fit_time", "score_time"):
            for stat in ("mean", "std"):
                results[f"{stat}_{key}"] = spread(inner[f"{stat}_{key}"])
        # param_<name>: masked where a candidate lacks the parameter.
        results.update(_yield_masked_array_for_each_param(candidates))
        results["params"] = list(candidates)
        results["mean_distilled_score"] = np.array([r["score"] for r in first])
        results["rank_distilled_score"] = _rank(results["mean_distilled_score"])
        results["distilled_fit_time"] = np.array([r["fit_time"] for r in first])
        results["confirmed"] = spread(True, dtype=bool, fill=False)
        for k in range(search.n_splits_):
            results[f"split{k}_test_score"] = spread(inner[f"split{k}_test_score"])
        results["mean_test_score"] = spread(inner["mean_test_score"])
        results["std_test_score"] = spread(inner["std_test_score"])
        results["rank_test_score"] = _rank(results["mean_test_score"])
        return results


_CLASS_DOC = """

    The search runs in two stages:

    1. **First stage, on a distilled set.** The rows of the first split of
       ``cv`` are distilled once into a small synthetic training set (a
       pipeline's earlier steps are fitted on those rows first, and the
       distiller sees the rows they make). Every candidate is trained on that
       set and scored on the split's held-out real rows -- never on synthetic
       ones: this is ``mean_distilled_score``.
    2. **Second stage, on the real rows.** The best ``n_confirm`` candidates of
       the first stage are cross-validated as :class:`GridSearchCV` would
       (``cv``, ``scoring``), on all the rows; the best of them is the pick,
       refitted on all the rows when ``refit=True``.

    The first stage costs one distillation and ``n_candidates`` trainings on a
    few dozen to a few hundred rows; the second, ``n_confirm * n_splits``
    ordinary fits instead of the ``n_candidates * n_splits`` of a grid search.

    Read more in the :ref:`User Guide <model_selection>`.
"""


class DistilledSearchCV(_BaseDistilledSearch):
    """Grid search that ranks candidates on a distilled set and confirms the
    best by cross-validation.
    """

    __doc__ = (
        __doc__.rstrip()
        + _CLASS_DOC
        + """
    Parameters
    ----------
    estimator : classifier or Pipeline ending in one
        The estimator searched. A :class:`DistilledMLPClassifier` (or a pipeline
        ending in one) trains on the distilled set the way it was learned: its
        steps are replayed with its learned learning rates and soft labels. Any
        other classifier is fitted on the distilled rows with hard labels (the
        class of the largest soft label). In the second stage and the refit,
        the estimator is trained on the real rows exactly as given (a
        ``DistilledMLPClassifier`` with ``distiller=None`` trains on them with
        Adam).

    param_grid : dict or list of dicts
        The grid, as in :class:`~sklearn.model_selection.GridSearchCV`. With a
        pipeline, the grid may vary its final step only
        (``"<step>__<parameter>"``).

    distiller : None, estimator, FrozenEstimator or DistilledDataset, \
            default=None
        What makes the distilled set. ``None``: a :class:`DatasetDistiller`
        configured from the grid: its internal networks are every
        ``hidden_layer_sizes`` searched (the estimator's own when the grid does
        not vary it), with ``n_models`` the larger of 3 and their number. A
        distiller (or a
        baseline sampler such as :class:`KMeansSampler`) is cloned and fitted
        on the distillation rows. A :class:`~sklearn.frozen.FrozenEstimator` of
        a fitted distiller, or a :class:`DistilledDataset`, is used as is: it
        should have been made from rows other than the held-out ones, or the
        first stage is scored on rows it was learned from. An unset
        ``random_state`` of the distiller is seeded from ``random_state``.

    n_confirm : "auto" or int, default="auto"
        Candidates of the first stage that are cross-validated on the real
        rows. ``"auto"``: ``ceil(sqrt(n_candidates))`` within ``[3, 10]``
        (all of them when there are fewer): 3 of 9, 5 of 18, 9 of 72, 10 of 100
        or more. ``n_confirm >= n_candidates`` cross-validates every candidate,
        which picks what :class:`~sklearn.model_selection.GridSearchCV` picks.
        Candidates tied in the first stage are taken in the grid's order.

    cv : int, cross-validation generator or iterable, default=5
        The splits of the second stage, as in ``GridSearchCV`` (an int is a
        :class:`~sklearn.model_selection.StratifiedKFold`). Its first split
        also divides the rows of the first stage: the distiller learns from
        its training rows, the candidates are scored on its held-out rows.

    scoring : str, callable or None, default=None
        One metric, as in ``GridSearchCV`` (``None``: the estimator's
        ``score``, accuracy). Both stages use it.

    refit : bool, default=True
        Refit the pick on all the rows (``best_estimator_``), which makes
        ``predict``, ``predict_proba`` and ``score`` available.

    n_jobs : int or None, default=None
        Jobs of joblib for the first-stage trainings and the cross-validation
        fits (``None``: 1, unless in a :func:`joblib.parallel_config` context,
        e.g. the Dask backend).

    random_state : int, RandomState instance or None, default=None
        Seeds what the search adds to a grid search: the distiller (when its
        own ``random_state`` is unset) and the first-stage trainings (an unset
        ``random_state`` of the estimator is set to one seed shared by all
        candidates, so their differences are not those of their random
        numbers). The cross-validation and the refit train the estimator as
        given: fix its own ``random_state`` for a repeatable pick, as with
        ``GridSearchCV``.

    verbose : int, default=0
        Progress: 1 prints the stages, 2 also every first-stage training and
        the cross-validation fits (as ``GridSearchCV``'s ``verbose``), 3 also
        the distiller's progress.

    error_score : "raise" or float, default=np.nan
        The score of a candidate whose training (or scoring) fails, in both
        stages, as in ``GridSearchCV``: ``"raise"`` raises the error; a number
        is the candidate's score and a ``FitFailedWarning`` gives the error.
        A candidate with a NaN first-stage score is never confirmed; when every
        candidate fails in the first stage, the search raises a ValueError.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        One entry per candidate, in the grid's order, laid out as
        ``GridSearchCV``'s: ``params`` and ``param_<name>`` (masked where a
        candidate lacks the parameter); the first stage,
        ``mean_distilled_score`` (the score on the held-out rows of the first
        split of a network trained on the distilled set; NaN when that
        training failed), ``rank_distilled_score`` and ``distilled_fit_time``;
        ``confirmed`` (bool); and the second stage, ``split<k>_test_score``,
        ``mean_test_score``, ``std_test_score``, ``mean_fit_time``,
        ``std_fit_time``, ``mean_score_time`` and ``std_score_time``, NaN where
        the candidate was not confirmed. ``rank_test_score`` ranks the
        confirmed candidates by ``mean_test_score``; the unconfirmed ones
        share the rank after the last confirmed one (scikit-learn's rank of a
        NaN score). Load it in a ``pandas.DataFrame`` to read it.

    best_estimator_ : estimator
        The pick, refitted on all the rows; with ``refit=True`` only.

    best_score_ : float
        The pick's ``mean_test_score`` (cross-validated on the real rows).

    best_params_ : dict
        The pick's parameters.

    best_index_ : int
        The pick's index in ``cv_results_``.

    refit_time_ : float
        Seconds spent refitting the pick; with ``refit=True`` only.

    distiller_ : estimator, FrozenEstimator or DistilledDataset
        The fitted distiller (or the dataset given).

    distilled_ : DistilledDataset
        The distilled set every candidate was trained on in the first stage.

    distillation_time_ : float
        Seconds spent distilling (the pipeline's preprocessing included).

    scorer_ : callable
        The scorer of both stages.

    n_splits_ : int
        Number of cross-validation splits.

    multimetric_ : bool
        False: one metric.

    classes_ : ndarray of shape (n_classes,)
        The classes of ``best_estimator_``.

    n_features_in_ : int
        Number of features seen during ``fit`` (of ``best_estimator_``).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    DistilledRandomizedSearchCV : The same search over sampled candidates.
    sklearn.model_selection.GridSearchCV : Cross-validates every candidate.
    sklearn.model_selection.HalvingGridSearchCV : Successive halving on
        subsamples of the real rows.

    Notes
    -----
    Only parameters that change how a network trains on the distilled set can
    be ranked by the first stage. A :class:`DistilledMLPClassifier` replaying a
    distilled run ignores ``alpha``, ``batch_size``, ``max_iter``, ``tol`` and
    the early-stopping parameters (they act on ordinary data only), and
    ``learning_rate_init`` under the default ``schedule="distilled"``, so candidates
    that differ only in those tie in the first stage; the second stage then
    decides between those that are confirmed.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skdistill import DatasetDistiller, DistilledMLPClassifier
    >>> from skdistill import DistilledSearchCV
    >>> X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    >>> search = DistilledSearchCV(
    ...     DistilledMLPClassifier(max_iter=50, random_state=0),
    ...     {"hidden_layer_sizes": [(), (16,), (32,)]},
    ...     distiller=DatasetDistiller(n_steps=4, n_epochs=2, max_iter=20),
    ...     n_confirm=1, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> int(search.cv_results_["confirmed"].sum())
    1
    >>> search.best_params_ in search.cv_results_["params"]
    True
    """
    )

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        distiller=None,
        n_confirm="auto",
        cv=5,
        scoring=None,
        refit=True,
        n_jobs=None,
        random_state=None,
        verbose=0,
        error_score=np.nan,
    ):
        self.estimator = estimator
        self.param_grid = param_grid
        self.distiller = distiller
        self.n_confirm = n_confirm
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.error_score = error_score

    _parameter_constraints: dict = {
        **_BaseDistilledSearch._parameter_constraints,
        "param_grid": [dict, list],
    }

    def _candidates(self, seed):
        return list(ParameterGrid(self.param_grid))


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

    distiller, n_confirm, cv, scoring, refit, n_jobs, verbose, error_score
        As in :class:`DistilledSearchCV`.

    random_state : int, RandomState instance or None, default=None
        Seeds the draw of the candidates, and what it seeds in
        :class:`DistilledSearchCV`.

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, \
refit_time_, distiller_, distilled_, distillation_time_, scorer_, n_splits_, \
multimetric_, classes_, n_features_in_, feature_names_in_
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
