"""Initial metaparameters chosen by short fits with fixed values.

`KDMetaparamTuner(init_candidates=n)` draws ``n - 1`` pairs ``(lambda_1, T)``
besides its ``(lambda_init, temperature_init)``, trains a student briefly with
each pair held fixed, and starts its fit from the pair whose student ends with
the lowest validation cross-entropy (the tuner's objective).
"""

import copy

import numpy as np

#: Epochs of each short fit, as a fraction of ``max_iter`` (at least one).
INIT_CANDIDATE_FRACTION = 0.1


def draw_candidates(n_candidates, first, lambda_bounds, temperature_bounds, rng):
    """``(n_candidates, 2)`` pairs: ``first``, then draws with ``lambda_1``
    uniform in ``lambda_bounds`` and ``log T`` uniform in the log of
    ``temperature_bounds``."""
    n_drawn = n_candidates - 1
    lam = rng.uniform(*lambda_bounds, size=n_drawn)
    temperature = np.exp(rng.uniform(*np.log(temperature_bounds), size=n_drawn))
    return np.vstack([np.asarray(first, dtype=np.float64), np.c_[lam, temperature]])


def choose_initial_metaparameters(
    estimator, n_candidates, train, lambda_bounds, temperature_bounds, rng
):
    """``(lambda_1, T, table)``: the pair to start from and, per candidate,
    ``(lambda_1, T, validation cross-entropy)``.

    Parameters
    ----------
    estimator : KDMetaparamTuner
        The estimator being fitted; it is not modified (each short fit runs on
        a shallow copy, with ``meta_learning_rate=0`` and
        ``INIT_CANDIDATE_FRACTION`` of its epochs).
    n_candidates : int
        Pairs to try, the estimator's initial pair among them.
    train : callable
        ``train(probe, start, rng)`` trains ``probe``'s student from the pair
        ``start`` (the estimator's ``_train_student`` on the fit's data).
    lambda_bounds, temperature_bounds : tuple of float
        Where the pairs are drawn.
    rng : numpy RandomState
        Draws the pairs and one seed shared by every short fit (the same
        initialisation and minibatches for every pair).
    """
    pairs = draw_candidates(
        n_candidates,
        (estimator.lambda_init, estimator.temperature_init),
        lambda_bounds,
        temperature_bounds,
        rng,
    )
    seed = int(rng.randint(np.iinfo(np.int32).max))
    losses = []
    for lam, temperature in pairs:
        probe = copy.copy(estimator)
        probe.meta_learning_rate = 0.0
        probe.max_iter = max(
            1, int(round(INIT_CANDIDATE_FRACTION * estimator.max_iter))
        )
        probe.verbose = 0
        train(probe, (float(lam), float(temperature)), np.random.RandomState(seed))
        losses.append(probe.validation_loss_curve_[-1])
    table = np.c_[pairs, losses]
    best = int(np.argmin(losses))
    return float(pairs[best, 0]), float(pairs[best, 1]), table
