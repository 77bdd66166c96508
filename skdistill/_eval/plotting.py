"""Displays of distilled data, learned schedules and metaparameter paths.

They follow the display objects of scikit-learn (for instance
:class:`sklearn.inspection.DecisionBoundaryDisplay`): build one from a fitted
estimator with ``from_estimator``, or from arrays with the constructor and then
``plot(ax=...)``. matplotlib is imported only when something is drawn, so
skdistill itself does not need it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._data.dataset import DistilledDataset

__all__ = [
    "DistilledDataDisplay",
    "LearningRateScheduleDisplay",
    "MetaparamPathDisplay",
]


def _import_pyplot(caller):
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it "
            "with: pip install matplotlib"
        ) from exc
    return plt


def _get_ax(plt, ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _class_colors(n_classes):
    """RGB colours, one per class (tab10, then tab20, then viridis)."""
    from matplotlib import colormaps

    if n_classes <= 10:
        colors = colormaps["tab10"](np.arange(n_classes))
    elif n_classes <= 20:
        colors = colormaps["tab20"](np.arange(n_classes))
    else:
        colors = colormaps["viridis"](np.linspace(0, 1, n_classes))
    return colors[:, :3]


def _runs(mask):
    """``(start, stop)`` index pairs of the runs of True in a boolean array."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


class DistilledDataDisplay:
    """The distilled rows over the decision boundary of a model trained on them.

    Every synthetic row is a point whose colour mixes the class colours in
    the proportions of its soft label, so a row labelled 70/30 sits between
    the two class colours. The background is coloured the same way by the
    class probabilities of the model, with its decision boundary drawn as a
    line; real rows can be shown faintly behind. Data with more than two
    features is shown in the plane of its first two principal components
    (computed in the standardised units the data was distilled in), and the
    model's response is evaluated on that plane.

    Build it with :meth:`from_estimator`; the constructor takes the
    already-projected coordinates.

    Parameters
    ----------
    distilled_X : ndarray of shape (n_distilled, 2)
        The synthetic rows, in the plotting plane.

    distilled_y : ndarray of shape (n_distilled, n_classes)
        Their soft labels (rows are probabilities over ``classes``).

    classes : ndarray of shape (n_classes,)
        The class labels.

    xx0, xx1 : ndarray of shape (grid_resolution, grid_resolution)
        The grid of the plotting plane (as from :func:`numpy.meshgrid`).

    response : ndarray of shape (grid_resolution, grid_resolution, n_classes)
        The model's class probabilities on the grid.

    distilled_step : ndarray of shape (n_distilled,), default=None
        The step of every synthetic row, for ``annotate_steps``.

    X, y : ndarray of shape (n_samples, 2) and (n_samples,), default=None
        Real rows in the plotting plane and their classes, drawn faintly.

    xlabel, ylabel : str, default=None
        Axis labels.

    Attributes
    ----------
    surface_ : matplotlib AxesImage
        The background coloured by the model's class probabilities.

    boundary_ : matplotlib QuadContourSet
        The model's decision boundary (lines between the predicted classes).

    scatter_ : matplotlib PathCollection
        The synthetic rows.

    data_scatter_ : matplotlib PathCollection or None
        The real rows, when given.

    ax_ : matplotlib Axes
        The axes drawn into.

    figure_ : matplotlib Figure
        The figure of ``ax_``.

    See Also
    --------
    LearningRateScheduleDisplay : The learned learning rates.
    sklearn.inspection.DecisionBoundaryDisplay : The display this one imitates.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_moons
    >>> from skdistill import DatasetDistiller, DistilledMLPClassifier
    >>> from skdistill import DistilledDataDisplay
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    >>> distiller = DatasetDistiller(n_steps=5, samples_per_step=2, n_epochs=2,
    ...                              max_iter=10, random_state=0)
    >>> clf = DistilledMLPClassifier((10,), distiller=distiller,
    ...                              random_state=0).fit(X, y)
    >>> display = DistilledDataDisplay.from_estimator(clf, X, y)
    >>> len(display.scatter_.get_offsets())
    10
    """

    def __init__(
        self,
        *,
        distilled_X,
        distilled_y,
        classes,
        xx0,
        xx1,
        response,
        distilled_step=None,
        X=None,
        y=None,
        xlabel=None,
        ylabel=None,
    ):
        self.distilled_X = distilled_X
        self.distilled_y = distilled_y
        self.classes = classes
        self.xx0 = xx0
        self.xx1 = xx1
        self.response = response
        self.distilled_step = distilled_step
        self.X = X
        self.y = y
        self.xlabel = xlabel
        self.ylabel = ylabel

    def plot(
        self,
        ax=None,
        *,
        alpha=0.35,
        marker_size=80,
        annotate_steps=False,
        legend=True,
        xlabel=None,
        ylabel=None,
    ):
        """Draw the display.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure is made if None.

        alpha : float, default=0.35
            Strength of the background colours (0: white, 1: full colour).

        marker_size : float, default=80
            Size of the synthetic rows' markers (points squared).

        annotate_steps : bool, default=False
            Write the step number next to every synthetic row.

        legend : bool, default=True
            Add a legend of the class colours.

        xlabel, ylabel : str, default=None
            Override the axis labels given at construction.

        Returns
        -------
        display : DistilledDataDisplay
            This display, with the artists as attributes.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D

        ax = _get_ax(plt, ax)
        classes = np.asarray(self.classes)
        colors = _class_colors(len(classes))
        response = np.asarray(self.response, dtype=float)
        background = 1 - alpha * (1 - response @ colors)
        extent = (self.xx0.min(), self.xx0.max(), self.xx1.min(), self.xx1.max())
        self.surface_ = ax.imshow(
            background,
            origin="lower",
            extent=extent,
            aspect="auto",
            interpolation="bilinear",
        )
        predicted = response.argmax(axis=-1)
        self.boundary_ = ax.contour(
            self.xx0,
            self.xx1,
            predicted,
            levels=np.arange(len(classes) - 1) + 0.5,
            colors="0.25",
            linewidths=1.0,
        )

        self.data_scatter_ = None
        if self.X is not None:
            X = np.asarray(self.X)
            index = np.searchsorted(classes, np.asarray(self.y))
            self.data_scatter_ = ax.scatter(
                X[:, 0], X[:, 1], c=colors[index], s=8, alpha=0.3, linewidths=0
            )

        points = np.asarray(self.distilled_X)
        soft = np.asarray(self.distilled_y, dtype=float)
        self.scatter_ = ax.scatter(
            points[:, 0],
            points[:, 1],
            c=np.clip(soft @ colors, 0, 1),
            s=marker_size,
            edgecolors="black",
            linewidths=0.8,
            zorder=3,
        )
        if annotate_steps and self.distilled_step is not None:
            for (x0, x1), step in zip(points, self.distilled_step):
                ax.annotate(
                    str(step),
                    (x0, x1),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7,
                )
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xlabel(xlabel if xlabel is not None else self.xlabel or "")
        ax.set_ylabel(ylabel if ylabel is not None else self.ylabel or "")
        if legend:
            handles = [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markerfacecolor=color,
                    markeredgecolor="black",
                    label=str(label),
                )
                for label, color in zip(classes, colors)
            ]
            ax.legend(
                handles=handles,
                title="class (soft labels mix colours)",
                fontsize="small",
                title_fontsize="small",
                loc="best",
            )
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X=None,
        y=None,
        *,
        dataset=None,
        steps=None,
        grid_resolution=100,
        ax=None,
        **kwargs,
    ):
        """Draw a distilled dataset over the boundary of a fitted classifier.

        Nothing is trained here: the classifier is drawn as it was fitted.

        Parameters
        ----------
        estimator : fitted classifier
            The classifier whose class probabilities colour the background,
            typically a :class:`~skdistill.DistilledMLPClassifier` fitted with
            a distiller (its ``distilled_`` is then the dataset drawn). Any
            fitted classifier with ``predict_proba`` can be given together
            with ``dataset``.

        X : array-like of shape (n_samples, n_features), default=None
            Real rows to draw faintly behind; they also fix the projection
            plane and the extent of the plot when given.

        y : array-like of shape (n_samples,), default=None
            The classes of ``X``; needed with ``X``.

        dataset : DistilledDataset, DatasetDistiller or FrozenEstimator, \
                default=None
            The distilled rows to draw (a fitted distiller stands for its
            ``distilled_``); None draws ``estimator.distilled_``.

        steps : array-like of int, default=None
            Draw only the synthetic rows of these steps.

        grid_resolution : int, default=100
            Grid points along each axis for the classifier's response.

        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure is made if None.

        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : DistilledDataDisplay
            The drawn display. Its ``projection_`` attribute holds the PCA of
            the plotting plane (None for 2-D data).
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        from sklearn.decomposition import PCA

        from .._data.dataset import distilled_dataset_of

        check_is_fitted(estimator)
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"{type(estimator).__name__} has no predict_proba; the background "
                "is coloured by the class probabilities of the classifier."
            )
        if dataset is None:
            dataset = getattr(estimator, "distilled_", None)
            if dataset is None:
                raise ValueError(
                    f"{type(estimator).__name__} was not trained on a distilled "
                    "dataset; pass the one to draw as dataset=."
                )
        else:
            if not isinstance(dataset, DistilledDataset):
                check_is_fitted(getattr(dataset, "estimator", dataset))
            dataset = distilled_dataset_of(dataset)
        if (X is None) != (y is None):
            raise ValueError("Pass both X and y, or neither.")
        classes = dataset.classes
        distilled_X = dataset.X
        distilled_y = dataset.y
        n_features = dataset.n_features
        if X is not None:
            X = np.asarray(X, dtype=float)
            y = np.asarray(y)
            if X.ndim != 2 or X.shape[1] != n_features:
                raise ValueError(
                    f"X has {X.shape[-1]} features; the distilled rows have "
                    f"{n_features}."
                )

        if n_features == 2:
            projection = None
            to_plane = np.asarray
            names = dataset.feature_names
            xlabel, ylabel = (
                (str(names[0]), str(names[1]))
                if names is not None
                else ("feature 0", "feature 1")
            )
        elif n_features > 2:
            basis = distilled_X if X is None else X
            projection = PCA(n_components=2).fit(dataset.scale_rows(basis))

            def to_plane(rows):
                return projection.transform(dataset.scale_rows(rows))

            ratio = projection.explained_variance_ratio_
            xlabel = f"principal component 1 ({ratio[0]:.0%} of variance)"
            ylabel = f"principal component 2 ({ratio[1]:.0%} of variance)"
        else:
            raise ValueError("The distilled rows need at least two features.")

        points = to_plane(distilled_X)
        shown = points if X is None else np.vstack([points, to_plane(X)])
        low, high = shown.min(axis=0), shown.max(axis=0)
        margin = 0.1 * np.maximum(high - low, 1e-12)
        xx0, xx1 = np.meshgrid(
            np.linspace(low[0] - margin[0], high[0] + margin[0], grid_resolution),
            np.linspace(low[1] - margin[1], high[1] + margin[1], grid_resolution),
        )
        grid = np.c_[xx0.ravel(), xx1.ravel()]
        if projection is not None:
            grid = dataset.unscale_rows(projection.inverse_transform(grid))
        proba = estimator.predict_proba(grid)
        # Align the classifier's classes with the dataset's.
        response = np.zeros((len(grid), len(classes)))
        response[:, np.searchsorted(classes, estimator.classes_)] = proba
        response = response.reshape(grid_resolution, grid_resolution, len(classes))

        step = dataset.step
        keep = np.ones(len(points), dtype=bool)
        if steps is not None:
            keep = np.isin(step, np.atleast_1d(steps))
        display = cls(
            distilled_X=points[keep],
            distilled_y=distilled_y[keep],
            classes=classes,
            xx0=xx0,
            xx1=xx1,
            response=response,
            distilled_step=step[keep],
            X=None if X is None else to_plane(X),
            y=y,
            xlabel=xlabel,
            ylabel=ylabel,
        )
        display.projection_ = projection
        return display.plot(ax=ax, **kwargs)


class LearningRateScheduleDisplay:
    """The learned learning rate of every training step.

    One point per internal step, in the order a network trained on the
    distilled data takes them; dotted lines separate the internal epochs,
    which revisit the same synthetic batches.

    Parameters
    ----------
    lr_schedule : ndarray of shape (n_steps * n_epochs,)
        The learning rates, in order.

    n_steps : int
        Steps per epoch (the distinct synthetic batches).

    lr_init : float, default=None
        The initial learning rate, drawn as a horizontal line when given.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The schedule.

    epoch_lines_ : list of matplotlib Line2D
        The separators between epochs.

    init_line_ : matplotlib Line2D or None
        The initial learning rate.

    ax_ : matplotlib Axes
        The axes drawn into.

    figure_ : matplotlib Figure
        The figure of ``ax_``.

    See Also
    --------
    DistilledDataDisplay : The distilled rows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skdistill import LearningRateScheduleDisplay
    >>> display = LearningRateScheduleDisplay(
    ...     lr_schedule=np.linspace(0.2, 0.05, 6), n_steps=3).plot()
    >>> len(display.epoch_lines_)
    1
    """

    def __init__(self, *, lr_schedule, n_steps, lr_init=None):
        self.lr_schedule = lr_schedule
        self.n_steps = n_steps
        self.lr_init = lr_init

    def plot(self, ax=None, *, log_scale=False, **kwargs):
        """Draw the schedule.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure is made if None.

        log_scale : bool, default=False
            Use a logarithmic learning-rate axis.

        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.plot` for the schedule.

        Returns
        -------
        display : LearningRateScheduleDisplay
            This display, with the artists as attributes.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        ax = _get_ax(plt, ax)
        lrs = np.asarray(self.lr_schedule, dtype=float)
        n_steps = int(self.n_steps)
        kwargs = {"marker": "o", "markersize": 3, "label": "learned", **kwargs}
        (self.line_,) = ax.plot(np.arange(len(lrs)), lrs, **kwargs)
        self.epoch_lines_ = [
            ax.axvline(k - 0.5, color="0.6", linestyle=":", linewidth=1)
            for k in range(n_steps, len(lrs), n_steps)
        ]
        self.init_line_ = None
        if self.lr_init is not None:
            self.init_line_ = ax.axhline(
                self.lr_init, color="0.4", linestyle="--", linewidth=1, label="initial"
            )
            ax.legend(fontsize="small")
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel(
            f"training step ({len(lrs) // n_steps} epochs of {n_steps} steps)"
        )
        ax.set_ylabel("learning rate")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **kwargs):
        """Draw the learned schedule of a fitted distiller.

        Parameters
        ----------
        estimator : DatasetDistiller or DistilledMLPClassifier
            A fitted distiller (or a :class:`~sklearn.frozen.FrozenEstimator`
            of one), a classifier fitted with a distiller, or a
            :class:`~skdistill.DistilledDataset`: the learned schedule of its
            distilled dataset is drawn.

        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure is made if None.

        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : LearningRateScheduleDisplay
            The drawn display.
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        from .._data.dataset import distilled_dataset_of

        if not isinstance(estimator, DistilledDataset):
            check_is_fitted(getattr(estimator, "estimator", estimator))
        dataset = getattr(estimator, "distilled_", None)
        if not isinstance(dataset, DistilledDataset):
            dataset = distilled_dataset_of(estimator)
        if dataset.lr_schedule is None:
            raise ValueError(
                "The distilled dataset has no learned schedule (a baseline's set "
                "is trained the ordinary way); there is nothing to draw."
            )
        display = cls(
            lr_schedule=dataset.lr_schedule,
            n_steps=dataset.n_steps,
            lr_init=dataset.lr_init,
        )
        return display.plot(ax=ax, **kwargs)


class MetaparamPathDisplay:
    """The paths of ``lambda_1`` and ``T`` while a KD student trains.

    Two panels share the iteration axis: the weight ``lambda_1`` of the
    cross-entropy with the true labels, and the temperature ``T``. Stretches
    where the linear trajectory predicted the values instead of taking
    hypergradient steps are shaded.

    Parameters
    ----------
    lambda_path : ndarray of shape (n_iterations,)
        ``lambda_1`` at every iteration.

    temperature_path : ndarray of shape (n_iterations,)
        ``T`` at every iteration.

    predicted_path : ndarray of shape (n_iterations,) of bool, default=None
        True where the value was predicted by the linear trajectory.

    Attributes
    ----------
    lambda_line_, temperature_line_ : matplotlib Line2D
        The two paths.

    predicted_spans_ : list of matplotlib Rectangle
        The shaded predicted stretches (on both panels).

    axes_ : ndarray of matplotlib Axes
        The lambda and temperature axes.

    figure_ : matplotlib Figure
        The figure of ``axes_``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdistill import MetaparamPathDisplay
    >>> display = MetaparamPathDisplay(
    ...     lambda_path=[0.5, 0.45, 0.4, 0.35], temperature_path=[1, 1.2, 1.4, 1.6],
    ...     predicted_path=[False, False, True, True]).plot()
    >>> len(display.predicted_spans_)
    2
    """

    def __init__(self, *, lambda_path, temperature_path, predicted_path=None):
        self.lambda_path = lambda_path
        self.temperature_path = temperature_path
        self.predicted_path = predicted_path

    def plot(self, ax=None, **kwargs):
        """Draw the paths.

        Parameters
        ----------
        ax : matplotlib Axes or pair of Axes, default=None
            Two axes (lambda, then T); or one, on which T gets a second
            y-axis (``ax.twinx()``); None makes a new figure with two panels.

        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.plot` for both paths.

        Returns
        -------
        display : MetaparamPathDisplay
            This display, with the artists as attributes.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        twin = False
        if ax is None:
            _, axes = plt.subplots(
                2, 1, sharex=True, figsize=(6.4, 5.2), layout="constrained"
            )
        elif np.ndim(ax) == 0:
            axes, twin = np.array([ax, ax.twinx()], dtype=object), True
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) != 2:
                raise ValueError(f"ax must be one Axes or two; got {len(axes)}.")
        lam = np.asarray(self.lambda_path, dtype=float)
        temperature = np.asarray(self.temperature_path, dtype=float)
        iterations = np.arange(len(lam))
        (self.lambda_line_,) = axes[0].plot(
            iterations, lam, color="C0", label="lambda_1", **kwargs
        )
        (self.temperature_line_,) = axes[1].plot(
            iterations, temperature, color="C1", label="T", **kwargs
        )
        axes[0].set_ylabel("lambda_1")
        axes[1].set_ylabel("T (temperature)")
        axes[1].set_xlabel("iteration")
        if ax is not None and not twin:
            axes[0].set_xlabel("iteration")

        self.predicted_spans_ = []
        if self.predicted_path is not None:
            runs = _runs(self.predicted_path)
            targets = axes[:1] if twin else axes
            for target in targets:
                for i, (start, stop) in enumerate(runs):
                    self.predicted_spans_.append(
                        target.axvspan(
                            start - 0.5,
                            stop - 0.5,
                            color="0.85",
                            zorder=0,
                            label="predicted (linear trajectory)" if i == 0 else None,
                        )
                    )
        handles = [self.lambda_line_, self.temperature_line_]
        if self.predicted_spans_:
            handles.append(self.predicted_spans_[0])
        axes[0].legend(handles=handles, fontsize="small", loc="best")
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self

    @classmethod
    def from_estimator(cls, tuner, *, ax=None, **kwargs):
        """Draw the metaparameter paths of a fitted KDMetaparamTuner.

        Parameters
        ----------
        tuner : KDMetaparamTuner
            A fitted tuner.

        ax : matplotlib Axes or pair of Axes, default=None
            See :meth:`plot`.

        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : MetaparamPathDisplay
            The drawn display.
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        check_is_fitted(tuner, "lambda_path_")
        display = cls(
            lambda_path=tuner.lambda_path_,
            temperature_path=tuner.temperature_path_,
            predicted_path=getattr(tuner, "predicted_path_", None),
        )
        return display.plot(ax=ax, **kwargs)
