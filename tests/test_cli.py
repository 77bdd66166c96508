"""The command line: ``skdistill demo`` and ``skdistill distill``."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skdistill import DistilledDataset, DistilledMLPClassifier
from skdistill._cli.command import main

# Tiny distillations: the tests check the files and the messages, not quality.
FAST = ["--max-iter", "4", "--n-steps", "3", "--n-epochs", "2", "--verbose", "0"]


@pytest.fixture
def data_csv(tmp_path):
    """A CSV with numeric, boolean and categorical features and a string target."""
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "income": rng.normal(3e4, 5e3, n).round(),
            "colour": rng.choice(["red", "green", "blue"], n),
            "member": rng.random(n) > 0.5,
        }
    )
    frame["species"] = np.where(
        frame["age"] > 40,
        "setosa",
        np.where(frame["colour"] == "red", "virginica", "x"),
    )
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def run_distill(capsys, *args):
    status = main(["distill", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, *fragments):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skdistill distill: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


# ---------------------------------------------------------------- distill


def test_the_dataset_file_keeps_every_field_of_the_distilled_set(
    tmp_path, data_csv, capsys, monkeypatch
):
    # The command adds its encoding, feature names and the input's name to the
    # distiller's dataset and drops nothing, extras included.
    import skdistill

    class WithExtras(skdistill.DatasetDistiller):
        def _distill(self, X, y_index):
            dataset = super()._distill(X, y_index)
            return dataset.replace(extras={"note": np.array(["kept"])})

    monkeypatch.setattr(skdistill, "DatasetDistiller", WithExtras)
    status, _, _ = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv",
        "--fixed-init", "--random-state", "0", *FAST,
    )  # fmt: skip
    assert status == 0
    saved = DistilledDataset.load(tmp_path / "o.npz")
    assert saved.extras["note"].tolist() == ["kept"]
    assert saved.provenance["data"] == str(data_csv)
    assert saved.provenance["target"] == "species"
    assert saved.provenance["method"] == "WithExtras"
    assert saved.encoding["feature_columns"] == saved.feature_names.tolist()
    assert saved.fixed_init is not None and saved.lr_init is not None


def test_distill_writes_rows_soft_labels_schedule_and_encoding(
    tmp_path, data_csv, capsys
):
    out = tmp_path / "distilled.csv"
    status, stdout, _ = run_distill(
        capsys,
        data_csv,
        "--target",
        "species",
        "-o",
        out,
        "--samples-per-step",
        "4",
        "--random-state",
        "0",
        *FAST,
    )
    assert status == 0
    assert "distilled.schedule.csv" in stdout

    rows = pd.read_csv(out)
    features = ["age", "income", "colour=blue", "colour=green", "colour=red", "member"]
    labels = ["species=setosa", "species=virginica", "species=x"]
    assert list(rows.columns) == features + ["_step"] + labels
    assert len(rows) == 3 * 4  # n_steps * samples_per_step
    assert sorted(rows["_step"].unique()) == [0, 1, 2]
    soft = rows[labels].to_numpy()
    assert (soft >= 0).all()
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-6)
    # Rows are in the units of the input, not standardised.
    assert rows["income"].abs().mean() > 1000

    schedule = pd.read_csv(tmp_path / "distilled.schedule.csv")
    assert list(schedule.columns) == ["step", "epoch", "batch", "learning_rate"]
    assert len(schedule) == 3 * 2  # n_steps * n_epochs
    assert list(schedule["batch"]) == [0, 1, 2, 0, 1, 2]
    assert list(schedule["epoch"]) == [0, 0, 0, 1, 1, 1]
    assert (schedule["learning_rate"] > 0).all()

    ds = DistilledDataset.load(tmp_path / "distilled.npz")
    assert ds.provenance["target"] == "species"
    assert ds.classes.tolist() == ["setosa", "virginica", "x"]
    assert ds.encoding["categorical_columns"] == {"colour": ["blue", "green", "red"]}
    assert ds.encoding["numeric_columns"] == ["age", "income", "member"]
    assert ds.feature_names.tolist() == features
    assert ds.provenance["params"]["n_steps"] == 3
    np.testing.assert_allclose(ds.X, rows[features].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ds.y, soft, atol=1e-7)
    np.testing.assert_allclose(ds.lr_schedule, schedule["learning_rate"], rtol=1e-6)


def test_distilled_file_turns_new_raw_rows_into_predictions(tmp_path, data_csv, capsys):
    """The documented lines: load the dataset, train on it, predict raw rows."""
    out = tmp_path / "distilled.csv"
    status, _, _ = run_distill(
        capsys, data_csv, "--target", "species", "-o", out, "--random-state", "0",
        *FAST,
    )  # fmt: skip
    assert status == 0
    raw = pd.read_csv(data_csv).drop(columns="species")

    ds = DistilledDataset.load(tmp_path / "distilled.npz")
    clf = DistilledMLPClassifier((8,), distiller=ds, random_state=0).fit()
    predicted = clf.predict(ds.feature_encoder().transform(raw))

    assert set(predicted) <= {"setosa", "virginica", "x"}
    # The encoder gives the columns the rows were distilled with.
    encoded = ds.feature_encoder().transform(raw)
    assert list(encoded.columns) == ds.feature_names.tolist()
    assert set(encoded["colour=red"].unique()) <= {0.0, 1.0}
    # ... and the same network as training on the distilled rows directly.
    direct = DistilledMLPClassifier((8,), distiller=ds, random_state=0)
    direct.fit(pd.DataFrame(ds.X, columns=ds.feature_names), ds.hard_labels)
    np.testing.assert_array_equal(direct.predict(encoded), predicted)


def test_distill_is_repeatable_with_random_state(tmp_path, data_csv, capsys):
    args = [data_csv, "--target", "species", "--random-state", "3", *FAST]
    assert run_distill(capsys, *args, "-o", tmp_path / "a.csv")[0] == 0
    assert run_distill(capsys, *args, "-o", tmp_path / "b.csv")[0] == 0
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert (tmp_path / "a.schedule.csv").read_text() == (
        tmp_path / "b.schedule.csv"
    ).read_text()


def test_distill_passes_distiller_options(tmp_path, data_csv, capsys):
    out = tmp_path / "o.csv"
    status, _, _ = run_distill(
        capsys,
        data_csv,
        "--target",
        "species",
        "-o",
        out,
        *FAST,
        "--architectures",
        "linear",
        "4,4",
        "--n-models",
        "2",
        "--hard-labels",
        "--fixed-lr",
        "--lr-init",
        "0.05",
    )
    assert status == 0
    ds = DistilledDataset.load(tmp_path / "o.npz")
    assert ds.architectures == ((), (4, 4))
    assert ds.provenance["params"]["soft_labels"] is False
    soft = pd.read_csv(out).filter(like="species=").to_numpy()
    assert set(np.unique(soft)) <= {0.0, 1.0}  # hard labels stay one-hot
    schedule = pd.read_csv(tmp_path / "o.schedule.csv")
    np.testing.assert_allclose(schedule["learning_rate"], 0.05)


def test_distill_numeric_only_data_with_integer_classes(tmp_path, capsys):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["x0", "x1", "x2"])
    frame["label"] = (frame["x0"] > 0).astype(int)
    frame.to_csv(tmp_path / "num.csv", index=False, sep=";")
    status, _, _ = run_distill(
        capsys, tmp_path / "num.csv", "--target", "label", "--sep", ";",
        "-o", tmp_path / "o.csv", *FAST,
    )  # fmt: skip
    assert status == 0
    rows = pd.read_csv(tmp_path / "o.csv")
    assert list(rows.columns) == ["x0", "x1", "x2", "_step", "label=0", "label=1"]
    ds = DistilledDataset.load(tmp_path / "o.npz")
    assert ds.classes.tolist() == [0, 1] and ds.encoding["categorical_columns"] == {}


def test_distill_prints_progress_by_default(tmp_path, data_csv, capsys):
    status, stdout, _ = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv",
        "--max-iter", "4", "--n-steps", "2", "--n-epochs", "1",
    )  # fmt: skip
    assert status == 0
    assert "[DatasetDistiller] iteration 4/4" in stdout
    assert "remaining" in stdout


# ----------------------------------------------------------------- errors


def test_missing_file(tmp_path, capsys):
    status, _, err = run_distill(
        capsys, tmp_path / "nope.csv", "--target", "y", "-o", tmp_path / "o.csv"
    )
    assert_one_line_error(status, err, "nope.csv", "no such file")


def test_directory_and_binary_and_empty_files(tmp_path, capsys):
    out = tmp_path / "o.csv"
    status, _, err = run_distill(capsys, tmp_path, "--target", "y", "-o", out)
    assert_one_line_error(status, err, "directory")

    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe\xfa")
    status, _, err = run_distill(capsys, binary, "--target", "y", "-o", out)
    assert_one_line_error(status, err, "binary.csv")

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    status, _, err = run_distill(capsys, empty, "--target", "y", "-o", out)
    assert_one_line_error(status, err, "empty")

    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b,y\n")
    status, _, err = run_distill(capsys, header_only, "--target", "y", "-o", out)
    assert_one_line_error(status, err, "no data rows")

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,y\n1,0\n2,1,7,8\n")
    status, _, err = run_distill(capsys, ragged, "--target", "y", "-o", out)
    assert_one_line_error(status, err, "ragged.csv")
    assert not out.exists()


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root reads any file"
)
def test_unreadable_file(tmp_path, data_csv, capsys):
    data_csv.chmod(0)
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv"
    )
    assert_one_line_error(status, err, "permission denied")


def test_read_permission_error_is_one_line(tmp_path, data_csv, capsys, monkeypatch):
    # Runs as root too, where chmod cannot make a file unreadable.
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pd, "read_csv", denied)
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv"
    )
    assert_one_line_error(status, err, "permission denied")


def test_text_encoding(tmp_path, capsys):
    latin = tmp_path / "latin.csv"
    rows = "".join(f"{i},{'café' if i % 2 else 'thé'},{i % 2}\n" for i in range(20))
    latin.write_bytes(("x,drink,y\n" + rows).encode("latin-1"))
    out = tmp_path / "o.csv"
    status, _, err = run_distill(capsys, latin, "--target", "y", "-o", out, *FAST)
    assert_one_line_error(status, err, "not utf-8 text", "--encoding")
    status, _, err = run_distill(
        capsys, latin, "--target", "y", "-o", out, "--encoding", "latin-1", *FAST
    )
    assert status == 0, err
    assert "drink=café" in pd.read_csv(out).columns
    status, _, err = run_distill(
        capsys, latin, "--target", "y", "-o", out, "--encoding", "klingon", "--force"
    )
    assert_one_line_error(status, err, "klingon")


def test_without_pandas_says_so(tmp_path, data_csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv"
    )
    assert_one_line_error(status, err, "pip install pandas")


def test_missing_target_column_lists_the_columns(tmp_path, data_csv, capsys):
    status, _, err = run_distill(
        capsys, data_csv, "--target", "Species", "-o", tmp_path / "o.csv"
    )
    assert_one_line_error(status, err, "'Species'", "'species'", "'age'")


def test_columns_that_cannot_be_encoded(tmp_path, data_csv, capsys):
    frame = pd.read_csv(data_csv)
    frame["name"] = [f"customer {i}" for i in range(len(frame))]
    frame.to_csv(data_csv, index=False)
    out = tmp_path / "o.csv"
    status, _, err = run_distill(capsys, data_csv, "--target", "species", "-o", out)
    assert_one_line_error(status, err, "'name'", "not numeric", "90 distinct")

    frame = frame.drop(columns="name")
    frame.loc[3, "age"] = np.nan
    frame.to_csv(data_csv, index=False)
    status, _, err = run_distill(capsys, data_csv, "--target", "species", "-o", out)
    assert_one_line_error(status, err, "'age'", "1 missing value")

    frame.loc[3, "age"] = np.inf
    frame.to_csv(data_csv, index=False)
    status, _, err = run_distill(capsys, data_csv, "--target", "species", "-o", out)
    assert_one_line_error(status, err, "'age'", "infinite")
    assert not out.exists()


def test_target_that_is_not_classes(tmp_path, data_csv, capsys):
    status, _, err = run_distill(
        capsys, data_csv, "--target", "age", "-o", tmp_path / "o.csv", *FAST
    )
    assert_one_line_error(status, err, "Unknown label type")

    frame = pd.read_csv(data_csv).assign(species="one")
    frame.to_csv(data_csv, index=False)
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv", *FAST
    )
    assert_one_line_error(status, err, "two classes")


def test_existing_output_needs_force(tmp_path, data_csv, capsys):
    out = tmp_path / "o.csv"
    out.write_text("precious\n")
    args = [data_csv, "--target", "species", "-o", out, *FAST]
    status, _, err = run_distill(capsys, *args)
    assert_one_line_error(status, err, "o.csv exists", "--force")
    assert out.read_text() == "precious\n"

    # The files written beside the output are protected too.
    out.unlink()
    (tmp_path / "o.schedule.csv").write_text("precious\n")
    status, _, err = run_distill(capsys, *args)
    assert_one_line_error(status, err, "o.schedule.csv exists")

    status, _, _ = run_distill(capsys, *args, "--force")
    assert status == 0
    assert len(pd.read_csv(tmp_path / "o.schedule.csv")) == 6


def test_output_cannot_be_written(tmp_path, data_csv, capsys):
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "no" / "o.csv"
    )
    assert_one_line_error(status, err, "no directory")
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", data_csv, "--force"
    )
    assert_one_line_error(status, err, "input file")


def test_warnings_are_one_line_each(tmp_path, data_csv, capsys):
    # Rounded incomes look like 90 classes for 90 rows: sklearn warns.
    status, _, err = run_distill(
        capsys, data_csv, "--target", "income", "-o", tmp_path / "o.csv", *FAST
    )
    assert status == 0
    lines = err.strip().splitlines()
    assert lines and all(
        line.startswith("skdistill distill: warning: ") for line in lines
    )
    assert "regression problem" in err


def test_bad_distiller_parameter_is_one_line(tmp_path, data_csv, capsys):
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv",
        "--n-steps", "0",
    )  # fmt: skip
    assert_one_line_error(status, err, "n_steps")


def test_errors_from_a_real_process_have_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skdistill", "distill", str(tmp_path / "nope.csv"),
         "--target", "y", "-o", str(tmp_path / "o.csv")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"skdistill distill: error: cannot read {tmp_path / 'nope.csv'}: no such file"
    ]


def test_python_dash_m_without_command_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "skdistill"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "usage: skdistill" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------- demo


def test_demo_prints_the_comparison_and_writes_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status = main(
        ["demo", "--max-iter", "20", "--n-models", "2", "--output-dir", str(tmp_path)]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "40 synthetic rows in 10 steps x 3 epochs" in out
    assert "learned learning rates" in out
    assert "all 398 training rows" in out and "40 distilled rows" in out
    assert "40 random real rows" in out and "40 k-means centroids" in out
    # Progress by default: the distiller's lines, then each compared set.
    assert "Distilling them into 40 rows (20 outer iterations) ..." in out
    assert "[DatasetDistiller] iteration 20/20" in out
    assert "Training 2 MLPs on 40 k-means centroids ..." in out
    for name in ("distilled_data.png", "learning_rates.png"):
        picture = tmp_path / name
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(picture) in out


def test_demo_without_matplotlib_says_so_and_carries_on(tmp_path, capsys, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # importing it fails
    status = main(
        ["demo", "--max-iter", "5", "--n-models", "1", "--output-dir", str(tmp_path)]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "distilled rows" in out
    assert "matplotlib is not installed" in out
    assert list(tmp_path.iterdir()) == []


def test_demo_no_plots(tmp_path, capsys):
    status = main(
        ["demo", "--max-iter", "5", "--n-models", "1", "--no-plots",
         "--output-dir", str(tmp_path / "pics")],
    )  # fmt: skip
    assert status == 0
    assert not (tmp_path / "pics").exists()


# ------------------------------------------------- files that would be misread


def test_empty_separator_is_one_line(tmp_path, data_csv, capsys):
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv", "--sep", ""
    )
    assert_one_line_error(status, err, "--sep is empty")


def _decimal_comma_csv(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=40), "b": rng.normal(size=40), "y": [0, 1] * 20}
    )
    path = tmp_path / "comma.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return path


def test_decimal_comma_numbers_are_refused_with_the_remedy(tmp_path, capsys):
    path = _decimal_comma_csv(tmp_path)
    out = tmp_path / "o.csv"
    status, _, err = run_distill(capsys, path, "--target", "y", "-o", out, "--sep", ";")
    assert_one_line_error(status, err, "column 'a'", "decimal comma", "--decimal ','")
    assert not out.exists()
    # With the remedy, the two columns are read as the numbers they are.
    status, _, err = run_distill(
        capsys, path, "--target", "y", "-o", out, "--sep", ";", "--decimal", ",", *FAST
    )
    assert status == 0, err
    assert DistilledDataset.load(tmp_path / "o.npz").n_features == 2


def test_duplicate_headers_are_refused(tmp_path, capsys):
    path = tmp_path / "dup.csv"
    path.write_text("x,x,y\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(20)))
    status, _, err = run_distill(
        capsys, path, "--target", "y", "-o", tmp_path / "o.csv"
    )
    assert_one_line_error(status, err, "duplicate column names: 'x'")


def test_option_names_mirror_the_parameters(tmp_path, data_csv, capsys):
    out = tmp_path / "o.csv"
    status, _, err = run_distill(
        capsys, data_csv, "--target", "species", "-o", out, *FAST,
        "--no-soft-labels", "--no-learn-lr", "--random-state", "0",
    )  # fmt: skip
    assert status == 0, err
    params = DistilledDataset.load(tmp_path / "o.npz").provenance["params"]
    assert params["soft_labels"] is False and params["learn_lr"] is False


def test_no_feature_transform_keeps_heavy_tailed_columns_unmapped(tmp_path, capsys):
    rng = np.random.RandomState(0)
    z = rng.standard_normal((200, 2))
    heavy = np.sign(z[:, 1]) * np.expm1(3 * np.abs(z[:, 1]))
    path = tmp_path / "heavy.csv"
    path.write_text(
        "a,b,y\n"
        + "".join(
            f"{a},{b},{int(a + c > 0)}\n" for a, b, c in zip(z[:, 0], heavy, z[:, 1])
        )
    )
    saved = {}
    for flag in ((), ("--no-feature-transform",)):
        out = tmp_path / f"o{len(flag)}.csv"
        status, _, err = run_distill(
            capsys,
            path,
            "--target",
            "y",
            "-o",
            out,
            *FAST,
            "--random-state",
            "0",
            *flag,
        )
        assert status == 0, err
        saved[flag] = DistilledDataset.load(out.with_suffix(".npz"))
    assert saved[()].feature_transform is not None
    assert saved[()].feature_transform.columns.tolist() == [1]
    assert saved[("--no-feature-transform",)].feature_transform is None


# --------------------------------------------------- version, interruptions


def test_version(capsys):
    from skdistill import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"skdistill {__version__}"


def test_importing_the_command_does_not_import_torch():
    # Ctrl-C while torch is imported must reach main's handler: nothing heavy
    # may be imported with the module that holds the entry point.
    code = "import sys, skdistill._cli.command; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_interrupt_while_building_the_parser_is_one_line(monkeypatch, capsys):
    import skdistill._cli.command as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["distill", "x.csv"]) == 130
    assert capsys.readouterr().err == "skdistill: interrupted\n"


# The child runs ``python -m skdistill`` with one addition: the first import of
# torch announces itself on the ``ready`` pipe, then blocks reading the ``gate``
# pipe, whose write end only the test holds. The SIGINT therefore always
# arrives inside the import of torch, however fast the disk and the machine.
# The test closes the gate after sending the signal: a child that did not
# take the signal then goes on and fails the assertions instead of hanging.
GATED_CHILD = """
import os, runpy, signal, sys

# Python leaves SIGINT ignored when it starts with it ignored (a background
# job of a non-interactive shell); a terminal's Ctrl-C finds this handler.
signal.signal(signal.SIGINT, signal.default_int_handler)
ready, gate = int(sys.argv[1]), int(sys.argv[2])


class StopAtTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            sys.meta_path.remove(self)
            os.write(ready, b"!")
            os.read(gate, 1)
        return None


sys.meta_path.insert(0, StopAtTorch())
sys.argv = ["skdistill", *sys.argv[3:]]
runpy.run_module("skdistill", run_name="__main__", alter_sys=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="needs SIGINT and pipes")
def test_interrupt_of_a_real_process_during_import(tmp_path):
    import signal

    ready_read, ready_write = os.pipe()
    gate_read, gate_write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", GATED_CHILD, str(ready_write), str(gate_read),
             "distill", str(tmp_path / "x.csv"), "--target", "y",
             "-o", str(tmp_path / "o.csv")],
            pass_fds=(ready_write, gate_read),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        os.close(ready_write)
        os.close(gate_read)
        # Blocks until the child is inside the import of torch; end of file
        # (b"") if it exited before ever importing torch.
        with os.fdopen(ready_read, "rb", buffering=0) as ready:
            announced = ready.read(1)
        if announced != b"!":
            _, err = process.communicate()
            pytest.fail(f"the child never imported torch:\n{err}")
        process.send_signal(signal.SIGINT)
    finally:
        os.close(gate_write)
    _, err = process.communicate()
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["skdistill distill: interrupted"] or (
        err.strip() == "skdistill: interrupted"
    )


def test_auto_sizes_are_accepted_and_bad_ones_named(tmp_path, data_csv, capsys):
    fast = list(FAST)
    fast[fast.index("--n-steps") + 1] = "auto"
    status, _, _ = run_distill(
        capsys, data_csv, "--target", "species", "-o", tmp_path / "o.csv",
        "--batch-size", "auto", "--random-state", "0", *fast,
    )  # fmt: skip
    assert status == 0
    ds = DistilledDataset.load(tmp_path / "o.npz")
    assert ds.n_steps == 10  # a small file: the 10 steps of n_steps="auto"
    assert ds.provenance["params"]["n_steps"] == "auto"
    assert ds.provenance["params"]["batch_size"] == "auto"
    assert ds.provenance["batch_size"] == 64  # what "auto" chose
    with pytest.raises(SystemExit) as exit_info:
        run_distill(
            capsys, data_csv, "--target", "species", "-o", tmp_path / "p.csv",
            "--n-steps", "many",
        )  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--n-steps" in err and "'many' is neither 'auto' nor an integer" in err
