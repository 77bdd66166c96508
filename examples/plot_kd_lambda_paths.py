"""
=====================================================
Knowledge distillation: lambda and temperature paths
=====================================================

:class:`~skdistill.KDMetaparamTuner` trains a student on
``lambda_1 * CE(y, student) + (1 - lambda_1) * CE(teacher / T, student / T)``
and tunes ``lambda_1`` and ``T`` by hypergradient descent while the student
trains ("Metaparameter optimization in knowledge distillation", Figures 2-4).
With ``trajectory="linear"``, ``e1`` hypergradient steps alternate with ``e2``
steps whose values are extrapolated from the trend of the last ``e1`` steps
(the shaded stretches below); ``trajectory="linear-paper"`` extrapolates the
paper's least-squares line through the values instead.

The data follows the paper's synthetic experiment (section 4.1): the label is
the sign of ``x_1 x_2`` plus noise, and the third feature,
``[sign x_1 + sign x_2 > 0]``, helps a linear model. The teacher is a logistic
regression on all 200 of its own rows, the student a linear model trained on
15 rows only.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skdistill import KDMetaparamTuner, MetaparamPathDisplay

rng = np.random.RandomState(0)


def make_data(n):
    x = rng.normal(size=(n, 2))
    x3 = (np.sign(x[:, 0]) + np.sign(x[:, 1]) > 0).astype(float)
    y = (x[:, 0] * x[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return np.c_[x, x3], y


X_teacher, y_teacher = make_data(200)
X_train, y_train = make_data(15)
X_val, y_val = make_data(200)
teacher = FrozenEstimator(LogisticRegression().fit(X_teacher, y_teacher))

tuners = {}
for name, params in {
    "exact hypergradient": dict(hypergradient="exact"),
    "linear trajectory": dict(hypergradient="exact", trajectory="linear", e1=10, e2=10),
}.items():
    tuners[name] = KDMetaparamTuner(
        teacher=teacher,
        hidden_layer_sizes=(),
        lambda_init=0.5,
        temperature_init=1.0,
        # The paper's plain gradient steps in T (the defaults are Adam steps
        # in log T).
        meta_optimizer="sgd",
        temperature_step="linear",
        meta_learning_rate=0.1,
        val_temperature=0.1,
        max_iter=100,
        random_state=0,
        **params,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    print(
        f"{name}: lambda_1 {tuners[name].lambda_:.3f}, T "
        f"{tuners[name].temperature_:.3f}, validation accuracy "
        f"{tuners[name].score(X_val, y_val):.3f}, "
        f"{tuners[name].n_hypergradient_steps_} hypergradient steps"
    )

# %%
# The linear trajectory takes half the hypergradient evaluations. Its
# extrapolation continues from the last value and slows down, or stops, where
# the trend of the steps fades, rather than carrying the window's average
# slope; where the exact path (dotted) turns, the next hypergradient stretch
# follows the turn.
fig, axes = plt.subplots(2, 1, sharex=True, figsize=(8, 5.5))
MetaparamPathDisplay.from_estimator(tuners["linear trajectory"], ax=axes)
axes[0].plot(
    tuners["exact hypergradient"].lambda_path_, "k:", label="exact, every step"
)
axes[1].plot(tuners["exact hypergradient"].temperature_path_, "k:")
axes[0].legend(fontsize="small")
axes[0].set_xlabel("")
fig.tight_layout()
plt.show()
