"""
=====================================================
Distilling make_moons: synthetic rows step by step
=====================================================

Dataset distillation learns a few synthetic rows, their soft labels and one
learning rate per training step, such that a freshly initialised network
trained only on them, step by step, classifies the real data well (Wang et
al. 2018; for tabular data Medvedev & D'yakonov 2020, whose Figure 2 shows the
distilled moons).

Here 1000 real rows become 10 steps of 4 rows each. The first figure shows the
rows of every step over the decision boundary of a network trained on all of
them; the second compares that boundary with the one of the same network
trained on all the real data.
"""

# %%
# Distil
# ------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

from skdistill import DatasetDistiller, DistilledDataDisplay, DistilledMLPClassifier

X, y = make_moons(n_samples=1500, noise=0.2, random_state=8)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.33, random_state=8
)

distiller = DatasetDistiller(
    n_steps=10,
    n_epochs=3,
    samples_per_step=4,
    architectures=((10,),),
    max_iter=150,  # short, to keep the example fast; see the note at the end
    learning_rate=0.01,
    random_state=0,
)
distiller.fit(X_train, y_train)
print(f"{len(X_train)} real rows -> {len(distiller.distilled_X_)} synthetic rows")

# %%
# The synthetic rows of every step
# --------------------------------
# A network trained on the distilled data takes the steps in order, each with
# its own learned learning rate, and goes through them ``n_epochs`` times. The
# colour of a synthetic row mixes the class colours in the proportions of its
# soft label; the background is the decision boundary of a network trained on
# all 40 rows.
small = DistilledMLPClassifier(
    hidden_layer_sizes=(10,), distiller=FrozenEstimator(distiller), random_state=0
)
small.fit(X_train, y_train)
fig, axes = plt.subplots(2, 5, figsize=(13, 5.5), sharex=True, sharey=True)
for step, ax in enumerate(axes.ravel()):
    DistilledDataDisplay.from_estimator(
        small,
        X_train,
        y_train,
        steps=[step],
        grid_resolution=60,
        ax=ax,
        legend=False,
        xlabel="",
        ylabel="",
    )
    lrs = distiller.lr_schedule_[step :: distiller.distilled_.n_steps]
    ax.set_title(f"step {step}: lr " + ", ".join(f"{lr:.2f}" for lr in lrs), fontsize=9)
fig.suptitle("Distilled rows of each step (learning rates of its 3 epochs)")
fig.tight_layout()

# %%
# Full data against distilled data
# --------------------------------
# The same network (one hidden layer of 10 units) trained on the 1005 real
# training rows, and trained only on the 40 distilled rows by replaying the
# learned schedule.
full = DistilledMLPClassifier(
    hidden_layer_sizes=(10,), learning_rate_init=0.01, max_iter=300, random_state=0
)
full.fit(X_train, y_train)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
DecisionBoundaryDisplay.from_estimator(
    full, X, response_method="predict_proba", cmap="RdBu", alpha=0.4, ax=left
)
left.scatter(*X_train.T, c=y_train, cmap="RdBu", s=6, edgecolors="none")
left.set_title(
    f"trained on {len(X_train)} real rows: test accuracy "
    f"{full.score(X_test, y_test):.3f}"
)
DistilledDataDisplay.from_estimator(small, X_train, y_train, ax=right)
right.set_title(
    f"trained on {len(distiller.distilled_X_)} distilled rows: test accuracy "
    f"{small.score(X_test, y_test):.3f}"
)
fig.tight_layout()

# %%
# How much the soft labels moved
# ------------------------------
# Labels start one-hot and are learned with the rows; grey-ish rows above sit
# between the classes.
moved = np.abs(distiller.distilled_y_ - np.eye(2)[distiller.distilled_y_.argmax(1)])
print(f"largest change of a soft label: {moved.max():.2f}")

# %%
# .. note::
#    150 outer iterations keep this example to seconds, and the network
#    trained on the distilled rows stays behind the one trained on all the
#    data. With the paper's 800 iterations, 40 steps and 5 epochs, networks
#    trained only on the distilled rows match or beat those trained on all of
#    them: see the make_moons reproduction in :doc:`/dataset_distiller`.
plt.show()
