"""The display objects: what they draw, from estimators and from arrays."""

import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skdistill import DatasetDistiller, DistilledMLPClassifier, KDMetaparamTuner
from skdistill._eval.plotting import (
    DistilledDataDisplay,
    LearningRateScheduleDisplay,
    MetaparamPathDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def moons_distiller():
    X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    distiller = DatasetDistiller(
        n_steps=4, n_epochs=2, samples_per_step=3, max_iter=10, random_state=0
    ).fit(X, y)
    return distiller, X, y


@pytest.fixture(scope="module")
def blobs_distiller():
    X, y = make_blobs(n_samples=150, n_features=5, centers=3, random_state=0)
    distiller = DatasetDistiller(
        n_steps=3, n_epochs=2, max_iter=10, random_state=0
    ).fit(X, y)
    return distiller, X, y


def _trained_on(distiller, X, y, **params):
    model = DistilledMLPClassifier(
        (10,), distiller=FrozenEstimator(distiller), random_state=0, **params
    )
    return model.fit(X, y)


def test_distilled_data_display_on_2d_data(moons_distiller):
    distiller, X, y = moons_distiller
    clf = _trained_on(distiller, X, y)
    fig, ax = plt.subplots()
    display = DistilledDataDisplay.from_estimator(clf, X, y, ax=ax, grid_resolution=30)
    assert display.ax_ is ax and display.figure_ is fig
    assert display.projection_ is None
    # One point per synthetic row, at the row itself (2-D data: no projection).
    np.testing.assert_allclose(display.scatter_.get_offsets(), distiller.distilled_X_)
    assert len(display.data_scatter_.get_offsets()) == len(X)
    # The background is the model's class probabilities on the grid.
    assert display.response.shape == (30, 30, 2)
    np.testing.assert_allclose(display.response.sum(axis=-1), 1.0, atol=1e-6)
    assert display.surface_.get_array().shape == (30, 30, 3)
    assert display.boundary_ is not None
    # The classifier is drawn as fitted, not trained again.
    grid = np.c_[display.xx0.ravel(), display.xx1.ravel()]
    np.testing.assert_allclose(
        display.response.reshape(-1, 2), clf.predict_proba(grid), atol=1e-12
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1"]
    assert ax.get_xlabel() == "feature 0"


def test_soft_labels_set_the_colour_of_the_rows(moons_distiller):
    distiller, X, y = moons_distiller
    display = DistilledDataDisplay.from_estimator(
        _trained_on(distiller, X, y), grid_resolution=10
    )
    colors = display.scatter_.get_facecolors()[:, :3]
    tab10 = matplotlib.colormaps["tab10"](np.arange(2))[:, :3]
    np.testing.assert_allclose(colors, distiller.distilled_y_ @ tab10, atol=1e-6)


def test_distilled_data_display_projects_wider_data(blobs_distiller):
    distiller, X, y = blobs_distiller
    display = DistilledDataDisplay.from_estimator(
        _trained_on(distiller, X, y), X, y, grid_resolution=20
    )
    assert display.projection_ is not None
    offsets = display.scatter_.get_offsets()
    assert offsets.shape == (len(distiller.distilled_X_), 2)
    expected = display.projection_.transform(
        (distiller.distilled_X_ - distiller.mean_) / distiller.scale_
    )
    np.testing.assert_allclose(offsets, expected)
    assert display.response.shape == (20, 20, 3)
    assert "principal component 1" in display.ax_.get_xlabel()


def test_distilled_data_display_any_classifier_and_steps(moons_distiller):
    distiller, X, y = moons_distiller
    logistic = LogisticRegression().fit(X, y)
    display = DistilledDataDisplay.from_estimator(
        logistic,
        dataset=FrozenEstimator(distiller),
        steps=[1],
        annotate_steps=True,
        grid_resolution=10,
    )
    in_step = distiller.distilled_step_ == 1
    np.testing.assert_allclose(
        display.scatter_.get_offsets(), distiller.distilled_X_[in_step]
    )
    grid = np.c_[display.xx0.ravel(), display.xx1.ravel()]
    np.testing.assert_allclose(
        display.response.reshape(-1, 2), logistic.predict_proba(grid)
    )
    assert [t.get_text() for t in display.ax_.texts] == ["1"] * int(in_step.sum())


def test_distilled_data_display_checks_its_input(moons_distiller):
    distiller, X, y = moons_distiller
    clf = _trained_on(distiller, X, y)
    with pytest.raises(ValueError, match="both X and y"):
        DistilledDataDisplay.from_estimator(clf, X)
    with pytest.raises(ValueError, match="3 features"):
        DistilledDataDisplay.from_estimator(clf, np.c_[X, X[:, :1]], y)
    with pytest.raises(ValueError, match="dataset="):
        DistilledDataDisplay.from_estimator(LogisticRegression().fit(X, y))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DistilledDataDisplay.from_estimator(DistilledMLPClassifier())
    with pytest.raises(NotFittedError):
        DistilledDataDisplay.from_estimator(clf, dataset=DatasetDistiller())


def test_learning_rate_schedule_display(moons_distiller):
    distiller, _, _ = moons_distiller
    display = LearningRateScheduleDisplay.from_estimator(distiller)
    x, lrs = display.line_.get_data()
    np.testing.assert_allclose(lrs, distiller.lr_schedule_)
    np.testing.assert_array_equal(x, np.arange(8))
    # n_epochs=2: one separator, before step 4.
    assert [line.get_xdata()[0] for line in display.epoch_lines_] == [3.5]
    assert display.init_line_.get_ydata()[0] == distiller.lr_init_
    assert display.ax_.get_ylabel() == "learning rate"


def test_learning_rate_schedule_display_from_classifier(moons_distiller):
    distiller, X, y = moons_distiller
    clf = DistilledMLPClassifier(distiller=FrozenEstimator(distiller), random_state=0)
    clf.fit(X, y)
    fig, ax = plt.subplots()
    display = LearningRateScheduleDisplay.from_estimator(clf, ax=ax, log_scale=True)
    np.testing.assert_allclose(display.line_.get_ydata(), distiller.lr_schedule_)
    assert ax.get_yscale() == "log"


def test_metaparam_path_display_marks_predicted_stretches():
    X, y = make_blobs(n_samples=120, centers=2, random_state=0)
    tuner = KDMetaparamTuner(
        teacher=LogisticRegression(),
        hidden_layer_sizes=(),
        trajectory="linear",
        e1=3,
        e2=2,
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    assert tuner.predicted_path_.any()
    display = MetaparamPathDisplay.from_estimator(tuner)
    np.testing.assert_allclose(display.lambda_line_.get_ydata(), tuner.lambda_path_)
    np.testing.assert_allclose(
        display.temperature_line_.get_ydata(), tuner.temperature_path_
    )
    assert len(display.axes_) == 2
    # One shaded span per predicted run, on each of the two panels.
    predicted = tuner.predicted_path_.astype(int)
    n_runs = int(np.sum(np.diff(np.r_[0, predicted]) == 1))
    assert len(display.predicted_spans_) == 2 * n_runs
    # Every span covers exactly the predicted iterations.
    covered = np.zeros(len(predicted), dtype=bool)
    for span in display.predicted_spans_[:n_runs]:
        start, stop = span.get_x(), span.get_x() + span.get_width()
        covered[int(np.ceil(start)) : int(np.floor(stop)) + 1] = True
    np.testing.assert_array_equal(covered, tuner.predicted_path_)


def test_metaparam_path_display_on_one_or_two_axes():
    paths = dict(
        lambda_path=[0.5, 0.4, 0.3], temperature_path=[1.0, 2.0, 3.0]
    )  # no predicted stretches
    fig, ax = plt.subplots()
    display = MetaparamPathDisplay(**paths).plot(ax=ax)
    assert display.axes_[0] is ax and display.axes_[1] is not ax  # twinx
    assert display.predicted_spans_ == []
    fig, axes = plt.subplots(1, 2)
    display = MetaparamPathDisplay(**paths, predicted_path=[0, 1, 1]).plot(ax=axes)
    assert list(display.axes_) == list(axes)
    assert len(display.predicted_spans_) == 2
    with pytest.raises(ValueError, match="one Axes or two"):
        MetaparamPathDisplay(**paths).plot(ax=[ax, ax, ax])


def test_clear_error_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    display = LearningRateScheduleDisplay(lr_schedule=[0.1, 0.2], n_steps=1)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        display.plot()
