"""Distilling over a search space, and replaying with alpha and learning rates."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator

from skdistill import DatasetDistiller, DistilledMLPClassifier
from skdistill._engine.unroll import distillation_objective
from skdistill._nets.mlp import layer_sizes, xavier_init
from skdistill._tabular.search_space import (
    Configuration,
    SearchSpaceSampler,
    check_search_space,
    real_batch_size,
    space_value_and_grad,
)

SPACE = {
    "hidden_layer_sizes": [(6,), (4, 4)],
    "alpha": [1e-4, 3.0],
    "learning_rate_init": [1e-3, 1e-2],
}


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0
    )


def _distiller(**params):
    params = {"max_iter": 12, **params}
    return DatasetDistiller(n_steps=3, samples_per_step=6, n_epochs=2, **params)


@pytest.mark.parametrize(
    "space, message",
    [
        ({"max_iter": [10]}, "'max_iter', which distillation cannot vary"),
        ({"alpha": []}, r"search_space\['alpha'\] is empty"),
        ({"alpha": 0.1}, r"search_space\['alpha'\] must be a non-empty list"),
        ({"alpha": [-1.0]}, r"search_space\['alpha'\] values must be non-negative"),
        ({"alpha": [float("inf")]}, r"search_space\['alpha'\] values must be finite"),
        (
            {"learning_rate_init": ["auto"]},
            r"search_space\['learning_rate_init'\] values must be positive",
        ),
        (
            {"learning_rate_init": [0.0]},
            r"search_space\['learning_rate_init'\] values must be positive",
        ),
        ({"activation": ["softplus"]}, r"search_space\['activation'\] values"),
        (
            {"hidden_layer_sizes": [(0,)]},
            r"search_space\['hidden_layer_sizes'\] must be",
        ),
        ([], "search_space must be a dict"),
        ([{"alpha": [0.1]}, 3], "search_space must hold dicts"),
    ],
)
def test_bad_search_spaces_are_refused_naming_the_parameter(data, space, message):
    with pytest.raises(ValueError, match=message):
        _distiller(search_space=space).fit(*data)


def test_search_space_of_the_wrong_type_is_refused(data):
    with pytest.raises(ValueError, match="search_space"):
        _distiller(search_space="alpha").fit(*data)


def test_fixed_init_cannot_be_combined_with_a_search_space(data):
    with pytest.raises(ValueError, match="fixed_init=True cannot be combined"):
        _distiller(search_space=SPACE, fixed_init=True).fit(*data)


def test_pipeline_prefixes_are_dropped_and_ints_are_one_layer():
    grids = check_search_space({"clf__alpha": [0.1], "hidden_layer_sizes": [5]})
    assert grids == [{"alpha": [0.1], "hidden_layer_sizes": [(5,)]}]


def test_sampler_scales_alpha_by_the_real_batch_and_lr_by_the_reference():
    grids = check_search_space([SPACE, {"alpha": [0.5]}])
    sampler = SearchSpaceSampler(grids, ((9,),), n_samples=150)
    assert sampler.batch == 150 == real_batch_size(150)
    assert sampler.lr_reference == pytest.approx(np.sqrt(1e-3 * 1e-2))
    configs = sampler.sample(np.random.RandomState(0), 200)
    alphas = sorted({round(c.weight_decay * 150, 9) for c in configs})
    assert alphas == [1e-4, 0.5, 3.0]
    assert {c.hidden for c in configs} == {(6,), (4, 4), (9,)}
    scales = {round(c.lr_scale, 6) for c in configs}
    # The second grid has no learning rate: its models keep the learned rates.
    assert scales == {round(np.sqrt(0.1), 6), round(np.sqrt(10), 6), 1.0}
    assert real_batch_size(5000) == 200 and real_batch_size(None, 32) == 32


def test_distilling_over_a_search_space_is_repeatable_and_records_the_space(data):
    first = _distiller(search_space=SPACE, random_state=0).fit(*data)
    second = _distiller(search_space=SPACE, random_state=0).fit(*data)
    np.testing.assert_array_equal(first.distilled_X_, second.distilled_X_)
    np.testing.assert_array_equal(first.lr_schedule_, second.lr_schedule_)
    plain = _distiller(random_state=0).fit(*data)
    assert not np.array_equal(first.distilled_X_, plain.distilled_X_)
    provenance = first.distilled_.provenance
    assert provenance["lr_reference"] == pytest.approx(np.sqrt(1e-5))
    assert provenance["n_samples"] == 150
    assert "lr_reference" not in plain.distilled_.provenance


def test_other_activations_distill_through_autograd(data):
    space = {"activation": ["tanh", "relu"], "hidden_layer_sizes": [(5,)]}
    distiller = _distiller(search_space=space, random_state=0).fit(*data)
    assert np.all(np.isfinite(distiller.distilled_X_))
    start = _distiller(search_space=space, random_state=0, max_iter=1).fit(*data)
    assert not np.array_equal(distiller.distilled_X_, start.distilled_X_)


def test_mixed_activations_gradient_matches_autograd():
    generator = torch.Generator().manual_seed(0)
    dtype = torch.float64
    syn_X = torch.randn((2, 4, 3), generator=generator, dtype=dtype)
    syn_Y = torch.softmax(torch.randn((2, 4, 2), generator=generator, dtype=dtype), -1)
    lrs = torch.full((4,), 0.3, dtype=dtype)
    X_real = torch.randn((7, 3), generator=generator, dtype=dtype)
    y_real = torch.randint(0, 2, (7,), generator=generator)
    configs = [
        Configuration((4,), "relu", 1.0, 0.0),
        Configuration((3, 3), "tanh", 2.0, 0.1),
        Configuration((), "relu", 0.5, 0.2),
    ]
    inits = [
        xavier_init(layer_sizes(3, c.hidden, 2), 1, generator=generator, dtype=dtype)
        for c in configs
    ]
    loss, *grads = space_value_and_grad(
        syn_X, syn_Y, lrs, configs, inits, X_real, y_real
    )
    leaves = [t.clone().requires_grad_(True) for t in (syn_X, syn_Y, lrs)]
    expected = distillation_objective(
        *leaves,
        inits,
        X_real,
        y_real,
        lr_scales=[c.lr_scale for c in configs],
        weight_decays=[c.weight_decay for c in configs],
        activations=[c.activation for c in configs],
    )
    assert loss == pytest.approx(expected.item(), rel=1e-10)
    for got, want in zip(grads, torch.autograd.grad(expected, leaves)):
        torch.testing.assert_close(got, want, rtol=1e-8, atol=1e-11)


def test_alpha_acts_in_the_replay_as_a_weight_decay(data):
    distiller = FrozenEstimator(_distiller(random_state=0).fit(*data))

    def weights(alpha):
        clf = DistilledMLPClassifier(
            (6,), alpha=alpha, distiller=distiller, random_state=0
        ).fit(*data)
        return np.concatenate([c.ravel() for c in clf.coefs_])

    small, large = weights(0.0), weights(50.0)
    assert np.linalg.norm(large) < 0.9 * np.linalg.norm(small)
    clf = DistilledMLPClassifier(alpha=3.0, distiller=distiller)
    dataset = distiller.estimator.distilled_
    # MLPClassifier's batch on the 150 rows the set was distilled from.
    assert clf._replay_weight_decay(dataset) == pytest.approx(3.0 / 150)
    clf.set_params(batch_size=50)
    assert clf._replay_weight_decay(dataset) == pytest.approx(3.0 / 50)


def test_learning_rate_init_scales_the_learned_rates_of_a_space(data):
    searched = FrozenEstimator(
        _distiller(search_space=SPACE, random_state=0).fit(*data)
    )
    plain = FrozenEstimator(_distiller(random_state=0).fit(*data))

    def coefs(distiller, lr, schedule="distilled"):
        clf = DistilledMLPClassifier(
            (6,),
            learning_rate_init=lr,
            distiller=distiller,
            schedule=schedule,
            random_state=0,
        ).fit(*data)
        return clf.coefs_[0]

    # Distilled over learning rates: the rate acts, relative to the reference.
    assert not np.array_equal(coefs(searched, 1e-3), coefs(searched, 1e-2))
    reference = searched.estimator.distilled_.provenance["lr_reference"]
    np.testing.assert_array_equal(coefs(searched, reference), coefs(searched, "auto"))
    # Without learning rates in a search space the learned rates are kept.
    np.testing.assert_array_equal(coefs(plain, 1e-3), coefs(plain, 1e-2))
    # The constant schedule uses learning_rate_init itself, as before.
    assert not np.array_equal(
        coefs(plain, 1e-3, "constant"), coefs(plain, 1e-2, "constant")
    )


def test_a_saved_set_replays_with_its_search_space_rules(data, tmp_path):
    from skdistill import DistilledDataset

    distiller = _distiller(search_space=SPACE, random_state=0).fit(*data)
    distiller.distilled_.save(tmp_path / "set.npz")
    loaded = DistilledDataset.load(tmp_path / "set.npz")
    params = dict(hidden_layer_sizes=(6,), alpha=3.0, learning_rate_init=1e-2)
    direct = DistilledMLPClassifier(
        **params, distiller=FrozenEstimator(distiller), random_state=0
    ).fit(*data)
    reloaded = DistilledMLPClassifier(**params, distiller=loaded, random_state=0).fit(
        *data
    )
    np.testing.assert_array_equal(direct.coefs_[0], reloaded.coefs_[0])
