"""The first stage of DistilledSearchCV alone: how well do variants of it rank
the grid against GridSearchCV(cv=5)'s cross-validated ranking?

The setting is ``bench_distilled_search_cv.py``'s (same sets, test split,
estimator ``Pipeline([StandardScaler(), DistilledMLPClassifier(max_iter=200,
random_state=0)])`` and 18-candidate grid), whose ``--cache`` file holds the
grid search's ``mean_test_score`` of every candidate: run that benchmark with
``--cache`` first (it is the long part); this one only trains candidates on
small sets.

For every set and search seed (``--seeds``), the first split of
``StratifiedKFold(5)`` of the training rows (the search's), standardised on its
training part, and these first stages (``--variants``):

* ``default``: the search's own first stage, ``DistilledSearchCV(...,
  cv=[first split], n_confirm=1)`` (``5 sqrt(n)`` k-means prototypes per class,
  shared equally, hard labels; every candidate trained once with the
  estimator's ``random_state``). The harness rebuilds it and checks that it
  gets the same scores, so the other variants differ from it only where
  named;
* ``inits3``: the same prototypes, every candidate trained from 3
  initialisations (one batched run of ``fit_networks``) and its 3 held-out
  accuracies averaged;
* ``seed1``: the same prototypes, every candidate trained once with the
  estimator's ``random_state=1`` instead of 0: the grid search's networks
  start from seed 0's initialisation as the default first stage's do, so this
  measures how much of the default's agreement comes from that shared start;
* ``logloss``: the default's networks, ranked by their held-out log-loss
  (lowest first) instead of their accuracy: a finer score, with no ties;
* ``ties``: the default's accuracies, ties between them broken by the
  log-loss (the accuracy plus ``1e-6`` times minus the log-loss);
* ``prior``: the default, with every candidate's output biases moved by
  ``log(p_rows / p_prototypes)``, the log-ratio of the classes' shares among
  the training rows and among the (equally shared) prototypes: the
  label-shift correction that gives the networks the rows' class balance;
* ``size10``: ``10 sqrt(n)`` prototypes instead of ``5 sqrt(n)``;
* ``soft``: the same prototypes with soft labels, the class mix of the
  training rows whose nearest prototype each is (its own class counted once
  more);
* ``weighted``: the same prototypes, every candidate trained on them with
  ``sample_weight``: each prototype weighted by the training rows of its
  class whose nearest prototype it is (the weights scaled to a mean of 1, so
  ``alpha`` acts as on unweighted rows), which gives the networks the rows'
  class balance and density. With equal weights this training is the
  default's to the bit (the harness checks it on the first set and seed);
* ``folds5``: prototypes of each of the 5 splits' training rows, every
  candidate trained on each and scored on that split's held-out rows, the 5
  accuracies averaged (five times the cost); ``folds3``: the first 3 splits.

Variants that bring the split's real training rows into the first stage after
the prototypes (the rows are used only to adjust networks trained on the
prototypes; the held-out rows stay the scoring rows):

* ``tune1``, ``tune3``, ``tune10``: the default's networks, each then trained
  on in place for 1, 3 or 10 epochs of Adam on the split's training rows (a
  fresh Adam state; the candidate's own ``alpha``, ``learning_rate_init`` and
  ``batch_size``);
* ``wtune1``, ``wtune3``, ``wtune10``: the same after ``weighted``'s training;
* ``wshare``: ``weighted``, the prototypes shared by the classes in proportion
  to their rows, every class getting at least half an equal share
  (``5 sqrt(n) / (2 * n_classes)``, at most its rows); ``wstune1``,
  ``wstune3``: followed by 1 or 3 epochs on the rows;
* ``wlast``: ``weighted``'s networks with their output layer refitted on the
  training rows (a multinomial logistic regression on the last hidden layer's
  ReLU activations, its L2 penalty the candidate's ``alpha`` as MLPClassifier
  scales it, ``C = min(200, n) / (alpha n)``); the hidden layers kept;
* ``wbias``: ``weighted``'s networks with only their output biases moved to
  those minimising the training rows' log-loss (a learned class-prior
  correction; ``prior`` is the analytic one); ``bias``: the same on the
  default's networks;
* ``steps``: the default trained for as many Adam steps as ``max_iter``
  epochs on the rows would take (``max_iter`` times the rows' minibatches
  per epoch over the prototypes'); ``wsteps``: the same with ``weighted``'s
  weights; ``stepsbias``, ``wstepsbias``: ``steps`` and ``wsteps`` with the
  output biases refitted as ``bias``'s; ``wsqrtbias``: ``wstepsbias`` with
  the square root of that factor of epochs.

A first stage chosen per set by a few real runs ("pilots"):

* ``pilot4``, ``pilot6``: both ``default`` and ``wsqrtbias`` are run; ``m``
  (4 or 6) pilot candidates are those on which the two rankings disagree
  most (half of them with the largest rank of ``wsqrtbias`` over
  ``default``'s, half with the largest the other way round); each pilot is
  trained on the split's training rows as the grid search trains it
  (``max_iter=200``, the estimator's ``random_state``) and scored on the
  split's held-out rows. Over the pairs of pilots whose real scores differ,
  the variant that orders more of them as the real runs do is chosen (a tie:
  ``default``), and its scores of all the candidates are the first stage's
  (the pilots' real scores do not replace them). Its seconds are the two
  variants' and the pilots'. The pilots' real scores are the grid search's
  own scores on the first split (checked against the cache), which enter its
  mean over the five splits: the choice is one bit per set, read from one
  split of the reference;
* ``pilot8q``: the same with 8 pilots, each trained on a stratified quarter
  of the split's training rows (a quarter of a real fit's rows);
* ``pilottop``: ``pilot4``'s choice on other pilots: the best 2 of each
  variant (2 to 4 candidates, trained on all the split's training rows),
  the fits a search that confirms either variant's best on the first split
  makes anyway;
* ``pilot4b``: ``pilot4``, the pilots' real scores then replacing the chosen
  variant's on the pilots, placed in its scale by the pilots' mean and
  spread (measured to say how much the replacement alone adds).

``--time-grid`` also times, per set, one real fit (the candidate of median fit
time in the cache, on the first split's training rows) and prints every
variant's seconds as a share of the grid search's fits estimated from it (that
fit's seconds times the grid search's total fit time over that candidate's,
from the cache): one fit under the machine's load, a rough scale only.

``--ceiling`` also runs ``GridSearchCV(cv=5)`` once more per set with the
estimator's ``random_state=1`` (the cache's is 0) and prints Kendall's tau
between the two cross-validated rankings: how far the grid search's own ranking
reproduces when only the networks' seed changes, the ceiling a first stage can
approach (kept in ``--ceiling-cache``; it costs one grid search per set).

Where the cache keeps the grid search's per-split scores, the row
``GridSearchCV, first split only`` gives Kendall's tau between the grid
search's own scores on the first split alone (full training on its training
rows, scored on its held-out rows, as the first stage is) and its mean over
the five: how well one split can rank when the training is the real one; and,
after the table, how far apart the grid search's scores are against its own
noise (their span, the standard error of a mean over the splits, the tau
between two splits).

``--max-rows N`` subsamples larger sets to ``N`` rows first (stratified, seed
0), as ``bench_distilled_search_cv.py --max-rows`` does (the cache key is then
``name@N``).

Printed per set and seed: Kendall's tau between the variant's scores and the
grid search's ``mean_test_score`` over the 18 candidates, the mean of the
variant's scores over the candidates, and the seconds the variant took
(building the set(s) and training the candidates); then the median and mean
tau over all runs per variant, and per set.

    python benchmarks/bench_first_stage.py --cache ref.json \\
        --sets biopsy,anes96,fishing,fair,classes7 --seeds 0,1,2,3
    python benchmarks/bench_first_stage.py --cache ref_small.json \\
        --sets wine,breast_cancer,crabs,glass --variants default,inits3
    python benchmarks/bench_first_stage.py --cache ref_small.json \\
        --sets wine,crabs --variants default --ceiling --ceiling-cache seed1.json
    python benchmarks/bench_first_stage.py --cache ref.json --max-rows 10000 \\
        --sets fair,moons_noisy,imbalanced,diamonds --variants default,prior,weighted

The summary also gives, per variant, the cv regret of confirming the first
stage's best 1, 2, 3 or 4 candidates (the search's ``n_confirm``), read from the
grid search's scores. ``--summarise a.json,b.json`` prints the summary of
earlier runs' ``--json`` reports together (the sets and variants of several
runs, with the ceilings of a ``--ceiling`` run; with ``--cache``, the regrets
too): the median tau over all runs and over the sets whose cross-validated
ranking reproduces (ceiling >= 0.5).

Everything runs on one thread.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import kendalltau  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    ParameterGrid,
    StratifiedKFold,
    train_test_split,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Report, add_harness_arguments, limited_threads  # noqa: E402
from bench_distilled_search_cv import GRID, estimator, short  # noqa: E402
from suite_datasets import load_suite  # noqa: E402

from skdistill import (  # noqa: E402
    DistilledDataset,
    DistilledMLPClassifier,
    DistilledSearchCV,
)

# The pilots' choice, as the search's first_stage="auto" makes it (for 18
# candidates and 8 pilots without stacks, the pilots of the runs recorded in
# the docs).
from skdistill._model_selection.first_stage import (  # noqa: E402
    disagreement_pilots,
    pairwise_votes,
)
from skdistill._model_selection.prototypes import (  # noqa: E402
    ClassPrototypes,
    auto_n_prototypes,
    cluster_classes,
)
from skdistill._tabular.classifier import fit_networks  # noqa: E402

VARIANTS = (
    "default",
    "inits3",
    "seed1",
    "logloss",
    "ties",
    "prior",
    "size10",
    "soft",
    "folds3",
    "folds5",
    "weighted",
    "steps",
    "wshare",
    "wlast",
    "wbias",
    "bias",
    "wsteps",
    "stepsbias",
    "wstepsbias",
    "wsqrtbias",
    "tune1",
    "tune3",
    "tune10",
    "wtune1",
    "wtune3",
    "wtune10",
    "wstune1",
    "wstune3",
    "pilot4",
    "pilot6",
    "pilot8q",
    "pilot4b",
    "pilottop",
)
N_INITS = 3
#: ``tune<k>``, ``wtune<k>``, ``wstune<k>``: epochs of Adam on the split's
#: training rows after the prototypes.
TUNE_EPOCHS = {v: int(v.split("tune")[1]) for v in VARIANTS if "tune" in v}


def candidates():
    """The grid's final-step parameters, in the search's order."""
    return [
        {name.split("__", 1)[1]: value for name, value in params.items()}
        for params in ParameterGrid(GRID)
    ]


def mlp(params, dataset, seed=0):
    return DistilledMLPClassifier(
        max_iter=200, random_state=seed, distiller=dataset, **params
    )


def prototypes(X, y, seed, n_samples="auto", soft=False):
    """The search's default set, or a variant of it."""
    dataset = ClassPrototypes(n_samples=n_samples, random_state=seed).fit(X, y)
    dataset = dataset.distilled_
    if not soft:
        return dataset
    # The class mix of the rows whose nearest prototype each one is, its own
    # class counted once more (a prototype no row falls to keeps its class).
    classes, y_index = np.unique(y, return_inverse=True)
    P = dataset.X
    nearest = np.argmin(
        (X * X).sum(1)[:, None] - 2 * X @ P.T + (P * P).sum(1)[None], axis=1
    )
    counts = dataset.y.copy()
    np.add.at(counts, (nearest, y_index), 1.0)
    return DistilledDataset(P, counts / counts.sum(1, keepdims=True), classes)


def prototype_weights(dataset, X, y):
    """The training rows of its class whose nearest prototype each prototype
    is, scaled to a mean of 1 (a prototype no row falls to weighs 0)."""
    classes, y_index = np.unique(y, return_inverse=True)
    labels = np.searchsorted(classes, dataset.hard_labels)
    counts = np.zeros(len(labels))
    for c in range(len(classes)):
        own = np.flatnonzero(labels == c)
        rows = X[y_index == c]
        P = dataset.X[own]
        nearest = np.argmin(
            (rows * rows).sum(1)[:, None] - 2 * rows @ P.T + (P * P).sum(1)[None],
            axis=1,
        )
        np.add.at(counts, own[nearest], 1.0)
    return counts / counts.mean()


def weighted_scores(dataset, weights, X_held, y_held, seed=0, tune=None):
    """Held-out accuracy of every candidate trained on the prototypes as
    ordinary rows with ``sample_weight=weights``; with ``tune=(epochs, X, y)``
    each then trained on in place for ``epochs`` more epochs of Adam on the
    rows ``(X, y)``."""
    scores = []
    for params in candidates():
        model = DistilledMLPClassifier(max_iter=200, random_state=seed, **params)
        model.fit(dataset.X, dataset.hard_labels, sample_weight=weights)
        if tune is not None:
            fine_tune(model, *tune)
        scores.append(held_out_accuracy(model, X_held, y_held))
    return np.array(scores)


def fine_tune(model, epochs, X, y):
    """Continue the network of ``model`` (trained on the prototypes) for
    ``epochs`` epochs of Adam on the rows ``(X, y)`` (a fresh Adam state, the
    candidate's own ``alpha``, ``learning_rate_init`` and ``batch_size``)."""
    model.set_params(distiller=None, warm_start=True, max_iter=epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def refit_output_layer(model, X, y):
    """Refit the output layer of ``model`` (trained on the prototypes) on the
    rows ``(X, y)``: a multinomial logistic regression on the last hidden
    layer's activations of the rows, its L2 penalty the candidate's ``alpha``
    as MLPClassifier scales it for a minibatch of ``min(200, n)`` rows
    (``C = min(200, n) / (alpha * n)``); the hidden layers are kept."""
    hidden = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        hidden = np.maximum(hidden @ W + b, 0.0)
    n = len(y)
    C = min(200, n) / (max(model.alpha, 1e-8) * n)
    lr = LogisticRegression(C=C, max_iter=200).fit(hidden, y)
    coef, intercept = lr.coef_.T, lr.intercept_
    if coef.shape[1] == 1:  # binary: the softmax of (0, z) is the sigmoid
        coef = np.hstack([np.zeros_like(coef), coef])
        intercept = np.hstack([[0.0], intercept])
    model.coefs_[-1] = coef.astype(model.coefs_[-1].dtype)
    model.intercepts_[-1] = intercept.astype(model.intercepts_[-1].dtype)
    return model


def refit_output_biases(model, X, y):
    """Move the output biases of ``model`` (trained on the prototypes) to
    those that minimise the log-loss of the rows ``(X, y)``, the rest of the
    network kept: a learned class-prior correction."""
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    hidden = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        hidden = np.maximum(hidden @ W + b, 0.0)
    logits = hidden @ model.coefs_[-1] + model.intercepts_[-1]
    Y = np.eye(len(model.classes_))[np.searchsorted(model.classes_, y)]

    def loss(shift):
        log_p = log_softmax(logits + shift, axis=1)
        return -(Y * log_p).sum() / len(y), (np.exp(log_p) - Y).mean(axis=0)

    shift = minimize(loss, np.zeros(Y.shape[1]), jac=True, method="L-BFGS-B").x
    model.intercepts_[-1] = (model.intercepts_[-1] + shift).astype(
        model.intercepts_[-1].dtype
    )
    return model


def share_counts(class_sizes, n_rows):
    """Prototypes per class in proportion to the classes' rows, every class
    getting at least half an equal share (``n_rows / (2 * n_classes)``, at most
    its rows); the rest in proportion to the others' rows."""
    sizes = np.asarray(class_sizes, dtype=float)
    n_classes = len(sizes)
    floor = np.minimum(sizes, np.ceil(n_rows / (2 * n_classes)))
    counts = floor.copy()
    fixed = np.zeros(n_classes, dtype=bool)
    while True:
        free = ~fixed
        left = n_rows - counts[fixed].sum()
        share = left * sizes[free] / sizes[free].sum()
        low = share < floor[free]
        if not low.any():
            counts[free] = share
            break
        fixed[np.flatnonzero(free)[low]] = True
        counts[fixed] = floor[fixed]
    counts = np.floor(counts).astype(int)
    for c in np.argsort(-sizes, kind="stable")[: n_rows - counts.sum()]:
        counts[c] += 1
    return np.minimum(counts, np.asarray(class_sizes, dtype=int))


def share_prototypes(X, y, seed):
    """K-means prototypes of every class, ``5 sqrt(n)`` of them, the classes
    sharing them by `share_counts` (the search's seeding of the clusters)."""
    classes, y_index = np.unique(y, return_inverse=True)
    counts = share_counts(np.bincount(y_index), auto_n_prototypes(len(y)))
    rows, labels = cluster_classes(X, y_index, counts, np.random.RandomState(seed))
    return DistilledDataset(rows, np.eye(len(classes))[labels], classes)


def held_out_accuracy(model, X_held, y_held):
    return float(np.mean(model.predict(X_held) == y_held))


def held_out_log_likelihood(model, X_held, y_held):
    """Minus the log-loss: higher is better, as for the accuracy."""
    return -float(log_loss(y_held, model.predict_proba(X_held), labels=model.classes_))


def accuracy_then_log_likelihood(model, X_held, y_held):
    """The accuracy, its ties broken by the log-likelihood."""
    return held_out_accuracy(model, X_held, y_held) + 1e-6 * held_out_log_likelihood(
        model, X_held, y_held
    )


def scores_on(dataset, X_held, y_held, n_inits=1, seed=0, bias_shift=None, score=None):
    """Held-out ``score`` (the accuracy by default) of every candidate trained
    on ``dataset`` with the estimator's ``random_state=seed``, its output
    biases moved by ``bias_shift`` when given; with ``n_inits > 1``, the mean
    accuracy of that many initialisations trained in one batched run."""
    score = held_out_accuracy if score is None else score
    scores = []
    for params in candidates():
        if n_inits == 1:
            model = mlp(params, dataset, seed).fit()
            if bias_shift is not None:
                model.intercepts_[-1] = model.intercepts_[-1] + bias_shift
            scores.append(score(model, X_held, y_held))
            continue
        model, stacked = fit_networks(
            mlp(params, dataset), None, None, n_models=n_inits
        )
        accs = []
        for k in range(n_inits):
            model._store_network([p[k : k + 1] for p in stacked])
            accs.append(held_out_accuracy(model, X_held, y_held))
        scores.append(np.mean(accs))
    return np.array(scores)


def split_rows(X, y, split):
    train, held = split
    scaler = StandardScaler().fit(X[train])
    return scaler.transform(X[train]), y[train], scaler.transform(X[held]), y[held]


#: ``pilot*``: the variants a pilot chooses between, and the number of pilots
#: and the share of the split's training rows they train on.
PILOT_CHOICES = ("default", "wsqrtbias")
PILOTS = {
    "pilot4": (4, 1.0),
    "pilot6": (6, 1.0),
    "pilot8q": (8, 0.25),
    "pilot4b": (4, 1.0),
    "pilottop": (2, 1.0),
}


def pilot_fit(params, X_train, y_train, X_held, y_held, share, seed):
    """One pilot: the candidate trained as the grid search trains it, on the
    split's training rows (a stratified ``share`` of them), scored on the
    held-out rows."""
    if share < 1.0:
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=share, stratify=y_train, random_state=seed
        )
    model = DistilledMLPClassifier(max_iter=200, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return held_out_accuracy(model, X_held, y_held)


def run_pilot(variant, X, y, splits, prototype_seed, ref, memo):
    """``pilot*``: the first stage of `PILOT_CHOICES` that orders the most
    pairs of a few real runs as they do. Returns the scores, the seconds
    (both variants' and the pilots') and what was chosen. ``memo`` keeps the
    two variants' scores and the pilots' real scores, with their seconds,
    between the pilot variants of one set and seed."""
    m, share = PILOTS[variant]
    for name in PILOT_CHOICES:
        if name not in memo:
            start = time.perf_counter()
            scores = run_variant(name, X, y, splits, prototype_seed)
            memo[name] = (scores, time.perf_counter() - start)
    (first, first_s), (second, second_s) = (memo[n] for n in PILOT_CHOICES)
    if variant == "pilottop":
        # The best ``m`` of each variant (ties in the grid's order): the
        # candidates a search confirming either variant's best would fit.
        pilots = []
        for scores in (first, second):
            for j in np.lexsort((np.arange(len(scores)), -scores))[:m]:
                if j not in pilots:
                    pilots.append(j)
        pilots = np.array(pilots)
    else:
        pilots = disagreement_pilots(first, second, m)
    X_train, y_train, X_held, y_held = split_rows(X, y, splits[0])
    grid = candidates()
    real, pilot_seconds = [], 0.0
    for j in pilots:
        key = ("real", int(j), share)
        if key not in memo:
            start = time.perf_counter()
            score = pilot_fit(
                grid[j], X_train, y_train, X_held, y_held, share, prototype_seed
            )
            memo[key] = (score, time.perf_counter() - start)
            if share == 1.0 and "split_test_score" in ref:
                # A full pilot is the grid search's own fit on the first split.
                cached = ref["split_test_score"][0][j]
                if abs(cached - score) > 1e-9:
                    print(f"  pilot {j}: {score:.6f}, the cache's {cached:.6f}")
        real.append(memo[key][0])
        pilot_seconds += memo[key][1]
    votes = pairwise_votes(real, first[pilots], second[pilots])
    chosen = int(votes[1] > votes[0])
    scores = (first, second)[chosen].copy()
    if variant == "pilot4b":
        # The pilots' real scores replace the chosen variant's on the pilots,
        # in its scale (the pilots' mean and spread).
        mine = scores[pilots]
        real_a = np.asarray(real)
        spread = real_a.std()
        z = (real_a - real_a.mean()) / spread if spread > 0 else 0 * real_a
        scores[pilots] = mine.mean() + z * mine.std()
    info = {
        "chosen": PILOT_CHOICES[chosen],
        "votes": votes.tolist(),
        "pilots": [int(j) for j in pilots],
        "pilot_scores": [float(r) for r in real],
        "pilot_seconds": pilot_seconds,
        "variant_seconds": [first_s, second_s],
    }
    return scores, first_s + second_s + pilot_seconds, info


def run_variant(variant, X, y, splits, prototype_seed):
    X_train, y_train, X_held, y_held = split_rows(X, y, splits[0])
    if variant in ("default", "inits3"):
        dataset = prototypes(X_train, y_train, prototype_seed)
        n_inits = N_INITS if variant == "inits3" else 1
        return scores_on(dataset, X_held, y_held, n_inits)
    if variant == "prior":
        dataset = prototypes(X_train, y_train, prototype_seed)
        rows_share = np.unique(y_train, return_counts=True)[1] / len(y_train)
        prototypes_share = dataset.y.mean(axis=0)
        shift = np.log(rows_share) - np.log(prototypes_share)
        return scores_on(dataset, X_held, y_held, bias_shift=shift)
    if variant == "logloss":
        dataset = prototypes(X_train, y_train, prototype_seed)
        return scores_on(dataset, X_held, y_held, score=held_out_log_likelihood)
    if variant == "ties":
        dataset = prototypes(X_train, y_train, prototype_seed)
        return scores_on(dataset, X_held, y_held, score=accuracy_then_log_likelihood)
    if variant == "seed1":
        dataset = prototypes(X_train, y_train, prototype_seed)
        return scores_on(dataset, X_held, y_held, seed=1)
    if variant == "size10":
        n = 2 * auto_n_prototypes(len(y_train))
        dataset = prototypes(
            X_train, y_train, prototype_seed, min(n, len(y_train) // 2)
        )
        return scores_on(dataset, X_held, y_held)
    if variant == "soft":
        dataset = prototypes(X_train, y_train, prototype_seed, soft=True)
        return scores_on(dataset, X_held, y_held)
    if variant == "weighted":
        dataset = prototypes(X_train, y_train, prototype_seed)
        weights = prototype_weights(dataset, X_train, y_train)
        return weighted_scores(dataset, weights, X_held, y_held)
    if variant in TUNE_EPOCHS:
        tune = (TUNE_EPOCHS[variant], X_train, y_train)
        if variant.startswith("tune"):
            dataset = prototypes(X_train, y_train, prototype_seed)
            scores = []
            for params in candidates():
                model = mlp(params, dataset).fit()
                fine_tune(model, *tune)
                scores.append(held_out_accuracy(model, X_held, y_held))
            return np.array(scores)
        if variant.startswith("wstune"):
            dataset = share_prototypes(X_train, y_train, prototype_seed)
        else:
            dataset = prototypes(X_train, y_train, prototype_seed)
        weights = prototype_weights(dataset, X_train, y_train)
        return weighted_scores(dataset, weights, X_held, y_held, tune=tune)
    if variant == "steps":
        # As many Adam steps on the prototypes as max_iter epochs on the rows.
        dataset = prototypes(X_train, y_train, prototype_seed)
        batches = -(-len(y_train) // 200) / -(-dataset.n_rows // 200)
        scores = []
        for params in candidates():
            model = mlp(params, dataset).set_params(max_iter=int(200 * batches))
            scores.append(held_out_accuracy(model.fit(), X_held, y_held))
        return np.array(scores)
    if variant == "bias":
        dataset = prototypes(X_train, y_train, prototype_seed)
        scores = []
        for params in candidates():
            model = refit_output_biases(mlp(params, dataset).fit(), X_train, y_train)
            scores.append(held_out_accuracy(model, X_held, y_held))
        return np.array(scores)
    if variant in ("wlast", "wbias"):
        refit = refit_output_layer if variant == "wlast" else refit_output_biases
        dataset = prototypes(X_train, y_train, prototype_seed)
        weights = prototype_weights(dataset, X_train, y_train)
        scores = []
        for params in candidates():
            model = DistilledMLPClassifier(max_iter=200, random_state=0, **params)
            model.fit(dataset.X, dataset.hard_labels, sample_weight=weights)
            refit(model, X_train, y_train)
            scores.append(held_out_accuracy(model, X_held, y_held))
        return np.array(scores)
    if variant in ("stepsbias", "wstepsbias", "wsteps", "wsqrtbias"):
        # ``steps``'s training, the prototypes weighted for ``wsteps*``, and
        # the output biases refitted on the rows for ``*bias``.
        dataset = prototypes(X_train, y_train, prototype_seed)
        weights = None
        if variant.startswith("w"):
            weights = prototype_weights(dataset, X_train, y_train)
        batches = -(-len(y_train) // 200) / -(-dataset.n_rows // 200)
        if variant == "wsqrtbias":
            batches = np.sqrt(batches)
        scores = []
        for params in candidates():
            model = DistilledMLPClassifier(
                max_iter=int(200 * batches), random_state=0, **params
            )
            model.fit(dataset.X, dataset.hard_labels, sample_weight=weights)
            if variant.endswith("bias"):
                refit_output_biases(model, X_train, y_train)
            scores.append(held_out_accuracy(model, X_held, y_held))
        return np.array(scores)
    if variant == "wshare":
        dataset = share_prototypes(X_train, y_train, prototype_seed)
        weights = prototype_weights(dataset, X_train, y_train)
        return weighted_scores(dataset, weights, X_held, y_held)
    if variant in ("folds3", "folds5"):
        per_split = []
        for split in splits[: int(variant[-1])]:
            X_train, y_train, X_held, y_held = split_rows(X, y, split)
            dataset = prototypes(X_train, y_train, prototype_seed)
            per_split.append(scores_on(dataset, X_held, y_held))
        return np.mean(per_split, axis=0)
    raise ValueError(f"unknown variant {variant!r}")


def ceiling(name, X, y, path):
    """``mean_test_score`` of GridSearchCV(cv=5) with the estimator's seed 1
    (kept in the JSON file ``path``)."""
    kept = {}
    if path and os.path.exists(path):
        with open(path) as f:
            kept = json.load(f)
    if name not in kept:
        with limited_threads(1):
            search = GridSearchCV(
                estimator().set_params(clf__random_state=1), GRID, cv=5
            ).fit(X, y)
        kept[name] = search.cv_results_["mean_test_score"].tolist()
        if path:
            with open(path, "w") as f:
                json.dump(kept, f)
    return np.array(kept[name])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="biopsy,anes96,fishing,fair,classes7")
    parser.add_argument("--seeds", default="0,1", help="DistilledSearchCV seeds")
    parser.add_argument("--variants", default="default,inits3,size10,soft")
    parser.add_argument(
        "--summarise",
        help="comma-separated --json reports of earlier runs: print their "
        "summary together (nothing is run)",
    )
    parser.add_argument(
        "--combine",
        help="with --summarise: a --json report of bench_distilled_search_cv.py; "
        "also print every variant's median tau with the search's own runs on "
        "the sets the variant did not run",
    )
    parser.add_argument(
        "--cache",
        help="the --cache JSON file of bench_distilled_search_cv.py (the grid "
        "search's scores of every set)",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also tau between GridSearchCV's rankings at estimator seeds 0 and 1",
    )
    parser.add_argument("--ceiling-cache", help="JSON file keeping --ceiling's scores")
    parser.add_argument(
        "--time-grid",
        action="store_true",
        help="time one real fit per set and print every variant's seconds as a "
        "share of the grid search's fits estimated from it",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=50_000,
        help="larger sets are subsampled to this many rows (stratified, seed 0), "
        "as bench_distilled_search_cv.py does; the cache key names the cap",
    )
    add_harness_arguments(parser)
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise.split(","), args.cache, args.combine)
        return
    if not args.cache:
        parser.error("--cache is required (or --summarise)")
    report = Report(__file__, args)
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; known: {VARIANTS}")
    with open(args.cache) as f:
        cache = json.load(f)
    sets = args.sets.split(",")
    warnings.simplefilter("ignore", ConvergenceWarning)
    with limited_threads(1):
        suite = sorted(
            load_suite(sets, max_rows=args.max_rows),
            key=lambda d: sets.index(d.name),
        )
    keys = {
        data.name: (
            f"{data.name}@{args.max_rows}"
            if len(data.y) == args.max_rows
            else data.name
        )
        for data in suite
    }
    missing = [key for key in keys.values() if key not in cache]
    if missing:
        parser.error(
            f"{missing} not in {args.cache}: run bench_distilled_search_cv.py "
            f"--sets {','.join(missing)} --max-rows {args.max_rows} "
            f"--cache {args.cache} first"
        )
    ceilings = {}
    checked_weights = False
    spread_lines = []
    print(
        "| set | seed | variant | tau, first stage vs cv | tau, the grid "
        "search's top 5 | cv regret confirming the best 3 (pts) | mean score of "
        "the candidates | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for data in suite:
        name = keys[data.name]
        ref = cache[name]
        cv_score = np.array(ref["mean_test_score"])
        X, _, y, _ = train_test_split(
            data.X, data.y, test_size=1 / 3, stratify=data.y, random_state=0
        )
        splits = list(StratifiedKFold(5).split(X, y))
        if "split_test_score" in ref:
            split_scores = 100 * np.array(ref["split_test_score"])
            one_split = float(kendalltau(split_scores[0], cv_score).statistic)
            print(
                f"| {name} | - | GridSearchCV, first split only | "
                f"{one_split:+.2f} | | | | |",
                flush=True,
            )
            report.row(set=name, variant="one_split", kendall_tau=one_split)
            spread_lines.append(grid_spread(name, split_scores, 100 * cv_score))
        grid_seconds = None
        if args.time_grid and "mean_fit_time" in ref:
            grid_seconds = estimated_grid_seconds(X, y, splits[0], ref)
            print(
                f"| {name} | - | GridSearchCV's fits, estimated in this run | "
                f"| | | | {grid_seconds:.1f} |",
                flush=True,
            )
            report.row(set=name, variant="grid_seconds", seconds=grid_seconds)
        if args.ceiling:
            other = ceiling(name, X, y, args.ceiling_cache)
            ceilings[name] = float(kendalltau(other, cv_score).statistic)
            print(
                f"| {name} | - | GridSearchCV, estimator seed 1 | "
                f"{ceilings[name]:+.2f} | | | | |",
                flush=True,
            )
            report.row(set=name, variant="ceiling", kendall_tau=ceilings[name])
        for seed in seeds:
            # The prototypes' seed, as the search draws it from random_state.
            rng = np.random.RandomState(seed)
            prototype_seed = int(rng.randint(np.iinfo(np.int32).max, size=3)[1])
            memo = {}
            for variant in variants:
                info = {}
                start = time.perf_counter()
                with limited_threads(1):
                    if variant in PILOTS:
                        scores, seconds, info = run_pilot(
                            variant, X, y, splits, prototype_seed, ref, memo
                        )
                    else:
                        scores = run_variant(variant, X, y, splits, prototype_seed)
                if variant not in PILOTS:
                    seconds = time.perf_counter() - start
                if variant == "default":
                    # The harness's default is the search's first stage.
                    with limited_threads(1):
                        search = DistilledSearchCV(
                            estimator(),
                            GRID,
                            cv=[splits[0]],
                            n_confirm=1,
                            refit=False,
                            random_state=seed,
                        ).fit(X, y)
                    assert [short(p) for p in search.cv_results_["params"]] == ref[
                        "params"
                    ]
                    np.testing.assert_allclose(
                        search.cv_results_["mean_distilled_score"], scores
                    )
                if variant == "weighted" and not checked_weights:
                    # With equal weights, the weighted training is the
                    # default's (a set without a learned run trains as rows).
                    X_train, y_train, X_held, y_held = split_rows(X, y, splits[0])
                    dataset = prototypes(X_train, y_train, prototype_seed)
                    with limited_threads(1):
                        np.testing.assert_array_equal(
                            weighted_scores(
                                dataset, np.ones(dataset.n_rows), X_held, y_held
                            ),
                            scores_on(dataset, X_held, y_held),
                        )
                    checked_weights = True
                tau = float(kendalltau(scores, cv_score).statistic)
                top5 = np.argsort(-cv_score, kind="stable")[:5]
                tau5 = float(kendalltau(scores[top5], cv_score[top5]).statistic)
                tau5 = 0.0 if np.isnan(tau5) else tau5  # the five tied
                order = np.lexsort((np.arange(len(scores)), -scores))
                regret3 = 100 * (cv_score.max() - cv_score[order[:3]].max())
                share = (
                    f" ({seconds / grid_seconds:.3f} of the grid)"
                    if grid_seconds
                    else ""
                )
                chosen = ""
                if info:
                    chosen = (
                        f" ({info['chosen']}, votes {info['votes'][0]}:"
                        f"{info['votes'][1]}, pilots {info['pilot_seconds']:.1f} s)"
                    )
                print(
                    f"| {name} | {seed} | {variant}{chosen} | {tau:+.2f} "
                    f"| {tau5:+.2f} | {regret3:.2f} "
                    f"| {100 * scores.mean():.1f} | {seconds:.1f}{share} |",
                    flush=True,
                )
                if grid_seconds:
                    info["grid_share"] = seconds / grid_seconds
                report.row(
                    set=name,
                    seed=seed,
                    variant=variant,
                    kendall_tau=tau,
                    kendall_tau_top5=tau5,
                    regret_at_3=regret3,
                    seconds=seconds,
                    scores=scores.tolist(),
                    **info,
                )
    print()
    for line in spread_lines + summary(report.rows, cache):
        print(line)
    report.write(args.json)


def estimated_grid_seconds(X, y, split, ref):
    """The seconds GridSearchCV(cv=5)'s fits would take in this run (under
    its load): one real fit of the candidate of median fit time, on the
    first split's training rows, timed here, times the grid search's total
    fit time over that candidate's (both from the cache)."""
    fit_times = np.array(ref["mean_fit_time"])
    j = int(np.argsort(fit_times)[len(fit_times) // 2])
    X_train, y_train, _, _ = split_rows(X, y, split)
    model = DistilledMLPClassifier(max_iter=200, random_state=0, **candidates()[j])
    start = time.perf_counter()
    with limited_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return seconds * ref["n_splits"] * fit_times.sum() / fit_times[j]


def grid_spread(name, split_scores, cv_score):
    """How far apart the grid search's candidates are, against its noise
    (scores in points): the span of the mean scores (all, and the best 6),
    their mean, the mean standard error of a mean over the splits and the
    mean tau between two splits' scores."""
    ordered = np.sort(cv_score)
    n_splits = len(split_scores)
    error = (split_scores.std(axis=0, ddof=1) / np.sqrt(n_splits)).mean()
    pairs = [
        kendalltau(split_scores[i], split_scores[j]).statistic
        for i in range(n_splits)
        for j in range(i + 1, n_splits)
    ]
    return (
        f"{name}: the grid search's {len(cv_score)} cv scores span "
        f"{ordered[-1] - ordered[0]:.2f} points (the best 6: "
        f"{ordered[-1] - ordered[-6]:.2f}), mean {cv_score.mean():.1f}; standard "
        f"error of a mean over {n_splits} splits {error:.2f}; tau between two "
        f"splits {np.mean(pairs):+.2f} (mean of {len(pairs)} pairs)"
    )


#: A set's cross-validated ranking reproduces when GridSearchCV at another
#: estimator seed agrees with it with tau >= this (as bench_search.py's).
STABLE_CEILING = 0.5


def summary(rows, cache=None):
    """Per variant: the median and mean tau over the runs, the per-set means;
    with ceilings, the same over the sets whose ranking reproduces; with the
    cache, the regret of confirming the first stage's best 1, 2 or 3."""
    ceilings = {r["set"]: r["kendall_tau"] for r in rows if r["variant"] == "ceiling"}
    one_split = {
        r["set"]: r["kendall_tau"] for r in rows if r["variant"] == "one_split"
    }
    taus = {}
    for r in rows:
        if r["variant"] not in ("ceiling", "one_split", "grid_seconds"):
            taus.setdefault(r["variant"], {}).setdefault(r["set"], []).append(
                r["kendall_tau"]
            )
    lines = []
    top5 = {}
    for r in rows:
        if "kendall_tau_top5" in r:
            top5.setdefault(r["variant"], []).append(r["kendall_tau_top5"])
    for variant, per_set in taus.items():
        runs = [t for values in per_set.values() for t in values]
        means = {name: np.mean(values) for name, values in per_set.items()}
        lines.append(
            f"{variant:8s} tau median {np.median(runs):+.2f} (mean "
            f"{np.mean(runs):+.2f}) over {len(runs)} runs, median of the sets' "
            f"means {np.median(list(means.values())):+.2f}; per set: "
            + ", ".join(f"{name} {t:+.2f}" for name, t in means.items())
            + (
                f"; top-5 tau median {np.median(top5[variant]):+.2f}"
                if variant in top5
                else ""
            )
        )
    for variant, per_set in by_variant_and_set(rows, "chosen").items():
        lines.append(
            f"{variant:8s} chose: "
            + "; ".join(
                f"{name} "
                + " ".join(
                    c.replace("default", "d").replace("wsqrtbias", "w") for c in picks
                )
                for name, picks in per_set.items()
            )
        )
    for variant, per_set in by_variant_and_set(rows, "grid_share").items():
        lines.append(
            f"{variant:8s} seconds / the grid search's fits (estimated), per set "
            "min-max: "
            + ", ".join(
                f"{name} {min(v):.3f}-{max(v):.3f}" for name, v in per_set.items()
            )
        )
    if one_split:
        lines.append(
            "one split tau (GridSearchCV's first split against its mean over "
            "five): " + ", ".join(f"{name} {t:+.2f}" for name, t in one_split.items())
        )
    if cache is not None:
        lines.extend(regret_lines(rows, cache))
    if not ceilings:
        return lines
    lines.append(
        f"ceiling  tau median {np.median(list(ceilings.values())):+.2f} "
        "(GridSearchCV at estimator seed 1 against seed 0): "
        + ", ".join(f"{name} {t:+.2f}" for name, t in ceilings.items())
    )
    stable = [name for name, t in ceilings.items() if t >= STABLE_CEILING]
    lines.append(
        f"sets whose cross-validated ranking reproduces (ceiling >= "
        f"{STABLE_CEILING}): {', '.join(stable) or 'none'}"
    )
    for variant, per_set in taus.items():
        runs = [t for name in stable for t in per_set.get(name, [])]
        if runs:
            lines.append(
                f"{variant:8s} tau median over those sets' {len(runs)} runs "
                f"{np.median(runs):+.2f} (mean {np.mean(runs):+.2f})"
            )
    return lines


def by_variant_and_set(rows, field):
    """``{variant: {set: [the rows' field, ...]}}`` over the rows that have
    ``field``."""
    values = {}
    for r in rows:
        if field in r:
            values.setdefault(r["variant"], {}).setdefault(r["set"], []).append(
                r[field]
            )
    return values


def regret_lines(rows, cache, confirmed=(1, 2, 3, 4)):
    """Per variant, the cv regret (points) of the pick among the first
    stage's best ``k`` (ties in the grid's order, as the search confirms
    them), read from the grid search's scores: median and maximum over the
    runs."""
    regrets = {}
    for r in rows:
        if (
            r["variant"] in ("ceiling", "one_split", "grid_seconds")
            or r["set"] not in cache
        ):
            continue
        cv_score = np.array(cache[r["set"]]["mean_test_score"])
        scores = np.array(r["scores"])
        order = np.lexsort((np.arange(len(scores)), -scores))
        regrets.setdefault(r["variant"], []).append(
            [100 * (cv_score.max() - cv_score[order[:k]].max()) for k in confirmed]
        )
    lines = []
    for variant, values in regrets.items():
        values = np.array(values)
        lines.append(
            f"{variant:8s} cv regret (pts) confirming the best "
            + ", ".join(
                f"{k}: median {np.median(values[:, i]):.2f} max "
                f"{values[:, i].max():.2f}"
                for i, k in enumerate(confirmed)
            )
            + f" ({len(values)} runs)"
        )
    return lines


def combined_lines(rows, search_path):
    """Per variant, the median tau over the twelve sets when the variant's
    runs replace, on the sets it ran, the first-stage taus of the search's
    own runs (the distilled rows of a ``bench_distilled_search_cv.py
    --json`` report, ``search_path``)."""
    with open(search_path) as f:
        report = json.load(f)["rows"]
    search = {}
    for r in report:
        if r.get("search") == "distilled" and r.get("kendall_tau"):
            tau = float(str(r["kendall_tau"]).split()[0])
            search.setdefault(r["set"], []).append(tau)
    variants = {}
    for r in rows:
        if "seed" in r and r["variant"] not in ("ceiling", "one_split"):
            variants.setdefault(r["variant"], {}).setdefault(r["set"], []).append(
                r["kendall_tau"]
            )
    lines = []
    for variant, per_set in variants.items():
        runs = [t for values in per_set.values() for t in values]
        others = [name for name in search if name not in per_set]
        runs += [t for name in others for t in search[name]]
        lines.append(
            f"{variant:8s} with the search's runs on {', '.join(others)}: tau "
            f"median {np.median(runs):+.2f} over {len(runs)} runs "
            f"({sum(t >= 0.6 for t in runs)} at 0.6 or more)"
        )
    return lines


def summarise(paths, cache_path=None, search_path=None):
    """The summary of earlier runs' ``--json`` reports, read together."""
    rows = []
    for path in paths:
        with open(path) as f:
            report = json.load(f)["rows"]
        # Each report's seconds against its own estimate of the grid search's
        # (they were timed under the same load).
        grid = {
            r["set"]: r["seconds"] for r in report if r["variant"] == "grid_seconds"
        }
        for r in report:
            if r["set"] in grid and "seed" in r and "seconds" in r:
                r.setdefault("grid_share", r["seconds"] / grid[r["set"]])
        rows += report
    # A run may be recorded by several reports (they are deterministic): keep
    # one row per set, seed and variant.
    rows = list({(r["set"], r.get("seed"), r["variant"]): r for r in rows}.values())
    cache = None
    if cache_path:
        with open(cache_path) as f:
            cache = json.load(f)
    lines = summary(rows, cache)
    if search_path:
        lines += combined_lines(rows, search_path)
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
