"""DistilledDataset: the value every distillation method and baseline produces.

A distilled dataset is a few rows with soft labels, grouped into the steps of a
training run, and -- for data learned by dataset distillation -- the learning
rate of every step of that run and the standardisation the rows were learned
in. :class:`DatasetDistiller` and the baseline samplers produce one
(``distilled_``); :class:`DistilledMLPClassifier`, the metrics, the displays
and the command line read one. It is saved as a single ``.npz`` file that loads
without pickle (see :meth:`DistilledDataset.save` for the format).
"""

import copy
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .._engine.schedules import check_learning_rates
from .feature_transform import FeatureTransform, learned_rows

#: Written into every file; `load` refuses other formats and newer versions.
FILE_FORMAT = "skdistill.DistilledDataset"
#: Version 2 records ``row_shape`` and ``network`` and stores ``fixed_init``
#: stacked per architecture for every kind of network; `load` reads version 1
#: too (where text datasets kept one ``fixed_init`` entry per network and both
#: fields in the provenance). Version 3 adds ``feature_transform``; a file of
#: version 1 or 2 has none, and a dataset without one is written as version 2,
#: which readers of version 2 read too.
FILE_VERSION = 3
#: The arrays of a feature transform in a file of version 3.
_TRANSFORM_ARRAYS = tuple(
    f"feature_transform/{name}" for name in ("columns", "knots_x", "knots_z")
)
READ_VERSIONS = (1, 2, 3)
#: The rows of a soft-label matrix must sum to 1 within this tolerance.
SOFT_LABEL_ATOL = 1e-5


def check_soft_labels(Y, name="Soft labels"):
    """Validate a soft-label matrix: finite, non-negative rows that sum to 1."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix; got shape {Y.shape}.")
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"{name} contain NaN or infinity.")
    if np.any(Y < 0):
        raise ValueError(
            f"{name} (y of shape (n_samples, n_classes)) must be probabilities: "
            f"found a negative value {Y.min()!r}."
        )
    sums = Y.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > SOFT_LABEL_ATOL)
    if bad.size:
        raise ValueError(
            f"{name} (y of shape (n_samples, n_classes)) must be probabilities: "
            f"every row must sum to 1, but row {bad[0]} sums to {sums[bad[0]]!r}."
        )
    return Y


def _plain(value):
    """``value`` with numpy scalars made Python ones, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def _label_array(values):
    """Class labels as an array that ``np.load(allow_pickle=False)`` can read."""
    values = np.asarray(values)
    if values.dtype.kind in "biufU":
        return values
    if values.dtype.kind == "O" and all(isinstance(v, str) for v in values):
        return values.astype(str)
    raise ValueError(
        "DistilledDataset can save class labels that are numbers or strings; got "
        f"labels of type {sorted({type(v).__name__ for v in values})}."
    )


def distilled_dataset_of(
    source,
    accepted="a DistilledDataset, a DatasetDistiller or another estimator that "
    "produces a DistilledDataset as distilled_ (or a FrozenEstimator of a fitted "
    "one)",
):
    """The `DistilledDataset` a ``distiller`` parameter stands for.

    ``source`` is a dataset, a fitted distiller, or a FrozenEstimator of one;
    anything else is refused with a TypeError that says what is ``accepted``.
    """
    from sklearn.frozen import FrozenEstimator

    if isinstance(source, FrozenEstimator):
        source = source.estimator
    if isinstance(source, DistilledDataset):
        return source
    dataset = getattr(source, "distilled_", None)
    if isinstance(dataset, DistilledDataset):
        return dataset
    raise TypeError(f"distiller must be {accepted}; got {type(source).__name__}.")


def check_known_classes(dataset, y):
    """A ValueError when labels ``y`` hold classes ``dataset`` does not know."""
    unknown = np.setdiff1d(np.unique(np.asarray(y)), dataset.classes)
    if unknown.size:
        raise ValueError(
            f"y contains classes {unknown.tolist()!r} that the distilled "
            f"dataset does not know (its classes: {dataset.classes.tolist()!r})."
        )


def _check_row_shape(row_shape, n_features):
    """``row_shape`` as a tuple of positive ints whose product is ``n_features``."""
    if row_shape is None:
        return (n_features,)
    try:
        shape = tuple(int(n) for n in row_shape)
    except (TypeError, ValueError):
        shape = None
    if not shape or any(n < 1 for n in shape) or int(np.prod(shape)) != n_features:
        raise ValueError(
            "row_shape must be a tuple of positive ints whose product is the "
            f"number of features ({n_features}); got {row_shape!r}."
        )
    return shape


def _check_fixed_init(fixed_init):
    """Initialisations as float64 arrays, every tensor of an entry stacked on a
    leading axis of the same length (the networks of that entry)."""
    if fixed_init is None:
        return None
    checked = []
    for a, params in enumerate(fixed_init):
        params = [np.asarray(p, dtype=np.float64) for p in params]
        if not params or len({p.shape[0] if p.ndim else None for p in params}) != 1:
            raise ValueError(
                f"fixed_init[{a}] must be a non-empty list of parameter tensors "
                "stacked on a leading axis of one entry per network; got shapes "
                f"{[p.shape for p in params]}."
            )
        checked.append(params)
    return checked


def _from_version_1(metadata, fixed_init):
    """Version-1 fields in the layout of version 2: a text dataset kept its
    ``row_shape`` and ``network`` in the provenance and one ``fixed_init``
    entry per network."""
    provenance = dict(metadata.get("provenance") or {})
    row_shape = provenance.pop("row_shape", None)
    network = provenance.pop("network", None)
    if row_shape is not None and fixed_init is not None:
        fixed_init = [[np.stack(tensors) for tensors in zip(*fixed_init)]]
    return provenance, row_shape, network, fixed_init


class DistilledDataset:
    """A small training set: rows, soft labels, steps and a learned schedule.

    The rows are kept as the networks see them (``X_scaled``, in the
    standardised space the data was learned in), so that replaying them is
    exact; ``X`` gives them in the units of the original data.

    Parameters
    ----------
    X_scaled : array-like of shape (n_rows, n_features)
        The rows in the standardised space ``(X - mean) / scale``; in the
        original units when ``mean`` and ``scale`` are None.

    y : array-like of shape (n_rows, n_classes)
        Soft labels: every row a probability vector over ``classes``.

    classes : array-like of shape (n_classes,)
        Class labels (numbers or strings), in the order of the columns of
        ``y``.

    step : array-like of int of shape (n_rows,), default=None
        The training step each row belongs to, numbering the steps
        ``0 .. n_steps - 1``. None puts every row in one step.

    lr_schedule : array-like of shape (n_steps * n_epochs,), default=None
        The learned learning rate of every training step, in order. None for
        a set without a schedule (a baseline), which is trained the ordinary
        way.

    mean, scale : array-like of shape (n_features,), default=None
        The standardisation of the rows; both or neither.

    feature_transform : FeatureTransform, default=None
        A monotone map of some columns (e.g. heavy-tailed ones) to
        Gaussian-like ones, applied to rows in the original units before the
        standardisation: the rows were learned in the space
        ``(feature_transform.transform(X) - mean) / scale``. None: no map.

    feature_names : array-like of str of shape (n_features,), default=None
        Names of the features.

    lr_init : float, default=None
        The learning rate the schedule was learned from: the base rate of the
        schedules that do not use the learned rates.

    architectures : tuple of tuples of int, default=None
        Hidden-layer sizes of the MLPs the data was learned for.

    row_shape : tuple of int, default=None
        The shape of one row as the networks see it, e.g. ``(s, d)`` for a
        sentence of ``s`` embedded words; the rows are stored flattened
        (row-major), so its product is ``n_features``. None: ``(n_features,)``.

    network : dict, default=None
        The network family the data was learned for, when it is not the MLPs
        of ``architectures``: ``{"name": ..., **configuration}`` with JSON
        values, e.g. ``{"name": "TextConvNet", "n_filters": 32,
        "kernel_sizes": [3, 4, 5]}``.

    fixed_init : list of list of ndarray, default=None
        With fixed-initialisation distillation, the initial weights and
        biases the data was learned for: one entry per architecture (one for
        ``network``), the list of its parameter tensors, each stacked on a
        leading axis of one entry per network.

    encoding : dict, default=None
        How raw feature columns were encoded into ``X`` (written by the
        command line; see :meth:`feature_encoder`).

    provenance : dict, default=None
        How the set was made: method, parameters, package version. JSON-able
        values.

    extras : dict of str to ndarray, default=None
        Further per-dataset arrays a method attaches (numbers or strings, no
        objects), e.g. the decoded sentences of text distillation; saved and
        loaded with the rest.

    Attributes
    ----------
    n_rows, n_features, n_classes, n_steps, n_epochs : int
        Sizes. ``n_epochs`` is 1 without a schedule.

    The fields above are the constructor's parameters of the same name (the
    parts as validated: arrays, ``row_shape`` a tuple).

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill import DistilledDataset
    >>> ds = DistilledDataset(
    ...     X_scaled=[[0.0, 1.0], [1.0, 0.0]], y=[[1.0, 0.0], [0.0, 1.0]],
    ...     classes=["a", "b"], step=[0, 1], lr_schedule=[0.1, 0.1, 0.05, 0.05])
    >>> ds.n_steps, ds.n_epochs, ds.hard_labels.tolist()
    (2, 2, ['a', 'b'])
    """

    def __init__(
        self,
        X_scaled,
        y,
        classes,
        *,
        step=None,
        lr_schedule=None,
        mean=None,
        scale=None,
        feature_transform=None,
        feature_names=None,
        lr_init=None,
        architectures=None,
        row_shape=None,
        network=None,
        fixed_init=None,
        encoding=None,
        provenance=None,
        extras=None,
    ):
        X_scaled = np.array(X_scaled, dtype=np.float64)
        if X_scaled.ndim != 2 or X_scaled.shape[0] == 0 or X_scaled.shape[1] == 0:
            raise ValueError(
                "A distilled dataset needs a non-empty 2-D array of rows; got "
                f"shape {X_scaled.shape}."
            )
        if not np.all(np.isfinite(X_scaled)):
            raise ValueError("The rows of a distilled dataset must be finite.")
        n_rows, n_features = X_scaled.shape
        y = check_soft_labels(y, "The soft labels of a distilled dataset")
        classes = np.asarray(classes)
        _label_array(classes)  # refuses labels that cannot be saved
        if classes.ndim != 1 or y.shape != (n_rows, classes.size):
            raise ValueError(
                f"The soft labels have shape {y.shape}; expected (n_rows, "
                f"n_classes) = {(n_rows, classes.size)}."
            )
        step = np.zeros(n_rows, dtype=np.int64) if step is None else np.array(step)
        if step.shape != (n_rows,) or step.dtype.kind not in "iu":
            raise ValueError(
                f"step must hold one integer step index per row; got {step!r}."
            )
        step = step.astype(np.int64)
        n_steps = int(step.max()) + 1
        if not np.array_equal(np.unique(step), np.arange(n_steps)):
            raise ValueError(
                "step must number the steps 0 .. n_steps - 1, each with rows; got "
                f"the steps {np.unique(step).tolist()}."
            )
        if lr_schedule is not None:
            lr_schedule = check_learning_rates(lr_schedule)
            if lr_schedule.size % n_steps:
                raise ValueError(
                    f"The schedule has {lr_schedule.size} learning rates, which is "
                    f"not a multiple of the {n_steps} steps."
                )
        if (mean is None) != (scale is None):
            raise ValueError("Give both mean and scale, or neither.")
        if mean is not None:
            mean = np.array(mean, dtype=np.float64)
            scale = np.array(scale, dtype=np.float64)
            if mean.shape != (n_features,) or scale.shape != (n_features,):
                raise ValueError(
                    f"mean and scale must have shape ({n_features},); got "
                    f"{mean.shape} and {scale.shape}."
                )
            if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
                raise ValueError("mean and scale must be finite.")
            if np.any(scale <= 0):
                raise ValueError("scale must be positive.")
        if feature_transform is not None:
            if not isinstance(feature_transform, FeatureTransform):
                raise TypeError(
                    "feature_transform must be a FeatureTransform or None; got "
                    f"{type(feature_transform).__name__}."
                )
            if feature_transform.columns.size and (
                feature_transform.columns.max() >= n_features
            ):
                raise ValueError(
                    "feature_transform maps columns "
                    f"{feature_transform.columns.tolist()}, but the rows have "
                    f"{n_features} features."
                )
        if feature_names is not None:
            feature_names = np.asarray(feature_names, dtype=str)
            if feature_names.shape != (n_features,):
                raise ValueError(
                    f"feature_names must have {n_features} names; got "
                    f"{feature_names.size}."
                )
        self.X_scaled = X_scaled
        self.y = y
        self.classes = classes
        self.step = step
        self.lr_schedule = lr_schedule
        self.mean = mean
        self.scale = scale
        self.feature_transform = feature_transform
        self.feature_names = feature_names
        self.lr_init = None if lr_init is None else float(lr_init)
        self.architectures = (
            None
            if architectures is None
            else tuple(tuple(int(w) for w in a) for a in architectures)
        )
        self.row_shape = _check_row_shape(row_shape, n_features)
        if network is not None and not (
            isinstance(network, dict) and isinstance(network.get("name"), str)
        ):
            raise ValueError(
                "network must be None or a dict with a 'name' (str) and the "
                f"network's configuration; got {network!r}."
            )
        self.network = None if network is None else _plain(dict(network))
        self.fixed_init = _check_fixed_init(fixed_init)
        self.encoding = None if encoding is None else _plain(dict(encoding))
        self.provenance = {} if provenance is None else _plain(dict(provenance))
        self.extras = {}
        for name, value in (extras or {}).items():
            value = np.asarray(value)
            if value.dtype.kind not in "biufU" or "/" in str(name):
                raise ValueError(
                    f"extras[{name!r}] must be an array of numbers or strings "
                    "under a name without '/'."
                )
            self.extras[str(name)] = value

    # -- sizes and views --------------------------------------------------------

    @property
    def n_rows(self):
        return self.X_scaled.shape[0]

    def __len__(self):
        return self.n_rows

    @property
    def n_features(self):
        return self.X_scaled.shape[1]

    @property
    def n_classes(self):
        return self.classes.size

    @property
    def n_steps(self):
        return int(self.step.max()) + 1

    @property
    def n_epochs(self):
        if self.lr_schedule is None:
            return 1
        return self.lr_schedule.size // self.n_steps

    @property
    def X(self):
        """The rows in the units of the original data."""
        return self.unscale_rows(self.X_scaled)

    @property
    def hard_labels(self):
        """The class of largest soft label of every row."""
        return self.classes[np.argmax(self.y, axis=1)]

    def scale_rows(self, X):
        """Rows in the space the distilled rows were learned in.

        The feature transform, if any, then the standardisation, if any:
        ``(feature_transform.transform(X) - mean) / scale``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in the original units.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
            The rows in the learned space, float64.
        """
        return learned_rows(X, self.feature_transform, self.mean, self.scale)

    def unscale_rows(self, X_scaled):
        """The inverse of `scale_rows`: rows of the learned space in the
        original units.

        Parameters
        ----------
        X_scaled : array-like of shape (n_samples, n_features)
            Rows in the learned space (e.g. ``X_scaled``, or a grid of it).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The rows in the original units, float64: ``X_scaled * scale +
            mean``, then the inverse of the feature transform.
        """
        X = np.array(X_scaled, dtype=np.float64)
        if self.mean is not None:
            X = X * self.scale + self.mean
        if self.feature_transform is not None:
            X = self.feature_transform.inverse_transform(X)
        return X

    def step_batches(self):
        """The rows and soft labels of every step, ``[(X_scaled, y), ...]``."""
        return [
            (self.X_scaled[self.step == s], self.y[self.step == s])
            for s in range(self.n_steps)
        ]

    def __repr__(self):
        schedule = (
            "no schedule"
            if self.lr_schedule is None
            else f"{self.n_steps} steps x {self.n_epochs} epochs"
        )
        method = self.provenance.get("method", "unknown method")
        return (
            f"DistilledDataset({self.n_rows} rows, {self.n_features} features, "
            f"{self.n_classes} classes, {schedule}, made by {method})"
        )

    _FIELDS = (
        "X_scaled",
        "y",
        "classes",
        "step",
        "lr_schedule",
        "mean",
        "scale",
        "feature_transform",
        "feature_names",
        "lr_init",
        "architectures",
        "row_shape",
        "network",
        "fixed_init",
        "encoding",
        "provenance",
        "extras",
    )

    def replace(self, **changes):
        """A new dataset with the fields ``changes`` changed, validated as
        the constructor validates its parameters.

        Parameters
        ----------
        **changes
            New values of fields, by the constructor's parameter names.

        Returns
        -------
        dataset : DistilledDataset
            A new dataset; this one is left as it is.

        Examples
        --------
        >>> from skdistill import DistilledDataset
        >>> ds = DistilledDataset([[0.0, 1.0], [1.0, 0.0]],
        ...                       [[1.0, 0.0], [0.0, 1.0]], ["a", "b"])
        >>> ds.replace(feature_names=["x0", "x1"]).feature_names.tolist()
        ['x0', 'x1']
        """
        unknown = sorted(set(changes) - set(self._FIELDS))
        if unknown:
            raise TypeError(
                f"DistilledDataset has no fields {unknown}; its fields are "
                f"{', '.join(self._FIELDS)}."
            )
        # The unchanged fields are copied: the datasets share no array.
        fields = {
            name: copy.deepcopy(getattr(self, name))
            for name in self._FIELDS
            if name not in changes
        }
        fields.update(changes)
        return type(self)(
            fields.pop("X_scaled"), fields.pop("y"), fields.pop("classes"), **fields
        )

    def add_provenance(self, **entries):
        """Record how the set was made; entries already present are kept."""
        self.provenance = _plain({**entries, **self.provenance})
        return self

    # -- the file ---------------------------------------------------------------

    def save(self, path):
        """Write the dataset to one ``.npz`` file that loads without pickle.

        The format: a NumPy ``.npz`` archive (a zip of ``.npy`` arrays, none
        of object dtype) holding ``X_scaled``, ``y``, ``classes``, ``step``
        and, where present, ``lr_schedule``, ``mean``, ``scale``,
        ``feature_names``, ``feature_transform/columns``,
        ``feature_transform/knots_x``, ``feature_transform/knots_z``,
        ``fixed_init/<architecture>/<tensor>`` and ``extras/<name>``, plus
        ``metadata``: a JSON text with ``format`` (``"skdistill.
        DistilledDataset"``), ``version`` (3 with a feature transform, else
        2: the file is then one that readers of version 2 read too),
        ``lr_init``, ``architectures``, ``row_shape``, ``network``,
        ``encoding`` and ``provenance``. `load` also reads files of version 1.
        The file is written to a temporary name and renamed, so an interrupted
        save leaves no partial file.

        Parameters
        ----------
        path : str or path-like
            Where to write; ``.npz`` is appended when missing.

        Returns
        -------
        path : Path
            The path written.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        arrays = {
            "X_scaled": self.X_scaled,
            "y": self.y,
            "classes": _label_array(self.classes),
            "step": self.step,
        }
        for name in ("lr_schedule", "mean", "scale", "feature_names"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        if self.feature_transform is not None:
            for name in _TRANSFORM_ARRAYS:
                arrays[name] = getattr(self.feature_transform, name.split("/")[1])
        for name, value in self.extras.items():
            arrays[f"extras/{name}"] = value
        for a, params in enumerate(self.fixed_init or []):
            for i, tensor in enumerate(params):
                arrays[f"fixed_init/{a}/{i}"] = tensor
        metadata = {
            "format": FILE_FORMAT,
            "version": 2 if self.feature_transform is None else FILE_VERSION,
            "lr_init": self.lr_init,
            "architectures": None
            if self.architectures is None
            else [list(a) for a in self.architectures],
            "row_shape": list(self.row_shape),
            "network": self.network,
            "encoding": self.encoding,
            "provenance": self.provenance,
        }
        arrays["metadata"] = np.array(json.dumps(metadata))
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **arrays)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path):
        """Read a dataset written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The ``.npz`` file.

        Returns
        -------
        dataset : DistilledDataset

        Raises
        ------
        ValueError
            If the file is not a complete skdistill dataset file of a version
            this package reads.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No distilled dataset file at {path}.")
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise ValueError(
                f"{path} is not a complete skdistill dataset file (it is truncated "
                f"or not a .npz archive): {exc}"
            ) from None
        if "metadata" not in arrays:
            raise ValueError(
                f"{path} is a .npz archive but not a skdistill dataset file (it has "
                "no metadata entry)."
            )
        try:
            metadata = json.loads(str(arrays.pop("metadata")))
        except json.JSONDecodeError:
            metadata = None
        if not isinstance(metadata, dict) or metadata.get("format") != FILE_FORMAT:
            raise ValueError(f"{path} is not a skdistill dataset file.")
        version = metadata.get("version")
        if version not in READ_VERSIONS:
            raise ValueError(
                f"{path} is a skdistill dataset file of version {version!r}; this "
                "version of skdistill reads versions "
                f"{', '.join(map(str, READ_VERSIONS))}."
            )
        required = ["X_scaled", "y", "classes", "step"]
        # A feature transform is stored in version 3, as all of its arrays.
        has_transform = version >= 3 and any(n in arrays for n in _TRANSFORM_ARRAYS)
        if has_transform:
            required += _TRANSFORM_ARRAYS
        missing = [n for n in required if n not in arrays]
        if missing:
            raise ValueError(f"{path} lacks the arrays {missing}.")
        fixed_keys = sorted(
            (tuple(int(p) for p in name.split("/")[1:]), name)
            for name in arrays
            if name.startswith("fixed_init/")
        )
        fixed_init = None
        if fixed_keys:
            fixed_init = [[] for _ in range(fixed_keys[-1][0][0] + 1)]
            for (a, _), name in fixed_keys:
                fixed_init[a].append(arrays[name])
        feature_transform = None
        if has_transform:
            feature_transform = FeatureTransform(
                *(arrays[name] for name in _TRANSFORM_ARRAYS)
            )
        provenance = metadata.get("provenance")
        row_shape, network = metadata.get("row_shape"), metadata.get("network")
        if version == 1:
            provenance, row_shape, network, fixed_init = _from_version_1(
                metadata, fixed_init
            )
        return cls(
            arrays["X_scaled"],
            arrays["y"],
            arrays["classes"],
            step=arrays["step"],
            lr_schedule=arrays.get("lr_schedule"),
            mean=arrays.get("mean"),
            scale=arrays.get("scale"),
            feature_transform=feature_transform,
            feature_names=arrays.get("feature_names"),
            lr_init=metadata.get("lr_init"),
            architectures=metadata.get("architectures"),
            row_shape=row_shape,
            network=network,
            fixed_init=fixed_init,
            encoding=metadata.get("encoding"),
            provenance=provenance,
            extras={
                name[len("extras/") :]: value
                for name, value in arrays.items()
                if name.startswith("extras/")
            },
        )

    # -- raw columns ------------------------------------------------------------

    def feature_encoder(self):
        """A fitted transformer from raw feature columns to the rows' features.

        Available when the dataset records an ``encoding`` (the command line
        writes one): numeric columns pass through, categorical ones are one-hot
        encoded with the categories seen when the data was distilled. The
        transformer returns a DataFrame with the columns ``feature_names``.

        Returns
        -------
        encoder : sklearn.compose.ColumnTransformer
        """
        if self.encoding is None:
            raise ValueError(
                "This distilled dataset records no encoding of raw columns; its "
                "rows are already the features."
            )
        from .._data.encoding import encoder_from_description

        return encoder_from_description(self.encoding)
