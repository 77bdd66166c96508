"""The outer-iteration state of a distiller, and the TextConvNet family's
stacked storage."""

import numpy as np
import torch

from skdistill import DistilledDataset
from skdistill._engine.optim import Adam
from skdistill._engine.outer_state import OuterState, round_robin_classes
from skdistill._nets import text_cnn
from skdistill._nets.protocol import stack_networks


def _state(**kwargs):
    gen = torch.Generator().manual_seed(0)
    rows = torch.randn((2, 3, 4), generator=gen, dtype=torch.float64)
    row_class = round_robin_classes(2, 3, n_classes=2)
    return OuterState(rows, row_class, 2, n_total_steps=4, lr_init=0.1, **kwargs)


def test_labels_start_one_hot_round_robin_and_rates_at_lr_init():
    state = _state()
    assert round_robin_classes(2, 3, 2).tolist() == [[0, 1, 0], [1, 0, 1]]
    np.testing.assert_array_equal(state.Y[0].numpy(), [[1, 0], [0, 1], [1, 0]])
    np.testing.assert_allclose(state.lrs.numpy(), 0.1)
    assert len(state.learned) == 3
    assert all(t is s for t, s in zip(state.learned, (state.X, state.Y, state.log_lr)))
    assert len(_state(soft_labels=False, learn_lr=False).learned) == 1


def test_a_step_is_adam_then_the_projection_onto_the_simplex():
    state = _state(learning_rate=0.05)
    gen = torch.Generator().manual_seed(1)
    grads = [torch.randn(t.shape, generator=gen, dtype=t.dtype) for t in state.learned]
    expected = [t.clone() for t in state.learned]
    Adam(expected, learning_rate=0.05).step(grads)
    assert state.step(grads)
    torch.testing.assert_close(state.X, expected[0])
    torch.testing.assert_close(state.log_lr, expected[2])
    # The labels moved off one-hot and were projected back onto the simplex.
    assert (state.Y >= 0).all() and not torch.equal(state.Y, expected[1])
    torch.testing.assert_close(state.Y.sum(-1), torch.ones(2, 3, dtype=torch.float64))


def test_a_non_finite_gradient_changes_nothing():
    state = _state()
    before = [t.clone() for t in state.learned]
    grads = [torch.zeros_like(t) for t in state.learned]
    grads[0][0, 0, 0] = float("nan")
    assert not state.step(grads)
    for t, b in zip(state.learned, before):
        assert torch.equal(t, b)
    assert state.optimizer.t == 0


def test_the_average_follows_the_iterates():
    state = _state(average_decay=0.5, soft_labels=False, learn_lr=False)
    start = state.X.clone()
    assert state.step([torch.ones_like(state.X)])
    torch.testing.assert_close(state.averaged[0], 0.5 * start + 0.5 * state.X)
    averaged = state.to_dataset(DistilledDataset, ["a", "b"], averaged=True)
    np.testing.assert_allclose(
        averaged.X_scaled, state.averaged[0].numpy().reshape(6, 4)
    )


def test_to_dataset_lays_out_steps_rows_and_rates():
    state = _state()
    ds = state.to_dataset(DistilledDataset, ["a", "b"], lr_init=0.1)
    assert (ds.n_rows, ds.n_features, ds.n_steps, ds.n_epochs) == (6, 4, 2, 2)
    assert ds.step.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.hard_labels.tolist() == ["a", "b", "a", "b", "a", "b"]
    np.testing.assert_allclose(ds.lr_schedule, 0.1)
    np.testing.assert_array_equal(ds.X_scaled, state.X.numpy().reshape(6, 4))


def test_text_cnn_networks_stack_and_unstack_exactly():
    gen = torch.Generator().manual_seed(0)
    config = {"n_filters": 3, "kernel_sizes": [2, 3]}
    networks = [text_cnn.init((5, 4), 2, config, generator=gen) for _ in range(3)]
    stacked = stack_networks(networks)
    assert [p.shape for p in stacked] == [
        (3, 3, 4, 2),
        (3, 3),
        (3, 3, 4, 3),
        (3, 3),
        (3, 2, 6),
        (3, 2),
    ]
    for m, params in enumerate(networks):
        for a, b in zip(text_cnn.unstack(stacked, m), params):
            assert a.dtype == text_cnn.DTYPE and torch.equal(a, b)
