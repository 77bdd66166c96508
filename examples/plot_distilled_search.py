"""
================================================
A grid search on a distilled set
================================================

:class:`~skdistill.DistilledSearchCV` searches a grid in two stages: every
candidate is trained on a small set summarising the rows (by default k-means
prototypes of every class) and scored on held-out real rows, then only the
best few are cross-validated on the real rows, as
:class:`~sklearn.model_selection.GridSearchCV` cross-validates all of them.
This example runs both searches on the breast-cancer table and compares their
picks and their wall times. (The fits are shortened so that the example runs
in seconds; the user guide records the benchmark on larger grids.)
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledMLPClassifier, DistilledSearchCV

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
pipe = make_pipeline(
    StandardScaler(), DistilledMLPClassifier(max_iter=60, random_state=0)
)
grid = {
    "distilledmlpclassifier__hidden_layer_sizes": [(), (2,), (8,), (32,), (32, 32)],
    "distilledmlpclassifier__alpha": [1e-4, 1.0],
}

start = time.perf_counter()
full = GridSearchCV(pipe, grid, cv=5).fit(X_train, y_train)
full_time = time.perf_counter() - start

# %%
# The first stage's set is the default one: ``5 * sqrt(n)`` k-means
# prototypes of the distillation rows, shared by the two classes (a
# ``DatasetDistiller`` can be given as ``distiller=`` instead), made and
# scored on each of the first three splits (``first_stage_splits="auto"``
# uses fewer from 1250 rows on); ``n_confirm="auto"`` cross-validates 3 of
# the 10 candidates (2 where the first stage's held-out rows reach 500; more
# on a small table, where its scores are noisier), on all five splits
# (``confirm_splits="auto"`` uses fewer from 625 rows on, once the held-out
# rows of the first splits reach 500).
start = time.perf_counter()
search = DistilledSearchCV(pipe, grid, cv=5, random_state=0).fit(X_train, y_train)
search_time = time.perf_counter() - start

for name, s, seconds in (
    ("GridSearchCV", full, full_time),
    ("Distilled", search, search_time),
):
    print(
        f"{name:12s} pick {s.best_params_}  cv {s.best_score_:.3f}  "
        f"test {s.score(X_test, y_test):.3f}  {seconds:.1f}s"
    )
print(f"first-stage set: {search.distillation_time_:.1f}s")

# %%
# Every candidate's first-stage score (trained on the prototypes, scored on
# held-out real rows) beside its cross-validated score on all the rows. The
# confirmed candidates are the ones the distilled search cross-validated.
results = search.cv_results_
labels = [
    f"{p['distilledmlpclassifier__hidden_layer_sizes']}\nα={p['distilledmlpclassifier__alpha']:g}"
    for p in results["params"]
]
x = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.bar(x - 0.2, results["mean_distilled_score"], 0.4, label="first stage (prototypes)")
ax.bar(
    x + 0.2, full.cv_results_["mean_test_score"], 0.4, label="GridSearchCV (all rows)"
)
for i in np.flatnonzero(results["confirmed"]):
    ax.annotate("confirmed", (x[i] - 0.2, 0.5), rotation=90, ha="center", color="w")
ax.set_xticks(x, labels, fontsize=7)
ax.set_ylim(0.45, 1.0)
ax.set_ylabel("accuracy")
ax.legend(loc="lower right")
ax.set_title(f"Distilled search {search_time:.0f}s, grid search {full_time:.0f}s")
fig.tight_layout()
plt.show()
