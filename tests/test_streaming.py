"""Real rows read lazily from Dask collections (skipped without dask)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from skdistill._data.streaming import LazyRows, is_lazy

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4)) * [1.0, 10.0, 100.0, 0.0] + [0.0, 5.0, -3.0, 7.0]
    frame = pd.DataFrame(X, columns=list("pqrs"))
    frame["t"] = np.where(X[:, 0] > 0, "a", "b")
    return frame, dd.from_pandas(frame, npartitions=7)


def test_one_pass_gives_the_in_memory_statistics(table):
    frame, lazy = table
    rows = LazyRows(lazy[list("pqrs")], lazy["t"]).scan()
    scaler = StandardScaler().fit(frame[list("pqrs")])
    np.testing.assert_allclose(rows.mean, scaler.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rows.scale, scaler.scale_, rtol=1e-12)
    assert rows.classes.tolist() == ["a", "b"]
    assert rows.constant.tolist() == [False, False, False, True]
    assert rows.n_samples == 3000 and rows.partition_sizes.sum() == 3000
    assert rows.feature_names.tolist() == list("pqrs")


def test_dask_arrays_scan_the_same(table):
    frame, _ = table
    X = da.from_array(frame[list("pqrs")].to_numpy(), chunks=(500, 2))
    y = da.from_array(frame["t"].to_numpy(), chunks=500)
    rows = LazyRows(X, y).scan()
    np.testing.assert_allclose(rows.mean, frame[list("pqrs")].mean(), rtol=1e-12)
    assert len(rows.partition_sizes) == 6


def test_every_row_is_visited_once_per_epoch(table):
    frame, _ = table
    # A column that numbers the rows shows which rows the batches hold.
    numbered = frame[list("pqr")].assign(row=np.arange(len(frame)))
    lazy = dd.from_pandas(numbered.assign(t=frame["t"]), npartitions=7)
    rows = LazyRows(lazy[["p", "q", "r", "row"]], lazy["t"], partitions_in_memory=2)
    rows.scan().start(np.random.RandomState(0), batch_size=100, dtype="float64")
    seen = []
    for _ in range(30):  # one epoch of 3000 rows
        X_std, y_index = rows.next_batch()
        seen.append(X_std[:, 3] * rows.scale[3] + rows.mean[3])
        labels = rows.classes[y_index]
        original = np.rint(seen[-1]).astype(int)
        np.testing.assert_array_equal(labels, frame["t"].to_numpy()[original])
    seen = np.rint(np.concatenate(seen)).astype(int)
    assert sorted(seen.tolist()) == list(range(3000))
    # Batches mix partitions: not 100 consecutive rows of one partition.
    first = seen[:100]
    assert len(np.unique(first // 429)) > 1


def test_sampling_is_repeatable(table):
    _, lazy = table

    def batches(seed):
        rows = LazyRows(lazy[list("pqrs")], lazy["t"]).scan()
        rows.start(np.random.RandomState(seed), batch_size=64)
        return [rows.next_batch()[0] for _ in range(5)]

    for a, b in zip(batches(1), batches(1)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda f: f.assign(p=f["p"].where(f.index != 5)), "NaN"),
        (lambda f: f.assign(q=f["q"].where(f.index != 7, np.inf)), "infinity"),
        (lambda f: f.assign(p=f["p"].astype(str)), "non-numeric columns \\['p'\\]"),
        (lambda f: f.assign(t=f["t"].where(f.index != 3)), "missing labels"),
        (lambda f: f.assign(t="a"), "at least two classes"),
        (lambda f: f.assign(t=f["p"]), "Unknown label type"),
    ],
)
def test_bad_lazy_input_is_refused_with_a_clear_error(table, change, match):
    frame, _ = table
    lazy = dd.from_pandas(change(frame.copy()), npartitions=3)
    with pytest.raises(ValueError, match=match):
        LazyRows(lazy[list("pqrs")], lazy["t"]).scan()


def test_is_lazy(table):
    frame, lazy = table
    assert is_lazy(lazy) and not is_lazy(frame) and not is_lazy(frame.to_numpy())


def test_distiller_fits_a_lazy_frame_like_its_rows_in_memory(table):
    from skdistill import DatasetDistiller, DistilledMLPClassifier, KDMetaparamTuner

    frame, lazy = table
    features = list("pqrs")
    params = dict(n_steps=3, n_epochs=2, max_iter=30, batch_size=64, random_state=0)
    a = DatasetDistiller(**params).fit(lazy[features], lazy["t"])
    b = DatasetDistiller(**params).fit(lazy[features], lazy["t"])
    np.testing.assert_array_equal(a.distilled_X_, b.distilled_X_)  # repeatable
    in_memory = DatasetDistiller(**params).fit(frame[features], frame["t"])
    np.testing.assert_allclose(a.mean_, in_memory.mean_, rtol=1e-12)
    np.testing.assert_allclose(a.scale_, in_memory.scale_, rtol=1e-12)
    assert a.feature_names_in_.tolist() == features
    assert a.classes_.tolist() == ["a", "b"]
    # Constant columns stay constant, as in memory.
    np.testing.assert_allclose(a.distilled_X_[:, 3], 7.0)
    assert a.distilled_.n_rows == in_memory.distilled_.n_rows

    # A classifier with a distiller reads the lazy frame through it, and does
    # as well as from the frame in memory.
    longer = {**params, "max_iter": 200}
    scores = []
    for data in (lazy, frame):
        clf = DistilledMLPClassifier((8,), distiller=DatasetDistiller(**longer))
        clf.set_params(random_state=0).fit(data[features], data["t"])
        scores.append(clf.score(frame[features], frame["t"]))
    assert scores[0] > 0.8 and scores[0] > scores[1] - 0.05, scores

    # Estimators that need their data in memory say so.
    with pytest.raises(TypeError, match="call .compute"):
        DistilledMLPClassifier((8,)).fit(lazy[features], lazy["t"])
    with pytest.raises(TypeError, match="call .compute"):
        KDMetaparamTuner().fit(lazy[features], lazy["t"])


def test_early_stopping_holds_out_whole_partitions(table):
    from skdistill import DatasetDistiller

    frame, lazy = table
    features = list("pqrs")
    params = dict(n_steps=3, n_epochs=2, max_iter=30, random_state=0)
    distiller = DatasetDistiller(**params, validation_fraction=0.3)
    distiller.fit(lazy[features], lazy["t"])
    assert len(distiller.validation_scores_) == 4  # iterations 0, 10, 20, 30
    one_partition = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(ValueError, match="single partition"):
        distiller.fit(one_partition[features], one_partition["t"])
    # Without early stopping a single partition is fine.
    distiller.set_params(validation_fraction=None)
    distiller.fit(one_partition[features], one_partition["t"])


def test_auto_sizes_count_every_row_of_a_lazy_frame(table):
    # The "auto" sizes come from all rows, held-out partitions included, as
    # in memory; the resolved sizes are kept in the provenance.
    from skdistill import DatasetDistiller
    from skdistill._tabular.distiller import auto_batch_size, auto_n_steps

    frame, lazy = table
    features = list("pqrs")
    params = dict(n_epochs=1, max_iter=2, n_models=1, random_state=0)
    fitted = [
        DatasetDistiller(**params).fit(X, y)
        for X, y in [
            (lazy[features], lazy["t"]),
            (frame[features], frame["t"]),
        ]
    ]
    for distiller in fitted:
        dataset = distiller.distilled_
        assert dataset.n_steps == auto_n_steps(len(frame))
        assert dataset.provenance["batch_size"] == auto_batch_size(len(frame))
        assert dataset.provenance["params"]["batch_size"] == "auto"


def test_hold_out_keeps_its_partitions_out_of_the_batches(table):
    frame, _ = table
    numbered = frame[list("pqr")].assign(row=np.arange(len(frame)), t=frame["t"])
    lazy = dd.from_pandas(numbered, npartitions=6)
    rows = LazyRows(lazy[["p", "q", "r", "row"]], lazy["t"]).scan()
    rng = np.random.RandomState(0)
    held_X, _ = rows.hold_out(0.3, rng, max_rows=100)
    held = set(np.rint(held_X[:, 3] * rows.scale[3] + rows.mean[3]).astype(int))
    rows.start(rng, batch_size=50)
    seen = set()
    for _ in range(rows.n_samples // 50):
        X_std, _ = rows.next_batch()
        seen |= set(np.rint(X_std[:, 3] * rows.scale[3] + rows.mean[3]).astype(int))
    assert len(held) == 100 and not held & seen
    assert len(seen) == rows.n_samples == 3000 - 2 * 500
