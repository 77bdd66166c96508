"""Helpers shared by the estimators: seeding, thread policy, progress, tensors."""

import contextlib
import dataclasses
import time

import numpy as np
import torch
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data


class DivergenceError(ValueError, FloatingPointError):
    """A fit produced a non-finite loss; the message names the parameter to lower."""


class DivergenceWarning(UserWarning):
    """A fit went non-finite and recovered on its own (e.g. with lower internal
    learning rates); the message says what was changed and what to lower."""


def validate_labelled_data(estimator, X, y, *, min_samples=2, min_classes=2):
    """Validate numeric ``X`` and class labels ``y`` for ``estimator.fit``.

    Returns ``X`` (float64), the sorted ``classes`` and ``y`` as indices into
    them. Raises a ValueError naming the problem for NaN, inf, empty or
    non-numeric ``X``, mismatched lengths, continuous ``y`` ("Unknown label
    type"), fewer than ``min_samples`` rows and fewer than ``min_classes``
    classes.
    """
    refuse_lazy(estimator, X)
    check_numeric_columns(estimator, X)
    check_no_missing_labels(y)
    X, y = validate_data(
        estimator, X, y, dtype=np.float64, ensure_min_samples=min_samples
    )
    return (X, *class_indices(estimator, y, min_classes))


def class_indices(estimator, y, min_classes=2):
    """The sorted classes of ``y`` and ``y`` as indices into them.

    Continuous ``y`` is refused ("Unknown label type"), and so are fewer than
    ``min_classes`` classes, with a ValueError naming the estimator.
    """
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    if len(classes) < min_classes:
        raise ValueError(
            f"{type(estimator).__name__} needs at least two classes in y; got one "
            f"class: {classes[0]!r}."
        )
    return classes, y_index


def refuse_lazy(estimator, X):
    """A clear error for a Dask collection or a parquet table (a path or a
    pyarrow Dataset) given to an estimator that needs its data in memory
    (validation would silently compute the whole collection, or fail on a
    path with an unrelated message)."""
    from ._data.streaming import is_lazy, is_table_source

    if is_lazy(X):
        raise TypeError(
            f"{type(estimator).__name__} needs its training data in memory, and X "
            "is a Dask collection: call .compute() on it first. DatasetDistiller "
            "reads Dask collections lazily; DistilledMLPClassifier does so through "
            "its distiller."
        )
    if is_table_source(X):
        raise TypeError(
            f"{type(estimator).__name__} needs its training data in memory, and X "
            f"is a parquet table ({type(X).__name__}): read it first (e.g. "
            "pandas.read_parquet). DatasetDistiller reads parquet tables lazily; "
            "DistilledMLPClassifier does so through its distiller."
        )


def check_numeric_columns(estimator, X):
    """Refuse a DataFrame with text or categorical columns, naming them.

    The estimators work on numbers; pandas would otherwise fail deep inside
    with "could not convert string to float" and no column name.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    text = [
        str(column)
        for column, dtype in dtypes.items()
        if getattr(dtype, "kind", "O") not in "biuf"
    ]
    if text:
        raise ValueError(
            f"{type(estimator).__name__} needs numeric features, but column(s) "
            f"{text} of X hold text or categories. Encode them first, e.g. with "
            "sklearn.preprocessing.OneHotEncoder in a "
            "sklearn.compose.ColumnTransformer, in a pipeline before this "
            "estimator."
        )


def check_no_missing_labels(y):
    """Refuse ``y`` holding None (or NaN among text labels), with a clear message."""
    if y is None:
        return
    y_array = np.asarray(y)
    if y_array.dtype.kind in "biuf":
        return  # numeric NaN is reported by scikit-learn's own checks
    y_array = y_array.astype(object)
    missing = np.array(
        [v is None or (isinstance(v, float) and v != v) for v in y_array.ravel()]
    )
    if missing.any():
        raise ValueError(
            f"y has {int(missing.sum())} missing label(s) (None or NaN), e.g. at "
            f"row {int(np.flatnonzero(missing)[0])}; drop those rows or fill "
            "in their labels."
        )


def check_local_random_state(random_state):
    """`sklearn.utils.check_random_state`, except that None never means numpy's
    global generator: it seeds a fresh one from the operating system, so that
    a fit leaves every global random stream untouched.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    return check_random_state(random_state)


def seed_if_unset(estimator, seed):
    """Give ``estimator`` the ``random_state`` ``seed`` where it has that
    parameter unset (None); returns it."""
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator.set_params(random_state=seed)
    return estimator


def forget_fitted_state(estimator):
    """Remove every fitted attribute, so that a fit that failed leaves the
    estimator unfitted rather than half-updated."""
    for name in [n for n in vars(estimator) if n.endswith("_") and n[0] != "_"]:
        delattr(estimator, name)


def torch_generator(random_state, device="cpu"):
    """A local torch generator seeded from ``random_state``.

    Estimators draw every random number from their own generators (this one
    and a ``numpy.random.RandomState``), never from torch's global one, so a fit
    is repeatable to the bit and leaves the caller's random streams untouched.
    """
    seed = check_local_random_state(random_state).randint(np.iinfo(np.int32).max)
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run a block with ``n_threads`` intra-op threads, then restore the caller's.

    ``None`` leaves torch's setting as it is.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def check_finite_loss(loss, iteration, estimator_name, advice):
    """Raise `DivergenceError` when ``loss`` is NaN or infinite."""
    if not np.isfinite(loss):
        raise DivergenceError(
            f"{estimator_name} diverged at iteration {iteration}: the loss is "
            f"{loss}. {advice}"
        )


class ProgressReporter:
    """Prints one line per report: iteration, objective, elapsed and remaining time.

    Reports are spaced so that a fit prints about ``n_reports`` lines whatever
    its length; between reports the cost is one integer comparison.
    """

    def __init__(self, name, total, verbose, n_reports=10):
        self.name = name
        self.total = int(total)
        self.verbose = int(verbose)
        self.every = 1 if self.verbose > 1 else max(1, self.total // n_reports)
        self.start = time.perf_counter()

    def update(self, iteration, loss):
        if not self.verbose:
            return
        if iteration % self.every and iteration != self.total:
            return
        elapsed = time.perf_counter() - self.start
        remaining = elapsed / iteration * (self.total - iteration)
        print(
            f"[{self.name}] iteration {iteration}/{self.total}, loss = {loss:.5f}, "
            f"elapsed {elapsed:.1f}s, remaining {remaining:.1f}s",
            flush=True,
        )


def to_numpy(tensor):
    """A detached float64 copy of ``tensor`` on the CPU."""
    return tensor.detach().to("cpu", torch.float64).numpy().copy()


def sampler_tags(tags, *, sample_indices=False):
    """``tags`` with imbalanced-learn's sampler fields, when it is installed.

    imbalanced-learn's checks read ``tags.sampler_tags`` and
    ``tags.input_tags.dataframe``, which scikit-learn's tags do not have; its
    own `Tags` is scikit-learn's plus those fields, so the samplers return it
    when imbalanced-learn is importable and scikit-learn's otherwise.
    """
    try:
        from imblearn.utils._tags import InputTags, SamplerTags, Tags
    except ImportError:
        return tags
    if isinstance(tags, Tags):  # converted by a base class already
        tags.sampler_tags.sample_indices = sample_indices
        return tags
    fields = {f.name: getattr(tags, f.name) for f in dataclasses.fields(tags)}
    fields["input_tags"] = InputTags(
        **{
            f.name: getattr(tags.input_tags, f.name)
            for f in dataclasses.fields(tags.input_tags)
        },
        # pandas in, pandas out (sparse columns are densified and restored).
        dataframe=True,
    )
    return Tags(**fields, sampler_tags=SamplerTags(sample_indices=sample_indices))


def _is_sparse_frame(X):
    import pandas as pd

    return any(isinstance(d, pd.SparseDtype) for d in X.dtypes)


class ResampleContainers:
    """The containers of ``fit_resample``'s input, to return its output in.

    imbalanced-learn's samplers return the kind of ``X`` and ``y`` they were
    given: lists for lists, a DataFrame with the same columns (and float
    dtype) for a DataFrame, a Series with the same name for a Series, the float
    dtype of an array, and a one-vs-all (one-hot) ``y`` for a one-hot ``y``.
    ``X_fit`` and ``y_fit`` are what ``fit`` receives: the DataFrame densified
    and a one-hot or single-column ``y`` as class labels.
    """

    def __init__(self, X, y):
        self.X_kind = self.y_kind = "array"
        self.X_fit, self.y_fit = X, y
        self.X_dtype = getattr(X, "dtype", None)
        if isinstance(X, list):
            self.X_kind = "list"
        elif hasattr(X, "columns") and hasattr(X, "dtypes"):
            self.X_kind, self.columns, self.X_dtypes = "frame", X.columns, X.dtypes
            if _is_sparse_frame(X):
                self.X_fit = X.sparse.to_dense()
        self.one_vs_all = None
        if isinstance(y, list):
            self.y_kind = "list"
        elif hasattr(y, "columns"):
            self.y_kind, self.y_columns = "frame", y.columns
        elif hasattr(y, "name") and hasattr(y, "to_numpy"):
            self.y_kind, self.y_name = "series", y.name
        y_array = np.asarray(y) if y is not None else None
        if y_array is not None and y_array.ndim == 2:
            if y_array.shape[1] == 1:
                self.y_fit = y_array.ravel()
            elif type_of_target(y_array) == "multilabel-indicator" and np.all(
                y_array.sum(axis=1) == 1
            ):
                # One-hot classes: fit on the class indices, answer one-hot.
                self.one_vs_all = y_array.shape[1], y_array.dtype
                self.y_fit = np.argmax(y_array, axis=1)
            else:
                raise ValueError(
                    "Multilabel and multioutput targets are not supported: y must "
                    "hold one class label per row (or one-hot rows); got y of "
                    f"shape {y_array.shape}."
                )
        self.y_dtype = getattr(y_array, "dtype", None)

    def X(self, X_res):
        """The resampled rows in the container of the input ``X``."""
        floating = self.X_dtype is not None and np.issubdtype(self.X_dtype, np.floating)
        if floating:
            X_res = X_res.astype(self.X_dtype, copy=False)
        if self.X_kind == "list":
            return X_res.tolist()
        if self.X_kind == "frame":
            import pandas as pd

            frame = pd.DataFrame(X_res, columns=self.columns)
            float_columns = {
                c: d
                for c, d in self.X_dtypes.items()
                if isinstance(d, pd.SparseDtype)
                or np.issubdtype(np.dtype(d), np.floating)
            }
            return frame.astype(float_columns) if float_columns else frame
        return X_res

    def y(self, y_res, classes=None):
        """The resampled labels in the container of the input ``y``.

        ``y_res`` is a vector of labels, or a soft-label matrix whose columns
        are ``classes``.
        """
        if self.one_vs_all is not None and y_res.ndim == 1:
            n_classes, dtype = self.one_vs_all
            y_res = np.eye(n_classes, dtype=dtype)[y_res.astype(int)]
        elif (
            y_res.ndim == 1
            and self.y_dtype is not None
            and self.y_dtype.kind in "iuf"
            and y_res.dtype.kind in "iuf"
        ):
            y_res = y_res.astype(self.y_dtype, copy=False)
        if self.y_kind == "list":
            return y_res.tolist()
        if self.y_kind in ("frame", "series"):
            import pandas as pd

            if y_res.ndim == 2:
                columns = (
                    self.y_columns
                    if self.one_vs_all is not None and self.y_kind == "frame"
                    else classes
                )
                return pd.DataFrame(y_res, columns=columns)
            if self.y_kind == "frame":
                return pd.DataFrame(y_res, columns=self.y_columns)
            return pd.Series(y_res, name=self.y_name)
        return y_res


#: Where the HTML documentation is published; the estimators' HTML repr (in
#: notebooks) links to their page under it. The path is the one Sphinx's
#: autosummary gives the pages of doc/api.rst.
DOCS_URL = "https://skdistill.readthedocs.io/en/latest/"


class DocLinkMixin:
    """The documentation link of scikit-learn's HTML repr, for skdistill."""

    _doc_link_module = "skdistill"
    _doc_link_template = (
        DOCS_URL + "modules/generated/{estimator_module}.{estimator_name}.html"
    )


class ResampledFeatureNamesMixin(OneToOneFeatureMixin):
    """``get_feature_names_out`` of a resampler whose rows have the features
    of its input, for input that is rows of features: a resampler of texts
    (tags ``two_d_array=False``) has none."""

    @available_if(lambda self: self.__sklearn_tags__().input_tags.two_d_array)
    def get_feature_names_out(self, input_features=None):
        """Names of the features of the resampled rows: those of ``X``.

        Only for resamplers whose input is rows of features (not texts).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            See :meth:`sklearn.base.OneToOneFeatureMixin.get_feature_names_out`.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        return super().get_feature_names_out(input_features)
