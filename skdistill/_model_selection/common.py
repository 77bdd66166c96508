"""What both distilled searches share: the two-stage fit (distill the
training rows of the first splits, rank every candidate on the distilled
sets, confirm the best by cross-validation on the real rows), the default
distiller, ``n_confirm="auto"`` and the ``"auto"`` number of splits."""

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

from .._data.dataset import DistilledDataset, distilled_dataset_of
from .._tabular.classifier import DistilledMLPClassifier, fit_alpha_stack
from .._utils import DocLinkMixin, check_local_random_state, seed_if_unset
from .first_stage import (
    N_PILOTS,
    disagreement_pilots,
    pairwise_votes,
    pilot_fit_and_score,
    pilot_rows,
    prototype_weights,
    supports_weighted,
    weighted_fit_and_score,
)
from .prototypes import ClassPrototypes

#: ``n_confirm="auto"``: ``ceil(sqrt(n_candidates) / 2)`` candidates, grown
#: where the first stage scored them on fewer than `_AUTO_SPLIT_ROWS`
#: held-out rows, one fewer where the pilots kept the weighted first stage,
#: at least `_AUTO_CONFIRM_MIN` (or all, when there are fewer), at most
#: `_AUTO_CONFIRM_MAX`.
_AUTO_CONFIRM_MIN = 2
_AUTO_CONFIRM_MAX = 5
#: ``confirm_splits="auto"`` and ``first_stage_splits="auto"``: the first
#: splits of ``cv`` whose held-out rows add up to at least this many rows.
#: ``n_confirm="auto"`` grows where the first stage's held-out rows are fewer.
_AUTO_SPLIT_ROWS = 500
#: ``first_stage_splits="auto"`` takes at most this many splits: every split
#: adds a distillation and a training of every candidate, and on tables of a
#: few hundred rows those cost about as much as the grid search's own fits.
_AUTO_FIRST_STAGE_MAX = 3


def auto_n_confirm(n_candidates, n_held_out=None, pilots_kept_weighted=False):
    """Candidates confirmed by cross-validation with ``n_confirm="auto"``.

    ``ceil(sqrt(n_candidates) / 2)``, multiplied by ``sqrt(500 / n_held_out)``
    and rounded up when the first stage scored the candidates on
    ``n_held_out < 500`` held-out rows, one fewer when
    ``pilots_kept_weighted``, within ``[2, 5]``, and never more than the
    candidates. On 500 held-out rows or more (or ``n_held_out=None``): 2 of
    up to 16 candidates, 3 of 17 to 36, 4 of 37 to 64, 5 of 65 or more. A
    first-stage score on ``h`` rows has a standard error about
    ``sqrt(500 / h)`` times that on 500 rows, so on small tables more
    candidates lie within the first stage's noise of its best: of 18
    candidates, 3 are confirmed after a first stage on 500 held-out rows or
    more, 4 on 282 to 499 rows, 5 on fewer. The confirmation costs
    ``n_confirm * confirm_splits`` ordinary fits, a share
    ``n_confirm / n_candidates`` of a full grid search that shrinks as the
    grid grows.

    Parameters
    ----------
    n_candidates : int
        Candidates of the grid.

    n_held_out : int or None, default=None
        Held-out rows on which the first stage scored every candidate (summed
        over the splits of the first stage); None: as many as 500.

    pilots_kept_weighted : bool, default=False
        Whether the pilots of ``first_stage="auto"`` kept the weighted first
        stage: real trainings then agreed with its ranking better than with
        the plain one's, and on the benchmark's larger tables one fewer
        confirmed cost at most about a tenth of a point.

    Returns
    -------
    n_confirm : int
    """
    n_confirm = math.ceil(math.sqrt(n_candidates) / 2)
    if n_held_out is not None and 0 < n_held_out < _AUTO_SPLIT_ROWS:
        n_confirm = math.ceil(n_confirm * math.sqrt(_AUTO_SPLIT_ROWS / n_held_out))
    n_confirm -= bool(pilots_kept_weighted)
    n_confirm = min(max(n_confirm, _AUTO_CONFIRM_MIN), _AUTO_CONFIRM_MAX)
    return min(n_confirm, n_candidates)


def auto_n_splits(test_sizes, max_splits=None):
    """Splits of ``cv`` used by a stage set to ``"auto"``: the confirmation
    (``confirm_splits="auto"``) and the first stage
    (``first_stage_splits="auto"``, with ``max_splits=3``).

    The fewest first splits whose held-out rows add up to at least
    ``_AUTO_SPLIT_ROWS`` (500) rows; all of them when they hold fewer; never
    more than ``max_splits``. With ``cv=5`` (folds of ``n / 5`` rows): all
    five splits below 625 rows, four from 625, three from 834, two from 1250
    and one from 2500 rows on.

    Parameters
    ----------
    test_sizes : sequence of int
        The number of held-out rows of each split, in ``cv``'s order.

    max_splits : int or None, default=None
        The most splits to take (None: no limit).

    Returns
    -------
    n_splits : int
    """
    reached = np.cumsum(test_sizes) >= _AUTO_SPLIT_ROWS
    n_splits = int(np.argmax(reached)) + 1 if reached.any() else len(test_sizes)
    return n_splits if max_splits is None else min(n_splits, max_splits)


def n_splits_of(setting, test_sizes, max_splits=None):
    """Splits a stage uses: `auto_n_splits` for ``"auto"``, else the
    ``setting`` first splits (all of them when there are fewer)."""
    if setting == "auto":
        return auto_n_splits(test_sizes, max_splits=max_splits)
    return min(setting, len(test_sizes))


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
    seed_if_unset(final, seed)
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
        if isinstance(final, DistilledMLPClassifier):
            # The weighted first stage continues this network.
            result["network"] = (final.coefs_, final.intercepts_)
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
        _print_first_stage(index, n_candidates, result)
    return result


def _same_value(a, b):
    if a is b:
        return True
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


def _alpha_stacks(finals, dataset):
    """Groups of candidate indices whose first-stage trainings can run as one
    stack (:func:`fit_alpha_stack`): ``DistilledMLPClassifier`` s that differ
    only in ``alpha``, trained the ordinary way on ``dataset`` (a set without
    a learned schedule), without ``early_stopping`` or ``warm_start``, seeded
    by an int (or unseeded: the search seeds them all alike). Every other
    candidate is a group of its own."""
    if getattr(dataset, "lr_schedule", None) is not None:
        return [[i] for i in range(len(finals))]
    groups, keys = [], []
    for i, final in enumerate(finals):
        params = final.get_params(deep=False)
        if (
            type(final) is not DistilledMLPClassifier
            or params["early_stopping"] is not False
            or params["warm_start"] is not False
            # A shared RandomState would start each candidate's own training
            # from other random numbers than the stack's one start.
            or not (
                params["random_state"] is None
                or isinstance(params["random_state"], Integral)
            )
        ):
            groups.append([i])
            keys.append(None)
            continue
        rest = {k: v for k, v in params.items() if k != "alpha"}
        for group, key in zip(groups, keys):
            if key is not None and key.keys() == rest.keys():
                if all(_same_value(key[k], rest[k]) for k in rest):
                    group.append(i)
                    break
        else:
            groups.append([i])
            keys.append(rest)
    return groups


def _distilled_stack_fit_and_score(
    finals, dataset, X_held, y_held, scorer, seed, error_score, progress
):
    """First stage of candidates that differ only in ``alpha``: one batched
    training (the same networks as their own trainings, see
    :func:`fit_alpha_stack`), each network scored on the held-out rows. Each
    result's ``fit_time`` is its share of the stack's. Should the stack fail
    (a value refused, a network diverging), the candidates are trained one by
    one, so that each failure is its own candidate's."""
    indices, n_candidates, verbose = progress
    if len(finals) > 1:
        final = seed_if_unset(clone(finals[0]), seed).set_params(distiller=dataset)
        start = time.perf_counter()
        try:
            models = fit_alpha_stack(final, [f.alpha for f in finals])
            fit_time = (time.perf_counter() - start) / len(finals)
            results = []
            for model in models:
                start = time.perf_counter()
                score = float(scorer(model, X_held, y_held))
                results.append(
                    {
                        "score": score,
                        "fit_time": fit_time,
                        "score_time": time.perf_counter() - start,
                        "network": (model.coefs_, model.intercepts_),
                    }
                )
        except Exception:
            results = None
        if results is not None:
            if verbose > 1:
                for index, result in zip(indices, results):
                    _print_first_stage(index, n_candidates, result)
            return results
    return [
        _distilled_fit_and_score(
            final,
            dataset,
            X_held,
            y_held,
            scorer,
            seed,
            error_score,
            (index, n_candidates, verbose),
        )
        for index, final in zip(indices, finals)
    ]


def _print_first_stage(index, n_candidates, result):
    print(
        f"[distilled {index + 1}/{n_candidates}] score={result['score']:.3f} "
        f"fit_time={result['fit_time']:.2f}s"
    )


def _raise_or_warn_about_failures(results, n_splits=1):
    """scikit-learn's rule: a few failed fits warn, all failed raise.

    ``results`` holds the first-stage fits of every candidate on each of
    ``n_splits`` splits, split after split."""
    errors = [r["error"] for r in results if "error" in r]
    if not errors:
        return
    summary = "\n".join(
        f"{count} fit(s) failed with the following error:\n{error}"
        for error, count in Counter(errors).items()
    )
    n_candidates = len(results) // n_splits
    if n_splits == 1:
        what = "candidates"
        where = "the distilled set"
    else:
        what = "first-stage fits"
        where = f"the distilled sets of {n_splits} splits ({n_candidates} candidates)"
    if len(errors) == len(results):
        raise ValueError(
            f"All the {len(results)} {what} failed to train on {where}. It is "
            "very likely that the grid holds values the estimator refuses."
            "\nBelow are more details about the failures:\n" + summary
        )
    warnings.warn(
        f"{len(errors)} of the {len(results)} {what} failed to train on "
        f"{where}; their distilled score is error_score (a candidate's mean "
        "over the splits is NaN when one of its fits failed and error_score "
        "is NaN).\nBelow are more details about the failures:\n" + summary,
        FitFailedWarning,
        stacklevel=3,
    )


def _warn_about_weighted_failures(failures, n_fits, kept):
    """Trainings that failed in the weighted first stage only; ``kept``:
    whether its scores are the first stage's."""
    summary = "\n".join(
        f"{count} fit(s) failed with the following error:\n{error}"
        for error, count in Counter(r["error"] for r in failures).items()
    )
    outcome = (
        "their distilled score is error_score"
        if kept
        else "the plain first stage's scores are kept"
    )
    warnings.warn(
        f"{len(failures)} of the {n_fits} trainings of the weighted first "
        f"stage failed (they had trained in the plain one); {outcome}."
        "\nBelow are more details about the failures:\n" + summary,
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
        "confirm_splits": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "first_stage_splits": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "first_stage": [StrOptions({"auto", "plain", "weighted"})],
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

        # The splits are drawn once: the first stage and the confirmation use
        # the same ones, even from a cv that shuffles without a seed.
        splits = list(cv.split(X, y))

        # -- first stage: distill each first split, train every candidate ----
        test_sizes = [len(test) for _, test in splits]
        n_first = n_splits_of(
            self.first_stage_splits, test_sizes, max_splits=_AUTO_FIRST_STAGE_MAX
        )
        if self.verbose > 0:
            print(
                f"Distilling {len(splits[0][0])} training rows (the first split "
                f"of cv); {n_candidates} candidates will be scored on the other "
                f"{test_sizes[0]} rows"
                if n_first == 1
                else f"Distilling the training rows of each of the first "
                f"{n_first} splits of cv; {n_candidates} candidates will be "
                f"scored on their {sum(test_sizes[:n_first])} held-out rows"
            )
        datasets, held, rows = [], [], []
        self.distillation_time_ = 0.0
        for k, (train, held_out) in enumerate(splits[:n_first]):
            X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
            X_held = _safe_indexing(X, held_out)
            y_held = _safe_indexing(y, held_out)
            start = time.perf_counter()
            X_train, X_held = self._preprocess(X_train, y_train, X_held)
            distiller = self._fit_distiller(X_train, y_train, int(distiller_seed))
            dataset = distilled_dataset_of(distiller)
            self._check_distilled_set(dataset, X_train)
            self.distillation_time_ += time.perf_counter() - start
            if k == 0:
                self.distiller_, self.distilled_ = distiller, dataset
            datasets.append(dataset)
            held.append((X_held, y_held))
            rows.append((X_train, y_train))
        if self.verbose > 0:
            print(
                f"Distilled into {self.distilled_.n_rows} rows (the first split) "
                f"in {self.distillation_time_:.1f}s; training {n_candidates} "
                f"candidates on each of the {n_first} sets"
            )
        # Every candidate is trained afresh on each split's set (a clone of
        # its unfitted final step, made before any is fitted), with the same
        # seed; candidates that differ only in alpha train as one stack, which
        # gives the same networks at a fraction of the per-step overhead.
        unfitted = [clone(f) for f in finals]
        per_split = [finals] + [[clone(f) for f in finals] for _ in range(n_first - 1)]
        jobs = [
            (k, group)
            for k in range(n_first)
            for group in _alpha_stacks(per_split[k], datasets[k])
        ]
        stacked = Parallel(n_jobs=self.n_jobs)(
            delayed(_distilled_stack_fit_and_score)(
                [per_split[k][i] for i in group],
                datasets[k],
                *held[k],
                scorer,
                int(fit_seed),
                self.error_score,
                (group, n_candidates, self.verbose),
            )
            for k, group in jobs
        )
        first = [None] * (n_first * n_candidates)
        for (k, group), results in zip(jobs, stacked):
            for i, result in zip(group, results):
                first[k * n_candidates + i] = result
        _raise_or_warn_about_failures(first, n_first)
        # scores[k, i]: candidate i on split k. A candidate that failed on one
        # split has a NaN mean (with error_score=NaN).
        first = [
            first[k * n_candidates : (k + 1) * n_candidates] for k in range(n_first)
        ]
        first = self._choose_first_stage(
            unfitted, first, datasets, rows, held, scorer, int(fit_seed), n_first
        )
        for results in first:
            for result in results:
                result.pop("network", None)
        split_scores = np.array([[r["score"] for r in rs] for rs in first])
        distilled_scores = split_scores.mean(axis=0)
        if not np.isfinite(distilled_scores).any():
            raise ValueError(
                f"Every one of the {n_candidates} candidates has a NaN first-stage "
                f"score: each failed to train (or score) on the distilled set of "
                f"at least one of the {n_first} splits of the first stage, so none "
                "can be confirmed. See the FitFailedWarning above; use fewer "
                "first_stage_splits, or a number as error_score."
            )

        # -- second stage: cross-validate the best, refit the winner ----------
        n_confirm = (
            auto_n_confirm(
                n_candidates,
                sum(test_sizes[:n_first]),
                pilots_kept_weighted=self.first_stage_votes_ is not None
                and self.first_stage_ == "weighted",
            )
            if self.n_confirm == "auto"
            else min(self.n_confirm, n_candidates)
        )
        # A candidate that failed (NaN score) is never confirmed.
        n_confirm = min(n_confirm, int(np.isfinite(distilled_scores).sum()))
        confirmed = np.sort(_order_of_scores(distilled_scores)[:n_confirm])
        n_splits = n_splits_of(self.confirm_splits, test_sizes)
        if self.verbose > 0:
            print(
                f"Confirming the best {n_confirm} candidates by cross-validation "
                f"on {n_splits} of the {len(splits)} splits "
                f"({sum(len(test) for _, test in splits[:n_splits])} held-out rows)"
            )
        search = GridSearchCV(
            self.estimator,
            [
                {name: [value] for name, value in candidates[i].items()}
                for i in confirmed
            ],
            scoring=self.scoring,
            n_jobs=self.n_jobs,
            refit=self.refit,
            cv=splits[:n_splits],
            verbose=self.verbose,
            error_score=self.error_score,
            return_train_score=False,
        ).fit(X, y)

        self.cv_results_ = self._results(candidates, first, confirmed, search)
        self.n_first_stage_splits_ = n_first
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

    def _first_stage_kind(self, finals, n_first):
        """The first stage to run: ``"plain"``, ``"weighted"``, or ``"auto"``
        where pilots choose (a first stage of one split, and a grid of at
        least twice as many candidates as the pilots)."""
        if self.first_stage == "plain" or not supports_weighted(finals, self.distiller):
            return "plain"
        if self.first_stage == "weighted":
            return "weighted"
        if n_first == 1 and len(finals) >= 2 * N_PILOTS:
            return "auto"
        return "plain"

    def _choose_first_stage(
        self, finals, first, datasets, rows, held, scorer, seed, n_first
    ):
        """The first stage's results per split: the plain ones, or the
        weighted first stage's (see ``first_stage``), chosen by pilots with
        ``"auto"``."""
        self.first_stage_ = "plain"
        self.first_stage_votes_ = None
        kind = self._first_stage_kind(finals, n_first)
        if kind == "plain":
            return first
        # With "auto" the weighted stage is optional: its failures leave the
        # choice to the plain one rather than abort the search.
        error_score = np.nan if kind == "auto" else self.error_score
        weighted = self._weighted_first_stage(
            finals, first, datasets, rows, held, scorer, seed, error_score
        )
        new_failures = [
            w
            for ws, ps in zip(weighted, first)
            for w, p in zip(ws, ps)
            if "error" in w and "error" not in p
        ]
        n_trained = sum("error" not in p for ps in first for p in ps)
        if kind == "auto":
            if new_failures:
                # A candidate that trained in the plain stage would lose its
                # score: the pilots do not get to choose such a stage.
                _warn_about_weighted_failures(new_failures, n_trained, kept=False)
                return first
            if not self._pilot_votes(finals, first, weighted, rows, held, scorer, seed):
                return first
        elif new_failures:
            if len(new_failures) == n_trained:
                raise ValueError(
                    f"All the {n_trained} trainings of the weighted first stage "
                    "failed (they had trained in the plain one). Use "
                    'first_stage="plain". The first error:\n' + new_failures[0]["error"]
                )
            _warn_about_weighted_failures(new_failures, n_trained, kept=True)
        self.first_stage_ = "weighted"
        return weighted

    def _weighted_first_stage(
        self, finals, first, datasets, rows, held, scorer, seed, error_score
    ):
        """Every candidate's results in the weighted first stage, per split; a
        candidate that failed in the plain one keeps that failure."""
        weighted = []
        for k, dataset in enumerate(datasets):
            trained = [i for i, result in enumerate(first[k]) if "error" not in result]
            weights = prototype_weights(dataset, *rows[k])
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(weighted_fit_and_score)(
                    [finals[trained[j]] for j in group],
                    [trained[j] for j in group],
                    [first[k][trained[j]].get("network") for j in group],
                    dataset,
                    weights,
                    rows[k],
                    held[k],
                    scorer,
                    seed,
                    error_score,
                )
                for group in _alpha_stacks([finals[i] for i in trained], None)
            )
            scores = list(first[k])
            for result in (r for rs in results for r in rs):
                index = result.pop("index")
                scores[index] = {**first[k][index], **result}
            weighted.append(scores)
        return weighted

    def _pilot_votes(self, finals, first, weighted, rows, held, scorer, seed):
        """Whether the pilots side with the weighted first stage: at least
        `N_PILOTS` real trainings, on a share of the first split's rows, of
        the candidates on which the two first stages disagree most; the
        stage that orders more pairs of them as they do wins (a tie:
        plain). Sets ``first_stage_votes_``."""
        plain_scores = np.array([r["score"] for r in first[0]])
        weighted_scores = np.array([r["score"] for r in weighted[0]])
        # Candidates that failed in the plain stage are neither pilots nor
        # in a pilot's stack.
        trained = np.array(
            [i for i, r in enumerate(first[0]) if "error" not in r], dtype=int
        )
        chosen = disagreement_pilots(
            plain_scores[trained],
            weighted_scores[trained],
            N_PILOTS,
            _alpha_stacks([finals[i] for i in trained], None),
        )
        pilots = trained[chosen]
        pilot_finals = [finals[i] for i in pilots]
        rows_pilot = pilot_rows(*rows[0], seed)
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(pilot_fit_and_score)(
                [pilot_finals[j] for j in group],
                [int(pilots[j]) for j in group],
                rows_pilot,
                held[0],
                scorer,
                seed,
            )
            for group in _alpha_stacks(pilot_finals, None)
        )
        real = {r["index"]: r["score"] for rs in results for r in rs}
        votes = pairwise_votes(
            [real[i] for i in pilots], plain_scores[pilots], weighted_scores[pilots]
        )
        self.first_stage_votes_ = {"plain": int(votes[0]), "weighted": int(votes[1])}
        if self.verbose > 0:
            print(
                f"{len(pilots)} pilot trainings on a share of the rows order "
                f"{votes[0]} pairs as the plain first stage does and "
                f"{votes[1]} as the weighted one does"
            )
        return bool(votes[1] > votes[0])

    def _preprocess(self, X_train, y_train, X_held):
        """A pipeline's earlier steps, fitted on the distillation rows: the
        distiller sees the rows they make, and so do the held-out rows."""
        if not isinstance(self.estimator, Pipeline) or len(self.estimator) == 1:
            return X_train, X_held
        preprocessing = clone(self.estimator[:-1])
        X_train = preprocessing.fit_transform(X_train, y_train)
        return X_train, preprocessing.transform(X_held)

    def _fit_distiller(self, X_train, y_train, seed):
        """The fitted distiller (or the given dataset, or frozen distiller)."""
        if isinstance(self.distiller, (DistilledDataset, FrozenEstimator)):
            return self.distiller
        if self.distiller is None:
            distiller = ClassPrototypes()
        else:
            distiller = clone(self.distiller)
        seed_if_unset(distiller, seed)
        if self.verbose > 2 and "verbose" in distiller.get_params(deep=False):
            distiller.set_params(verbose=1)
        return distiller.fit(X_train, y_train)

    def _check_distilled_set(self, dataset, X_train):
        n_features = X_train.shape[1] if hasattr(X_train, "shape") else len(X_train[0])
        if dataset.n_features != n_features:
            raise ValueError(
                f"The distilled set has {dataset.n_features} features, "
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
        # first[k][i]: candidate i on the k-th split of the first stage.
        scores = np.array([[r["score"] for r in rs] for rs in first])
        for k in range(len(first)):
            results[f"split{k}_distilled_score"] = scores[k]
        results["mean_distilled_score"] = scores.mean(axis=0)
        results["std_distilled_score"] = scores.std(axis=0)
        results["rank_distilled_score"] = _rank(results["mean_distilled_score"])
        results["distilled_fit_time"] = np.array(
            [[r["fit_time"] for r in rs] for rs in first]
        ).mean(axis=0)
        results["confirmed"] = spread(True, dtype=bool, fill=False)
        results["n_confirm_splits"] = spread(search.n_splits_, dtype=np.int64, fill=0)
        for k in range(search.n_splits_):
            results[f"split{k}_test_score"] = spread(inner[f"split{k}_test_score"])
        results["mean_test_score"] = spread(inner["mean_test_score"])
        results["std_test_score"] = spread(inner["std_test_score"])
        results["rank_test_score"] = _rank(results["mean_test_score"])
        return results


_CLASS_DOC = """

    The search runs in two stages:

    1. **First stage, on a small set.** The training rows of the first split
       of ``cv`` are summarised into a small training set: by default k-means
       prototypes of every class, or the set of a distiller (a pipeline's
       earlier steps are fitted on those rows first, and the distiller sees
       the rows they make). Every candidate is trained on that set and scored
       on the split's held-out real rows -- never on synthetic ones. With
       ``first_stage_splits`` greater than one, the same is done on each of the
       first splits, and the scores are averaged: this is
       ``mean_distilled_score``.
    2. **Second stage, on the real rows.** The best ``n_confirm`` candidates of
       the first stage are cross-validated as :class:`GridSearchCV` would
       (``scoring``), on the first ``confirm_splits`` splits of ``cv`` (by
       default the fewest whose held-out rows reach 500 rows, all of them on
       small tables); the best of them is the pick, refitted on all the rows
       when ``refit=True``.

    The first stage costs one distillation per split (for the default
    prototypes, one k-means per class) and ``n_candidates`` trainings per
    split on a few dozen to a few hundred rows; the second,
    ``n_confirm * confirm_splits`` ordinary fits instead of the
    ``n_candidates * n_splits`` of a grid search.

    Read more in the :ref:`User Guide <model_selection>`.
"""
