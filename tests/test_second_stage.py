"""DatasetDistiller's second stage: a longer run or a smaller outer step after
early stopping, from the best set."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_moons
from sklearn.preprocessing import StandardScaler

from skdistill import DatasetDistiller, DistilledDataset
from skdistill._engine.outer_state import OuterState
from skdistill._tabular import distiller as distiller_module
from skdistill._tabular.internal_models import InternalModels
from skdistill._utils import DivergenceWarning


def _table(n=240, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, y


# Short fits: checks every 10 outer iterations; the first stage stops early
# (after 160-290 iterations at seeds 0-2) and leaves room for a second.
_SMALL = dict(
    n_steps=3, samples_per_step=4, n_epochs=2, max_iter=400, n_iter_no_change=16
)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"second_stage": "longer"}, "second_stage"),
        ({"second_stage": True}, "second_stage"),
        (
            {"second_stage": "longer_run", "validation_fraction": None},
            "second_stage='longer_run'",
        ),
        (
            {"second_stage": "smaller_step", "validation_fraction": None},
            "second_stage='smaller_step'",
        ),
    ],
)
def test_bad_values_name_the_parameter(params, match):
    X, y = _table()
    with pytest.raises(ValueError, match=match):
        DatasetDistiller(**params, max_iter=2).fit(X, y)


def test_second_stage_without_early_stopping_fails_before_reading_the_data():
    distiller = DatasetDistiller(second_stage="longer_run", validation_fraction=None)
    with pytest.raises(ValueError, match="second_stage='longer_run'"):
        distiller.fit([["not", "numbers"]], [0])


def test_off_is_one_stage():
    X, y = _table()
    distiller = DatasetDistiller(**_SMALL, random_state=0).fit(X, y)
    assert distiller.second_stage_ is None
    assert distiller.stage_iterations_ == [distiller.n_iter_]
    assert len(distiller.lr_schedule_) == 6
    assert "second_stage" not in distiller.distilled_.provenance


def test_smaller_step_starts_with_the_fit_without_it():
    # Its first stage is the fit of second_stage=None to the bit; the second
    # goes on from that fit's best set at a fifth of the outer step.
    X, y = _table()
    plain = DatasetDistiller(**_SMALL, random_state=0).fit(X, y)
    two = DatasetDistiller(**_SMALL, second_stage="smaller_step", random_state=0)
    two.fit(X, y)
    n_first, n_second = two.stage_iterations_
    assert two.second_stage_ == "smaller_step"
    assert n_first == plain.n_iter_ and n_second >= 1
    assert two.kept_stage_ == 2
    assert two.n_iter_ == n_first + n_second == len(two.loss_curve_)
    np.testing.assert_array_equal(two.loss_curve_[:n_first], plain.loss_curve_)
    n_checks = len(plain.validation_scores_)
    assert two.validation_scores_[:n_checks] == plain.validation_scores_
    # One more check for the second stage's starting set: the first's best.
    assert two.validation_scores_[n_checks] == max(plain.validation_scores_)
    assert len(two.lr_schedule_) == len(plain.lr_schedule_)
    assert plain.best_iteration_ <= n_first <= two.best_iteration_ <= two.n_iter_
    assert two.distilled_.provenance["stage_iterations"] == [n_first, n_second]
    assert two.distilled_.provenance["second_stage"] == "smaller_step"


def test_longer_run_replays_three_times_the_epochs():
    # Its first stage is the plain fit at a quarter of the patience; the
    # distilled set replays three times the epochs.
    X, y = _table()
    first = DatasetDistiller(**{**_SMALL, "n_iter_no_change": 4}, random_state=0)
    first.fit(X, y)
    two = DatasetDistiller(**_SMALL, second_stage="longer_run", random_state=0)
    two.fit(X, y)
    n_first, n_second = two.stage_iterations_
    assert two.second_stage_ == "longer_run" and two.kept_stage_ == 2
    assert n_first == first.n_iter_ and n_second >= 1
    np.testing.assert_array_equal(two.loss_curve_[:n_first], first.loss_curve_)
    assert two.lr_schedule_.shape == (18,)  # 3 steps x 6 epochs
    assert two.distilled_.n_epochs == 6
    # The provenance names the run the kept set was learned for.
    provenance = two.distilled_.provenance
    assert (provenance["n_epochs"], provenance["n_models"]) == (6, 2)
    assert two.distilled_X_.shape == first.distilled_X_.shape
    assert n_first <= two.best_iteration_ <= two.n_iter_
    assert np.all(np.isfinite(two.loss_curve_))
    assert two.n_iter_ <= two.max_iter


def _moons():
    X, y = make_moons(300, noise=0.3, random_state=1)
    return StandardScaler().fit_transform(X), y


# A fit whose longer second stage ends below its first stage's best on the
# held-out rows (its best 0.896 against 0.900, each set replayed with its own
# schedule).
_MOONS = dict(
    n_steps=2, samples_per_step=4, n_epochs=4, max_iter=120, n_iter_no_change=40,
    lr_init=0.5, random_state=1,
)  # fmt: skip


def test_a_second_stage_that_does_not_beat_the_first_keeps_the_first_set():
    X, y = _moons()
    two = DatasetDistiller(**_MOONS, second_stage="longer_run").fit(X, y)
    # The first stage alone: the same fit at a quarter of the patience.
    first = DatasetDistiller(**{**_MOONS, "n_iter_no_change": 10}).fit(X, y)
    n_first, n_second = two.stage_iterations_
    assert two.second_stage_ == "longer_run" and n_second >= 1
    assert two.kept_stage_ == 1
    # The first stage's set with its own short schedule, to the bit.
    np.testing.assert_array_equal(two.distilled_X_, first.distilled_X_)
    np.testing.assert_array_equal(two.distilled_y_, first.distilled_y_)
    np.testing.assert_array_equal(two.lr_schedule_, first.lr_schedule_)
    assert two.lr_schedule_.shape == (8,) and two.distilled_.n_epochs == 4
    assert two.best_iteration_ == first.best_iteration_ <= n_first
    n_checks = len(first.validation_scores_)
    assert max(two.validation_scores_[n_checks:]) < max(first.validation_scores_)
    assert two.distilled_.provenance["kept_stage"] == 1
    assert two.distilled_.provenance["best_iteration"] == first.best_iteration_


def test_auto_picks_the_stage_from_the_length_of_the_run():
    X, y = _table()
    short = DatasetDistiller(**_SMALL, second_stage="auto", random_state=0)
    assert short.fit(X, y).second_stage_ == "longer_run"  # 6 steps
    # 3 steps x 80 epochs = 240 steps: a long run keeps its length. (A
    # patience of 1: the first stage stops at its second check.)
    params = {**_SMALL, "n_epochs": 80, "max_iter": 40, "n_iter_no_change": 1}
    long = DatasetDistiller(**params, second_stage="auto", random_state=0)
    long.fit(X, y)
    assert long.second_stage_ == "smaller_step"
    assert len(long.stage_iterations_) == 2
    assert long.lr_schedule_.shape == (240,)


def test_auto_switches_at_240_internal_steps():
    auto = DatasetDistiller(second_stage="auto")
    assert auto._second_stage_kind(239, True) == "longer_run"
    assert auto._second_stage_kind(240, True) == "smaller_step"
    assert auto._second_stage_kind(239, False) is None
    assert DatasetDistiller()._second_stage_kind(239, True) is None
    sized = DatasetDistiller(second_stage="auto", n_samples=30)
    assert sized._second_stage_kind(239, True) is None


def test_second_stage_settings():
    # The settings read the fit's resolved networks (n_models_).
    distiller = DatasetDistiller()
    distiller.architectures_, distiller.n_models_ = ((10,),), 3
    assert distiller._second_stage_settings("longer_run", 8) == (24, 2, 0.01, 75)
    assert distiller._second_stage_settings("smaller_step", 8) == (8, 3, 0.002, 100)
    # Never fewer networks than architectures; none cut with fixed inits.
    distiller.architectures_ = ((10,), (5,), ())
    assert distiller._second_stage_settings("longer_run", 8)[1] == 3
    distiller.n_models_ = 6
    assert distiller._second_stage_settings("longer_run", 8)[1] == 4
    distiller.n_models_ = 1
    distiller.architectures_ = ((10,),)
    assert distiller._second_stage_settings("longer_run", 8)[1] == 1
    distiller.n_models_ = 3
    distiller.set_params(fixed_init=True)
    assert distiller._second_stage_settings("longer_run", 8)[1] == 3


def _count_networks(monkeypatch):
    """The networks of every `InternalModels.sample` call, in order."""
    counts = []
    sample = InternalModels.sample

    def counted(self):
        stacks = sample(self)
        counts.append(sum(stack[0].shape[0] for stack in stacks))
        return stacks

    monkeypatch.setattr(InternalModels, "sample", counted)
    return counts


def test_longer_run_trains_two_thirds_of_the_networks(monkeypatch):
    X, y = _table()
    counts = _count_networks(monkeypatch)
    two = DatasetDistiller(**_SMALL, second_stage="longer_run", random_state=0)
    two.fit(X, y)
    n_first, n_second = two.stage_iterations_
    # One draw per outer iteration: 3 networks, then 2 in the second stage.
    assert counts[-n_second:] == [2] * n_second
    assert counts[-n_second - n_first : -n_second] == [3] * n_first


@pytest.mark.parametrize(
    "params",
    [
        {"validation_fraction": None},  # no early stopping
        {"n_samples_per_class": 2},  # a size the user chose
        {"n_samples": 6},
    ],
)
def test_auto_runs_no_second_stage_here(params):
    X, y = _table()
    params = {**_SMALL, "max_iter": 40, **params}
    if "n_samples_per_class" in params or "n_samples" in params:
        del params["n_steps"], params["samples_per_step"]
    auto = DatasetDistiller(**params, second_stage="auto", random_state=0).fit(X, y)
    plain = DatasetDistiller(**params, random_state=0).fit(X, y)
    assert auto.second_stage_ is None and len(auto.stage_iterations_) == 1
    np.testing.assert_array_equal(auto.distilled_X_, plain.distilled_X_)
    np.testing.assert_array_equal(auto.lr_schedule_, plain.lr_schedule_)


def test_too_small_to_hold_out_runs_no_second_stage():
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((6, 2)), np.arange(6) % 2
    params = dict(n_steps=2, samples_per_step=2, max_iter=5)
    with pytest.warns(UserWarning, match="second_stage='longer_run' is ignored"):
        distiller = DatasetDistiller(**params, second_stage="longer_run").fit(X, y)
    assert distiller.second_stage_ is None and distiller.kept_stage_ == 1
    assert distiller.validation_scores_ is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DatasetDistiller(**params, second_stage="auto").fit(X, y)


@pytest.mark.parametrize("kind", ["longer_run", "smaller_step"])
def test_random_state_fixes_both_stages(kind):
    X, y = _table()
    fits = [
        DatasetDistiller(**_SMALL, second_stage=kind, random_state=seed).fit(X, y)
        for seed in (1, 1, 2)
    ]
    a, b, c = fits
    assert a.stage_iterations_ == b.stage_iterations_
    np.testing.assert_array_equal(a.distilled_X_, b.distilled_X_)
    np.testing.assert_array_equal(a.distilled_y_, b.distilled_y_)
    np.testing.assert_array_equal(a.lr_schedule_, b.lr_schedule_)
    assert not np.array_equal(a.distilled_X_, c.distilled_X_)


def test_longer_run_agrees_with_the_torch_path(monkeypatch):
    X, y = _table()
    params = dict(_SMALL, second_stage="longer_run", random_state=0)
    fast = DatasetDistiller(**params).fit(X, y)
    monkeypatch.setenv("SKDISTILL_DISABLE_NUMBA", "1")
    reference = DatasetDistiller(**params).fit(X, y)
    assert fast.stage_iterations_ == reference.stage_iterations_
    np.testing.assert_allclose(fast.loss_curve_, reference.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(fast.lr_schedule_, reference.lr_schedule_, rtol=1e-4)


def test_longer_run_with_a_search_space_and_fixed_initialisations():
    X, y = _table()
    space = {"hidden_layer_sizes": [(4,), (6,)], "alpha": [0.0, 1e-3]}
    with_space = DatasetDistiller(
        **_SMALL, search_space=space, second_stage="longer_run", random_state=0
    ).fit(X, y)
    assert with_space.lr_schedule_.shape == (18,)
    fixed = DatasetDistiller(
        **_SMALL, fixed_init=True, second_stage="longer_run", random_state=0
    ).fit(X, y)
    assert fixed.second_stage_ == "longer_run"
    assert len(fixed.stage_iterations_) == 2
    # The same fixed initialisations, all n_models of them, in both stages.
    assert len(fixed.fixed_init_params_[0][0]) == 3


def test_fixed_initialisations_train_both_stages(monkeypatch):
    # Both stages' outer gradients start from the one set of fixed
    # initialisations, all 3 networks (the longer run cuts none of them).
    seen = []
    outer_gradients = distiller_module.OuterGradients

    def spy(distiller, models, state, constant, fixed_inits, *args, **kwargs):
        seen.append((fixed_inits, state.log_lr.shape[0]))
        return outer_gradients(
            distiller, models, state, constant, fixed_inits, *args, **kwargs
        )

    monkeypatch.setattr(distiller_module, "OuterGradients", spy)
    X, y = _table()
    fixed = DatasetDistiller(
        **_SMALL, fixed_init=True, second_stage="longer_run", random_state=0
    ).fit(X, y)
    assert len(fixed.stage_iterations_) == 2
    (first_inits, first_steps), (second_inits, second_steps) = seen
    assert second_inits is first_inits
    assert sum(stack[0].shape[0] for stack in second_inits) == 3
    assert (first_steps, second_steps) == (6, 18)


def _state(n_steps=2, n_epochs=2, average_decay=0.9, lr_max=None):
    generator = torch.Generator().manual_seed(0)
    rows = torch.randn((n_steps, 3, 4), generator=generator, dtype=torch.float64)
    row_class = torch.arange(n_steps * 3).reshape(n_steps, 3) % 2
    state = OuterState(
        rows,
        row_class,
        2,
        n_steps * n_epochs,
        0.1,
        average_decay=average_decay,
        lr_max=lr_max,
    )
    for _ in range(3):
        state.step([torch.randn(t.shape, generator=generator) for t in state.learned])
    return state


def test_continued_state_extends_the_rates_by_the_last_epoch():
    state = _state()
    longer = state.continued(6, learning_rate=0.002)
    rates = state.log_lr.detach().numpy()
    expected = np.concatenate([rates, rates[2:]])  # 2 epochs of 2 steps, then 1
    np.testing.assert_array_equal(longer.log_lr.numpy(), expected)
    np.testing.assert_array_equal(longer.X.numpy(), state.X.numpy())
    np.testing.assert_array_equal(longer.Y.numpy(), state.Y.numpy())
    assert longer.X.data_ptr() != state.X.data_ptr()  # copies
    # The average restarts at the iterate; the optimiser is fresh.
    for avg, t in zip(longer.averaged, (longer.X, longer.Y, longer.log_lr)):
        np.testing.assert_array_equal(avg.numpy(), t.numpy())
    assert longer.optimizer.learning_rate == 0.002
    same = state.continued(4, learning_rate=0.01)
    np.testing.assert_array_equal(same.log_lr.numpy(), rates)


def test_continued_state_steps_as_a_new_one():
    # One outer step of the continued state is the step of a state built
    # from scratch at the same iterate: nothing of the old optimiser leaks in.
    state = _state(average_decay=None)
    longer = state.continued(6, learning_rate=0.01)
    fresh = OuterState(
        state.X.detach().clone(),
        torch.zeros(state.X.shape[:2], dtype=torch.int64),
        2,
        6,
        0.1,
    )
    with torch.no_grad():
        fresh.Y.copy_(state.Y)
        fresh.log_lr.copy_(longer.log_lr)
    generator = torch.Generator().manual_seed(1)
    grads = [torch.randn(t.shape, generator=generator) for t in longer.learned]
    longer.step(grads)
    fresh.step([g.clone() for g in grads])
    for a, b in zip(longer.learned, fresh.learned):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_continued_state_refuses_a_partial_epoch():
    with pytest.raises(ValueError, match="whole epochs"):
        _state().continued(5, learning_rate=0.01)
    with pytest.raises(ValueError, match="whole epochs"):
        _state().continued(2, learning_rate=0.01)


def test_second_stage_runs_at_most_as_long_as_the_first():
    distiller = DatasetDistiller(max_iter=50)
    assert distiller._second_stage_max_iter(20) == 20
    assert distiller._second_stage_max_iter(30) == 20  # max_iter in all
    assert distiller._second_stage_max_iter(50) == 0
    assert distiller._second_stage_max_iter(80) == 0
    X, y = _table()
    params = dict(_SMALL, n_iter_no_change=40, second_stage="longer_run")
    # Seed 4: a first stage of 210 iterations, then a second of 100 of the
    # 210 the first stage allows.
    free = DatasetDistiller(**{**params, "max_iter": 1000}, random_state=4).fit(X, y)
    n_first, n_second = free.stage_iterations_
    assert 1 <= n_second <= n_first
    # The same fit where max_iter leaves the second stage fewer iterations.
    capped = DatasetDistiller(**{**params, "max_iter": n_first + n_second // 2})
    capped.set_params(random_state=4).fit(X, y)
    assert capped.stage_iterations_ == [n_first, n_second // 2]
    assert capped.n_iter_ == capped.max_iter
    # None left: no second stage.
    none_left = DatasetDistiller(**{**params, "max_iter": 10}, random_state=4)
    none_left.fit(X, y)
    assert none_left.stage_iterations_ == [10] and none_left.second_stage_ is None


def test_provenance_keeps_the_stages(tmp_path):
    X, y = _table()
    two = DatasetDistiller(**_SMALL, second_stage="smaller_step", random_state=0)
    two.fit(X, y)
    path = tmp_path / "two.npz"
    two.distilled_.save(path)
    loaded = DistilledDataset.load(path).provenance
    assert loaded["second_stage"] == "smaller_step"
    assert loaded["stage_iterations"] == two.stage_iterations_
    assert loaded["kept_stage"] == two.kept_stage_
    assert loaded["n_iter"] == two.n_iter_
    assert loaded["best_iteration"] == two.best_iteration_


def test_verbose_announces_the_second_stage(capsys):
    X, y = _table()
    DatasetDistiller(
        **_SMALL, second_stage="longer_run", random_state=0, verbose=1
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "second stage 'longer_run'" in out
    assert "6 epochs, 2 networks" in out and "n_iter_no_change=6" in out


def test_a_divergent_second_stage_keeps_the_first_set(monkeypatch):
    # An outer step of 1e6 sends the second stage's learned rates to
    # infinity; the recoveries cannot bring them back.
    settings = DatasetDistiller._second_stage_settings

    def diverging(self, kind, n_epochs):
        n_epochs, n_models, _, patience = settings(self, kind, n_epochs)
        return n_epochs, n_models, 1e6, patience

    X, y = _table()
    plain = DatasetDistiller(**_SMALL, random_state=0).fit(X, y)
    monkeypatch.setattr(DatasetDistiller, "_second_stage_settings", diverging)
    two = DatasetDistiller(**_SMALL, second_stage="smaller_step", random_state=0)
    with pytest.warns(DivergenceWarning) as record:
        two.fit(X, y)
    n_first, n_second = two.stage_iterations_
    assert n_first == plain.n_iter_
    assert two.second_stage_ == "smaller_step" and two.kept_stage_ == 1
    np.testing.assert_array_equal(two.distilled_X_, plain.distilled_X_)
    np.testing.assert_array_equal(two.lr_schedule_, plain.lr_schedule_)
    assert two.best_iteration_ == plain.best_iteration_
    # Iterations counted from the start of the fit, in the recoveries and
    # in the messages alike.
    recoveries = two.divergence_recoveries_
    assert len(recoveries) == 4 and min(recoveries) > n_first
    messages = [str(w.message) for w in record]
    last = f"second stage diverged at iteration {n_first + n_second + 1}"
    assert last in messages[-1]
    assert "after 4 recoveries of its own" in messages[-1]
    assert "learning_rate" in messages[-1]
    assert f"diverged at iteration {recoveries[0]};" in messages[0]
    assert two.n_iter_ == len(two.loss_curve_)


def test_continued_state_keeps_its_type():
    class Tagged(OuterState):
        pass

    state = Tagged(
        torch.zeros((2, 3, 4)), torch.zeros((2, 3), dtype=torch.int64), 2, 4, 0.1
    )
    assert type(state.continued(6, learning_rate=0.01)) is Tagged


def test_longer_run_for_another_network_family():
    # A family of its own goes through autograd; its second stage learns the
    # longer run the same way.
    from test_network_family import TanhNetDistiller

    X, y = _table()
    # A tol that stops both stages at their first check after the start.
    params = dict(_SMALL, max_iter=60, n_iter_no_change=8, tol=0.05)
    distiller = TanhNetDistiller(
        **params, second_stage="longer_run", random_state=0
    ).fit(X, y)
    assert distiller.second_stage_ == "longer_run"
    assert distiller.stage_iterations_ == [10, 10]
    assert distiller.kept_stage_ == 2
    assert distiller.lr_schedule_.shape == (18,)
    assert np.all(np.isfinite(distiller.loss_curve_))


@pytest.mark.parametrize(
    "second, first, tol, wins",
    [
        ((0.91, -0.30), (0.90, -0.30), 1e-4, True),  # better accuracy
        ((0.90, -0.29), (0.90, -0.30), 1e-4, True),  # same accuracy, lower loss
        ((0.90005, -0.30), (0.90, -0.30), 1e-4, False),  # better by less than tol
        ((0.90, -0.30), (0.90, -0.30), 0.0, False),  # a tie keeps the first
        ((0.89, -0.10), (0.90, -0.30), 1e-4, False),  # accuracy decides first
    ],
)
def test_the_second_set_must_beat_the_first_by_tol(second, first, tol, wins):
    assert distiller_module.second_stage_wins(second, first, tol) is wins
