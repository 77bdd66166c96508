"""The recipes of doc/developers.md, followed once each.

A new distillation method is one module with a `BaseDistiller` subclass that
implements ``_distill``; a new baseline sampler is one `_ClassSampler` subclass
that implements ``_sample_class``. Registering either is exporting it from
``skdistill/__init__.py``. These tests write both in a few lines and show that
every consumer of distilled data accepts them unchanged, and that every method
and sampler the package ships is registered.
"""

import importlib
import inspect
import pathlib
import pkgutil
from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.estimator_checks import parametrize_with_checks

import skdistill
from skdistill import (
    DistilledDataset,
    DistilledMLPClassifier,
    comparison_table,
    distillation_accuracy,
)
from skdistill._base import BaseDistiller, fit_standardisation
from skdistill._class_sampler import _ClassSampler


class ClassMeanDistiller(BaseDistiller):
    """A toy method: the class means, one step, replayed at a fixed rate."""

    _parameter_constraints: dict = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "resample_labels": [StrOptions({"hard", "soft"})],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        learning_rate=1.0,
        n_epochs=20,
        resample_labels="hard",
        n_threads=1,
        random_state=None,
        verbose=0,
    ):
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.resample_labels = resample_labels
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _distill(self, X, y_index):
        mean, scale = fit_standardisation(X)
        X_std = (X - mean) / scale
        n_classes = len(self.classes_)
        rows = np.stack([X_std[y_index == c].mean(axis=0) for c in range(n_classes)])
        return DistilledDataset(
            rows,
            np.eye(n_classes),
            self.classes_,
            lr_schedule=np.full(self.n_epochs, self.learning_rate),
            mean=mean,
            scale=scale,
        )


class ClassMedianSampler(_ClassSampler):
    """A toy baseline: the per-class median row (any number of rows asked)."""

    def __init__(self, n_samples="auto", *, random_state=None):
        self.n_samples = n_samples
        self.random_state = random_state

    def _sample_class(self, X_class, n_rows, rng):
        return np.repeat(np.median(X_class, axis=0, keepdims=True), n_rows, axis=0)


@parametrize_with_checks([ClassMeanDistiller(), ClassMedianSampler()])
def test_recipes_give_scikit_learn_estimators(estimator, check):
    check(estimator)


def test_a_new_method_serves_every_consumer(blobs_small, tmp_path):
    X, y = blobs_small
    distiller = ClassMeanDistiller().fit(X, y)
    ds = distiller.distilled_
    assert ds.provenance["method"] == "ClassMeanDistiller"
    assert ds.n_rows == 3 and ds.n_epochs == 20

    X_small, y_small = distiller.fit_resample(X, y)
    assert sorted(y_small) == ["a", "b", "c"]

    clf = DistilledMLPClassifier((8,), distiller=FrozenEstimator(distiller))
    assert clf.set_params(random_state=0).fit(X, y).score(X, y) > 0.9
    from_file = DistilledDataset.load(ds.save(tmp_path / "means.npz"))
    again = DistilledMLPClassifier((8,), distiller=from_file, random_state=0).fit()
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))

    score = distillation_accuracy(clf, X, y, X, y, n_models=3, random_state=0)
    assert score.mean > 0.9
    table = comparison_table(
        X, y, X, y, {"means": distiller}, architectures={"(8,)": (8,)}, n_models=2
    )
    assert table.rows == ["original", "means"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_new_baseline_serves_every_consumer(blobs_small):
    X, y = blobs_small
    sampler = ClassMedianSampler(n_samples=3).fit(X, y)
    assert sampler.distilled_.provenance["method"] == "ClassMedianSampler"
    clf = DistilledMLPClassifier(
        (8,), learning_rate_init=0.05, max_iter=200, random_state=0
    )
    table = comparison_table(
        X,
        y,
        X,
        y,
        {},
        baselines={"medians": ClassMedianSampler(n_samples=3)},
        knn=("medians",),
        architectures={"(8,)": (8,)},
        estimator=clf,
        n_models=2,
    )
    assert table.rows == ["original", "medians", "kNN on medians"]
    trained = clf.set_params(distiller=sampler.distilled_).fit()
    assert trained.score(X, y) > 0.9


def _subclasses(base):
    found = set()
    for cls in base.__subclasses__():
        found |= {cls} | _subclasses(cls)
    return found


def test_every_shipped_method_and_sampler_is_registered():
    # The package imports its modules lazily: load them all, so that the
    # subclasses are found whichever tests ran before (or none).
    for module in pkgutil.walk_packages(skdistill.__path__, "skdistill."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    shipped = {
        cls
        for cls in _subclasses(BaseDistiller) | _subclasses(_ClassSampler)
        if cls.__module__.startswith("skdistill.")
    }
    assert shipped, "no method or sampler found"
    exported = {getattr(skdistill, name) for name in skdistill.__all__}
    missing = sorted(cls.__name__ for cls in shipped - exported)
    assert not missing, f"not exported from skdistill: {missing}"
    for cls in shipped:
        assert inspect.getdoc(cls), f"{cls.__name__} has no docstring"


# The layers of doc/developers.md, bottom up, as module names below the package
# (a name stands for itself and every module under it; the longest name that
# matches decides). A module may import from its own layer and the layers
# below, never above.
LAYERS = [
    {"_version", "_nets", "_engine"},
    {"_utils", "_base", "_class_sampler", "_data", "_training", "_nets.mlp_prediction"},
    {"_tabular", "_kd", "_text", "_model_selection"},
    {"_eval", "_cli", "__init__", "__main__"},
]


def _layer(module):
    """The layer of a dotted module name below the package, or None."""
    matches = [
        (len(name), i)
        for i, names in enumerate(LAYERS)
        for name in names
        if module == name or module.startswith(name + ".")
    ]
    return max(matches)[1] if matches else None


def _package_modules():
    import pathlib

    package = pathlib.Path(skdistill.__file__).parent
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        yield path, ".".join(parts), path.name == "__init__.py"


def test_layers_import_only_downwards():
    import ast

    upward, unplaced = [], []
    for path, module, is_package in _package_modules():
        layer = _layer(module)
        if layer is None:
            unplaced.append(module)
            continue
        here = module.split(".") if is_package else module.split(".")[:-1]
        if module == "__init__":
            here = []
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = here[: len(here) - (node.level - 1)]
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                target = ".".join([*base, *name.split(".")]) or "__init__"
                target_layer = _layer(target)
                if target_layer is not None and target_layer > layer:
                    upward.append(f"{module} imports {target}")
    assert not upward, upward
    assert not unplaced, f"place these modules in a layer of LAYERS: {unplaced}"


def _developers_guide_layers():
    """The layer table of doc/developers.md: ``{name: row}``, every backquoted
    name of the modules column with the index of its row (bottom up)."""
    import pathlib
    import re

    root = pathlib.Path(skdistill.__file__).parents[1]
    text = (root / "doc" / "developers.md").read_text()
    section = text.split("## The layers", 1)[1].split("\n## ", 1)[0]
    rows = [
        line
        for line in section.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]  # the header row first
    names = {}
    for i, row in enumerate(rows):
        modules_cell = row.split("|")[2]
        for name in re.findall(r"`([^`]+)`", modules_cell):
            names[name] = i
    return names, len(rows)


def test_developers_guide_names_every_module_in_its_layer():
    names, n_rows = _developers_guide_layers()
    assert n_rows == len(LAYERS), "one row of the table per layer of LAYERS"
    missing, misplaced = [], []
    for path, module, is_package in _package_modules():
        if is_package and module != "__init__":
            name = module.replace(".", "/") + "/"  # a subpackage: its directory
        else:
            package = pathlib.Path(skdistill.__file__).parent
            name = path.relative_to(package).as_posix()
        if name not in names:
            missing.append(name)
        elif names[name] != _layer(module):
            misplaced.append(f"{name} (row {names[name]}, layer {_layer(module)})")
    assert not missing, f"doc/developers.md does not name {missing}"
    assert not misplaced, f"doc/developers.md puts these in another layer: {misplaced}"
    # And it names no module that is gone.
    package = pathlib.Path(skdistill.__file__).parent
    stale = [
        n for n in names if n.endswith((".py", "/")) and not (package / n).exists()
    ]
    assert not stale, f"doc/developers.md names modules that do not exist: {stale}"


def test_the_api_page_lists_every_public_name():
    import pathlib
    import re

    api = (pathlib.Path(skdistill.__file__).parents[1] / "doc" / "api.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", api, flags=re.MULTILINE))
    missing = sorted(set(skdistill.__all__) - listed)
    assert not missing, f"doc/api.rst does not list {missing}"
