"""The compiled (numba) hypergradient against the torch path."""

import warnings

import numpy as np
import pytest
import torch

from skdistill import DatasetDistiller
from skdistill._engine import fastpath as _fastpath
from skdistill._engine.reverse import distillation_value_and_grad
from skdistill._nets.mlp import layer_sizes, xavier_init

needs_numba = pytest.mark.skipif(_fastpath.numba is None, reason="needs numba")


def _problem(
    architectures,
    *,
    n_steps=3,
    n_epochs=2,
    per_step=6,
    n_features=3,
    n_classes=2,
    n_models=2,
    batch=4,
    dtype=torch.float64,
    seed=0,
):
    generator = torch.Generator().manual_seed(seed)
    syn_X = torch.randn(
        (n_steps, per_step, n_features), generator=generator, dtype=dtype
    )
    logits = torch.randn((n_steps, per_step, n_classes), generator=generator)
    syn_Y = torch.softmax(logits, dim=-1).to(dtype)
    lrs = 0.2 + 0.1 * torch.rand((n_steps * n_epochs,), generator=generator)
    inits = [
        [
            p + 0.05
            for p in xavier_init(
                layer_sizes(n_features, h, n_classes),
                n_models,
                generator=generator,
                dtype=dtype,
            )
        ]
        for h in architectures
    ]
    X_real = torch.randn((batch, n_features), generator=generator, dtype=dtype)
    y_real = torch.randint(0, n_classes, (batch,), generator=generator)
    return syn_X, syn_Y, lrs.to(dtype), inits, X_real, y_real


def _both(problem, checkpoint_segments=None):
    return [
        distillation_value_and_grad(
            *problem, checkpoint_segments=checkpoint_segments, backend=backend
        )
        for backend in ("torch", "numba")
    ]


@needs_numba
@pytest.mark.parametrize("checkpoint_segments", [None, 1, 2, 5, 6])
@pytest.mark.parametrize(
    "architectures",
    # Hidden layers wider than the inputs, the classes and the rows, a real
    # batch smaller and larger than a synthetic one, several architectures.
    [((),), ((9,),), ((9, 5), (4,)), ((2, 11, 3),)],
)
@pytest.mark.parametrize("batch", [4, 13])
def test_numba_matches_torch_in_float64(architectures, checkpoint_segments, batch):
    problem = _problem(architectures, n_classes=3, batch=batch)
    (value, *grads), (fast_value, *fast_grads) = _both(problem, checkpoint_segments)
    assert fast_value == pytest.approx(value, rel=1e-12)
    for expected, actual in zip(grads, fast_grads):
        assert actual.dtype == expected.dtype
        assert torch.linalg.norm(expected) > 1e-6  # the check is not vacuous
        torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-13)


@needs_numba
def test_numba_matches_torch_in_float32_at_the_paper_shape():
    # One hidden layer of 10, 3 models, 40 x 5 steps, 8 rows per step, batch 64.
    problem = _problem(
        ((10,),),
        n_steps=40,
        n_epochs=5,
        per_step=8,
        n_features=2,
        n_models=3,
        batch=64,
        dtype=torch.float32,
    )
    (value, *grads), (fast_value, *fast_grads) = _both(problem)
    assert fast_value == pytest.approx(value, rel=1e-5)
    for expected, actual in zip(grads, fast_grads):
        assert actual.dtype == torch.float32
        scale = expected.abs().max().item()
        torch.testing.assert_close(actual, expected, rtol=1e-3, atol=1e-4 * scale)


@needs_numba
def test_diverging_unroll_gives_non_finite_values():
    syn_X, syn_Y, lrs, inits, X_real, y_real = _problem(((9,),), n_epochs=20)
    result = distillation_value_and_grad(
        syn_X * 1e3, syn_Y, lrs * 1e4, inits, X_real, y_real, backend="numba"
    )
    assert not all(np.isfinite(result[0]) and t.isfinite().all() for t in result[1:])


def test_selection_by_size_and_kind(monkeypatch):
    small = _problem(((10,),), per_step=8, dtype=torch.float32)
    wide = _problem(((64, 64),), per_step=64, n_features=20, n_classes=10)
    # 64 x (100 x 256 + 256 x 256 + 256 x 2) multiply-adds per step.
    large = _problem(((10,), (256, 256)), per_step=64, n_features=100, n_models=1)

    def chosen(problem, **kwargs):
        syn_X, _, _, inits, X_real, _ = problem
        return _fastpath.use_fast_path(syn_X, inits, X_real, **kwargs)

    assert chosen(small) == (_fastpath.numba is not None)
    assert chosen(wide) == (_fastpath.numba is not None)
    assert not chosen(large)
    assert chosen(large, check_size=False) == (_fastpath.numba is not None)
    half = [t.half() if t.is_floating_point() else t for t in small[:3]]
    assert not chosen((*half, *small[3:]))
    monkeypatch.setenv("SKDISTILL_DISABLE_NUMBA", "1")
    assert not chosen(small)


def test_tensors_off_the_cpu_keep_the_torch_path():
    # A CUDA tensor is not on the CPU; neither is one on the "meta" device,
    # which every torch build has.
    syn_X, _, _, inits, X_real, _ = _problem(((10,),), dtype=torch.float32)
    meta_inits = [[p.to("meta") for p in params] for params in inits]
    assert not _fastpath.use_fast_path(syn_X.to("meta"), meta_inits, X_real)
    params, step_X, _, _ = _replay_problem()
    meta_params = [p.to("meta") for p in params]
    assert not _fastpath.use_fast_replay(
        meta_params, [x.to("meta") for x in step_X], "relu"
    )


def test_without_numba_the_torch_path_runs(monkeypatch):
    problem = _problem(((9,),))
    expected = distillation_value_and_grad(*problem, backend="torch")
    monkeypatch.setattr(_fastpath, "numba", None)
    for backend in ("auto", "numba"):
        actual = distillation_value_and_grad(*problem, backend=backend)
        assert actual[0] == expected[0]
        for a, e in zip(actual[1:], expected[1:]):
            assert torch.equal(a, e)


@needs_numba
def test_a_compilation_failure_falls_back_to_torch_with_a_warning(monkeypatch):
    def failing(*args):
        raise _fastpath.numba.core.errors.TypingError("no")

    monkeypatch.setattr(_fastpath, "_value_and_grad", failing)
    monkeypatch.setattr(_fastpath, "_failed", False)
    problem = _problem(((9,),))
    expected = distillation_value_and_grad(*problem, backend="torch")
    with pytest.warns(RuntimeWarning, match="torch path"):
        actual = distillation_value_and_grad(*problem, backend="numba")
    assert actual[0] == expected[0]
    # Once failed, the compiled path is not tried again.
    assert not _fastpath.use_fast_path(problem[0], problem[3], problem[4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distillation_value_and_grad(*problem)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="backend must be"):
        distillation_value_and_grad(*_problem(((3,),)), backend="jax")


@needs_numba
def test_distiller_fit_agrees_with_the_torch_path(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params = dict(n_steps=4, n_epochs=2, samples_per_step=4, max_iter=5, random_state=0)
    fast = DatasetDistiller(**params).fit(X, y)
    monkeypatch.setenv("SKDISTILL_DISABLE_NUMBA", "1")
    reference = DatasetDistiller(**params).fit(X, y)
    # float32 throughout: rounding differs, the path does not.
    np.testing.assert_allclose(fast.distilled_X_, reference.distilled_X_, atol=1e-4)
    np.testing.assert_allclose(fast.loss_curve_, reference.loss_curve_, rtol=1e-5)


def _replay_problem(hidden=(9, 4), n_models=3, dtype=torch.float64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    params = [
        p + 0.05
        for p in xavier_init(
            layer_sizes(3, hidden, 4), n_models, generator=generator, dtype=dtype
        )
    ]
    step_X = [torch.randn((5, 3), generator=generator, dtype=dtype) for _ in range(3)]
    step_Y = [
        torch.softmax(torch.randn((5, 4), generator=generator, dtype=dtype), -1)
        for _ in range(3)
    ]
    # More steps than batches: step k takes batch k mod 3.
    step_lrs = (0.3 + 0.1 * torch.rand(7, generator=generator)).tolist()
    return params, step_X, step_Y, step_lrs


def _replay_both(problem, monkeypatch, activation="relu", weight_decay=0.0):
    from skdistill._engine.unroll import replay_distilled

    fast = replay_distilled(*problem, activation, weight_decay)
    with monkeypatch.context() as patch:
        patch.setenv("SKDISTILL_DISABLE_NUMBA", "1")
        reference = replay_distilled(*problem, activation, weight_decay)
    return fast, reference


@needs_numba
@pytest.mark.parametrize("hidden", [(), (9,), (9, 4)])
def test_compiled_replay_matches_torch(hidden, monkeypatch):
    problem = _replay_problem(hidden)
    assert _fastpath.use_fast_replay(problem[0], problem[1], "relu")
    fast, reference = _replay_both(problem, monkeypatch)
    for actual, expected in zip(fast, reference):
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        torch.testing.assert_close(actual, expected, rtol=1e-12, atol=1e-14)
    fast, reference = _replay_both(_replay_problem(dtype=torch.float32), monkeypatch)
    for actual, expected in zip(fast, reference):
        torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-6)


@needs_numba
def test_compiled_replay_with_weight_decay_matches_torch(monkeypatch):
    problem = _replay_problem((9, 4))
    fast, reference = _replay_both(problem, monkeypatch, weight_decay=0.2)
    plain, _ = _replay_both(problem, monkeypatch)
    for actual, expected in zip(fast, reference):
        torch.testing.assert_close(actual, expected, rtol=1e-12, atol=1e-14)
    # The decay shrinks the weights.
    assert fast[0].norm() < plain[0].norm()


def test_replay_keeps_the_torch_path_where_it_must(monkeypatch):
    params, step_X, step_Y, step_lrs = _replay_problem()
    # Other activations, autograd through the replay, large stacks of networks.
    assert not _fastpath.use_fast_replay(params, step_X, "tanh")
    grad_X = [x.clone().requires_grad_(True) for x in step_X]
    assert not _fastpath.use_fast_replay(params, grad_X, "relu")
    many = xavier_init(layer_sizes(100, (256, 256), 2), 20, generator=torch.Generator())
    assert not _fastpath.use_fast_replay(
        many, [torch.zeros((10, 100), dtype=torch.float32)], "relu"
    )
    fast, reference = _replay_both(
        (params, step_X, step_Y, step_lrs), monkeypatch, "tanh"
    )
    for actual, expected in zip(fast, reference):
        assert torch.equal(actual, expected)
