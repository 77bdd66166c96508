"""DistilledDataset: the value every method produces, its file, its consumers."""

import json
import pathlib
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.frozen import FrozenEstimator

from skdistill import (
    DatasetDistiller,
    DistilledDataset,
    DistilledMLPClassifier,
    KMeansSampler,
    comparison_table,
    distillation_accuracy,
)

CHEAP = dict(
    n_steps=3,
    n_epochs=2,
    samples_per_step=3,
    max_iter=20,
    batch_size=32,
    random_state=0,
)


@pytest.fixture(scope="module")
def fitted(blobs_small):
    X, y = blobs_small
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    return DatasetDistiller(**CHEAP).fit(frame, y), frame, y


def test_distiller_exposes_its_dataset(fitted):
    distiller, frame, _ = fitted
    ds = distiller.distilled_
    assert isinstance(ds, DistilledDataset)
    np.testing.assert_allclose(ds.X, distiller.distilled_X_)
    np.testing.assert_array_equal(ds.y, distiller.distilled_y_)
    np.testing.assert_array_equal(ds.lr_schedule, distiller.lr_schedule_)
    np.testing.assert_array_equal(ds.step, distiller.distilled_step_)
    assert (ds.n_steps, ds.n_epochs, ds.n_classes) == (3, 2, 3)
    assert ds.feature_names.tolist() == list(frame.columns)
    assert ds.classes.tolist() == ["a", "b", "c"]
    assert ds.lr_init == distiller.lr_init_ == 0.1
    assert ds.provenance["method"] == "DatasetDistiller"
    assert ds.provenance["params"]["n_steps"] == 3
    # The rows are kept as the networks saw them: scaling them is exact.
    np.testing.assert_allclose(ds.scale_rows(ds.X), ds.X_scaled, atol=1e-12)


def test_save_load_round_trip_replays_identically(fitted, tmp_path):
    distiller, frame, y = fitted
    path = distiller.distilled_.save(tmp_path / "set")
    assert path.name == "set.npz"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    loaded = DistilledDataset.load(path)
    for name in ("X_scaled", "y", "step", "lr_schedule", "mean", "scale"):
        np.testing.assert_array_equal(
            getattr(loaded, name), getattr(distiller.distilled_, name)
        )
    assert loaded.classes.tolist() == ["a", "b", "c"]
    assert loaded.feature_names.tolist() == list(frame.columns)
    assert loaded.provenance == distiller.distilled_.provenance
    # The file loads without pickle.
    with np.load(path, allow_pickle=False) as archive:
        assert "metadata" in archive.files

    params = dict(hidden_layer_sizes=(8,), schedule="strategy2", random_state=0)
    from_distiller = DistilledMLPClassifier(
        distiller=FrozenEstimator(distiller), **params
    ).fit(frame, y)
    from_file = DistilledMLPClassifier(distiller=loaded, **params).fit(frame, y)
    np.testing.assert_array_equal(
        from_file.predict_proba(frame), from_distiller.predict_proba(frame)
    )
    # With a dataset, X and y may be left out: the dataset is the training data.
    alone = DistilledMLPClassifier(distiller=loaded, **params).fit()
    np.testing.assert_array_equal(
        alone.predict_proba(frame), from_distiller.predict_proba(frame)
    )
    assert alone.n_features_in_ == frame.shape[1]


def test_fixed_initialisations_round_trip(moons_small, tmp_path):
    X, y = moons_small
    distiller = DatasetDistiller(**CHEAP, fixed_init=True, architectures=((4,), ()))
    ds = distiller.fit(X, y).distilled_
    loaded = DistilledDataset.load(ds.save(tmp_path / "fixed.npz"))
    assert loaded.architectures == ((4,), ())
    assert len(loaded.fixed_init) == 2
    for saved, original in zip(loaded.fixed_init, distiller.fixed_init_params_):
        for a, b in zip(saved, original):
            np.testing.assert_array_equal(a, b)


# Files of format version 1, written by skdistill 0.1.0.dev0 before version 2
# (a tabular set of two architectures with fixed initialisations and a text set
# of two networks with fixed initialisations).
V1_TABLE = pathlib.Path(__file__).parent / "data" / "dataset_v1_table.npz"
V1_TEXT = pathlib.Path(__file__).parent / "data" / "dataset_v1_text.npz"


def test_version_1_files_still_load():
    table = DistilledDataset.load(V1_TABLE)
    assert (table.n_rows, table.n_features, table.n_steps, table.n_epochs) == (
        4,
        2,
        2,
        2,
    )
    assert table.architectures == ((3,), ()) and table.network is None
    assert table.row_shape == (2,)
    assert table.feature_names.tolist() == ["x0", "x1"]
    # Stacked per architecture (the two networks split over the two), as in
    # version 2.
    assert [[p.shape for p in params] for params in table.fixed_init] == [
        [(1, 2, 3), (1, 1, 3), (1, 3, 2), (1, 1, 2)],
        [(1, 2, 2), (1, 1, 2)],
    ]

    text = DistilledDataset.load(V1_TEXT)
    assert text.n_features == 12 and text.extras["sentences"].shape == (4,)
    assert text.provenance["method"] == "TextDatasetDistiller"
    # row_shape and network leave the provenance for their fields; the one
    # fixed_init entry per network becomes one stacked entry.
    assert text.row_shape == (4, 3)
    assert text.network == {"name": "TextConvNet", "n_filters": 2, "kernel_sizes": [2]}
    assert "row_shape" not in text.provenance and "network" not in text.provenance
    with np.load(V1_TEXT, allow_pickle=False) as archive:
        per_network = [
            [archive[f"fixed_init/{m}/{i}"] for i in range(4)] for m in range(2)
        ]
    (stacked,) = text.fixed_init
    for m in range(2):
        for i in range(4):
            np.testing.assert_array_equal(stacked[i][m], per_network[m][i])


def test_version_1_text_file_trains_from_its_fixed_initialisation():
    from skdistill import TextConvNetClassifier

    text = DistilledDataset.load(V1_TEXT)
    clf = TextConvNetClassifier(text, init="fixed").fit()
    other = TextConvNetClassifier(text, init="fixed", random_state=3).fit()
    for a, b in zip(clf.params_, other.params_):
        np.testing.assert_array_equal(a, b)
    assert clf.predict(["good film", "bad film"]).shape == (2,)


def test_a_saved_file_round_trips_the_fields_of_version_2(tmp_path):
    ds = DistilledDataset(
        np.arange(12.0).reshape(2, 6) / 12,
        [[1.0, 0.0], [0.0, 1.0]],
        ["neg", "pos"],
        row_shape=(3, 2),
        network={"name": "TextConvNet", "n_filters": 2, "kernel_sizes": [2]},
        fixed_init=[[np.ones((3, 2, 2, 2)), np.zeros((3, 2))]],
    )
    path = ds.save(tmp_path / "v2.npz")
    with np.load(path, allow_pickle=False) as archive:
        metadata = json.loads(str(archive["metadata"]))
    # Without a feature transform the file is of version 2, as before it.
    assert metadata["version"] == 2 and metadata["row_shape"] == [3, 2]
    loaded = DistilledDataset.load(path)
    assert loaded.row_shape == (3, 2) and loaded.network == ds.network
    assert [p.shape for p in loaded.fixed_init[0]] == [(3, 2, 2, 2), (3, 2)]


def test_replace_returns_a_new_validated_dataset(fitted):
    distiller, _, _ = fitted
    ds = distiller.distilled_
    changed = ds.replace(encoding={"columns": ["a"]}, provenance={"data": "x.csv"})
    assert changed is not ds and ds.encoding is None
    assert changed.encoding == {"columns": ["a"]}
    assert changed.provenance == {"data": "x.csv"}
    for name in DistilledDataset._FIELDS:
        if name not in ("encoding", "provenance"):
            value = getattr(ds, name)
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(getattr(changed, name), value)
                assert not np.shares_memory(getattr(changed, name), value)
            else:
                assert getattr(changed, name) == value
    with pytest.raises(ValueError, match="row_shape"):
        ds.replace(row_shape=(7, 7))
    with pytest.raises(ValueError, match="sum to 1"):
        ds.replace(y=np.full_like(ds.y, 0.9))
    with pytest.raises(TypeError, match="no fields \\['colour'\\]"):
        ds.replace(colour="red")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_extras_round_trip(tmp_path):
    ds = DistilledDataset(
        [[0.0, 1.0], [1.0, 0.0]],
        [[1.0, 0.0], [0.0, 1.0]],
        ["neg", "pos"],
        extras={"sentences": ["a good film", "a bad film"], "length": [3, 3]},
    )
    loaded = DistilledDataset.load(ds.save(tmp_path / "text.npz"))
    assert loaded.extras["sentences"].tolist() == ["a good film", "a bad film"]
    assert loaded.extras["length"].tolist() == [3, 3]
    with pytest.raises(ValueError, match="extras"):
        DistilledDataset(ds.X, ds.y, ds.classes, extras={"x": [object()]})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_baselines_produce_datasets_trained_the_ordinary_way(blobs_small):
    X, y = blobs_small
    sampler = KMeansSampler(n_samples=6, random_state=0).fit(X, y)
    ds = sampler.distilled_
    assert ds.lr_schedule is None and ds.n_steps == 1 and ds.mean is None
    np.testing.assert_array_equal(ds.X, sampler.X_resampled_)
    np.testing.assert_array_equal(ds.hard_labels, sampler.y_resampled_)
    params = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    via_dataset = DistilledMLPClassifier(distiller=ds, **params).fit(X, y)
    direct = DistilledMLPClassifier(**params).fit(
        sampler.X_resampled_, sampler.y_resampled_
    )
    np.testing.assert_allclose(via_dataset.predict_proba(X), direct.predict_proba(X))


def test_metrics_take_a_dataset(fitted):
    distiller, frame, y = fitted
    clf = DistilledMLPClassifier((8,))
    via_dataset = distillation_accuracy(
        clf.set_params(distiller=distiller.distilled_),
        frame,
        y,
        frame,
        y,
        n_models=3,
        random_state=0,
    )
    via_frozen = distillation_accuracy(
        clf.set_params(distiller=FrozenEstimator(distiller)),
        frame,
        y,
        frame,
        y,
        n_models=3,
        random_state=0,
    )
    np.testing.assert_array_equal(via_dataset.scores, via_frozen.scores)
    table = comparison_table(
        frame,
        y,
        frame,
        y,
        {"file": distiller.distilled_, "fitted": distiller},
        architectures={"(8,)": (8,)},
        n_models=2,
        include_original=False,
    )
    assert table.sizes == [9, 9]
    np.testing.assert_array_equal(table.mean[0], table.mean[1])


def _rewrite(path, target, change):
    """Copy the archive at ``path`` to ``target`` with ``change(arrays)``."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(target, **arrays)
    return target


def test_bad_files_give_clear_errors(fitted, tmp_path):
    distiller, _, _ = fitted
    good = distiller.distilled_.save(tmp_path / "good.npz")

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a complete skdistill dataset file"):
        DistilledDataset.load(truncated)

    text = tmp_path / "text.npz"
    text.write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="not a complete skdistill dataset file"):
        DistilledDataset.load(text)

    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    with pytest.raises(ValueError, match="not a skdistill dataset file"):
        DistilledDataset.load(foreign)

    def newer(arrays):
        metadata = json.loads(str(arrays["metadata"]))
        metadata["version"] = 99
        arrays["metadata"] = np.array(json.dumps(metadata))

    with pytest.raises(ValueError, match="version 99.*reads versions 1, 2"):
        DistilledDataset.load(_rewrite(good, tmp_path / "newer.npz", newer))

    def other_format(arrays):
        arrays["metadata"] = np.array(json.dumps({"format": "something else"}))

    with pytest.raises(ValueError, match="not a skdistill dataset file"):
        DistilledDataset.load(_rewrite(good, tmp_path / "other.npz", other_format))

    with pytest.raises(ValueError, match="lacks the arrays"):
        DistilledDataset.load(
            _rewrite(good, tmp_path / "part.npz", lambda a: a.pop("step"))
        )

    with pytest.raises(FileNotFoundError, match="No distilled dataset file"):
        DistilledDataset.load(tmp_path / "missing.npz")

    # An archive whose array needs pickle is refused, not unpickled.
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, metadata=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(ValueError):
        DistilledDataset.load(pickled)
    assert zipfile.is_zipfile(pickled)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X_scaled=np.zeros((0, 2))), "non-empty 2-D"),
        (dict(X_scaled=[[np.nan, 0.0], [0.0, 0.0]]), "finite"),
        (dict(y=[[0.5, 0.6], [0.0, 1.0]]), "sum to 1"),
        (dict(y=[[1.0, 0.0]]), "expected"),
        (dict(step=[0, 2]), "number the steps"),
        (dict(step=[0.0, 1.0]), "integer step index"),
        (dict(lr_schedule=[0.1, 0.1, 0.1]), "not a multiple"),
        (dict(lr_schedule=[0.1, -0.1]), "not positive"),
        (dict(mean=[0.0, 0.0]), "both mean and scale"),
        (dict(mean=[0.0, 0.0], scale=[1.0, 0.0]), "positive"),
        (dict(classes=[object(), object()]), "numbers or strings"),
        (dict(row_shape=(3,)), "row_shape"),
        (dict(network={"n_filters": 2}), "network"),
        (dict(fixed_init=[[np.zeros((2, 3)), np.zeros((1, 3))]]), "stacked"),
    ],
)
def test_constructor_rejects_inconsistent_parts(kwargs, match):
    parts = dict(
        X_scaled=[[0.0, 1.0], [1.0, 0.0]],
        y=[[1.0, 0.0], [0.0, 1.0]],
        classes=[0, 1],
        step=[0, 1],
    )
    parts.update(kwargs)
    with pytest.raises(ValueError, match=match):
        DistilledDataset(**parts)


def test_classifier_refuses_what_is_not_a_dataset(moons_small):
    X, y = moons_small
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="DistilledDataset"):
        DistilledMLPClassifier(distiller=LogisticRegression()).fit(X, y)
