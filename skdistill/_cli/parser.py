"""The argument parser of the ``skdistill`` command.

Only the standard library is imported with this module; `build_parser` imports
torch (it reads `DatasetDistiller`'s defaults), so it runs inside the command's
interrupt handler.
"""

import argparse

from .._version import __version__
from .demo import demo
from .distill import DEFAULT_MAX_CATEGORIES, distill


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
    option(
        "--n-epochs",
        "epochs over those batches: an int, or 'auto' (24 in the single long run "
        "of one internal network, see --n-models; else 8, or 12 on tables with "
        "heavy-tailed columns when --no-feature-transform is given)",
        type=_auto_or_int,
        metavar="N",
    )
    option(
        "--samples-per-step",
        "rows per step: an int, or 'auto' (about 5 * sqrt(rows) in all; 7.5 * "
        "sqrt(rows) on tables of about 13,500 rows or more whose smallest class "
        "fills its share, with --n-steps auto)",
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
    option(
        "--n-models",
        "internal models per outer iteration: an int, or 'auto' (1 in the single "
        "long run of 24 epochs, with --n-epochs auto and one architecture on "
        "tables of up to about 13,500 rows; 2 on the larger sets of larger "
        "tables, see --samples-per-step; else 3, or one per architecture if "
        "there are more)",
        type=_auto_or_int,
        metavar="N",
    )
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
        "--no-feature-transform",
        dest="no_feature_transform",
        action="store_true",
        help="do not map heavy-tailed columns to Gaussian ones "
        "(feature_transform=None)",
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
