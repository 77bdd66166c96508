"""Distillation metrics: distillation accuracy, distillation ratio, comparison table."""

import numpy as np
import pytest
from _tables import heavy_table
from sklearn.datasets import make_moons
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from skdistill import DatasetDistiller
from skdistill._eval.metrics import (
    ComparisonTable,
    comparison_table,
    distillation_accuracy,
    distillation_ratio,
)
from skdistill._tabular.baselines import KMeansSampler, RandomRealSampler
from skdistill._tabular.classifier import DistilledMLPClassifier


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=300, noise=0.1, random_state=1)
    return train_test_split(X, y, test_size=0.5, random_state=1)


@pytest.fixture(scope="module")
def distiller(moons):
    X_train, _, y_train, _ = moons
    return DatasetDistiller(
        n_steps=4, n_epochs=2, samples_per_step=4, max_iter=150, random_state=0
    ).fit(X_train, y_train)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_model_is_exactly_a_classifier_fit(moons, distiller):
    X_train, X_test, y_train, y_test = moons
    for clf in (
        DistilledMLPClassifier((10,), distiller=FrozenEstimator(distiller)),
        DistilledMLPClassifier((10,), learning_rate_init=0.01, max_iter=30),
    ):
        score = distillation_accuracy(
            clf, X_train, y_train, X_test, y_test, n_models=1, random_state=4
        )
        expected = clf.set_params(random_state=4).fit(X_train, y_train)
        assert score.scores[0] == expected.score(X_test, y_test)
        assert score.std == 0.0


def test_many_fresh_models_differ_and_are_summarised(moons, distiller):
    X_train, X_test, y_train, y_test = moons
    clf = DistilledMLPClassifier((10,), distiller=FrozenEstimator(distiller))
    score = distillation_accuracy(
        clf, X_train, y_train, X_test, y_test, n_models=12, random_state=0
    )
    assert score.scores.shape == (12,)
    assert len(np.unique(score.scores)) > 1  # different initialisations
    assert score.mean == pytest.approx(score.scores.mean())
    assert score.std == pytest.approx(score.scores.std())
    assert 0.7 < score.mean <= 1.0
    assert str(score) == f"{score.mean:.3f} ± {score.std:.3f}"
    # The template is untouched and the result repeatable.
    assert not hasattr(clf, "coefs_")
    again = distillation_accuracy(
        clf, X_train, y_train, X_test, y_test, n_models=12, random_state=0
    )
    np.testing.assert_array_equal(score.scores, again.scores)


def test_distillation_accuracy_needs_a_distilled_mlp(moons):
    X_train, X_test, y_train, y_test = moons
    with pytest.raises(TypeError, match="DistilledMLPClassifier"):
        distillation_accuracy(KNeighborsClassifier(), X_train, y_train, X_test, y_test)
    with pytest.raises(ValueError, match="n_models"):
        distillation_accuracy(
            DistilledMLPClassifier(), X_train, y_train, X_test, y_test, n_models=0
        )


def test_distillation_ratio():
    assert distillation_ratio(0.45, 0.9) == pytest.approx(50.0)
    np.testing.assert_allclose(distillation_ratio([0.9, 0.45], 0.9), [100.0, 50.0])
    with pytest.raises(ValueError, match="positive"):
        distillation_ratio(0.5, 0.0)


def test_comparison_table(moons, distiller):
    X_train, X_test, y_train, y_test = moons
    estimator = DistilledMLPClassifier(learning_rate_init=0.01, max_iter=100)
    table = comparison_table(
        X_train,
        y_train,
        X_test,
        y_test,
        {"moons": distiller},
        baselines={
            "random real": RandomRealSampler(n_samples=16),
            "k-means": KMeansSampler(n_samples=16),
        },
        knn=("k-means",),
        architectures={"linear": (), "(10,)": (10,)},
        schedules=("distilled", "strategy2"),
        estimator=estimator,
        n_models=4,
        random_state=0,
    )
    assert isinstance(table, ComparisonTable)
    assert table.rows == [
        "original",
        "moons",
        "strategy2 + moons",
        "random real",
        "k-means",
        "kNN on k-means",
    ]
    assert table.columns == ["linear", "(10,)"]
    assert table.mean.shape == table.std.shape == (6, 2)
    assert table.sizes == [150, 16, 16, 16, 16, 16]
    # Cells are distillation accuracies of exactly these configurations.
    cell = distillation_accuracy(
        DistilledMLPClassifier(
            (10,),
            distiller=FrozenEstimator(distiller),
            schedule="strategy2",
            learning_rate_init=0.01,
            max_iter=100,
        ),
        X_train,
        y_train,
        X_test,
        y_test,
        n_models=4,
        random_state=0,
    )
    assert table.mean[2, 1] == cell.mean and table.std[2, 1] == cell.std
    # The kNN rows, like every row, see the standardised features.
    scaler = StandardScaler().fit(X_train)
    X_train_std, X_test_std = scaler.transform(X_train), scaler.transform(X_test)
    knn_scores = [
        KNeighborsClassifier(n_neighbors=1)
        .fit(
            *KMeansSampler(n_samples=16, random_state=s).fit_resample(
                X_train_std, y_train
            )
        )
        .score(X_test_std, y_test)
        for s in range(4)
    ]
    np.testing.assert_allclose(table.mean[5], np.mean(knn_scores))
    np.testing.assert_allclose(table.ratio()[0], [100.0, 100.0])
    markdown = table.to_markdown(ratio=True)
    assert markdown.splitlines()[0] == "| data | rows | linear | (10,) |"
    assert "strategy2 + moons" in markdown and "%)" in markdown
    frame = table.to_frame()
    assert frame.loc["moons", ("(10,)", "mean")] == table.mean[1, 1]


def test_comparison_table_fits_an_unfitted_distiller_once(moons):
    X_train, X_test, y_train, y_test = moons
    template = DatasetDistiller(n_steps=2, n_epochs=1, max_iter=5, random_state=0)
    table = comparison_table(
        X_train,
        y_train,
        X_test,
        y_test,
        template,
        architectures={"linear": ()},
        include_original=False,
        estimator=DistilledMLPClassifier(max_iter=5),
        n_models=2,
    )
    assert table.rows == ["distilled"]
    assert not hasattr(template, "distilled_X_")
    with pytest.raises(ValueError, match="knn names"):
        comparison_table(X_train, y_train, X_test, y_test, template, knn=("x",))


# -- hostile input ------------------------------------------------------------

FAST = DistilledMLPClassifier((5,), learning_rate_init=0.01, max_iter=5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "bad_y_test, message",
    [
        ("strings", "Mix of label input types"),
        ("one", "y_test has 1 labels but X_test has"),
        ("short", "y_test has 25 labels but X_test has"),
        ("none", "missing label"),
    ],
)
def test_distillation_accuracy_validates_y_test_like_score(moons, bad_y_test, message):
    X_train, X_test, y_train, y_test = moons
    X_test = X_test[:30]
    y_bad = {
        "strings": np.array(["a", "b"])[y_test[:30]],
        "one": y_test[:1],
        "short": y_test[:25],
        "none": [None] * 30,
    }[bad_y_test]
    with pytest.raises(ValueError, match=message):
        distillation_accuracy(FAST, X_train, y_train, X_test, y_bad, n_models=2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_comparison_table_accepts_lists_and_tuples(moons, distiller):
    X_train, X_test, y_train, y_test = moons
    table = comparison_table(
        X_train,
        y_train,
        X_test,
        y_test,
        distillers=[distiller, FrozenEstimator(distiller)],
        architectures=((5,), ()),
        estimator=FAST,
        include_original=False,
        n_models=2,
    )
    assert table.rows == ["distilled 1", "distilled 2"]
    assert table.columns == ["(5,)", "()"]
    # The same distiller, frozen or not, gives the same row.
    np.testing.assert_array_equal(table.mean[0], table.mean[1])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"schedules": "strategy1"}, TypeError, r"\('strategy1',\) for one name"),
        ({"schedules": ("strategy9",)}, ValueError, "unknown schedules"),
        ({"knn": "km"}, TypeError, r"\('km',\) for one name"),
        ({"baselines": {"x": KNeighborsClassifier()}}, TypeError, "fit_resample"),
        ({"architectures": 5}, TypeError, "architectures must be a dict"),
        ({"distillers": {"d": object()}}, TypeError, "DatasetDistiller-like"),
    ],
)
def test_comparison_table_names_the_bad_argument(
    moons, distiller, kwargs, error, message
):
    X_train, X_test, y_train, y_test = moons
    arguments = {"distillers": distiller, "n_models": 1, **kwargs}
    with pytest.raises(error, match=message):
        comparison_table(X_train, y_train, X_test, y_test, **arguments)


def test_as_frozen_does_not_swallow_errors_of_a_broken_distiller(moons):
    X_train, X_test, y_train, y_test = moons

    class Broken(DatasetDistiller):
        def __sklearn_is_fitted__(self):
            raise RuntimeError("broken fitted check")

    with pytest.raises(RuntimeError, match="broken fitted check"):
        comparison_table(X_train, y_train, X_test, y_test, Broken(), n_models=1)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_jobs_gives_the_same_table(moons, distiller):
    X_train, X_test, y_train, y_test = moons
    kwargs = dict(
        distillers={"d": distiller},
        baselines={"random real": RandomRealSampler(n_samples=8)},
        knn=("random real",),
        schedules=("distilled", "strategy2"),
        architectures={"lin": (), "2-layer": (5,)},
        estimator=FAST,
        n_models=3,
    )
    serial = comparison_table(X_train, y_train, X_test, y_test, **kwargs)
    parallel = comparison_table(X_train, y_train, X_test, y_test, n_jobs=2, **kwargs)
    assert serial.rows == parallel.rows
    np.testing.assert_array_equal(serial.mean, parallel.mean)
    np.testing.assert_array_equal(serial.std, parallel.std)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("with_distiller", [False, True])
def test_distillation_accuracy_n_jobs_gives_the_same_scores(with_distiller):
    from sklearn.datasets import make_moons

    from skdistill import DatasetDistiller, DistilledMLPClassifier

    X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    clf = DistilledMLPClassifier((8,), learning_rate_init=0.01, max_iter=60)
    if with_distiller:
        clf.set_params(distiller=DatasetDistiller(max_iter=20, random_state=0))
    one = distillation_accuracy(clf, X, y, X, y, n_models=5, random_state=0)
    split = distillation_accuracy(clf, X, y, X, y, n_models=5, random_state=0, n_jobs=2)
    np.testing.assert_array_equal(one.scores, split.scores)


def test_each_stacked_network_stops_on_its_own_loss():
    from sklearn.datasets import make_moons

    from skdistill import DistilledMLPClassifier
    from skdistill._tabular.classifier import fit_networks

    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    clf = DistilledMLPClassifier(
        (8,), learning_rate_init=0.05, max_iter=300, n_iter_no_change=5,
        tol=1e-3, random_state=0,
    )  # fmt: skip
    _, stack = fit_networks(clf, X, y, n_models=4)
    for i in range(4):
        _, alone = fit_networks(clf, X, y, n_models=4, networks=[i])
        for a, b in zip(stack, alone):
            np.testing.assert_array_equal(a[i], b[0])


def test_comparison_table_rows_share_one_standardisation(moons):
    """Every row sees the features standardised on the training part: the
    table does not change when a feature changes units, and the original row
    is networks trained on the standardised data."""
    X_train, X_test, y_train, y_test = moons
    kwargs = dict(
        baselines={"k-means": KMeansSampler(n_samples=8)},
        knn=("k-means",),
        architectures={"linear": (), "(10,)": (10,)},
        estimator=DistilledMLPClassifier(learning_rate_init=0.01, max_iter=60),
        n_models=3,
        random_state=0,
    )
    distiller = DatasetDistiller(
        n_steps=2, n_epochs=2, samples_per_step=4, max_iter=20, random_state=0
    )
    table = comparison_table(X_train, y_train, X_test, y_test, distiller, **kwargs)
    # The first feature in other units (a power of two: the standardised
    # features are the same to the bit).
    units = np.array([2.0**10, 1.0])
    rescaled = comparison_table(
        X_train * units, y_train, X_test * units, y_test, distiller, **kwargs
    )
    np.testing.assert_array_equal(rescaled.mean, table.mean)
    np.testing.assert_array_equal(rescaled.std, table.std)
    scaler = StandardScaler().fit(X_train)
    original = distillation_accuracy(
        kwargs["estimator"].set_params(hidden_layer_sizes=(10,)),
        scaler.transform(X_train),
        y_train,
        scaler.transform(X_test),
        y_test,
        n_models=3,
        random_state=0,
    )
    assert table.rows[0] == "original"
    assert (table.mean[0, 1], table.std[0, 1]) == (original.mean, original.std)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_comparison_table_maps_every_row_as_the_distilled_rows():
    """On heavy-tailed columns the distilled rows are learned on the columns
    mapped by the distiller's feature transform: the original row's networks
    see the training part mapped by the same transform, then standardised."""
    X, y = heavy_table(n=300, lognormal=True)
    X_train, X_test, y_train, y_test = X[:200], X[200:], y[:200], y[200:]
    distiller = DatasetDistiller(
        n_steps=2, n_epochs=2, samples_per_step=4, max_iter=5, random_state=0
    ).fit(X_train, y_train)
    transform = distiller.feature_transform_
    assert transform.columns.tolist() == [1, 2]
    estimator = DistilledMLPClassifier(learning_rate_init=0.01, max_iter=60)
    table = comparison_table(
        X_train, y_train, X_test, y_test, distiller,
        architectures={"(10,)": (10,)}, estimator=estimator, n_models=3,
        random_state=0,
    )  # fmt: skip
    scaler = StandardScaler().fit(transform.transform(X_train))
    train = scaler.transform(transform.transform(X_train))
    # The features the distilled rows were learned on.
    np.testing.assert_allclose(distiller.distilled_.scale_rows(X_train), train)
    original = distillation_accuracy(
        estimator.set_params(hidden_layer_sizes=(10,)),
        train,
        y_train,
        scaler.transform(transform.transform(X_test)),
        y_test,
        n_models=3,
        random_state=0,
    )
    assert table.rows[0] == "original"
    assert (table.mean[0, 0], table.std[0, 0]) == (original.mean, original.std)
