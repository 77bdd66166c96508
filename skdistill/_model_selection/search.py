"""DistilledSearchCV: a grid search whose first stage trains on a distilled
set, confirmed by ordinary cross-validation on the real rows."""

import numpy as np
from sklearn.model_selection import ParameterGrid

from .common import _CLASS_DOC, _BaseDistilledSearch


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
        What makes the small set of the first stage. ``None``: k-means
        prototypes of the distillation rows, ``5 * sqrt(n)`` of them for
        ``n`` rows (at most half), shared equally by the classes (a class
        with fewer rows keeps them all); every candidate trains on them as on
        ordinary rows. On the benchmark they ranked the candidates better than
        a :class:`DatasetDistiller`'s set, at a fraction of its cost (see the
        User Guide). A distiller (a :class:`DatasetDistiller`, e.g. with
        ``search_space=param_grid``, or a baseline sampler such as
        :class:`KMeansSampler`) is cloned and fitted on the distillation rows.
        A :class:`~sklearn.frozen.FrozenEstimator` of a fitted distiller, or a
        :class:`DistilledDataset`, is used as is: it should have been made
        from rows other than the held-out ones, or the first stage is scored
        on rows it was learned from. An unset ``random_state`` of the
        distiller is seeded from ``random_state``.

    n_confirm : "auto" or int, default="auto"
        Candidates of the first stage that are cross-validated on the real
        rows. ``"auto"``: ``ceil(sqrt(n_candidates) / 2)`` -- 2 of up to 16,
        3 of 17 to 36, 4 of 37 to 64, 5 of 65 or more -- grown where the
        first stage scored the candidates on fewer than 500 held-out rows
        (small tables, where its scores are noisier): multiplied by
        ``sqrt(500 / n_held_out)`` and rounded up, ``n_held_out`` being the
        held-out rows of the first stage's splits; one fewer where the pilots of
        ``first_stage="auto"`` kept the weighted first stage (real trainings
        agreed with its ranking better than with the plain one's); within
        ``[2, 5]``, all of them when there are fewer. With ``cv=5`` and the
        default ``first_stage_splits``, 18 candidates give 5 below 468 rows,
        4 from 468, 3 from 832 rows on, and 2 from 2500 rows on where the
        pilots kept the weighted stage.
        ``n_confirm >= n_candidates`` cross-validates every
        candidate, which picks what
        :class:`~sklearn.model_selection.GridSearchCV` picks. Candidates tied
        in the first stage are taken in the grid's order.

    confirm_splits : "auto" or int, default="auto"
        Splits of ``cv`` on which the confirmed candidates are
        cross-validated: the first ``confirm_splits`` of them, in ``cv``'s
        order (all of them when there are fewer). ``"auto"``: the fewest first
        splits whose held-out rows add up to at least 500 rows (all of them
        when the rows are fewer): with ``cv=5``, all five splits below 625
        rows, two from 1250 and one from 2500 rows on. The confirmation costs
        ``n_confirm * confirm_splits`` ordinary fits; ``best_score_`` and
        ``mean_test_score`` are means over these splits. Every split of
        ``cv`` (e.g. ``confirm_splits=cv``) is what ``GridSearchCV`` does.

    first_stage_splits : "auto" or int, default="auto"
        Splits of ``cv`` on which the first stage runs: the first
        ``first_stage_splits`` of them, in ``cv``'s order (all of them when
        there are fewer). On each, the distiller learns from the split's
        training rows, every candidate is trained on that set and scored on
        the split's held-out rows; ``mean_distilled_score`` is the mean over
        the splits. ``"auto"``: the rule of ``confirm_splits="auto"``, the
        fewest first splits whose held-out rows reach 500 rows, but at most
        three -- with ``cv=5``, three splits below 1250 rows, two from 1250
        and one from 2500 rows on, where the search is that of
        ``first_stage_splits=1``. The first stage costs
        ``first_stage_splits`` distillations and
        ``n_candidates * first_stage_splits`` trainings on the small sets.
        More splits rank the candidates on more held-out rows, which matters
        on small tables (see the User Guide).

    first_stage : {"auto", "plain", "weighted"}, default="auto"
        How the candidates train on the default prototypes
        (``distiller=None``) in the first stage.

        - ``"plain"``: as on ordinary rows, each prototype counting once.
        - ``"weighted"``: as the rows would train them. Each prototype is
          weighted by the training rows of its class whose nearest prototype
          it is; a candidate's network of the plain first stage trains on, on
          the weighted prototypes, for up to ``max_iter`` times the fourth
          root of the ratio of an epoch's minibatches on the rows to those on
          the prototypes, less one (at least one epoch; still stopped by
          ``tol``); its output biases are then refitted to the training rows'
          log-loss (their class balance instead of the prototypes' equal
          shares). It ranks
          grids ordered by how much the large networks overfit, or by the
          class balance, better, and grids of many overlapping classes worse
          (see the User Guide). The plain first stage runs first, and a
          candidate that fails there is not trained again.
        - ``"auto"``: on a first stage of one split (``first_stage_splits``)
          and a grid of at least 16 candidates, both run, and at least 8 real
          trainings choose: the candidates on which the two rankings
          disagree most, each with those that differ from it only in
          ``alpha`` (they train together in one batched stack), trained on
          the real rows as the second stage trains them, but on a stratified
          quarter of the split's training rows and every row of a class of
          fewer than 8 (at most 850 rows in all, unless the classes need
          more: on larger tables a smaller stratified share, and two rows of
          each class that share would give fewer than two; a pipeline's
          earlier steps fitted on all the rows), and scored on its held-out
          rows. The first stage whose scores
          order more pairs of them as they do is kept (a tie keeps
          ``"plain"``); a training that fails in the weighted stage keeps
          the plain one, with a warning. Elsewhere, ``"plain"``.

        ``"weighted"`` and ``"auto"`` apply when every candidate is a
        :class:`DistilledMLPClassifier` (or a pipeline ending in one) that
        trains on real rows the ordinary way (``distiller=None``, no
        ``early_stopping`` or ``warm_start``); otherwise the first stage is
        plain.

    cv : int, cross-validation generator or iterable, default=5
        The splits of both stages, as in ``GridSearchCV`` (an int is a
        :class:`~sklearn.model_selection.StratifiedKFold`). Its first
        ``first_stage_splits`` splits divide the rows of the first stage: the
        distiller learns from their training rows, the candidates are scored
        on their held-out rows.

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
        numbers); the same two seeds serve every split of the first stage.
        The cross-validation and the refit train the estimator as
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
        A candidate with a NaN first-stage score (with several
        ``first_stage_splits``, a NaN on any of them) is never confirmed; when
        no candidate is left to confirm, the search raises a ValueError.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        One entry per candidate, in the grid's order, laid out as
        ``GridSearchCV``'s: ``params`` and ``param_<name>`` (masked where a
        candidate lacks the parameter); the first stage,
        ``split<k>_distilled_score`` (the score on the held-out rows of the
        k-th split of the candidate trained on that split's distilled set;
        ``error_score``, NaN by default, when that training failed),
        ``mean_distilled_score`` and ``std_distilled_score`` over the
        ``n_first_stage_splits_`` splits (a candidate that failed on one split
        has a NaN mean and is never confirmed), ``rank_distilled_score`` and
        ``distilled_fit_time`` (the mean over the splits; candidates that
        differ only in ``alpha`` train as one batched stack, which gives
        each the networks of its own training, and share its seconds
        equally; with the weighted first stage kept, the seconds of its own
        training alone);
        ``confirmed`` (bool) and ``n_confirm_splits`` (on how many splits of
        ``cv`` the candidate was cross-validated, 0 where not confirmed); and
        the second stage, over those splits, ``split<k>_test_score``,
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
        The distiller fitted on the first split (or the dataset given).

    distilled_ : DistilledDataset
        The distilled set of the first split, on which every candidate was
        trained in the first stage (with several ``first_stage_splits``, each
        split has its own set; they are not kept).

    distillation_time_ : float
        Seconds spent distilling, summed over the splits of the first stage
        (the pipeline's preprocessing included).

    n_first_stage_splits_ : int
        Number of splits of ``cv`` the first stage used (see
        ``first_stage_splits``).

    first_stage_ : str
        The first stage whose scores are ``mean_distilled_score``:
        ``"plain"`` or ``"weighted"`` (see ``first_stage``).

    first_stage_votes_ : dict or None
        With ``first_stage="auto"`` where the pilots ran: the pairs of pilots
        each first stage ordered as the real trainings did,
        ``{"plain": int, "weighted": int}``; None elsewhere.

    scorer_ : callable
        The scorer of both stages.

    n_splits_ : int
        Number of splits of ``cv`` the confirmation used (see
        ``confirm_splits``).

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
    Only parameters that change how a network trains on the first stage's
    set can be ranked by it. On the default prototypes a
    :class:`DistilledMLPClassifier` trains as on ordinary rows, and every
    parameter acts. Replaying a :class:`DatasetDistiller`'s set, it ignores
    ``batch_size``, ``max_iter``, ``tol`` and the early-stopping parameters,
    and ``learning_rate_init`` unless the set was distilled with learning
    rates in its ``search_space``; candidates that differ only in those tie
    in the first stage, and the second stage decides between those that are
    confirmed.

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
        self.param_grid = param_grid
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
        "param_grid": [dict, list],
    }

    def _candidates(self, seed):
        return list(ParameterGrid(self.param_grid))
