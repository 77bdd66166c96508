"""``skdistill distill``: distill a CSV file (see ``command.py`` for the files
it writes).

Only the standard library is imported with this module; numpy, pandas and
torch are imported when the command runs.
"""

import sys
import time
import warnings
from pathlib import Path

#: The column of the output CSV holding the step each synthetic row belongs to.
STEP_COLUMN = "_step"
#: Non-numeric columns with more distinct values than this are refused.
DEFAULT_MAX_CATEGORIES = 50


#: A number written with a decimal comma, such as 1,5 or -0,25 or 3,2e-4.
_DECIMAL_COMMA = r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?"


class UsageError(Exception):
    """A mistake in the command's input: reported in one line, exit status 2."""


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
    if args.no_feature_transform:
        params["feature_transform"] = None
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
    # The distiller's dataset as it is, with what only the command knows.
    record = dataset.replace(
        feature_names=encoding["feature_columns"],
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
