"""Helpers shared by the estimators: seeding, thread policy, progress, tensors."""

import contextlib
import time

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data


class DivergenceError(ValueError, FloatingPointError):
    """A fit produced a non-finite loss; the message names the parameter to lower."""


def validate_labelled_data(estimator, X, y, *, min_samples=2, min_classes=2):
    """Validate numeric ``X`` and class labels ``y`` for ``estimator.fit``.

    Returns ``X`` (float64), the sorted ``classes`` and ``y`` as indices into
    them. Raises a ValueError naming the problem for NaN, inf, empty or
    non-numeric ``X``, mismatched lengths, continuous ``y`` ("Unknown label
    type"), fewer than ``min_samples`` rows and fewer than ``min_classes``
    classes.
    """
    refuse_lazy(estimator, X)
    X, y = validate_data(
        estimator, X, y, dtype=np.float64, ensure_min_samples=min_samples
    )
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    if len(classes) < min_classes:
        raise ValueError(
            f"{type(estimator).__name__} needs at least two classes in y; got one "
            f"class: {classes[0]!r}."
        )
    return X, classes, y_index


def refuse_lazy(estimator, X):
    """A clear error for a Dask collection given to an estimator that needs its
    data in memory (validation would silently compute the whole collection)."""
    from ._streaming import is_lazy

    if is_lazy(X):
        raise TypeError(
            f"{type(estimator).__name__} needs its training data in memory, and X "
            "is a Dask collection: call .compute() on it first. DatasetDistiller "
            "reads Dask collections lazily; DistilledMLPClassifier does so through "
            "its distiller."
        )


def check_local_random_state(random_state):
    """`sklearn.utils.check_random_state`, except that None never means numpy's
    global generator: it seeds a fresh one from the operating system, so that
    a fit leaves every global random stream untouched.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    return check_random_state(random_state)


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
