"""A monotone map of some columns to Gaussian-like ones, learned at fit and
exactly invertible: the feature transform of a distilled dataset.

Each transformed column is mapped through its quantiles: the value at the
quantile level ``p`` goes to the Gaussian quantile ``ndtri(p)``, linearly
between consecutive quantiles (the knots, the smallest and the largest value
among them) and, beyond the first and the last knot, linearly with the slope
of the chord over the last unit of the Gaussian space (the extreme rows of
the tail: values past the fitted range land a little beyond the Gaussian
range of the rows, and two extreme values close together do not make the map
steep there).
The map is strictly increasing and piecewise linear on the whole real line, so
its inverse is the same interpolation with the axes swapped: a row in the
learned space has one value in the original units, whatever it is. (scikit-learn's
``QuantileTransformer`` clips outside the fitted range instead, which would
map every synthetic value past the range to the same original value.)

The transform is stored as per-column arrays of knots (``knots_x`` in the
original units, ``knots_z`` in the Gaussian space; columns of fewer knots are
padded with NaN), so a `DistilledDataset` saves it with its other arrays.
"""

import numpy as np
from scipy.special import ndtri

#: A column is mapped through at most this many of its quantiles.
MAX_KNOTS = 1000


#: Beyond its end knots a column's map continues with the slope of the chord
#: from the end knot to the first knot this far from it in the Gaussian space
#: (or the farthest knot).
TAIL_SPAN = 1.0


def _tail_slopes(xp, zp):
    """The slopes of the map of knots ``(xp, zp)`` (both increasing) below
    its first knot and above its last: chords over `TAIL_SPAN` of the
    Gaussian space, so that two extreme values close together do not make a
    steep slope that sends values just past them far out."""
    low = min(int(np.searchsorted(zp, zp[0] + TAIL_SPAN)), len(zp) - 1)
    high = max(int(np.searchsorted(zp, zp[-1] - TAIL_SPAN, side="right")) - 1, 0)
    return (
        (zp[low] - zp[0]) / (xp[low] - xp[0]),
        (zp[-1] - zp[high]) / (xp[-1] - xp[high]),
    )


def _interp(values, xp, fp, slopes):
    """Piecewise-linear interpolation through the knots ``(xp, fp)`` (``xp``
    strictly increasing), extended beyond them with ``slopes`` (below,
    above)."""
    out = np.interp(values, xp, fp)
    low, high = values < xp[0], values > xp[-1]
    out[low] = fp[0] + (values[low] - xp[0]) * slopes[0]
    out[high] = fp[-1] + (values[high] - xp[-1]) * slopes[1]
    return out


def _column_indices(columns):
    """``columns`` as a 1-D array of int64 indices, refusing a boolean mask
    and non-integer values."""
    array = np.asarray(columns).reshape(-1)
    if array.dtype == bool:
        raise ValueError(
            "columns must be column indices, not a boolean mask: pass "
            f"np.flatnonzero(mask); got {array.tolist()}."
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"columns must be integer column indices; got {array.tolist()}."
        )
    return array.astype(np.int64)


class FeatureTransform:
    """A strictly increasing, piecewise-linear map of some columns.

    The map a distiller applies to heavy-tailed columns before its
    standardisation (``DatasetDistiller(feature_transform="auto")``): each
    transformed column goes through its knots, linearly between them and
    beyond them, so `inverse_transform` is exact. A `DistilledDataset` carries
    it as ``feature_transform`` and saves it with its other arrays.

    Parameters
    ----------
    columns : array-like of int of shape (n_transformed,)
        The transformed columns (distinct non-negative indices, not a boolean
        mask: pass ``np.flatnonzero(mask)``); the others pass through.
    knots_x, knots_z : array-like of shape (n_knots, n_transformed)
        The knots of every transformed column, in the original units and in
        the transformed space: each column's knots strictly increasing in
        both, at least two, NaN-padded at the end when a column has fewer.

    Attributes
    ----------
    columns : ndarray of int64 of shape (n_transformed,)
        The transformed columns.
    knots_x : ndarray of shape (n_knots, n_transformed)
        The knots of every transformed column in the original units (float64,
        NaN-padded).
    knots_z : ndarray of shape (n_knots, n_transformed)
        The same knots in the transformed space.

    Examples
    --------
    A map of column 0 through three knots (0 to -1, 1 to 0, 100 to 1):

    >>> import numpy as np
    >>> from skdistill import FeatureTransform
    >>> t = FeatureTransform([0], [[0.0], [1.0], [100.0]], [[-1.0], [0.0], [1.0]])
    >>> Z = t.transform([[0.5, 7.0], [50.5, 7.0]])
    >>> Z
    array([[-0.5,  7. ],
           [ 0.5,  7. ]])
    >>> t.inverse_transform(Z)
    array([[ 0.5,  7. ],
           [50.5,  7. ]])

    The map a distiller fits on a heavy-tailed column (its ``feature_transform_``,
    carried by its distilled dataset):

    >>> from skdistill import DatasetDistiller
    >>> rng = np.random.RandomState(0)
    >>> X = np.column_stack([rng.randn(300), rng.lognormal(0, 3, 300)])
    >>> y = (X[:, 0] > 0).astype(int)
    >>> distiller = DatasetDistiller(max_iter=1, n_steps=2, n_epochs=1, random_state=0)
    >>> transform = distiller.fit(X, y).feature_transform_
    >>> transform.columns
    array([1])
    >>> transform == distiller.distilled_.feature_transform
    True
    >>> bool(np.allclose(transform.inverse_transform(transform.transform(X)), X))
    True
    """

    def __init__(self, columns, knots_x, knots_z):
        columns = _column_indices(columns)
        knots_x = np.array(knots_x, dtype=np.float64)
        knots_z = np.array(knots_z, dtype=np.float64)
        if len(np.unique(columns)) != columns.size or np.any(columns < 0):
            raise ValueError(
                "The columns of a feature transform must be distinct non-negative "
                f"indices; got {columns.tolist()}."
            )
        shape = (knots_x.shape[0], columns.size)
        if knots_x.ndim != 2 or knots_x.shape[1:] != (columns.size,):
            raise ValueError(
                "knots_x must have one column per transformed column; got shape "
                f"{knots_x.shape} for {columns.size} columns."
            )
        if knots_z.shape != shape:
            raise ValueError(
                f"knots_z must have the shape of knots_x, {shape}; got {knots_z.shape}."
            )
        self.columns, self.knots_x, self.knots_z = columns, knots_x, knots_z
        self._knots = []
        for j in range(columns.size):
            xp, fp = knots_x[:, j], knots_z[:, j]
            n = int(np.sum(~np.isnan(xp)))
            if (
                n < 2
                or not np.all(np.isnan(xp[n:]))
                or not np.array_equal(np.isnan(xp), np.isnan(fp))
                or not (np.all(np.isfinite(xp[:n])) and np.all(np.isfinite(fp[:n])))
                or np.any(np.diff(xp[:n]) <= 0)
                or np.any(np.diff(fp[:n]) <= 0)
            ):
                raise ValueError(
                    f"The knots of transformed column {columns[j]} must be at "
                    "least two finite values, strictly increasing in knots_x and "
                    "in knots_z, NaN-padded at the end in both."
                )
            slopes = _tail_slopes(xp[:n], fp[:n])
            self._knots.append((xp[:n], fp[:n], slopes))

    def _check(self, X):
        X = np.array(X, dtype=np.float64)
        if X.ndim != 2 or (self.columns.size and X.shape[1] <= self.columns.max()):
            raise ValueError(
                f"The feature transform maps columns {self.columns.tolist()}; got "
                f"rows of shape {X.shape}."
            )
        return X

    def transform(self, X):
        """Map the transformed columns of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in the original units, with at least ``columns.max() + 1``
            columns.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
            A float64 copy of ``X`` with the transformed columns mapped; the
            other columns unchanged.
        """
        X = self._check(X)
        for column, (xp, fp, slopes) in zip(self.columns, self._knots, strict=True):
            X[:, column] = _interp(X[:, column], xp, fp, slopes)
        return X

    def inverse_transform(self, Z):
        """The inverse of `transform`: map the transformed columns back.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)
            Rows in the transformed space (any values: the map is defined on
            the whole real line).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            A float64 copy of ``Z`` with the transformed columns in the
            original units; the other columns unchanged.
        """
        Z = self._check(Z)
        for column, (xp, fp, slopes) in zip(self.columns, self._knots, strict=True):
            Z[:, column] = _interp(Z[:, column], fp, xp, [1 / s for s in slopes])
        return Z

    def __eq__(self, other):
        return (
            isinstance(other, FeatureTransform)
            and np.array_equal(self.columns, other.columns)
            and np.array_equal(self.knots_x, other.knots_x, equal_nan=True)
            and np.array_equal(self.knots_z, other.knots_z, equal_nan=True)
        )

    __hash__ = None

    def __repr__(self):
        return (
            f"FeatureTransform(columns={self.columns.tolist()}, "
            f"{self.knots_x.shape[0]} knots)"
        )


def learned_rows(X, feature_transform=None, mean=None, scale=None):
    """Rows ``X`` (original units) in the space a distiller learns in:
    mapped by ``feature_transform`` (if any), then standardised with
    ``(mean, scale)`` (if ``mean`` is not None); float64."""
    X = np.asarray(X, dtype=np.float64)
    if feature_transform is not None:
        X = feature_transform.transform(X)
    if mean is None:
        return X
    return (X - mean) / scale


def fit_quantile_transform(X, columns, sample_weight=None, max_knots=MAX_KNOTS):
    """The `FeatureTransform` mapping ``columns`` of ``X`` to standard
    Gaussian ones through their quantiles (weighted by ``sample_weight``).

    A column's knots are its quantiles at ``max_knots`` levels ``p``, evenly
    spaced in ``(0, 1)`` (``min(max_knots, n_rows)`` of them), and its
    smallest and largest values (at the levels of their rows), each mapped to
    ``ndtri(p)``; the level of a row is the middle of its share of the
    cumulative weights (``(i + 0.5) / n_rows`` without weights), and the
    quantiles are interpolated between the rows' levels. Repeated values
    (a point mass) become one knot at the mean of their Gaussian levels. A
    column of a single value would have fewer than two knots and is left out.
    ``columns`` are indices (not a boolean mask); rows of weight 0 are left
    out, and weights with no positive one or a negative one are refused.
    """
    X = np.asarray(X, dtype=np.float64)
    columns = _column_indices(columns)
    weight = (
        np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    )
    if weight.shape != (len(X),):
        raise ValueError(
            f"sample_weight must have one weight per row, shape ({len(X)},); got "
            f"{weight.shape}."
        )
    if not (np.all(weight >= 0) and np.any(weight > 0)):
        raise ValueError(
            "The feature transform needs non-negative sample weights, at least "
            "one of them positive."
        )
    keep = weight > 0
    X, weight = X[keep], weight[keep]
    n_knots = max(2, min(int(max_knots), len(X)))
    levels = (np.arange(n_knots) + 0.5) / n_knots
    kept, knots = [], []
    for column in columns:
        order = np.argsort(X[:, column], kind="stable")
        values, w = X[order, column], weight[order]
        cumulative = (np.cumsum(w) - 0.5 * w) / w.sum()
        # The smallest and the largest value are knots too: every fitted
        # value lies between knots, and the end segments (the slopes of the
        # map beyond the fitted values) span the extreme rows of the tails.
        at = np.union1d(levels, cumulative[[0, -1]])
        at = at[(at >= cumulative[0]) & (at <= cumulative[-1])]
        x = np.interp(at, cumulative, values)
        z = ndtri(at)
        unique, inverse = np.unique(x, return_inverse=True)
        if unique.size < 2:
            continue
        z = np.bincount(inverse, weights=z) / np.bincount(inverse)
        kept.append(column)
        knots.append((unique, z))
    size = max((len(x) for x, _ in knots), default=2)
    knots_x = np.full((size, len(kept)), np.nan)
    knots_z = np.full((size, len(kept)), np.nan)
    for j, (x, z) in enumerate(knots):
        knots_x[: len(x), j], knots_z[: len(z), j] = x, z
    return FeatureTransform(kept, knots_x, knots_z)


def fit_heavy_tail_transform(setting, X, heavy, sample_weight=None):
    """The feature transform an estimator's ``feature_transform`` parameter
    asks for, fitted on rows ``X`` (original units) whose heavy-tailed columns
    are the mask ``heavy``; None when ``setting`` is None or no column is
    mapped."""
    if setting is None or not heavy.any():
        return None
    transform = fit_quantile_transform(X, np.flatnonzero(heavy), sample_weight)
    return transform if transform.columns.size else None
