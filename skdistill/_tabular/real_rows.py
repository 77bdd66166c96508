"""The real rows of a DatasetDistiller fit: standardised, split for early
stopping and served as a batch source, from memory or from a Dask collection or
a parquet table scanned once."""

import numpy as np
import torch

from .._base import check_device, fit_standardisation
from .._training.batches import InMemoryRows
from .._training.splits import validation_split
from .sizes import LAZY_SAMPLE_ROWS, holds_out


def in_memory_rows(distiller, X, y_index):
    """The arguments of ``distiller._distill_rows`` for rows ``X`` in memory
    (float64) with class indices ``y_index``; sets ``mean_`` and ``scale_``.

    Early stopping holds out ``validation_fraction`` of the rows, stratified
    (`validation_split`), when the table has enough of them (`holds_out`);
    ``init`` draws from the training rows.
    """
    device = check_device(distiller.device)
    weight = distiller._sample_weight
    distiller.mean_, distiller.scale_ = fit_standardisation(X, weight)
    X_std = (X - distiller.mean_) / distiller.scale_
    rng, generator = distiller._random_streams(device)
    validation = None
    fit_rows = np.arange(len(X))
    fraction = distiller.validation_fraction
    if holds_out(fraction, len(X), len(distiller.classes_)):
        fit_rows, val_rows = validation_split(y_index, fraction, rng)
        validation = X_std[val_rows], y_index[val_rows]
    X_fit, y_fit = X_std[fit_rows], y_index[fit_rows]
    X_fit_t = torch.as_tensor(X_fit, dtype=torch.float32).to(device)
    y_fit_t = torch.as_tensor(y_fit, dtype=torch.int64).to(device)
    weight = None if weight is None else weight[fit_rows]
    return (
        lambda batch_size: InMemoryRows(X_fit_t, y_fit_t, rng, batch_size, weight),
        (rng, generator),
        device,
        ((X_fit, y_fit), validation, np.ptp(X, axis=0) == 0, len(X)),
    )


def lazy_rows(distiller, X, y):
    """The arguments of ``distiller._distill_rows`` for a Dask collection or a
    parquet table, scanned once; sets ``mean_`` and ``scale_``.

    Early stopping holds out ``validation_fraction`` of the rows (a seeded
    split inside every part, the same rows on every pass) and scores on a
    sample of at most `LAZY_SAMPLE_ROWS` of them; ``init`` draws its rows from
    a sample of as many training rows. Both samples come from the one pass.
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
    distiller.mean_, distiller.scale_ = rows.mean, rows.scale
    return (
        lambda batch_size: rows.start(rng, batch_size),
        (rng, generator),
        device,
        (rows.sample, rows.validation, rows.constant, rows.n_samples),
    )
