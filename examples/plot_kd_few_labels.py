"""
=============================================
Knowledge distillation: few labels, many rows
=============================================

Unlabelled rows are marked ``-1`` in ``y`` (scikit-learn's semi-supervised
convention). :class:`~skdistill.KDMetaparamTuner` fits its teacher on the
labelled rows (or takes a fitted one, wrapped in
:class:`~sklearn.frozen.FrozenEstimator`), and the student learns the
teacher's soft labels on every row: what the teacher knows about the
unlabelled rows reaches the student.

Here 30 of 1500 training rows of two noisy half-moons have labels. A small
MLP trained on those 30 rows alone is compared with the same MLP distilled
from a gradient-boosting teacher that has seen many labels (a model trained
elsewhere), with and without the unlabelled rows.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator

from skdistill import KDMetaparamTuner

X, y = make_moons(n_samples=1500, noise=0.25, random_state=0)
X_test, y_test = make_moons(n_samples=1000, noise=0.25, random_state=1)
rng = np.random.RandomState(0)
labelled = np.concatenate(
    [rng.choice(np.flatnonzero(y == c), 15, replace=False) for c in (0, 1)]
)
y_semi = np.full_like(y, -1)
y_semi[labelled] = y[labelled]

teacher = FrozenEstimator(HistGradientBoostingClassifier(random_state=0).fit(X, y))
student = dict(
    hidden_layer_sizes=(16,),
    validation_fraction=0.2,
    random_state=0,
)
fits = {
    "no KD (30 rows)": KDMetaparamTuner(
        teacher, lambda_init=1.0, meta_learning_rate=0, max_iter=400, **student
    ).fit(X[labelled], y[labelled]),
    "KD (30 rows)": KDMetaparamTuner(teacher, max_iter=400, **student).fit(
        X[labelled], y[labelled]
    ),
    "KD (30 rows + 1470 unlabelled)": KDMetaparamTuner(
        teacher, max_iter=20, **student
    ).fit(X, y_semi),
}
print(f"teacher: test accuracy {teacher.score(X_test, y_test):.3f}")
for name, fit in fits.items():
    print(
        f"{name}: test accuracy {fit.score(X_test, y_test):.3f}, lambda_1 "
        f"{fit.lambda_:.2f}, T {fit.temperature_:.2f}"
    )

# %%
# The decision boundaries: the student that saw the unlabelled rows follows
# the teacher's curved boundary; with 30 rows alone it cannot know where the
# moons bend.
grid = np.stack(
    np.meshgrid(np.linspace(-1.6, 2.6, 200), np.linspace(-1.1, 1.6, 150)), -1
)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
for ax, (name, fit) in zip(axes, fits.items()):
    proba = fit.predict_proba(grid.reshape(-1, 2))[:, 1].reshape(grid.shape[:2])
    ax.contourf(grid[..., 0], grid[..., 1], proba, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.scatter(*X[y_semi == -1].T, s=2, c="0.6")
    ax.scatter(*X[labelled].T, c=y[labelled], cmap="RdBu_r", edgecolor="k", s=30)
    ax.set_title(f"{name}\ntest accuracy {fit.score(X_test, y_test):.3f}", fontsize=9)
fig.tight_layout()
plt.show()
