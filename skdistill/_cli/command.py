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
# torch are imported inside `main`, where Ctrl-C is caught (exit 130). The
# commands are in ``demo.py`` and ``distill.py``, their options in ``parser.py``.
import sys

from .._version import __version__
from .distill import UsageError
from .parser import build_parser


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
