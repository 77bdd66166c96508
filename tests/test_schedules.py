"""Schedules of a distilled run: the documented learning-rate sequences."""

import numpy as np
import pytest

from skdistill._engine.schedules import SCHEDULES, check_learning_rates, step_sequence

LRS = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # n_steps=3, n_epochs=2


def test_distilled_is_the_learned_run_once():
    order, lrs = step_sequence("distilled", LRS, 3, n_repeats=7)
    np.testing.assert_array_equal(order, [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(lrs, LRS)


def test_strategy2_repeats_every_epoch_with_decay():
    order, lrs = step_sequence("strategy2", LRS, 3, n_repeats=3)
    expected = np.concatenate([LRS, LRS * 0.98, LRS * 0.98**2])
    np.testing.assert_allclose(lrs, expected, rtol=1e-15)
    np.testing.assert_array_equal(order, np.tile([0, 1, 2], 6))


def test_strategy3_repeats_the_last_epoch_with_the_same_decay():
    order, lrs = step_sequence("strategy3", LRS, 3, n_repeats=3)
    last = LRS[3:]
    expected = np.concatenate(
        [LRS, last * 0.98, last * 0.98, last * 0.98**2, last * 0.98**2]
    )
    np.testing.assert_allclose(lrs, expected, rtol=1e-15)
    np.testing.assert_array_equal(order, np.tile([0, 1, 2], 6))
    # Same length and same multiplier per block of epochs as strategy 2.
    _, lrs2 = step_sequence("strategy2", LRS, 3, n_repeats=3)
    np.testing.assert_allclose(lrs[-3:] / lrs2[-3:], last / LRS[3:])


def test_strategy1_warms_up_then_decays_without_learned_rates():
    order, lrs = step_sequence("strategy1", LRS, 3, n_repeats=3, base_lr=0.1)
    epoch_rates = 0.1 * np.array(
        [1.0, 1.1, 1.1 * 0.95, 1.1 * 0.95**2, 1.1 * 0.95**3, 1.1 * 0.95**4]
    )
    np.testing.assert_allclose(lrs, np.repeat(epoch_rates, 3), rtol=1e-14)
    # The learned rates play no part.
    _, other = step_sequence("strategy1", LRS * 100, 3, n_repeats=3, base_lr=0.1)
    np.testing.assert_array_equal(lrs, other)


def test_strategy1_paper_setting_warms_up_for_the_distilled_epochs():
    _, lrs = step_sequence("strategy1", np.ones(200), 40, n_repeats=10, base_lr=1)
    epoch_rates = lrs[::40]
    assert epoch_rates.size == 50
    np.testing.assert_allclose(epoch_rates[4], 1.1**4)
    assert np.all(np.diff(epoch_rates[:5]) > 0) and np.all(np.diff(epoch_rates[4:]) < 0)


def test_constant():
    order, lrs = step_sequence("constant", LRS, 3, n_repeats=2, base_lr=0.3)
    np.testing.assert_array_equal(lrs, np.full(12, 0.3))
    np.testing.assert_array_equal(order, np.tile([0, 1, 2], 4))


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_schedule_gives_positive_rates_and_whole_epochs(schedule):
    order, lrs = step_sequence(schedule, LRS, 2, n_repeats=4, base_lr=0.5)
    assert order.shape == lrs.shape and lrs.size % 2 == 0
    assert np.all(lrs > 0)
    np.testing.assert_array_equal(order, np.arange(lrs.size) % 2)


@pytest.mark.parametrize(
    "lrs, match",
    [
        ([0.1, -0.2], "not positive"),
        ([0.1, 0.0], "not positive"),
        ([0.1, np.nan], "NaN or infinite"),
        ([], "non-empty"),
    ],
)
def test_bad_learning_rates_are_rejected(lrs, match):
    with pytest.raises(ValueError, match=match):
        check_learning_rates(lrs)
    with pytest.raises(ValueError, match=match):
        step_sequence("strategy2", lrs, 1 if len(lrs) != 2 else 2)


def test_other_errors():
    with pytest.raises(ValueError, match="schedule must be one of"):
        step_sequence("cosine", LRS, 3)
    with pytest.raises(ValueError, match="not a multiple of n_steps=4"):
        step_sequence("distilled", LRS, 4)
    with pytest.raises(ValueError, match="needs a base learning rate"):
        step_sequence("strategy1", LRS, 3)
    with pytest.raises(ValueError, match="base_lr contains a learning rate"):
        step_sequence("constant", LRS, 3, base_lr=-1.0)
    with pytest.raises(ValueError, match="n_repeats must be a positive integer"):
        step_sequence("strategy2", LRS, 3, n_repeats=0)
