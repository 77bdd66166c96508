"""The training toolkit: the validation split, the stoppers, the batch sources
and the minibatch epoch, held to scikit-learn's rules where they copy them."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skdistill._training.batches import (
    InMemoryRows,
    ShuffledIndices,
    minibatch_epoch,
)
from skdistill._training.splits import validation_split
from skdistill._training.stopping import (
    NoImprovementStopper,
    StackStopper,
    ValidationStopper,
)

# -- the validation split ------------------------------------------------------


def test_split_is_scikit_learns_stratified_split_when_one_exists():
    y = np.repeat([0, 1, 2], [30, 12, 8])
    train, val = validation_split(y, 0.2, np.random.RandomState(3))
    seed = np.random.RandomState(3).randint(np.iinfo(np.int32).max)
    expected = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed
    )
    np.testing.assert_array_equal(train, expected[0])
    np.testing.assert_array_equal(val, expected[1])
    assert np.bincount(y[val]).tolist() == [6, 2, 2]


@pytest.mark.parametrize(
    "y, fraction, val_counts",
    [
        # A class of one row: it stays in training; the others give their share.
        (np.repeat([0, 1, 2], [20, 10, 1]), 0.2, [4, 2, 0]),
        # Fewer validation rows than classes: round(0.1 * n_c) each.
        (np.repeat([0, 1, 2], [6, 6, 3]), 0.1, [1, 1, 0]),
        # Nothing rounds up: one row of the largest class.
        (np.repeat([0, 1], [4, 3]), 0.1, [1, 0]),
    ],
)
def test_split_without_strata_keeps_every_class_in_training(y, fraction, val_counts):
    rng = np.random.RandomState(0)
    train, val = validation_split(y, fraction, rng)
    assert np.bincount(y[val], minlength=len(val_counts)).tolist() == val_counts
    assert set(y[train]) == set(y)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(y)))
    # One draw from the fit's stream, whichever rule applies.
    after = np.random.RandomState(0)
    after.randint(np.iinfo(np.int32).max)
    assert rng.randint(100) == after.randint(100)


def test_split_refuses_when_every_class_has_one_row():
    with pytest.raises(ValueError, match="single sample"):
        validation_split(np.array([0, 1, 2]), 0.5, np.random.RandomState(0))


# -- the stoppers --------------------------------------------------------------


def _mlpclassifier_stop_epoch(losses, tol, n_iter_no_change):
    """The epoch at which MLPClassifier's own rule stops on a loss sequence."""
    mlp = MLPClassifier(tol=tol, n_iter_no_change=n_iter_no_change)
    mlp.loss_curve_, mlp.best_loss_, mlp._no_improvement_count = [], np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        mlp.loss_curve_.append(loss)
        mlp._update_no_improvement_count(False, None, None, None)
        if mlp._no_improvement_count > mlp.n_iter_no_change:
            return epoch
    return None


@pytest.mark.parametrize("n_iter_no_change", [1, 3, 10])
def test_loss_stopper_stops_at_mlpclassifiers_epoch(n_iter_no_change):
    rng = np.random.RandomState(0)
    # A falling loss that stalls, with ties at the tol boundary and small wins.
    losses = np.concatenate(
        [np.linspace(1.0, 0.5, 8), 0.5 + rng.uniform(-5e-5, 1e-3, 40)]
    )
    losses[12] = losses[:12].min() - 1e-4  # improves by exactly tol
    expected = _mlpclassifier_stop_epoch(losses, 1e-4, n_iter_no_change)
    stopper = NoImprovementStopper(1e-4, n_iter_no_change)
    stopped_at = next(
        (epoch for epoch, loss in enumerate(losses, 1) if stopper(epoch, loss)), None
    )
    assert expected is not None and stopped_at == expected


def _mlpclassifier_early_stopping(scores, tol, n_iter_no_change):
    """MLPClassifier's early-stopping rule on a score sequence: the epoch it
    stops at and the epoch of the coefficients it keeps."""
    mlp = MLPClassifier(tol=tol, n_iter_no_change=n_iter_no_change)
    mlp.validation_scores_, mlp.best_validation_score_ = [], -np.inf
    mlp._no_improvement_count, mlp.verbose = 0, False
    mlp.coefs_, mlp.intercepts_ = [np.zeros(1)], [np.zeros(1)]
    for epoch, score in enumerate(scores, start=1):
        mlp.coefs_ = [np.array([float(epoch)])]
        mlp._score = lambda X, y, sample_weight=None, s=score: s
        mlp._update_no_improvement_count(True, None, None, None)
        if mlp._no_improvement_count > mlp.n_iter_no_change:
            return epoch, int(mlp._best_coefs[0][0])
    return None, int(mlp._best_coefs[0][0])


@pytest.mark.parametrize("n_iter_no_change", [1, 2, 5])
def test_validation_stopper_is_mlpclassifiers_early_stopping(n_iter_no_change):
    rng = np.random.RandomState(1)
    scores = np.round(np.minimum(np.linspace(0.5, 0.9, 10), 0.8), 2)
    scores = np.concatenate([scores, 0.8 + rng.choice([-0.01, 0, 5e-5], 20)])
    scores[14] = 0.8 + 1e-4  # improves by exactly tol
    expected = _mlpclassifier_early_stopping(scores, 1e-4, n_iter_no_change)
    stopper = ValidationStopper(1e-4, n_iter_no_change)
    stopped_at = next(
        (
            epoch
            for epoch, score in enumerate(scores, 1)
            if stopper(epoch, score, lambda e=epoch: e)
        ),
        None,
    )
    assert expected[0] is not None
    assert (stopped_at, stopper.best_state) == expected
    assert stopper.scores == scores[:stopped_at].tolist()


def test_validation_stopper_counts_iterations_between_checks():
    stopper = ValidationStopper(0.0, 20)
    checks = [(0, 0.5), (10, 0.6), (20, 0.6), (30, 0.55), (40, 0.58)]
    assert not any(stopper(i, s, lambda i=i: i) for i, s in checks[:-1])
    # 30 iterations since the last improvement (at 10: tol 0, ties improve at 20).
    assert not stopper.stopped
    assert stopper(50, 0.5, lambda: 50)  # 30 > 20 since iteration 20
    assert stopper.best_iteration == stopper.best_state == 10


def test_validation_stopper_breaks_ties_by_the_second_component():
    stopper = ValidationStopper(1e-3, 5)
    stopper(0, (0.8, -0.50), lambda: "a")
    stopper(1, (0.8, -0.40), lambda: "b")  # same accuracy, lower loss: improves
    stopper(2, (0.8, -0.3995), lambda: "c")  # better, but not by tol
    stopper(3, (0.7, -0.1), lambda: "d")  # lower accuracy: never best
    assert stopper.best_state == "c" and stopper.last_improvement == 1
    assert stopper.scores == [0.8, 0.8, 0.8, 0.7]


def test_stack_stopper_freezes_each_network_where_it_stopped():
    import torch

    params = [torch.zeros(2, 1)]
    stopper = StackStopper(params, 1e-3, 1)
    losses = [(1.0, 1.0), (1.0, 0.5), (1.0, 0.4), (1.0, 0.3)]
    stops = []
    for epoch, loss in enumerate(losses, 1):
        params[0] += 1.0  # a training step moves both networks
        stops.append(stopper(epoch, np.array(loss)))
        stopper.keep_stopped()
    assert stops == [False, False, False, False]
    # Network 0 stopped at epoch 3 (two epochs without improvement) and kept
    # its parameters from then on; network 1 trains on.
    assert params[0][:, 0].tolist() == [3.0, 4.0]


def test_a_stopped_network_of_a_stack_stays_stopped():
    import torch

    params = [torch.zeros(2, 1)]
    stopper = StackStopper(params, 0.0, 1)
    # Network 0 stops at epoch 3; at epoch 4 its loss (of the parameters kept
    # where it stopped) ties its best, which at tol=0 counts as improving.
    losses = [(1.0, 1.0), (1.1, 0.5), (1.1, 0.3), (1.0, 0.2), (1.0, 0.1)]
    for epoch, loss in enumerate(losses, 1):
        params[0] += 1.0
        stopper(epoch, np.array(loss))
        stopper.keep_stopped()
    assert params[0][:, 0].tolist() == [3.0, 5.0]


# -- batch sources and the minibatch epoch ---------------------------------------


def test_epochs_visit_every_row_once():
    rows = ShuffledIndices(10, 4, np.random.RandomState(0))
    batches = rows.epoch()
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(rows.epoch()), np.concatenate(batches))


def test_next_batch_visits_shuffled_epochs_in_full_batches():
    rows = ShuffledIndices(10, 4, np.random.RandomState(0))
    first = [rows.next_batch() for _ in range(2)]
    assert len(set(np.concatenate(first).tolist())) == 8
    third = rows.next_batch()  # 2 rows left: a new epoch starts
    assert len(third) == 4 and rows.cursor == 4


def test_weighted_rows_are_drawn_in_proportion_to_their_weights():
    weight = np.array([0.0, 1.0, 3.0])
    rows = ShuffledIndices(3, 2, np.random.RandomState(0), weight)
    drawn = np.concatenate([rows.next_batch() for _ in range(2000)])
    counts = np.bincount(drawn, minlength=3)
    assert counts[0] == 0
    assert counts[2] / counts[1] == pytest.approx(3.0, rel=0.1)
    assert len(np.concatenate(rows.epoch())) == 3
    with pytest.raises(ValueError, match="weight 0"):
        ShuffledIndices(3, 2, np.random.RandomState(0), np.zeros(3))


def test_in_memory_rows_give_the_batches_of_their_indices():
    import torch

    X = torch.arange(20.0).reshape(10, 2)
    y = torch.arange(10)
    source = InMemoryRows(X, y, np.random.RandomState(0), 4)
    indices = ShuffledIndices(10, 4, np.random.RandomState(0))
    for _ in range(5):
        Xb, yb = source.next_batch()
        expected = indices.next_batch()
        assert yb.tolist() == expected.tolist()
        assert Xb[:, 0].tolist() == (2.0 * expected).tolist()


def test_minibatch_epoch_is_the_size_weighted_mean_loss():
    seen = []

    def step(batch):
        seen.append(len(batch))
        if len(batch) == 1:
            return None  # skipped
        return float(batch.sum()), len(batch)

    batches = [np.array([1, 2]), np.array([3]), np.array([4, 5, 6])]
    assert minibatch_epoch(batches, step, 5) == (3 * 2 + 15 * 3) / 5
    assert seen == [2, 1, 3]


# -- the loop ---------------------------------------------------------------------


def test_run_iterations_passes_the_iteration_and_the_losses_to_stop():
    from types import SimpleNamespace

    from skdistill._base import run_iterations

    estimator = SimpleNamespace(verbose=0)
    seen = []

    def stop(iteration, losses):
        seen.append((iteration, list(losses)))
        return iteration == 3

    n_iter = run_iterations(
        estimator, 10, lambda i: np.array([i, 3.0 * i]), advice="", stop=stop
    )
    assert n_iter == 3
    assert seen == [(1, [1.0, 3.0]), (2, [2.0, 6.0]), (3, [3.0, 9.0])]
    assert estimator.loss_curve_ == [2.0, 4.0, 6.0]  # the mean over the stack
