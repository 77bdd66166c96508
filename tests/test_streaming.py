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
    # Refitted on an array without column names, it keeps none, as in memory.
    X_array = da.from_array(frame[features].to_numpy(), chunks=1000)
    b.fit(X_array, da.from_array(frame["t"].to_numpy(), chunks=1000))
    assert not hasattr(b, "feature_names_in_")
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


def test_a_single_partition_frame_fits_at_the_defaults(table):
    # Early stopping holds out rows, not partitions: one partition is enough,
    # and the same random_state gives the same fit.
    from skdistill import DatasetDistiller

    frame, _ = table
    features = list("pqrs")
    one_partition = dd.from_pandas(frame, npartitions=1)
    params = dict(n_steps=3, n_epochs=2, max_iter=30)
    fits = [
        DatasetDistiller(**params, random_state=seed).fit(
            one_partition[features], one_partition["t"]
        )
        for seed in (0, 0, 1)
    ]
    assert len(fits[0].validation_scores_) == 4  # iterations 0, 10, 20, 30
    # It learns as the same fit in memory does (both score held-out rows).
    in_memory = DatasetDistiller(**params, random_state=0).fit(
        frame[features], frame["t"]
    )
    scores = fits[0].validation_scores_
    assert scores[-1] > scores[0]
    assert abs(scores[-1] - in_memory.validation_scores_[-1]) < 0.05
    np.testing.assert_array_equal(fits[0].distilled_X_, fits[1].distilled_X_)
    assert fits[0].validation_scores_ == fits[1].validation_scores_
    assert not np.array_equal(fits[0].distilled_X_, fits[2].distilled_X_)


def test_auto_sizes_count_every_row_of_a_lazy_frame(table):
    # The "auto" sizes come from all rows, held-out partitions included, as
    # in memory; the resolved sizes are kept in the provenance.
    from skdistill import DatasetDistiller
    from skdistill._tabular.sizes import auto_batch_size, auto_n_steps

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


def test_a_large_lazy_frame_gets_the_sizes_of_a_large_table():
    # The class condition is judged on a sample of a lazy table, and decides
    # as the rows in memory do on a table far from its threshold.
    from skdistill import DatasetDistiller

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(14_000, 3)), columns=list("pqr"))
    frame["t"] = np.where(frame["p"] > 0, "a", "b")
    lazy = dd.from_pandas(frame, npartitions=4)
    params = dict(max_iter=1, random_state=0)
    for X, y in [(lazy[list("pqr")], lazy["t"]), (frame[list("pqr")], frame["t"])]:
        distiller = DatasetDistiller(**params).fit(X, y)
        assert distiller.distilled_.n_steps == 30
        assert distiller.distilled_X_.shape == (900, 3)
        assert distiller.n_models_ == 2


def numbered_rows(frame, npartitions):
    """LazyRows whose last column numbers the rows, and a function reading
    the numbers back from standardised rows."""
    numbered = frame[list("pqr")].assign(row=np.arange(len(frame)), t=frame["t"])
    lazy = dd.from_pandas(numbered, npartitions=npartitions)
    rows = LazyRows(lazy[["p", "q", "r", "row"]], lazy["t"])

    def numbers(X_std):
        return np.rint(X_std[:, 3] * rows.scale[3] + rows.mean[3]).astype(int)

    return rows, numbers


def epoch_of_rows(rows, numbers):
    """The numbers of the rows of one epoch, one-row batches."""
    return [numbers(rows.next_batch()[0])[0] for _ in range(rows.partition_sizes.sum())]


@pytest.mark.parametrize("npartitions", [1, 6])
def test_held_out_rows_are_fixed_and_never_in_a_batch(table, npartitions):
    frame, _ = table
    rows, numbers = numbered_rows(frame, npartitions)
    rows.scan(seed=3, hold_out=0.3, sample_rows=100)
    validation = numbers(rows.validation[0])
    np.testing.assert_array_equal(
        rows.classes[rows.validation[1]], frame["t"].to_numpy()[validation]
    )
    n_train = rows.partition_sizes.sum()
    assert len(set(validation)) == 100 and rows.n_samples == 3000
    assert 0.25 < 1 - n_train / 3000 < 0.35  # about 30 % held out
    rows.start(np.random.RandomState(0), batch_size=1)
    epochs = [epoch_of_rows(rows, numbers) for _ in range(2)]
    # Every training row once per epoch, the same rows in every epoch (pass),
    # and none of the held-out ones.
    for seen in epochs:
        assert len(seen) == len(set(seen)) == n_train
    assert set(epochs[0]) == set(epochs[1])
    assert not set(validation) & set(epochs[0])
    # The init sample comes from the training rows.
    assert set(numbers(rows.sample[0])) <= set(epochs[0])


def test_the_split_depends_on_the_seed_not_on_the_chunks(table, monkeypatch):
    import skdistill._data.streaming as streaming

    frame, _ = table

    def held_out(seed):
        rows, numbers = numbered_rows(frame, 3)
        rows.scan(seed=seed, hold_out=0.2, sample_rows=3000)
        return set(numbers(rows.validation[0]).tolist())

    default = held_out(0)
    assert held_out(0) == default and held_out(1) != default
    monkeypatch.setattr(streaming, "_CHUNK_ROWS", 64)  # parts read in pieces
    assert held_out(0) == default


def test_a_hold_out_that_leaves_no_row_is_refused(table):
    frame, _ = table
    lazy = dd.from_pandas(frame.iloc[:3], npartitions=1)
    rows = LazyRows(lazy[list("pqrs")], lazy["t"])
    for seed in range(20):  # some seed holds out none of the three rows
        try:
            rows.scan(seed=seed, hold_out=0.05)
        except ValueError as exc:
            assert "validation_fraction=0.05" in str(exc)
            break
    else:
        pytest.fail("no seed held out none of three rows at 5 %")


# A parquet table read with pyarrow, one row group at a time.
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def parquet_file(table, tmp_path_factory):
    """The table in one parquet file of six row groups of 500 rows."""
    frame, _ = table
    path = tmp_path_factory.mktemp("parquet") / "table.parquet"
    frame.to_parquet(path, row_group_size=500, index=False)
    assert pq.ParquetFile(path).metadata.num_row_groups == 6
    return path


def test_a_parquet_file_is_read_by_row_groups(table, parquet_file):
    from skdistill._data.streaming import ParquetRows

    frame, _ = table
    rows = ParquetRows(str(parquet_file), "t").scan()
    scaler = StandardScaler().fit(frame[list("pqrs")])
    np.testing.assert_allclose(rows.mean, scaler.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rows.scale, scaler.scale_, rtol=1e-12)
    assert rows.classes.tolist() == ["a", "b"]
    assert rows.feature_names.tolist() == list("pqrs")
    assert rows.partition_sizes.tolist() == [500] * 6  # the row groups
    # Every row once per epoch, with its own label.
    numbered = frame.assign(row=np.arange(len(frame)))[["p", "row", "t"]]
    path = parquet_file.with_name("numbered.parquet")
    numbered.to_parquet(path, row_group_size=500, index=False)
    rows = ParquetRows(path, "t", partitions_in_memory=2).scan(seed=0, hold_out=0.2)
    rows.start(np.random.RandomState(0), batch_size=1, dtype="float64")
    seen = []
    for _ in range(rows.partition_sizes.sum()):
        X_std, y_index = rows.next_batch()
        seen.append(int(np.rint(X_std[0, 1] * rows.scale[1] + rows.mean[1])))
        assert rows.classes[y_index[0]] == frame["t"].iloc[seen[-1]]
    held = np.rint(rows.validation[0][:, 1] * rows.scale[1] + rows.mean[1])
    assert len(seen) == len(set(seen)) and not set(seen) & set(held.astype(int))


def test_distiller_fits_a_parquet_path_as_the_same_rows_in_dask(table, parquet_file):
    import pyarrow.dataset as ds

    from skdistill import DatasetDistiller, DistilledMLPClassifier

    frame, _ = table
    features = list("pqrs")
    params = dict(n_steps=3, n_epochs=2, max_iter=30, random_state=0)
    a = DatasetDistiller(**params).fit(str(parquet_file), "t")
    b = DatasetDistiller(**params).fit(ds.dataset(parquet_file), "t")
    np.testing.assert_array_equal(a.distilled_X_, b.distilled_X_)  # repeatable
    assert a.feature_names_in_.tolist() == features and a.n_features_in_ == 4
    np.testing.assert_allclose(a.distilled_X_[:, 3], 7.0)  # constant column
    in_memory = DatasetDistiller(**params).fit(frame[features], frame["t"])
    scores = a.validation_scores_
    assert scores[-1] > scores[0]
    assert abs(scores[-1] - in_memory.validation_scores_[-1]) < 0.05
    # A pyarrow Dataset of a narrower schema selects the features.
    import pyarrow as pa

    schema = ds.dataset(parquet_file).schema
    narrow = ds.dataset(parquet_file).replace_schema(
        pa.schema([schema.field(c) for c in ("p", "q", "t")])
    )
    assert DatasetDistiller(**params).fit(narrow, "t").n_features_in_ == 2
    # A directory of parquet files is one table.
    directory = parquet_file.parent / "directory"
    directory.mkdir()
    for i in range(3):
        part = frame.iloc[i * 1000 : (i + 1) * 1000]
        part.to_parquet(directory / f"part-{i}.parquet", index=False)
    (directory / "_SUCCESS").touch()  # skipped, as by other readers
    c = DatasetDistiller(**params).fit(directory, "t")
    np.testing.assert_allclose(c.mean_, in_memory.mean_, rtol=1e-12)
    # fit_resample gives pandas, named after the table's columns.
    X_res, y_res = DatasetDistiller(**params).fit_resample(parquet_file, "t")
    assert X_res.columns.tolist() == features and y_res.name == "t"
    # A classifier reads the path through its distiller, and does as well as
    # from the frame in memory.
    scores = []
    for data in [(parquet_file, "t"), (frame[features], frame["t"])]:
        clf = DistilledMLPClassifier((8,), distiller=DatasetDistiller(**params))
        clf.set_params(random_state=0).fit(*data)
        assert clf.feature_names_in_.tolist() == features
        scores.append(clf.score(frame[features], frame["t"]))
    assert scores[0] > 0.6 and scores[0] > scores[1] - 0.05, scores


def test_bad_parquet_input_is_refused_with_a_clear_error(table, parquet_file):
    from skdistill import DatasetDistiller, DistilledMLPClassifier, KMeansSampler

    frame, _ = table
    distiller = DatasetDistiller(max_iter=2)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        distiller.fit(parquet_file.with_name("missing.parquet"), "t")
    with pytest.raises(TypeError, match="name of its label column"):
        distiller.fit(parquet_file, frame["t"])
    with pytest.raises(ValueError, match="'label' is not a column.*'p', 'q'"):
        distiller.fit(parquet_file, "label")
    not_parquet = parquet_file.with_name("table.csv")
    frame.to_csv(not_parquet)
    with pytest.raises(ValueError, match="could not be read as a parquet"):
        distiller.fit(not_parquet, "t")
    text = parquet_file.with_name("text.parquet")
    frame.assign(q=frame["q"].astype(str)).to_parquet(text)
    with pytest.raises(ValueError, match="non-numeric columns \\['q'\\]"):
        distiller.fit(text, "t")
    with_nan = parquet_file.with_name("nan.parquet")
    frame.assign(p=frame["p"].where(frame.index != 5)).to_parquet(with_nan)
    with pytest.raises(ValueError, match="NaN"):
        distiller.fit(with_nan, "t")
    # A directory whose second file disagrees with the first file's columns.
    mixed = parquet_file.with_name("mixed")
    mixed.mkdir()
    frame.to_parquet(mixed / "a.parquet")
    frame.assign(q="text").to_parquet(mixed / "b.parquet")
    with pytest.raises(ValueError, match="b.parquet' could not be read as the table"):
        distiller.fit(mixed, "t")
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        distiller.fit(parquet_file, "t", sample_weight=np.ones(len(frame)))
    # Estimators that need their data in memory say so.
    with pytest.raises(TypeError, match="read it first"):
        DistilledMLPClassifier((8,)).fit(parquet_file, "t")
    with pytest.raises(TypeError, match="needs its (training )?data in memory"):
        KMeansSampler().fit(parquet_file, "t")
