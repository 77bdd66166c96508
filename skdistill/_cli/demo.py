"""``skdistill demo``: distill a built-in dataset and compare models trained on it.

Only the standard library is imported with this module; numpy, scikit-learn
and torch are imported when the command runs.
"""

import time
import warnings
from pathlib import Path


def _mean_std(values):
    import numpy as np

    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def demo(args):
    """Distill a built-in dataset; compare models trained on it with full data
    and with baselines of the same size; draw the distilled data."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from .. import DatasetDistiller, DistilledMLPClassifier
    from .._tabular.baselines import KMeansSampler, RandomRealSampler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=args.random_state
    )
    print(
        f"Breast cancer data: {len(X_train)} training rows, {X.shape[1]} features, "
        f"{len(X_test)} test rows."
    )
    distiller = DatasetDistiller(
        n_steps=10,
        n_epochs=3,
        samples_per_step=4,
        architectures=((10,),),
        max_iter=args.max_iter,
        random_state=args.random_state,
        verbose=args.verbose,
    )
    if args.verbose:
        n_rows = distiller.n_steps * distiller.samples_per_step
        print(
            f"Distilling them into {n_rows} rows ({args.max_iter} outer "
            "iterations) ...",
            flush=True,
        )
    start = time.perf_counter()
    distiller.fit(X_train, y_train)
    distill_seconds = time.perf_counter() - start

    lrs = distiller.lr_schedule_
    moved = np.abs(distiller.distilled_y_ - distiller.distilled_y_.round()).max(1)
    print(
        f"\nDistilled in {distill_seconds:.1f} s ({distiller.n_iter_} outer "
        f"iterations; objective {distiller.loss_curve_[0]:.3f} -> "
        f"{np.mean(distiller.loss_curve_[-20:]):.3f}):"
    )
    print(
        f"  {len(distiller.distilled_X_)} synthetic rows in {distiller.n_steps} steps "
        f"x {distiller.n_epochs} epochs"
    )
    print(
        f"  learned learning rates: min {lrs.min():.3f}, median "
        f"{np.median(lrs):.3f}, max {lrs.max():.3f} (initial {distiller.lr_init_:g})"
    )
    print(
        f"  soft labels: {np.sum(moved > 0.05)} of {len(moved)} rows moved more "
        "than 0.05 away from one-hot"
    )

    frozen = FrozenEstimator(distiller)
    # Baselines (Wang et al. 2018; Sucholutsky & Schonlau 2019): as many real
    # rows, or per-class k-means centroids, trained on by the same MLP. All
    # MLPs but the distilled one see inputs as the distilled data was learned
    # on them: mapped by the distiller's feature transform (its heavy-tailed
    # columns to Gaussian ones), then standardised with the statistics of the
    # whole training set.
    transform = distiller.feature_transform_
    scaler = FrozenEstimator(
        make_pipeline(
            FunctionTransformer(None if transform is None else transform.transform),
            StandardScaler(),
        ).fit(X_train)
    )
    n_small = len(distiller.distilled_X_)

    def mlp(seed):
        return make_pipeline(
            scaler,
            DistilledMLPClassifier(
                hidden_layer_sizes=(10,), max_iter=300, random_state=seed
            ),
        )

    def full_data(seed):
        return X_train, y_train

    def resampled(sampler):
        return lambda seed: sampler(n_small, random_state=seed).fit_resample(
            X_train, y_train
        )

    results = {}
    for name, make, data in (
        (f"all {len(X_train)} training rows", mlp, full_data),
        (
            f"{n_small} distilled rows",
            lambda seed: DistilledMLPClassifier(
                hidden_layer_sizes=(10,), distiller=frozen, random_state=seed
            ),
            full_data,
        ),
        (f"{n_small} random real rows", mlp, resampled(RandomRealSampler)),
        (f"{n_small} k-means centroids", mlp, resampled(KMeansSampler)),
    ):
        if args.verbose:
            print(f"Training {args.n_models} MLPs on {name} ...", flush=True)
        scores, seconds = [], []
        for seed in range(args.n_models):
            model = make(seed)
            X_fit, y_fit = data(seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_fit, y_fit)
            seconds.append(time.perf_counter() - start)
            scores.append(model.score(X_test, y_test))
        results[name] = (scores, seconds)

    print(
        f"\nOne-hidden-layer MLPs (10 units), {args.n_models} fresh "
        "initialisations each:"
    )
    width = max(len(name) for name in results)
    print(f"  {'trained on':<{width}}  {'test accuracy':>15}  {'fit time':>9}")
    for name, (scores, seconds) in results.items():
        print(
            f"  {name:<{width}}  {_mean_std(scores):>15}  "
            f"{np.mean(seconds) * 1000:>7.1f}ms"
        )

    if not args.no_plots:
        _demo_pictures(distiller, X_train, y_train, Path(args.output_dir))
    return 0


def _demo_pictures(distiller, X, y, output_dir):
    """Write the demo's pictures into ``output_dir``, if matplotlib is installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print(
            "\nmatplotlib is not installed: no pictures written "
            "(pip install matplotlib to get them)."
        )
        return
    # Figures made without pyplot: no GUI backend, no global state touched.
    from sklearn.frozen import FrozenEstimator

    from .._eval.plotting import DistilledDataDisplay, LearningRateScheduleDisplay
    from .._tabular.classifier import DistilledMLPClassifier

    model = DistilledMLPClassifier(
        distiller.architectures_[0],
        distiller=FrozenEstimator(distiller),
        random_state=0,
    ).fit(X, y)

    output_dir.mkdir(parents=True, exist_ok=True)
    written = []

    fig = Figure(figsize=(6.4, 5.2), layout="constrained")
    ax = fig.add_subplot()
    DistilledDataDisplay.from_estimator(model, X, y, ax=ax)
    ax.set_title("Distilled rows over the boundary of an MLP trained on them")
    path = output_dir / "distilled_data.png"
    fig.savefig(path, dpi=100)
    written.append(path)

    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    LearningRateScheduleDisplay.from_estimator(distiller, ax=ax)
    ax.set_title("Learned learning rate of every training step")
    path = output_dir / "learning_rates.png"
    fig.savefig(path, dpi=100)
    written.append(path)

    print("\nPictures: " + ", ".join(str(p) for p in written))
