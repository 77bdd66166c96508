"""The real rows of a DatasetDistiller fit: standardised (heavy-tailed columns
first mapped by the feature transform), split for early stopping and served
as a batch source, from memory or from a Dask collection or a parquet table
scanned once."""

import numpy as np
import torch

from .._base import check_device, fit_standardisation
from .._data.feature_transform import fit_heavy_tail_transform
from .._engine.feature_steps import heavy_tailed_columns
from .._training.batches import InMemoryRows, check_training_weight
from .._training.splits import validation_split
from .sizes import LAZY_SAMPLE_ROWS, holds_out


def _standardised_anew(transform, X, mean, scale, weight=None):
    """``(mean, scale, mapped)``: copies of the standardisation ``(mean,
    scale)`` with the entries of ``transform``'s columns fitted anew on those
    columns of ``transform(X)``, which are ``mapped``."""
    columns = transform.columns
    mapped = transform.transform(X)[:, columns]
    mean, scale = mean.copy(), scale.copy()
    mean[columns], scale[columns] = fit_standardisation(mapped, weight)
    return mean, scale, mapped


def in_memory_rows(distiller, X, y_index):
    """The arguments of ``distiller._distill_rows`` for rows ``X`` in memory
    (float64) with class indices ``y_index``; sets ``mean_``, ``scale_``,
    ``heavy_tailed_features_`` and ``feature_transform_``.

    Early stopping holds out ``validation_fraction`` of the rows, stratified
    (`validation_split`), when the table has enough of them (`holds_out`);
    ``init`` draws from the training rows. The heavy-tailed columns are
    judged on the training rows, and the feature transform fitted on them;
    the transformed columns are then standardised anew (on every row, as the
    others are).
    """
    device = check_device(distiller.device)
    weight = distiller._sample_weight
    distiller.mean_, distiller.scale_ = fit_standardisation(X, weight)
    X_std = (X - distiller.mean_) / distiller.scale_
    rng, generator = distiller._random_streams(device)
    val_rows = None
    fit_rows = np.arange(len(X))
    fraction = distiller.validation_fraction
    if holds_out(fraction, len(X), len(distiller.classes_)):
        fit_rows, val_rows = validation_split(y_index, fraction, rng)
    fit_weight = None if weight is None else weight[fit_rows]
    if fit_weight is not None:
        check_training_weight(fit_weight)
    distiller.heavy_tailed_features_ = heavy_tailed_columns(X_std[fit_rows])
    transform = fit_heavy_tail_transform(
        distiller.feature_transform,
        X[fit_rows],
        distiller.heavy_tailed_features_,
        fit_weight,
    )
    distiller.feature_transform_ = transform
    if transform is not None:
        columns = transform.columns
        mean, scale, mapped = _standardised_anew(
            transform, X, distiller.mean_, distiller.scale_, weight
        )
        distiller.mean_, distiller.scale_ = mean, scale
        X_std[:, columns] = (mapped - mean[columns]) / scale[columns]
    validation = None
    if val_rows is not None:
        validation = X_std[val_rows], y_index[val_rows]
    X_fit, y_fit = X_std[fit_rows], y_index[fit_rows]
    X_fit_t = torch.as_tensor(X_fit, dtype=torch.float32).to(device)
    y_fit_t = torch.as_tensor(y_fit, dtype=torch.int64).to(device)
    return (
        lambda batch_size: InMemoryRows(X_fit_t, y_fit_t, rng, batch_size, fit_weight),
        (rng, generator),
        device,
        ((X_fit, y_fit), validation, np.ptp(X, axis=0) == 0, len(X)),
    )


def lazy_rows(distiller, X, y):
    """The arguments of ``distiller._distill_rows`` for a Dask collection or a
    parquet table, scanned once; sets ``mean_``, ``scale_``,
    ``heavy_tailed_features_`` and ``feature_transform_``.

    Early stopping holds out ``validation_fraction`` of the rows (a seeded
    split inside every part, the same rows on every pass) and scores on a
    sample of at most `LAZY_SAMPLE_ROWS` of them; ``init`` draws its rows from
    a sample of as many training rows. Both samples come from the one pass.
    The heavy-tailed columns are judged, and the feature transform fitted and
    its columns standardised anew, on the training sample; every row read
    afterwards is mapped the same way, from its float64 values, before it
    enters the float32 buffer of batches (`StreamedRows.set_feature_transform`).
    """
    device = check_device(distiller.device)
    rng, generator = distiller._random_streams(device)
    rows = distiller._scan_lazy(
        X,
        y,
        seed=rng.randint(np.iinfo(np.int32).max),
        hold_out=distiller.validation_fraction,
        sample_rows=LAZY_SAMPLE_ROWS,
    )
    distiller.heavy_tailed_features_ = heavy_tailed_columns(rows.sample[0])
    transform = fit_heavy_tail_transform(
        distiller.feature_transform,
        rows.sample_original,
        distiller.heavy_tailed_features_,
    )
    distiller.feature_transform_ = transform
    if transform is not None:
        mean, scale, _ = _standardised_anew(
            transform, rows.sample_original, rows.mean, rows.scale
        )
        rows.set_feature_transform(transform, mean, scale)
    distiller.mean_, distiller.scale_ = rows.mean, rows.scale
    return (
        lambda batch_size: rows.start(rng, batch_size),
        (rng, generator),
        device,
        (rows.sample, rows.validation, rows.constant, rows.n_samples),
    )
