"""The search's first stage on the prototypes: trained as on ordinary rows
(``"plain"``), or weighted and trained as the rows would train the networks
(``"weighted"``), and the choice between the two by a few real trainings
(``"auto"``)."""

import time
import traceback
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances_argmin
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing

from .._tabular.classifier import DistilledMLPClassifier, fit_alpha_stack
from .._utils import seed_if_unset, to_numpy

#: ``first_stage="auto"``: the real trainings that choose between the two
#: first stages, each on this share of the split's training rows (stratified),
#: and on at most `PILOT_MAX_ROWS` of them.
N_PILOTS = 8
PILOT_SHARE = 0.25
#: The pilots order candidates; they need not grow with the table. Capped, a
#: quarter of the first split's 5333 training rows on the benchmark's sets of
#: 6666 (1333 rows) became 850: the same choice on one set at seven seeds of
#: eight, the better one at two more seeds on the other, about a second less
#: on each; a quarter of the smaller sets (849 rows and fewer) is untouched.
PILOT_MAX_ROWS = 850


def prototype_weights(dataset, X, y):
    """Every prototype's weight: the training rows of its class whose nearest
    prototype of that class it is, scaled to a mean of 1 (so that ``alpha``
    acts as on unweighted rows). A prototype no row falls to weighs 0."""
    X = np.asarray(X, dtype=np.float64)
    labels = dataset.hard_labels
    y = np.asarray(y)
    counts = np.zeros(len(labels))
    for c in np.unique(labels):
        own = np.flatnonzero(labels == c)
        rows = X[y == c]
        if len(rows):
            nearest = pairwise_distances_argmin(rows, dataset.X[own])
            np.add.at(counts, own[nearest], 1.0)
    return counts / counts.mean()


def training_factor(final, n_rows, n_prototypes):
    """How many times ``max_iter`` the weighted first stage trains a
    candidate: the fourth root of the ratio of the minibatches of an epoch on
    the rows to those on the prototypes (at least 1). Trained for as many
    Adam steps as on the rows, the networks fit the prototypes rather than
    what the rows teach; a root keeps the long runs' overfitting that orders
    some grids, at a fraction of the steps (continuing the plain stage's
    networks, the fourth root ranked the benchmark's larger sets as the cube
    root did, in about two thirds of the added epochs)."""
    batch_size = final.batch_size
    batch_size = min(200, n_rows) if batch_size == "auto" else int(batch_size)
    ratio = np.ceil(n_rows / batch_size) / np.ceil(n_prototypes / batch_size)
    return max(1.0, float(ratio**0.25))


def refit_output_biases(model, X, y):
    """Move the output biases of ``model`` to those that minimise the
    log-loss of the rows ``(X, y)``, the rest of the network kept: the class
    balance of the rows instead of the prototypes' equal shares."""
    logits = to_numpy(model._logits(X)[0]).astype(np.float64)
    Y = (np.asarray(y)[:, None] == model.classes_[None]).astype(np.float64)

    def loss(shift):
        log_p = log_softmax(logits + shift, axis=1)
        return -(Y * log_p).sum() / len(Y), (np.exp(log_p) - Y).mean(axis=0)

    shift = minimize(loss, np.zeros(Y.shape[1]), jac=True, method="L-BFGS-B").x
    bias = model.intercepts_[-1]
    model.intercepts_[-1] = (bias + shift).astype(bias.dtype)
    return model


def supports_weighted(finals, distiller):
    """Whether the weighted first stage and its pilots apply: the default
    prototypes, and every candidate a ``DistilledMLPClassifier`` that trains
    on the real rows the ordinary way (``distiller=None``)."""
    return distiller is None and all(
        type(f) is DistilledMLPClassifier
        and f.distiller is None
        and not f.early_stopping
        and not f.warm_start
        for f in finals
    )


def _stack_or_one_by_one(scores_of, finals, *per_candidate, raise_errors=False):
    """``scores_of(finals, *per_candidate)`` for a stack of candidates; should
    the stack fail (a value refused, a network diverging), the same for each
    candidate alone, so that each failure is its own candidate's (raised with
    ``raise_errors``). Returns one ``(score, traceback or None, seconds)`` per
    candidate."""
    if len(finals) > 1:
        start = time.perf_counter()
        try:
            scores = scores_of(finals, *per_candidate)
        except Exception:
            scores = None
        if scores is not None:
            seconds = (time.perf_counter() - start) / len(finals)
            return [(score, None, seconds) for score in scores]
    results = []
    for j, final in enumerate(finals):
        start = time.perf_counter()
        try:
            (score,) = scores_of([final], *[[a[j]] for a in per_candidate])
            error = None
        except Exception:
            if raise_errors:
                raise
            score, error = np.nan, traceback.format_exc()
        results.append((score, error, time.perf_counter() - start))
    return results


def weighted_fit_and_score(
    finals, indices, networks, dataset, weights, rows, held, scorer, seed, error_score
):
    """The weighted first stage of candidates that differ only in ``alpha``:
    their plain first stage's ``networks`` (``(coefs_, intercepts_)``, or
    None to start afresh) trained on in one batched stack on the prototypes
    weighted by ``weights`` (`prototype_weights`), up to `training_factor`
    times ``max_iter`` epochs in all, their output biases refitted on the
    training rows ``rows``, scored on ``held``. Should the stack fail, the
    candidates are trained one by one: a failure gives ``error_score`` and
    the traceback, or raises with ``error_score="raise"``. ``fit_time`` is a
    candidate's share of the training, the bias refit and the scoring."""

    def scores_of(stack, stack_networks):
        return _weighted_scores(
            stack, stack_networks, dataset, weights, rows, held, scorer, seed
        )

    scored = _stack_or_one_by_one(
        scores_of, finals, networks, raise_errors=error_score == "raise"
    )
    results = []
    for index, (score, error, seconds) in zip(indices, scored, strict=True):
        result = {"index": index, "score": score, "fit_time": seconds}
        if error is not None:
            result.update(score=float(error_score), error=error)
        results.append(result)
    return results


def _weighted_scores(finals, networks, dataset, weights, rows, held, scorer, seed):
    X_train, y_train = rows
    final = seed_if_unset(clone(finals[0]), seed).set_params(distiller=None)
    factor = training_factor(final, len(y_train), dataset.n_rows)
    initial = None
    if all(network is not None for network in networks):
        # The plain stage's max_iter epochs are the first ones of the
        # weighted run: it trains on from there, on the weighted prototypes.
        initial = _stacked_networks(networks)
        factor -= 1
    final.set_params(max_iter=max(1, int(final.max_iter * factor)))
    X_proto, y_proto = _prototype_rows(dataset, X_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = fit_alpha_stack(
            final,
            [f.alpha for f in finals],
            X_proto,
            y_proto,
            weights,
            initial=initial,
        )
    return [
        float(scorer(refit_output_biases(m, X_train, y_train), *held)) for m in models
    ]


def _stacked_networks(networks):
    """``[(coefs_, intercepts_), ...]`` of fitted networks as the stacked
    parameters ``[W_1, b_1, ...]`` of `fit_alpha_stack`'s ``initial``."""
    stacked = []
    for layer in range(len(networks[0][0])):
        stacked.append(np.stack([coefs[layer] for coefs, _ in networks]))
        stacked.append(np.stack([biases[layer][None] for _, biases in networks]))
    return stacked


def _prototype_rows(dataset, X_train):
    """The prototypes as ordinary rows, as a DataFrame when the training rows
    are one (the held-out rows are then scored with the same columns)."""
    if hasattr(X_train, "columns"):
        import pandas as pd

        return pd.DataFrame(dataset.X, columns=X_train.columns), dataset.hard_labels
    return dataset.X, dataset.hard_labels


def pilot_rows(X_train, y_train, seed):
    """The pilots' training rows: a stratified `PILOT_SHARE` of the split's
    rows, and every row of a class too small for that share to hold two of
    them (so that no class is missing from the pilots' training). Where those
    would be more than `PILOT_MAX_ROWS` rows, the stratified sample shrinks so
    that they are `PILOT_MAX_ROWS`, and a class that a share of that size
    would give fewer than two rows brings two."""
    y = np.asarray(y_train)
    classes, counts = np.unique(y, return_counts=True)
    small = np.isin(y, classes[counts * PILOT_SHARE < 2])
    common = np.flatnonzero(~small)
    kept = [np.flatnonzero(small)]
    if len(common):
        # At least one row per class of the common ones, as stratify needs.
        n_classes = len(np.unique(y[common]))
        train_size = max(PILOT_SHARE, n_classes / len(common))
        n_kept = len(kept[0])
        # train_test_split floors a share of the rows.
        if int(np.floor(train_size * len(common))) + n_kept > PILOT_MAX_ROWS:
            common, train_size, thin = _capped_sample(
                y, common, PILOT_MAX_ROWS - n_kept, seed
            )
            kept.append(thin)
        if len(common):
            sampled, _ = train_test_split(
                common, train_size=train_size, stratify=y[common], random_state=seed
            )
            kept.insert(0, sampled)
    kept = np.concatenate(kept)
    return _safe_indexing(X_train, kept), _safe_indexing(y_train, kept)


def _capped_sample(y, common, n_rows, seed):
    """What the capped pilots take of the rows ``common``: the rows left to
    sample from (stratified), how many to sample, and two rows of each class
    that a stratified sample of ``n_rows`` would give fewer than two (drawn
    at random, outside the stratified sample)."""
    classes, counts = np.unique(y[common], return_counts=True)
    thin_classes = classes[counts * n_rows / len(common) < 2]
    rng = np.random.RandomState(seed)
    thin = [rng.choice(common[y[common] == c], 2, replace=False) for c in thin_classes]
    thin = np.concatenate(thin) if thin else np.array([], dtype=int)
    common = common[~np.isin(y[common], thin_classes)]
    # Capping means a quarter of the rows exceeds n_rows, so every class left
    # has more than 8 rows and the sample leaves rows of each for the split's
    # other side, as stratifying needs.
    n_classes = len(classes) - len(thin_classes)
    return common, max(n_rows - len(thin), n_classes), thin


def pilot_fit_and_score(finals, indices, rows, held, scorer, seed):
    """Real trainings of candidates that differ only in ``alpha`` (one stack),
    as the grid search trains them, on the pilots' rows; scored on ``held``.
    Should the stack fail, the candidates are trained one by one; NaN where a
    training fails (the pilot then takes no part in the votes)."""

    def scores_of(stack):
        return _pilot_scores(stack, rows, held, scorer, seed)

    return [
        {"index": index, "score": score}
        for index, (score, _, _) in zip(
            indices, _stack_or_one_by_one(scores_of, finals), strict=True
        )
    ]


def _pilot_scores(finals, rows, held, scorer, seed):
    final = seed_if_unset(clone(finals[0]), seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = fit_alpha_stack(final, [f.alpha for f in finals], *rows)
    return [float(scorer(m, *held)) for m in models]


def disagreement_pilots(first, second, m, stacks=None):
    """At least ``m`` candidates on which two first stages' rankings disagree
    most, taken in turn from both ends of the rank gap: those ``first`` ranks
    highest relative to ``second``, and the other way round (ties in the
    grid's order). Pairs both order alike cannot tell which is right. With
    ``stacks`` (groups of candidate indices that train as one batched stack,
    see `fit_alpha_stack`), a candidate brings its whole stack: the others
    cost little more, and add pairs to vote on."""
    first = np.nan_to_num(first, nan=-np.inf)
    second = np.nan_to_num(second, nan=-np.inf)
    gap = rankdata(-second) - rankdata(-first)
    order = np.lexsort((np.arange(len(gap)), -gap))
    stack_of = {}
    for group in stacks if stacks is not None else [[i] for i in range(len(gap))]:
        for i in group:
            stack_of[i] = group
    ends = [iter(order), iter(order[::-1])]
    chosen = set()
    turn = 0
    while len(chosen) < min(m, len(gap)):
        for j in ends[turn % 2]:
            if j not in chosen:
                chosen.update(stack_of[int(j)])
                break
        turn += 1
    return np.array(sorted(chosen), dtype=int)


def pairwise_votes(real, *rankings):
    """For each ranking, the pairs of pilots whose real scores differ that it
    orders as the real trainings do (pilots with a NaN score are left out)."""
    real = np.asarray(real, dtype=np.float64)
    votes = np.zeros(len(rankings), dtype=int)
    keep = np.flatnonzero(np.isfinite(real))
    for a_pos, a in enumerate(keep):
        for b in keep[a_pos + 1 :]:
            if real[a] == real[b]:
                continue
            sign = np.sign(real[a] - real[b])
            for k, scores in enumerate(rankings):
                if np.sign(scores[a] - scores[b]) == sign:
                    votes[k] += 1
    return votes
