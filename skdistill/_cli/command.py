"""The ``skdistill`` command line (also ``python -m skdistill``).

``skdistill demo``
    Distill a built-in dataset, compare models trained on it with models
    trained on all the data and on baselines of the same size, and draw the
    distilled data and its learned learning rates.

``skdistill distill data.csv --target COLUMN -o distilled.csv``
    Distill a CSV file. Numeric columns are used as they are; non-numeric ones
    are one-hot encoded (``column=value``). Three files are written:

    * ``distilled.csv``: the synthetic rows in the units of the input (one
      column per encoded feature), ``_step`` (the training step whose batch
      the row belongs to) and one soft-label column per class,
      ``TARGET=class``, each row summing to 1;
    * ``distilled.schedule.csv``: one row per training step of a network
      trained on the distilled data, in order: ``step``, ``epoch``, ``batch``
      (train on the rows whose ``_step`` equals it) and ``learning_rate``;
    * ``distilled.npz``: the distilled dataset (a
      :class:`~skdistill.DistilledDataset` file, which loads without pickle):
      the rows, soft labels, steps and schedule, the standardisation, the
      classes, the encoding of the raw columns (scikit-learn's
      ``OneHotEncoder`` in a ``ColumnTransformer``, rebuilt by
      ``DistilledDataset.feature_encoder()``) and the distiller's parameters.
      It is what turns new raw rows into predictions::

          ds = DistilledDataset.load("distilled.npz")
          clf = DistilledMLPClassifier((32,), distiller=ds).fit()
          clf.predict(ds.feature_encoder().transform(pd.read_csv("new.csv")))

Mistakes in the input (an unreadable file, a missing target column, a column
that cannot be encoded, an output file that exists) end with a one-line
message on stderr and exit status 2.
"""

# Only the standard library is imported with this module: numpy, pandas and
# torch are imported inside `main`, where Ctrl-C is caught (exit 130).
import argparse
import sys
import time
import warnings
from pathlib import Path

from .._version import __version__

#: The column of the output CSV holding the step each synthetic row belongs to.
STEP_COLUMN = "_step"
#: Non-numeric columns with more distinct values than this are refused.
DEFAULT_MAX_CATEGORIES = 50


#: A number written with a decimal comma, such as 1,5 or -0,25 or 3,2e-4.
_DECIMAL_COMMA = r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?"


class UsageError(Exception):
    """A mistake in the command's input: reported in one line, exit status 2."""


def _mean_std(values):
    import numpy as np

    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


# --------------------------------------------------------------------- demo


def demo(args):
    """Distill a built-in dataset; compare models trained on it with full data
    and with baselines of the same size; draw the distilled data."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import DatasetDistiller, DistilledMLPClassifier
    from .._tabular.baselines import KMeansSampler, RandomRealSampler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=args.random_state
    )
    print(
        f"Breast cancer data: {len(X_train)} training rows, {X.shape[1]} features, "
        f"{len(X_test)} test rows."
    )
    distiller = DatasetDistiller(
        n_steps=10,
        n_epochs=3,
        samples_per_step=4,
        architectures=((10,),),
        max_iter=args.max_iter,
        random_state=args.random_state,
        verbose=args.verbose,
    )
    if args.verbose:
        n_rows = distiller.n_steps * distiller.samples_per_step
        print(
            f"Distilling them into {n_rows} rows ({args.max_iter} outer "
            "iterations) ...",
            flush=True,
        )
    start = time.perf_counter()
    distiller.fit(X_train, y_train)
    distill_seconds = time.perf_counter() - start

    lrs = distiller.lr_schedule_
    moved = np.abs(distiller.distilled_y_ - distiller.distilled_y_.round()).max(1)
    print(
        f"\nDistilled in {distill_seconds:.1f} s ({distiller.n_iter_} outer "
        f"iterations; objective {distiller.loss_curve_[0]:.3f} -> "
        f"{np.mean(distiller.loss_curve_[-20:]):.3f}):"
    )
    print(
        f"  {len(distiller.distilled_X_)} synthetic rows in {distiller.n_steps} steps "
        f"x {distiller.n_epochs} epochs"
    )
    print(
        f"  learned learning rates: min {lrs.min():.3f}, median "
        f"{np.median(lrs):.3f}, max {lrs.max():.3f} (initial {distiller.lr_init_:g})"
    )
    print(
        f"  soft labels: {np.sum(moved > 0.05)} of {len(moved)} rows moved more "
        "than 0.05 away from one-hot"
    )

    frozen = FrozenEstimator(distiller)
    # Baselines (Wang et al. 2018; Sucholutsky & Schonlau 2019): as many real
    # rows, or per-class k-means centroids, trained on by the same MLP. All
    # MLPs but the distilled one see inputs standardised with the statistics
    # of the whole training set, as the distilled data was.
    scaler = FrozenEstimator(StandardScaler().fit(X_train))
    n_small = len(distiller.distilled_X_)

    def mlp(seed):
        return make_pipeline(
            scaler,
            DistilledMLPClassifier(
                hidden_layer_sizes=(10,), max_iter=300, random_state=seed
            ),
        )

    def full_data(seed):
        return X_train, y_train

    def resampled(sampler):
        return lambda seed: sampler(n_small, random_state=seed).fit_resample(
            X_train, y_train
        )

    results = {}
    for name, make, data in (
        (f"all {len(X_train)} training rows", mlp, full_data),
        (
            f"{n_small} distilled rows",
            lambda seed: DistilledMLPClassifier(
                hidden_layer_sizes=(10,), distiller=frozen, random_state=seed
            ),
            full_data,
        ),
        (f"{n_small} random real rows", mlp, resampled(RandomRealSampler)),
        (f"{n_small} k-means centroids", mlp, resampled(KMeansSampler)),
    ):
        if args.verbose:
            print(f"Training {args.n_models} MLPs on {name} ...", flush=True)
        scores, seconds = [], []
        for seed in range(args.n_models):
            model = make(seed)
            X_fit, y_fit = data(seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_fit, y_fit)
            seconds.append(time.perf_counter() - start)
            scores.append(model.score(X_test, y_test))
        results[name] = (scores, seconds)

    print(
        f"\nOne-hidden-layer MLPs (10 units), {args.n_models} fresh "
        "initialisations each:"
    )
    width = max(len(name) for name in results)
    print(f"  {'trained on':<{width}}  {'test accuracy':>15}  {'fit time':>9}")
    for name, (scores, seconds) in results.items():
        print(
            f"  {name:<{width}}  {_mean_std(scores):>15}  "
            f"{np.mean(seconds) * 1000:>7.1f}ms"
        )

    if not args.no_plots:
        _demo_pictures(distiller, X_train, y_train, Path(args.output_dir))
    return 0


def _demo_pictures(distiller, X, y, output_dir):
    """Write the demo's pictures into ``output_dir``, if matplotlib is installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print(
            "\nmatplotlib is not installed: no pictures written "
            "(pip install matplotlib to get them)."
        )
        return
    # Figures made without pyplot: no GUI backend, no global state touched.
    from sklearn.frozen import FrozenEstimator

    from .._eval.plotting import DistilledDataDisplay, LearningRateScheduleDisplay
    from .._tabular.classifier import DistilledMLPClassifier

    model = DistilledMLPClassifier(
        distiller.architectures_[0],
        distiller=FrozenEstimator(distiller),
        random_state=0,
    ).fit(X, y)

    output_dir.mkdir(parents=True, exist_ok=True)
    written = []

    fig = Figure(figsize=(6.4, 5.2), layout="constrained")
    ax = fig.add_subplot()
    DistilledDataDisplay.from_estimator(model, X, y, ax=ax)
    ax.set_title("Distilled rows over the boundary of an MLP trained on them")
    path = output_dir / "distilled_data.png"
    fig.savefig(path, dpi=100)
    written.append(path)

    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    LearningRateScheduleDisplay.from_estimator(distiller, ax=ax)
    ax.set_title("Learned learning rate of every training step")
    path = output_dir / "learning_rates.png"
    fig.savefig(path, dpi=100)
    written.append(path)

    print("\nPictures: " + ", ".join(str(p) for p in written))


# ------------------------------------------------------------------ distill


def _sidecar_paths(output):
    """The schedule and dataset files written beside ``output``."""
    stem = output.name[: -len(".csv")] if output.name.endswith(".csv") else output.name
    return (
        output.with_name(stem + ".schedule.csv"),
        output.with_name(stem + ".npz"),
    )


def _read_csv(path, sep, encoding, decimal="."):
    import pandas as pd

    for name, value in (("--sep", sep), ("--decimal", decimal)):
        if len(value) == 0:
            raise UsageError(f"{name} is empty; give one character, e.g. {name} ';'")
        if value in ("\n", "\r", '"'):
            raise UsageError(f"{name} {value!r} cannot separate CSV fields")
    if decimal == sep:
        raise UsageError(f"--decimal and --sep are both {sep!r}")
    if not path.exists():
        raise UsageError(f"cannot read {path}: no such file")
    if path.is_dir():
        raise UsageError(f"cannot read {path}: it is a directory")
    try:
        frame = pd.read_csv(path, sep=sep, encoding=encoding, decimal=decimal)
        header = pd.read_csv(
            path, sep=sep, encoding=encoding, header=None, nrows=1, dtype=str
        )
    except PermissionError:
        raise UsageError(f"cannot read {path}: permission denied") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"cannot read {path}: not {encoding} text (binary, or pass --encoding)"
        ) from None
    except LookupError:
        raise UsageError(f"unknown text encoding {encoding!r}") from None
    except pd.errors.EmptyDataError:
        raise UsageError(f"cannot read {path}: the file is empty") from None
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UsageError(f"cannot read {path} as CSV: {first_line}") from None
    if len(frame) == 0:
        raise UsageError(f"{path} has a header but no data rows")
    names = [str(n) for n in header.iloc[0].tolist()]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        # pandas would rename them (x, x.1), silently.
        raise UsageError(
            f"{path} has duplicate column names: {_short_list(duplicated)}; "
            "rename them so that every column has its own name"
        )
    if decimal != ",":
        for column in frame.columns:
            values = frame[column]
            if values.dtype.kind in "biufc":
                continue
            text = values.dropna().astype(str).str.strip()
            if len(text) and text.str.fullmatch(_DECIMAL_COMMA).mean() > 0.5:
                raise UsageError(
                    f"column {str(column)!r} holds numbers with a decimal comma "
                    f"(e.g. {text.iloc[0]!r}), which would be read as categories; "
                    "pass --decimal ','"
                )
    return frame


def _short_list(names, limit=8):
    names = [repr(str(n)) for n in names]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"
    return ", ".join(names)


def encode_features(frame, max_categories=DEFAULT_MAX_CATEGORIES):
    """Encode the feature columns of ``frame`` with scikit-learn's encoders.

    Numeric (and boolean) columns are kept as float columns; every other
    column becomes one 0/1 column per distinct value, named ``column=value``,
    in sorted order of the values' text (see ``skdistill._data.encoding``).

    Parameters
    ----------
    frame : pandas.DataFrame
        The feature columns.

    max_categories : int, default=50
        Non-numeric columns with more distinct values are refused: they are
        identifiers or free text, which one-hot encoding does not serve.

    Returns
    -------
    X : ndarray of shape (n_rows, n_encoded_columns)
        The encoded features.

    encoding : dict
        ``columns``, ``numeric_columns``, ``categorical_columns`` (a dict from
        name to its list of categories) and ``feature_columns`` (the names of
        the columns of ``X``).

    Raises
    ------
    UsageError
        For missing values, complex numbers, infinite values, or a non-numeric
        column with more than ``max_categories`` distinct values.
    """
    import numpy as np

    from .._data.encoding import fit_feature_encoder, is_numeric_column

    missing = frame.isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        column, count = missing.index[0], int(missing.iloc[0])
        more = f" (and {len(missing) - 1} more columns)" if len(missing) > 1 else ""
        raise UsageError(
            f"column {str(column)!r} has {count} missing values{more}; fill or drop "
            "them before distilling"
        )
    if frame.shape[1] == 0:
        raise UsageError("there are no feature columns besides the target")
    for column in frame.columns:
        values = frame[column]
        if is_numeric_column(values):
            if np.iscomplexobj(values.to_numpy()):
                raise UsageError(
                    f"column {str(column)!r} holds complex numbers, which cannot be "
                    "distilled"
                )
            continue
        n_categories = values.astype(str).nunique()
        if n_categories > max_categories:
            raise UsageError(
                f"column {str(column)!r} is not numeric and has {n_categories} "
                f"distinct values (more than --max-categories={max_categories}); "
                "it looks like an identifier or free text: drop it, or convert it "
                "to numbers"
            )
    encoder, encoding = fit_feature_encoder(frame)
    encoded = encoder.transform(frame)
    X = encoded.to_numpy(dtype=np.float64)
    names = [str(c) for c in encoded.columns]
    if not np.isfinite(X).all():
        column = names[int(np.flatnonzero(~np.isfinite(X).all(axis=0))[0])]
        raise UsageError(f"column {column!r} holds infinite values")
    return X, {**encoding, "feature_columns": names}


def _check_outputs(paths, force, input_path):
    for path in paths:
        if path.resolve() == input_path.resolve():
            raise UsageError(f"refusing to overwrite the input file {path}")
        if path.exists() and not force:
            raise UsageError(f"{path} exists; pass --force to overwrite it")
        if path.exists() and path.is_dir():
            raise UsageError(f"{path} is a directory")
        if not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: no directory {path.parent}")


def _parse_architecture(text):
    text = text.strip()
    if text.lower() in ("", "linear", "()"):
        return ()
    try:
        widths = tuple(int(w) for w in text.strip("()").split(",") if w.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a hidden-layer list such as 10 or 20,10 or linear"
        ) from None
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"{text!r}: layer widths must be positive")
    return widths


def _auto_or_int(text):
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither 'auto' nor an integer"
        ) from None
    return value


def distill(args):
    """Distill a CSV file; write the rows, the schedule and the encoding."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise UsageError(
            "reading CSV files needs pandas, which is not installed: pip install pandas"
        ) from None
    from .. import DatasetDistiller

    input_path = Path(args.data)
    output = Path(args.output)
    schedule_path, dataset_path = _sidecar_paths(output)
    _check_outputs((output, schedule_path, dataset_path), args.force, input_path)

    frame = _read_csv(input_path, args.sep, args.encoding, args.decimal)
    columns = [str(c) for c in frame.columns]
    if args.target not in columns:
        raise UsageError(
            f"no column {args.target!r} in {input_path}; its columns are "
            f"{_short_list(columns)}"
        )
    frame.columns = columns
    target = frame[args.target]
    if target.isna().any():
        raise UsageError(
            f"the target column {args.target!r} has {int(target.isna().sum())} "
            "missing values; drop those rows first"
        )
    X, encoding = encode_features(
        frame.drop(columns=args.target), max_categories=args.max_categories
    )
    y = target.to_numpy()

    params = {
        "n_steps": args.n_steps,
        "n_epochs": args.n_epochs,
        "samples_per_step": args.samples_per_step,
        "architectures": None
        if args.architectures is None
        else tuple(args.architectures),
        "n_models": args.n_models,
        "soft_labels": not args.hard_labels,
        "learn_lr": not args.fixed_lr,
        "lr_init": args.lr_init,
        "max_iter": args.max_iter,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "fixed_init": args.fixed_init,
        "random_state": args.random_state,
        "verbose": args.verbose,
    }
    params = {k: v for k, v in params.items() if v is not None}
    distiller = DatasetDistiller(**params)
    if args.verbose:
        print(
            f"Distilling {len(X)} rows of {X.shape[1]} feature columns "
            f"({len(encoding['categorical_columns'])} categorical columns one-hot "
            f"encoded), target {args.target!r}.",
            flush=True,
        )
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            distiller.fit(X, y)
    except ValueError as exc:  # bad labels, bad parameters, divergence
        message = " ".join(str(exc).split())
        raise UsageError(f"cannot distill {input_path}: {message}") from None
    for message in dict.fromkeys(" ".join(str(w.message).split()) for w in caught):
        print(f"skdistill distill: warning: {message}", file=sys.stderr)
    seconds = time.perf_counter() - start

    classes = distiller.classes_
    label_columns = [f"{args.target}={c}" for c in classes]
    clash = set(label_columns) & set(encoding["feature_columns"] + [STEP_COLUMN])
    if clash:
        raise UsageError(
            f"a feature column is named like an output column: {_short_list(clash)}"
        )
    _write_outputs(
        distiller,
        encoding,
        label_columns,
        args,
        output,
        schedule_path,
        dataset_path,
        input_path,
    )
    print(
        f"Distilled {len(X)} rows into {len(distiller.distilled_X_)} in "
        f"{seconds:.1f} s; wrote {output}, {schedule_path} and {dataset_path}."
    )
    return 0


def _write_outputs(
    distiller, encoding, label_columns, args, output, schedule, dataset_path, data
):
    import numpy as np
    import pandas as pd

    from .._data.dataset import DistilledDataset

    dataset = distiller.distilled_
    rows = pd.DataFrame(dataset.X, columns=encoding["feature_columns"])
    rows.insert(len(rows.columns), STEP_COLUMN, dataset.step)
    labels = pd.DataFrame(dataset.y, columns=label_columns)
    k = np.arange(len(dataset.lr_schedule))
    steps = pd.DataFrame(
        {
            "step": k,
            "epoch": k // dataset.n_steps,
            "batch": k % dataset.n_steps,
            "learning_rate": dataset.lr_schedule,
        }
    )
    record = DistilledDataset(
        dataset.X_scaled,
        dataset.y,
        dataset.classes,
        step=dataset.step,
        lr_schedule=dataset.lr_schedule,
        mean=dataset.mean,
        scale=dataset.scale,
        feature_names=encoding["feature_columns"],
        lr_init=dataset.lr_init,
        architectures=dataset.architectures,
        fixed_init=dataset.fixed_init,
        encoding=encoding,
        provenance={**dataset.provenance, "data": str(data), "target": args.target},
    )
    # Every file is written under a temporary name and renamed at the end, so
    # an interrupted run leaves none of them half-written.
    written = []
    try:
        for frame, path in (
            (pd.concat([rows, labels], axis=1), output),
            (steps, schedule),
        ):
            temporary = path.with_name(f".{path.name}.tmp")
            written.append(temporary)
            frame.to_csv(temporary, index=False, float_format="%.8g")
        record.save(dataset_path)
        for temporary, path in zip(written, (output, schedule)):
            temporary.replace(path)
    finally:
        for temporary in written:
            temporary.unlink(missing_ok=True)


# ------------------------------------------------------------------- parser


def build_parser():
    """The argument parser of the ``skdistill`` command."""
    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Dataset and knowledge distillation for tabular data.",
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"skdistill {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo_parser = commands.add_parser(
        "demo",
        help="distill a built-in dataset and compare models trained on it",
        description="Distill the breast-cancer data, compare MLPs trained on all "
        "of it, on the distilled rows and on as many random real rows or k-means "
        "centroids (accuracy, fit time), and draw the distilled rows and the "
        "learned learning rates.",
    )
    demo_parser.add_argument(
        "--max-iter",
        type=int,
        default=500,
        metavar="N",
        help="outer iterations of the distiller (default: %(default)s)",
    )
    demo_parser.add_argument(
        "--n-models",
        type=int,
        default=5,
        metavar="N",
        help="fresh networks per compared training set (default: %(default)s)",
    )
    demo_parser.add_argument("--random-state", type=int, default=0, metavar="N")
    demo_parser.add_argument(
        "--verbose",
        type=int,
        default=1,
        metavar="N",
        help="0: quiet; 1: progress lines (default); 2: every iteration",
    )
    demo_parser.add_argument(
        "--output-dir",
        default="skdistill-demo",
        help="where the pictures are written (default: %(default)s)",
    )
    demo_parser.add_argument(
        "--no-plots", action="store_true", help="do not draw any pictures"
    )
    demo_parser.set_defaults(run=demo)

    from .. import DatasetDistiller

    defaults = DatasetDistiller().get_params()
    d = commands.add_parser(
        "distill",
        help="distill a CSV file into a few synthetic rows with soft labels",
        description="Distill the rows of a CSV file into a small synthetic "
        "dataset; non-numeric columns are one-hot encoded. With -o distilled.csv, "
        "writes distilled.csv (the synthetic rows, the step of each, and one "
        "soft-label column per class), distilled.schedule.csv (the learned "
        "learning rate of every training step) and distilled.npz (the distilled "
        "dataset with the column encoding, loaded by DistilledDataset.load). "
        "Distiller options left out take "
        "DatasetDistiller's defaults, shown in brackets.",
    )
    d.add_argument("data", help="the input CSV file, with a header row")
    d.add_argument("--target", required=True, help="the column holding the classes")
    d.add_argument(
        "-o", "--output", required=True, help="the CSV file of the synthetic rows"
    )
    d.add_argument(
        "--force", action="store_true", help="overwrite output files that exist"
    )
    d.add_argument("--sep", default=",", help="field separator (default: ',')")
    d.add_argument(
        "--decimal",
        default=".",
        help="decimal mark of the numbers, e.g. ',' for 1,5 (default: '.')",
    )
    d.add_argument(
        "--encoding",
        default="utf-8",
        help="text encoding of the input, e.g. latin-1 (default: utf-8)",
    )
    d.add_argument(
        "--max-categories",
        type=int,
        default=DEFAULT_MAX_CATEGORIES,
        metavar="N",
        help="refuse non-numeric columns with more distinct values "
        "(default: %(default)s)",
    )
    g = d.add_argument_group("distiller (DatasetDistiller parameters)")

    def option(name, help, **kwargs):
        param = name.lstrip("-").replace("-", "_")
        default = defaults[param]
        if param == "architectures":
            default = " ".join(",".join(map(str, a)) or "linear" for a in default)
        g.add_argument(name, help=f"{help} [{default}]", **kwargs)

    option(
        "--n-steps",
        "synthetic batches per epoch: an int, or 'auto' (10, more for large files)",
        type=_auto_or_int,
        metavar="N",
    )
    option("--n-epochs", "epochs over those batches", type=int, metavar="N")
    option(
        "--samples-per-step",
        "rows per step: an int, or 'auto' (about 5 * sqrt(rows) in all)",
        type=_auto_or_int,
        metavar="N",
    )
    option(
        "--architectures",
        "hidden layers of the internal models, one or several, e.g. "
        "'10' or '20,10' or 'linear'",
        type=_parse_architecture,
        nargs="+",
        metavar="LAYERS",
    )
    option("--n-models", "internal models per outer iteration", type=int, metavar="N")
    option("--lr-init", "initial learning rates", type=float, metavar="LR")
    option("--max-iter", "outer iterations", type=int, metavar="N")
    option(
        "--batch-size",
        "real rows per outer iteration: an int, or 'auto' (grows with the rows)",
        type=_auto_or_int,
        metavar="N",
    )
    option("--learning-rate", "outer step size (Adam)", type=float, metavar="LR")
    # Flags named after the parameters they turn off (soft_labels=False,
    # learn_lr=False); the older names stay as aliases.
    g.add_argument(
        "--no-soft-labels",
        "--hard-labels",
        dest="hard_labels",
        action="store_true",
        help="keep the labels one-hot (soft_labels=False)",
    )
    g.add_argument(
        "--no-learn-lr",
        "--fixed-lr",
        dest="fixed_lr",
        action="store_true",
        help="do not learn the learning rates (learn_lr=False)",
    )
    g.add_argument(
        "--fixed-init",
        action="store_true",
        help="one fixed initialisation (fixed_init=True)",
    )
    g.add_argument(
        "--random-state", type=int, metavar="N", help="seed, for repeatable output"
    )
    g.add_argument(
        "--verbose",
        type=int,
        default=1,
        metavar="N",
        help="0: quiet; 1: about ten progress lines (default); 2: every iteration",
    )
    d.set_defaults(run=distill)
    return parser


def main(argv=None):
    """Run the command line; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a usage error (reported in one line on stderr),
        130 when interrupted (Ctrl-C), at any moment: the parser itself
        imports torch, so it runs inside the handler too.
    """
    command = "skdistill"
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        # --version answers without importing numpy or torch.
        if argv[:1] in (["--version"], ["-V"]):
            print(f"skdistill {__version__}")
            return 0
        args = build_parser().parse_args(argv)
        command = f"skdistill {args.command}"
        return args.run(args)
    except UsageError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
