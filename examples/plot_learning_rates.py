"""
================================================
The learned learning-rate schedule
================================================

Besides the synthetic rows, dataset distillation learns the learning rate of
every training step (Wang et al. 2018, section 3; Medvedev & D'yakonov 2020,
Algorithm 1). A network trained on the distilled data takes ``n_steps *
n_epochs`` steps, each with its own rate. This example draws the learned
schedule, and compares it with distillation at a fixed learning rate.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from skdistill import (
    DatasetDistiller,
    DistilledMLPClassifier,
    LearningRateScheduleDisplay,
)

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

common = dict(n_steps=10, n_epochs=3, samples_per_step=4, max_iter=150, random_state=0)
learned = DatasetDistiller(**common).fit(X_train, y_train)
fixed = DatasetDistiller(**common, learn_lr=False).fit(X_train, y_train)

# %%
# Dotted lines separate the three epochs, which revisit the same ten batches
# of synthetic rows; the dashed line is the initial rate.
fig, ax = plt.subplots(figsize=(8, 3.5))
LearningRateScheduleDisplay.from_estimator(learned, ax=ax)
ax.set_title("Learned learning rate of every training step")
fig.tight_layout()

# %%
# Does learning the rates help? Ten fresh networks trained on each distilled
# set, replaying its schedule:
for name, distiller in (("learned rates", learned), ("fixed rate 0.1", fixed)):
    scores = [
        DistilledMLPClassifier(distiller=FrozenEstimator(distiller), random_state=seed)
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for seed in range(10)
    ]
    print(f"{name:>15}: test accuracy {sum(scores) / len(scores):.3f}")
plt.show()
