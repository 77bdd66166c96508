"""KDMetaparamTuner: behaviour a user relies on."""

import copy
import math
import pickle

import numpy as np
import pytest
import torch
from scipy.special import softmax
from sklearn.datasets import load_iris, make_moons
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import skdistill._kd.students as students_module
import skdistill._kd.transfer as transfer_module
import skdistill._kd.tuner as tuner_module
from skdistill._kd.transfer import make_transfer_set
from skdistill._kd.tuner import KDMetaparamTuner
from skdistill._utils import DivergenceError

CHEAP = dict(hidden_layer_sizes=(8,), max_iter=20, batch_size=32)


def _tuner(**params):
    base = dict(teacher=DecisionTreeClassifier(max_depth=3), **CHEAP)
    base.update(params)
    return KDMetaparamTuner(**base)


@parametrize_with_checks(
    [
        _tuner(random_state=0),
        _tuner(
            hypergradient="finite_difference",
            trajectory="linear",
            e1=2,
            e2=3,
            hidden_layer_sizes=(),
            random_state=0,
        ),
    ],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": (
            "The student's rows are drawn in proportion to their weights, so "
            "weights match repeated rows in expectation only (see "
            "test_integer_weights_act_like_repeated_rows)."
        ),
        "check_classifiers_classes": (
            "A label of -1 marks an unlabelled row (scikit-learn's "
            "semi-supervised convention), so labels {-1, 1} are one class with "
            "unlabelled rows, as for SelfTrainingClassifier."
        ),
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=200, noise=0.25, random_state=0)


def test_fitted_attributes(moons):
    X, y = moons
    tuner = _tuner(validation_fraction=0.25, max_iter=5, random_state=0).fit(X, y)
    # Stratified split: 25 rows of each class go to validation, 150 train.
    assert tuner.teacher_.tree_.n_node_samples[0] == 150
    n_steps = 5 * math.ceil(150 / 32)
    assert tuner.t_ == n_steps and tuner.n_iter_ == 5
    for path in (tuner.lambda_path_, tuner.temperature_path_, tuner.predicted_path_):
        assert path.shape == (n_steps,)
    assert not tuner.predicted_path_.any()
    assert tuner.n_hypergradient_steps_ == n_steps
    assert len(tuner.loss_curve_) == len(tuner.validation_loss_curve_) == 5
    assert [w.shape for w in tuner.coefs_] == [(2, 8), (8, 2)]
    assert [b.shape for b in tuner.intercepts_] == [(8,), (2,)]
    assert isinstance(tuner.coefs_[0], np.ndarray)
    assert 0 <= tuner.lambda_ <= 1 and 0.1 <= tuner.temperature_ <= 10
    assert tuner.lambda_path_[0] == 0.5 and tuner.temperature_path_[0] == 1.0
    proba = tuner.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(tuner.predict_log_proba(X)), proba)
    np.testing.assert_array_equal(tuner.predict(X), proba.argmax(axis=1))


def test_the_student_learns(moons):
    X, y = moons
    tuner = _tuner(max_iter=60, random_state=0).fit(X, y)
    assert tuner.score(X, y) > 0.8
    assert tuner.loss_curve_[-1] < 0.7 * tuner.loss_curve_[0]


def test_linear_student_is_logistic_regression(moons):
    X, y = moons
    tuner = _tuner(hidden_layer_sizes=(), max_iter=3, random_state=0).fit(X, y)
    assert [w.shape for w in tuner.coefs_] == [(2, 2)]


def test_metaparameters_move_with_a_meta_learning_rate(moons):
    X, y = moons
    tuned = _tuner(
        meta_learning_rate=50.0,
        max_iter=30,
        random_state=0,
        lambda_init=0.2,
        temperature_init=4.0,
    ).fit(X, y)
    assert np.ptp(tuned.lambda_path_) > 0.05 and np.ptp(tuned.temperature_path_) > 0.05
    assert tuned.lambda_ != tuned.lambda_path_[0]


def test_meta_learning_rate_zero_keeps_values_fixed(moons):
    X, y = moons
    tuner = _tuner(
        meta_learning_rate=0, lambda_init=0.3, temperature_init=2.5, random_state=0
    ).fit(X, y)
    assert np.all(tuner.lambda_path_ == 0.3) and np.all(tuner.temperature_path_ == 2.5)
    assert tuner.lambda_ == 0.3 and tuner.temperature_ == 2.5
    assert tuner.n_hypergradient_steps_ == 0


def test_baseline_without_distillation_ignores_the_teacher(moons):
    X, y = moons
    fits = [
        _tuner(
            teacher=teacher, lambda_init=1.0, meta_learning_rate=0, random_state=0
        ).fit(X, y)
        for teacher in (DecisionTreeClassifier(max_depth=1), LogisticRegression())
    ]
    for a, b in zip(fits[0].coefs_, fits[1].coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # ... while with distillation the teacher matters.
    fits = [
        _tuner(
            teacher=teacher, lambda_init=0.0, meta_learning_rate=0, random_state=0
        ).fit(X, y)
        for teacher in (DecisionTreeClassifier(max_depth=1), LogisticRegression())
    ]
    assert not np.array_equal(fits[0].coefs_[0], fits[1].coefs_[0])


def test_pure_distillation_imitates_the_teacher(moons):
    X, y = moons
    # The teacher says the opposite of the labels; lambda_1 = 0 follows it.
    flipped = FrozenEstimator(LogisticRegression().fit(X, 1 - y))
    tuner = _tuner(
        teacher=flipped,
        lambda_init=0.0,
        meta_learning_rate=0,
        max_iter=40,
        random_state=0,
    ).fit(X, y)
    assert tuner.score(X, y) < 0.3


def test_grid_search_over_fixed_metaparameters(moons):
    X, y = moons
    grid = GridSearchCV(
        _tuner(meta_learning_rate=0, max_iter=3, random_state=0),
        {"lambda_init": [0.5, 1.0], "temperature_init": [1.0, 4.0]},
        cv=2,
    ).fit(X, y)
    assert grid.best_params_["lambda_init"] in (0.5, 1.0)
    assert grid.best_estimator_.lambda_ == grid.best_params_["lambda_init"]


@pytest.mark.parametrize("trajectory", ["linear", "linear-paper"])
def test_linear_trajectory_marks_predicted_iterations_and_stays_in_bounds(
    moons, trajectory
):
    X, y = moons
    tuner = _tuner(
        trajectory=trajectory,
        e1=4,
        e2=3,
        batch_size=200,
        meta_optimizer="sgd",
        temperature_step="linear",
        meta_learning_rate=200.0,
        max_iter=40,
        # A seed whose path leaves the bounds again (blocks to check below).
        random_state=1,
        lambda_bounds=(0.1, 0.9),
        temperature_bounds=(0.5, 3.0),
    )
    tuner.fit(X, y)
    expected = np.tile([False] * 4 + [True] * 3, 6)[: tuner.t_]
    np.testing.assert_array_equal(tuner.predicted_path_, expected)
    assert tuner.n_hypergradient_steps_ == np.count_nonzero(~expected)
    assert tuner.lambda_path_.min() >= 0.1 and tuner.lambda_path_.max() <= 0.9
    assert tuner.temperature_path_.min() >= 0.5 and tuner.temperature_path_.max() <= 3.0
    # The projection was exercised: lambda_1 was held at a bound.
    assert np.isin(tuner.lambda_path_, (0.1, 0.9)).any()
    if trajectory == "linear":
        # Predicted blocks continue from the last hypergradient value and move
        # monotonically (they stop rather than turn back).
        for start in range(4, tuner.t_ - 2, 7):
            for path in (tuner.lambda_path_, tuner.temperature_path_):
                steps = np.diff(path[start : start + 3])
                assert np.all(steps >= -1e-12) or np.all(steps <= 1e-12)
        return
    # Every predicted block lies on a line (unless clipped into bounds).
    blocks_checked = 0
    for start in range(4, tuner.t_ - 2, 7):
        for path, (low, high) in (
            (tuner.lambda_path_, (0.1, 0.9)),
            (tuner.temperature_path_, (0.5, 3.0)),
        ):
            block = path[start : start + 3]
            if np.all((block > low) & (block < high)):
                np.testing.assert_allclose(np.diff(block, 2), 0.0, atol=1e-12)
                blocks_checked += 1
    assert blocks_checked >= 3


def test_linear_trajectory_uses_fewer_hypergradients(moons):
    X, y = moons
    full = _tuner(max_iter=5, random_state=0).fit(X, y)
    linear = _tuner(max_iter=5, trajectory="linear", e1=2, e2=2, random_state=0).fit(
        X, y
    )
    assert linear.n_hypergradient_steps_ < full.n_hypergradient_steps_


def test_finite_difference_mode_tracks_exact(moons):
    X, y = moons
    # Plain steps: Adam would normalise away the scale of the differences.
    params = dict(
        meta_optimizer="sgd",
        temperature_step="linear",
        meta_learning_rate=20.0,
        max_iter=5,
        random_state=0,
    )
    exact = _tuner(**params).fit(X, y)
    approx = _tuner(hypergradient="finite_difference", **params).fit(X, y)
    # At this rate small differences grow along the path (plain steps
    # amplify them); the first epoch's steps agree.
    first = slice(0, 6)
    assert np.ptp(exact.lambda_path_[first]) > 1e-3
    np.testing.assert_allclose(
        approx.lambda_path_[first], exact.lambda_path_[first], atol=1e-3
    )
    np.testing.assert_allclose(
        approx.temperature_path_[first], exact.temperature_path_[first], atol=1e-3
    )


def test_hinton_scaling_changes_the_fit(moons):
    X, y = moons
    params = dict(
        lambda_init=0.2,
        temperature_init=3.0,
        meta_learning_rate=0,
        max_iter=3,
        random_state=0,
    )
    a = _tuner(**params).fit(X, y)
    b = _tuner(hinton_scaling=True, **params).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


def test_explicit_validation_set(moons):
    X, y = moons
    X_val, y_val = make_moons(n_samples=60, noise=0.25, random_state=1)
    tuner = _tuner(
        max_iter=4, val_temperature=1.0, validation_fraction=0.5, random_state=0
    ).fit(X, y, X_val=X_val, y_val=y_val)
    # All of (X, y) trains; validation_fraction is ignored.
    assert tuner.teacher_.tree_.n_node_samples[0] == 200
    assert tuner.t_ == 4 * math.ceil(200 / 32)
    # The validation curve is the cross-entropy on the given set.
    expected = log_loss(y_val, tuner.predict_proba(X_val))
    assert tuner.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X_val=np.zeros((3, 2))), "both X_val and y_val"),
        (dict(X_val=np.zeros((3, 2)), y_val=[0, 1, 5]), "absent from y"),
        (dict(X_val=np.zeros((3, 4)), y_val=[0, 1, 1]), "features"),
        (dict(X_val=np.zeros((3, 2)), y_val=[0, 1]), "inconsistent"),
        (dict(X_val=np.full((2, 2), np.nan), y_val=[0, 1]), "NaN"),
    ],
)
def test_bad_validation_set(moons, kwargs, match):
    X, y = moons
    with pytest.raises(ValueError, match=match):
        _tuner(max_iter=1).fit(X, y, **kwargs)


def test_default_teacher_and_derived_teacher_seed(moons):
    X, y = moons
    tuner = KDMetaparamTuner(max_iter=2, random_state=0).fit(X, y)
    assert isinstance(tuner.teacher_, GradientBoostingClassifier)
    assert isinstance(tuner.teacher_.random_state, int)
    forest = RandomForestClassifier(n_estimators=5)
    tuner = _tuner(teacher=forest, max_iter=1, random_state=0).fit(X, y)
    assert isinstance(tuner.teacher_.random_state, int)
    assert forest.random_state is None  # the user's teacher is not touched
    forest = RandomForestClassifier(n_estimators=5, random_state=42)
    assert _tuner(teacher=forest, max_iter=1).fit(X, y).teacher_.random_state == 42


def test_frozen_teacher_is_not_refitted(moons):
    X, y = moons
    inner = LogisticRegression().fit(X[:50], y[:50])
    coef = inner.coef_.copy()
    frozen = FrozenEstimator(inner)
    tuner = _tuner(teacher=frozen, max_iter=2, random_state=0).fit(X, y)
    assert tuner.teacher_ is frozen
    np.testing.assert_array_equal(inner.coef_, coef)


def test_random_state_reproducible_and_global_rngs_untouched(moons):
    X, y = moons
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()  # noqa: NPY002
    params = dict(
        teacher=RandomForestClassifier(n_estimators=5),
        max_iter=4,
        trajectory="linear",
        e1=3,
        e2=2,
    )
    a = _tuner(**params, random_state=7).fit(X, y)
    b = _tuner(**params, random_state=7).fit(X, y)
    c = _tuner(**params, random_state=8).fit(X, y)
    for attribute in ("lambda_path_", "temperature_path_"):
        np.testing.assert_array_equal(getattr(a, attribute), getattr(b, attribute))
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])  # noqa: NPY002


def test_threads_restored_and_predict_stores_nothing(moons):
    X, y = moons
    before = torch.get_num_threads()
    tuner = _tuner(max_iter=1, n_threads=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before
    state = copy.deepcopy(tuner.__dict__)
    tuner.predict(X), tuner.predict_proba(X), tuner.score(X, y)
    assert state.keys() == tuner.__dict__.keys()


def test_pickle_round_trip(moons):
    X, y = moons
    tuner = _tuner(max_iter=2, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(tuner))
    np.testing.assert_array_equal(restored.predict_proba(X), tuner.predict_proba(X))


def test_string_labels_and_multiclass():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    tuner = _tuner(max_iter=30, random_state=0).fit(X, names)
    assert set(tuner.predict(X)) <= set(names)
    assert tuner.score(X, names) > 0.8


def test_dataframe_feature_names(moons):
    pd = pytest.importorskip("pandas")
    X, y = moons
    tuner = _tuner(max_iter=1, random_state=0).fit(
        pd.DataFrame(X, columns=["a", "b"]), y
    )
    np.testing.assert_array_equal(tuner.feature_names_in_, ["a", "b"])


def test_verbose_reports_progress(moons, capsys):
    X, y = moons
    _tuner(max_iter=3, verbose=2, random_state=0).fit(X, y)
    assert capsys.readouterr().out.count("[KDMetaparamTuner] iteration") == 3


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), [0, 1], "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), [0, 1], "infinity"),
        (np.empty((0, 2)), [], "0 sample"),
        (np.zeros((4, 2, 2)), [0, 1, 0, 1], "dim 3"),
        (np.zeros((4, 2)), [0, 1, 0], "inconsistent numbers of samples"),
        (np.zeros((4, 2)), [1, 1, 1, 1], "at least two classes"),
        (np.zeros((4, 2)), [0.1, 0.5, 0.7, 0.2], "Unknown label type"),
        (np.zeros((2, 2)), [0, 1], "single sample"),
    ],
)
def test_bad_input_raises_clear_errors(X, y, match):
    with pytest.raises(ValueError, match=match):
        _tuner(max_iter=1).fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(teacher=SVC()), TypeError, "predict_proba"),
        (dict(teacher=LinearSVC()), TypeError, "predict_proba"),
        (dict(lambda_bounds=(0.8, 0.2)), ValueError, "empty or reversed"),
        (dict(lambda_bounds=(0.5, 0.5)), ValueError, "empty or reversed"),
        (dict(temperature_bounds=(5.0, 1.0)), ValueError, "empty or reversed"),
        (dict(lambda_bounds=()), ValueError, "pair"),
        (dict(temperature_bounds=(1.0, 2.0, 3.0)), ValueError, "pair"),
        (dict(lambda_bounds=(-0.5, 1.0)), ValueError, "inside"),
        (dict(temperature_bounds=(0.0, 1.0)), ValueError, "positive"),
        (dict(temperature_bounds=(0.1, np.inf)), ValueError, "finite"),
        (dict(lambda_init=0.95, lambda_bounds=(0.0, 0.9)), ValueError, "lambda_init"),
        (dict(temperature_init=20.0), ValueError, "temperature_init"),
        (dict(hidden_layer_sizes=(8, 0)), ValueError, "hidden_layer_sizes"),
        (dict(e1=1), ValueError, "e1"),
        (dict(hypergradient="newton"), ValueError, "hypergradient"),
        (dict(meta_learning_rate=-1.0), ValueError, "meta_learning_rate"),
        (dict(meta_gradient_clip=0.0), ValueError, "meta_gradient_clip"),
        (dict(meta_gradient_clip=-0.01), ValueError, "meta_gradient_clip"),
        (dict(temperature_step="exp"), ValueError, "temperature_step"),
        (dict(lambda_step="sigmoid"), ValueError, "lambda_step"),
        (dict(meta_horizon=0), ValueError, "meta_horizon"),
        (dict(meta_objective="accuracy"), ValueError, "meta_objective"),
        (dict(meta_horizon=2.5), ValueError, "meta_horizon"),
        (
            dict(meta_horizon=10, hypergradient="finite_difference"),
            ValueError,
            "meta_horizon=10 needs hypergradient='exact'",
        ),
        (dict(trajectory="quadratic"), ValueError, "trajectory"),
        (dict(validation_batch_size=0), ValueError, "validation_batch_size"),
        (dict(validation_batch_size=2.5), ValueError, "validation_batch_size"),
        (dict(val_temperature="calibrated"), ValueError, "val_temperature"),
        (dict(val_temperature=0.0), ValueError, "val_temperature"),
    ],
)
def test_bad_parameters_raise_clear_errors(moons, params, error, match):
    X, y = moons
    with pytest.raises(error, match=match):
        _tuner(max_iter=1, **params).fit(X, y)


@pytest.mark.parametrize("hypergradient", ["exact", "finite_difference"])
def test_auto_val_temperature_calibrates_the_student(moons, hypergradient):
    from skdistill._engine.kd_hypergradient import calibrated_temperature

    X, y = moons
    X_val, y_val = make_moons(n_samples=60, noise=0.4, random_state=3)
    params = dict(max_iter=6, hypergradient=hypergradient, random_state=0)
    fixed = _tuner(**params).fit(X, y, X_val=X_val, y_val=y_val)
    auto = _tuner(val_temperature="auto", **params).fit(X, y, X_val=X_val, y_val=y_val)
    assert fixed.val_temperature_ == 1.0
    # The temperature after the last epoch calibrates the final student on
    # the validation rows, and its cross-entropy there is the lowest.
    logits = auto._class_logits(X_val).T
    expected = calibrated_temperature(logits, y_val)
    assert auto.val_temperature_ == pytest.approx(expected, rel=1e-4)
    assert auto.val_temperature_ != pytest.approx(1.0, abs=0.05)
    for other in (0.5, 1.0, 2.0):
        best = softmax(logits / auto.val_temperature_, axis=1)
        assert log_loss(y_val, best) <= log_loss(y_val, softmax(logits / other, axis=1))
    # The hypergradients follow another objective from the second epoch on.
    epoch = math.ceil(len(X) / 32)
    np.testing.assert_array_equal(
        auto.temperature_path_[: epoch + 1], fixed.temperature_path_[: epoch + 1]
    )
    assert not np.array_equal(auto.temperature_path_, fixed.temperature_path_)
    again = _tuner(val_temperature="auto", **params).fit(X, y, X_val=X_val, y_val=y_val)
    np.testing.assert_array_equal(again.temperature_path_, auto.temperature_path_)
    assert again.val_temperature_ == auto.val_temperature_
    # Fixed metaparameters need no calibration: the fit is the same.
    params["meta_learning_rate"] = 0.0
    fixed = _tuner(**params).fit(X, y, X_val=X_val, y_val=y_val)
    auto = _tuner(val_temperature="auto", **params).fit(X, y, X_val=X_val, y_val=y_val)
    assert auto.val_temperature_ == 1.0
    assert auto.validation_loss_curve_ == fixed.validation_loss_curve_


def test_teacher_with_other_classes_is_rejected(moons):
    X, y = moons
    three = FrozenEstimator(LogisticRegression().fit(X, np.arange(len(y)) % 3))
    with pytest.raises(ValueError, match="teacher's classes_"):
        _tuner(teacher=three, max_iter=1).fit(X, y)
    renamed = FrozenEstimator(LogisticRegression().fit(X, y + 1))
    with pytest.raises(ValueError, match="teacher's classes_"):
        _tuner(teacher=renamed, max_iter=1).fit(X, y)


@pytest.mark.parametrize("hypergradient", ["exact", "finite_difference"])
def test_divergence_names_the_parameter_to_lower(moons, hypergradient):
    X, y = moons
    tuner = _tuner(learning_rate_init=1e30, hypergradient=hypergradient, random_state=0)
    with pytest.raises(DivergenceError, match="learning_rate_init"):
        tuner.fit(X * 1e3, y)
    with pytest.raises(DivergenceError, match="learning_rate_init"):
        tuner.set_params(meta_learning_rate=0).fit(X * 1e3, y)


class _BadProbaTeacher(LogisticRegression):
    def predict_proba(self, X):
        return -super().predict_proba(X)


def test_teacher_probabilities_are_checked(moons):
    X, y = moons
    with pytest.raises(ValueError, match="must be probabilities"):
        _tuner(teacher=_BadProbaTeacher(), max_iter=1).fit(X, y)
    unfitted = FrozenEstimator(LogisticRegression())
    with pytest.raises(ValueError, match="not fitted"):
        _tuner(teacher=unfitted, max_iter=1).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(hidden_layer_sizes=(), batch_size=200, max_iter=60),
        dict(hidden_layer_sizes=(32,), batch_size=32, max_iter=8),
        dict(
            hidden_layer_sizes=(32,),
            activation="tanh",
            hinton_scaling=True,
            trajectory="linear",
            e1=3,
            e2=2,
            temperature_step="log",
            batch_size=32,
            max_iter=8,
        ),
        dict(
            hidden_layer_sizes=(32,), batch_size=32, max_iter=8, validation_batch_size=7
        ),
        dict(
            hidden_layer_sizes=(32,),
            batch_size=32,
            max_iter=8,
            meta_horizon=20,
            lambda_step="logit",
        ),
        dict(
            hidden_layer_sizes=(8,),
            activation="logistic",
            hinton_scaling=True,
            trajectory="linear",
            e1=3,
            e2=2,
            batch_size=32,
            max_iter=8,
            meta_horizon=5,
            meta_objective="expected_error",
        ),
        dict(
            hidden_layer_sizes=(16,),
            batch_size=32,
            max_iter=8,
            meta_objective="expected_error",
        ),
    ],
)
def test_numpy_path_follows_the_torch_path(moons, params, monkeypatch):
    X, y = moons
    common = dict(lambda_init=0.5, temperature_init=2.0, random_state=0, **params)
    assert tuner_module._use_numpy_path("exact", (2, 32, 2), 20)
    fast = _tuner(**common).fit(X, y)
    monkeypatch.setattr(tuner_module, "_use_numpy_path", lambda *args: False)
    reference = _tuner(**common).fit(X, y)
    # The metaparameters really moved, so the paths compare something.
    assert np.ptp(reference.lambda_path_) > 1e-3
    for name in ("lambda_path_", "temperature_path_", "loss_curve_"):
        np.testing.assert_allclose(
            getattr(fast, name), getattr(reference, name), rtol=1e-4, atol=1e-6
        )
    for a, b in zip(fast.coefs_, reference.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(fast.predicted_path_, reference.predicted_path_)
    assert fast.n_hypergradient_steps_ == reference.n_hypergradient_steps_


def test_validation_batches_feed_the_hypergradient(moons):
    X, y = moons  # 200 rows: 20 validation rows
    common = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    whole = _tuner(validation_batch_size=None, **common).fit(X, y)
    # A batch as large as the validation set is the whole set, to the bit.
    same = _tuner(validation_batch_size=20, **common).fit(X, y)
    np.testing.assert_array_equal(same.lambda_path_, whole.lambda_path_)
    small = _tuner(validation_batch_size=5, **common).fit(X, y)
    again = _tuner(validation_batch_size=5, **common).fit(X, y)
    np.testing.assert_array_equal(small.lambda_path_, again.lambda_path_)
    assert small.n_hypergradient_steps_ == whole.n_hypergradient_steps_
    assert not np.allclose(small.lambda_path_, whole.lambda_path_)
    # Fixed metaparameters compute no hypergradient: the batches change nothing.
    fixed = dict(meta_learning_rate=0.0, **common)
    a = _tuner(validation_batch_size=5, **fixed).fit(X, y)
    b = _tuner(validation_batch_size=None, **fixed).fit(X, y)
    for p, q in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_array_equal(p, q)
    # The epoch's validation loss is still on the whole validation set.
    X_val, y_val = make_moons(n_samples=30, noise=0.3, random_state=1)
    explicit = _tuner(validation_batch_size=4, **common).fit(X, y, X_val, y_val)
    assert np.ptp(explicit.lambda_path_) > 0
    np.testing.assert_allclose(
        explicit.validation_loss_curve_[-1],
        log_loss(y_val, explicit.predict_proba(X_val)),
        rtol=1e-4,
    )


def test_numpy_path_is_chosen_by_size():
    assert tuner_module._use_numpy_path("exact", (3, 2), 200)
    assert not tuner_module._use_numpy_path("finite_difference", (3, 2), 200)
    big = (100, 256, 256, 10)
    assert not tuner_module._use_numpy_path("exact", big, 10_000)


def test_meta_gradient_clip_bounds_every_step(moons):
    X, y = moons
    sgd = dict(meta_optimizer="sgd", temperature_step="linear")
    tuner = _tuner(
        **sgd,
        meta_learning_rate=1.0,
        meta_gradient_clip=0.002,
        lambda_init=0.5,
        temperature_init=2.0,
        random_state=0,
    ).fit(X, y)
    for path in (tuner.lambda_path_, tuner.temperature_path_):
        steps = np.abs(np.diff(path))
        assert steps.max() <= 0.002 + 1e-12
    # The clip was active: without it the first steps are larger.
    free = _tuner(
        **sgd,
        meta_learning_rate=1.0,
        lambda_init=0.5,
        temperature_init=2.0,
        random_state=0,
    ).fit(X, y)
    assert np.abs(np.diff(free.lambda_path_)).max() > 0.002


def test_temperature_steps_in_log_t(moons):
    X, y = moons
    common = dict(
        meta_optimizer="sgd",
        meta_learning_rate=0.5,
        lambda_init=0.2,
        temperature_init=0.3,
        random_state=0,
    )
    plain = _tuner(temperature_step="linear", **common).fit(X, y)
    logged = _tuner(temperature_step="log", **common).fit(X, y)
    assert not np.allclose(plain.temperature_path_, logged.temperature_path_)
    # The relative change of T per step is what log steps bound: exp(lr * c)
    # with a clip c on T dL/dT.
    clipped = _tuner(temperature_step="log", meta_gradient_clip=0.1, **common).fit(X, y)
    ratios = clipped.temperature_path_[1:] / clipped.temperature_path_[:-1]
    assert np.all(np.abs(np.log(ratios)) <= 0.5 * 0.1 + 1e-9)
    assert np.ptp(clipped.temperature_path_) > 0


def test_lambda_steps_in_logit(moons):
    X, y = moons
    common = dict(lambda_init=0.5, temperature_init=1.0, random_state=0)
    plain = _tuner(**common).fit(X, y)
    logit = _tuner(lambda_step="logit", **common).fit(X, y)
    assert not np.allclose(plain.lambda_path_, logit.lambda_path_)
    # An Adam step is at most a few meta_learning_rates (0.01) in
    # logit(lambda_1), so lambda_1 never reaches a bound of [0, 1] here.
    path = logit.lambda_path_
    assert np.all((path > 0.0) & (path < 1.0))
    steps = np.abs(np.diff(np.log(path) - np.log1p(-path)))
    assert steps.max() <= 0.01 * 3.2 and np.ptp(path) > 0.01
    # Its bounds still hold.
    bounded = _tuner(lambda_step="logit", lambda_bounds=(0.45, 0.55), **common)
    path = bounded.fit(X, y).lambda_path_
    assert path.min() >= 0.45 and path.max() <= 0.55


def test_meta_horizon_accumulates_the_effect_on_lambda(moons, monkeypatch):
    X, y = moons
    common = dict(lambda_init=0.5, temperature_init=1.0, random_state=0)
    greedy = _tuner(**common).fit(X, y)
    one = _tuner(meta_horizon=1, **common).fit(X, y)
    np.testing.assert_array_equal(one.lambda_path_, greedy.lambda_path_)
    long = _tuner(meta_horizon=100, **common).fit(X, y)
    assert not np.allclose(long.lambda_path_, greedy.lambda_path_)
    assert np.all((long.lambda_path_ >= 0.0) & (long.lambda_path_ <= 1.0))
    # The horizon applies to lambda_1: T follows the one-step hypergradient.
    # With the horizon's discounts the one-step ones, the fit is the greedy one.
    seen = []
    original = students_module.NumpyKDStep

    def spy(*args, **kwargs):
        seen.append(tuple(kwargs["decay"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(students_module, "NumpyKDStep", spy)
    _tuner(meta_horizon=100, **common).fit(X, y)
    assert seen == [(0.99, 0.0)]
    monkeypatch.setattr(students_module, "HORIZON_METAPARAMETERS", (False, False))
    off = _tuner(meta_horizon=100, **common).fit(X, y)
    np.testing.assert_array_equal(off.lambda_path_, greedy.lambda_path_)


class _WeightRecordingTeacher(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        self.seen_weight_ = sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


def test_sample_weight_reaches_the_teacher_and_draws_the_rows(moons):
    X, y = moons
    weight = np.where(y == 1, 3.0, 1.0)
    tuner = _tuner(teacher=_WeightRecordingTeacher(), random_state=0)
    tuner.fit(X, y, sample_weight=weight)
    seen = tuner.teacher_.seen_weight_
    assert seen is not None and set(np.unique(seen)) == {1.0, 3.0}
    # Rows of weight zero are never drawn: the student ignores them, as if
    # they were not there (compare with the data without them).
    zero = np.where(np.arange(len(y)) % 3 == 0, 0.0, 1.0)
    weighted = _tuner(random_state=0, max_iter=30).fit(X, y, sample_weight=zero)
    assert weighted.score(X, y) > 0.7
    with pytest.raises(ValueError, match="non-zero"):
        _tuner().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Negative values"):
        _tuner().fit(X, y, sample_weight=-np.ones(len(y)))


def test_integer_weights_act_like_repeated_rows(moons):
    X, y = moons
    weight = np.where(np.arange(len(y)) % 2 == 0, 2, 1)
    repeated = np.repeat(np.arange(len(y)), weight)
    params = dict(random_state=0, max_iter=40, meta_learning_rate=0.0)
    scores_weighted, scores_repeated = [], []
    for seed in range(3):
        params["random_state"] = seed
        w = _tuner(**params).fit(X, y, sample_weight=weight)
        r = _tuner(**params).fit(X[repeated], y[repeated])
        scores_weighted.append(w.score(X, y))
        scores_repeated.append(r.score(X, y))
    assert abs(np.mean(scores_weighted) - np.mean(scores_repeated)) < 0.05


def test_a_teacher_without_sample_weight_is_fitted_without_it(moons):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = moons
    with pytest.warns(UserWarning, match="does not take sample_weight"):
        _tuner(teacher=KNeighborsClassifier(), random_state=0).fit(
            X, y, sample_weight=np.ones(len(y))
        )


# --------------------------------------------------------- unlabelled rows


def _few_labels(n_labelled=12, seed=0):
    """Moons with ``n_labelled`` labelled rows (balanced) and the rest -1."""
    X, y = make_moons(n_samples=400, noise=0.2, random_state=seed)
    rng = np.random.RandomState(seed)
    keep = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), n_labelled // 2, replace=False)
            for c in (0, 1)
        ]
    )
    y_semi = np.full_like(y, -1)
    y_semi[keep] = y[keep]
    return X, y, y_semi


def test_unlabelled_rows_train_the_student_not_the_teacher():
    X, y, y_semi = _few_labels(n_labelled=40)
    tuner = _tuner(validation_fraction=0.25, max_iter=2, random_state=0).fit(X, y_semi)
    np.testing.assert_array_equal(tuner.classes_, [0, 1])
    # 10 of the 40 labelled rows validate; the teacher sees the other 30 only.
    assert tuner.teacher_.tree_.n_node_samples[0] == 30
    # Every unlabelled row trains the student: 30 + 360 rows per epoch.
    assert tuner.t_ == 2 * math.ceil(390 / 32)
    assert set(tuner.predict(X)) <= {0, 1}


def test_unlabelled_rows_carry_the_teachers_knowledge():
    X, y, y_semi = _few_labels(n_labelled=10)
    X_test, y_test = make_moons(n_samples=400, noise=0.2, random_state=1)
    teacher = FrozenEstimator(
        RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    )
    params = dict(
        teacher=teacher,
        hidden_layer_sizes=(16,),
        max_iter=100,
        meta_learning_rate=0,
        validation_fraction=0.2,
        random_state=0,
    )
    labelled = y_semi != -1
    # Ten labelled rows, two of them held out: a single fit's score depends on
    # which; the mean of three seeds does much less.
    alone, semi = [], []
    for seed in range(3):
        params["random_state"] = seed
        fit = _tuner(**params).fit(X[labelled], y[labelled])
        alone.append(fit.score(X_test, y_test))
        semi.append(_tuner(**params).fit(X, y_semi).score(X_test, y_test))
    assert np.mean(semi) > np.mean(alone) + 0.05
    assert np.mean(semi) > teacher.score(X_test, y_test) - 0.05


def test_unlabelled_rows_reproducible_and_weighted():
    X, _, y_semi = _few_labels(n_labelled=30)
    weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y_semi))
    fits = [
        _tuner(random_state=3, max_iter=3).fit(X, y_semi, sample_weight=weight)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].coefs_[0], fits[1].coefs_[0])
    # Zero weight on every labelled row: the hard term would never see a label.
    weight[y_semi != -1] = 0.0
    with pytest.raises(ValueError, match="labelled training rows all have zero"):
        _tuner(max_iter=1, teacher=LogisticRegression()).fit(
            X, y_semi, X_val=X[:5], y_val=[0, 1, 0, 1, 0], sample_weight=weight
        )


def test_bad_unlabelled_input_raises_clear_errors():
    X, y, y_semi = _few_labels(n_labelled=20)
    with pytest.raises(ValueError, match="Every row of y is -1"):
        _tuner(max_iter=1).fit(X, np.full(len(y), -1))
    one_class = np.where(y_semi == 1, -1, y_semi)
    with pytest.raises(ValueError, match="rows not labelled -1 hold one class"):
        _tuner(max_iter=1).fit(X, one_class)
    # A fitted teacher with a class no labelled row has.
    three = FrozenEstimator(LogisticRegression().fit(X, np.arange(len(y)) % 3))
    with pytest.raises(ValueError, match=r"classes \[2\] have no labelled row"):
        _tuner(teacher=three, max_iter=1).fit(X, y_semi)
    # Labels the teacher does not know.
    frozen = FrozenEstimator(LogisticRegression().fit(X, y))
    with pytest.raises(ValueError, match=r"does not know: \[5\]"):
        _tuner(teacher=frozen, max_iter=1).fit(X, np.where(y_semi == 1, 5, y_semi))


def test_unlabelled_marker_in_float_and_object_labels_and_y_val():
    X, y, y_semi = _few_labels(n_labelled=40)
    reference = _tuner(max_iter=2, random_state=0).fit(X, y_semi)
    as_float = _tuner(max_iter=2, random_state=0).fit(X, y_semi.astype(float))
    np.testing.assert_array_equal(as_float.coefs_[0], reference.coefs_[0])
    # Text labels with the integer -1 marking the unlabelled rows.
    names = np.array(["no", "yes"], dtype=object)[y]
    names[y_semi == -1] = -1
    text = _tuner(max_iter=2, random_state=0).fit(X, names)
    np.testing.assert_array_equal(text.classes_, ["no", "yes"])
    np.testing.assert_array_equal(text.coefs_[0], reference.coefs_[0])
    # A validation set must be labelled.
    with pytest.raises(ValueError, match=r"y_val holds classes absent.*\[-1\]"):
        _tuner(max_iter=1).fit(X, y_semi, X_val=X[:4], y_val=[0, 1, -1, 0])


# ------------------------------------------------------------ transfer sets


@pytest.mark.parametrize("kind", ["munge", "perturb"])
def test_transfer_rows_are_local_and_keep_binary_columns(kind):
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=200), rng.uniform(size=200) < 0.3])
    rows, sources = make_transfer_set(kind, X, 450, np.random.RandomState(1))
    assert rows.shape == (450, 2) and sources.shape == (450,)
    # Every real row is a source twice before any is a third time.
    assert np.bincount(sources, minlength=200).min() == 2
    assert set(np.unique(rows[:, 1])) <= {0.0, 1.0}
    # Synthetic rows stay near their source: far closer than a random row.
    near = np.abs(rows[:, 0] - X[sources, 0]).mean()
    assert 0 < near < 0.5 * np.abs(X[:, 0] - X[::-1, 0]).mean()


def test_transfer_set_trains_the_student_on_more_rows(moons):
    X, y = moons
    base = dict(validation_fraction=0.25, max_iter=2, random_state=0)
    plain = _tuner(**base).fit(X, y)
    grown = _tuner(transfer_set="munge", transfer_size=2.0, **base).fit(X, y)
    # 150 real training rows + 300 synthetic ones per epoch; the teacher saw
    # the 150 real rows only.
    assert grown.t_ == 2 * math.ceil(450 / 32) and plain.t_ == 2 * math.ceil(150 / 32)
    assert grown.teacher_.tree_.n_node_samples[0] == 150
    again = _tuner(transfer_set="munge", transfer_size=2.0, **base).fit(X, y)
    np.testing.assert_array_equal(grown.coefs_[0], again.coefs_[0])


def test_transfer_set_brings_a_compressed_student_closer_to_its_teacher():
    X, y = make_moons(n_samples=120, noise=0.2, random_state=0)
    X_test, y_test = make_moons(n_samples=1000, noise=0.2, random_state=1)
    teacher = FrozenEstimator(
        RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    )
    params = dict(
        teacher=teacher,
        hidden_layer_sizes=(16,),
        meta_learning_rate=0,
        lambda_init=0.2,
        random_state=0,
    )
    agreement = {}
    for kind in (None, "munge"):
        student = _tuner(
            transfer_set=kind,
            transfer_size=5.0,
            max_iter=300 if kind else 1800,
            **params,
        ).fit(X, y)
        agreement[kind] = np.mean(student.predict(X_test) == teacher.predict(X_test))
    assert agreement["munge"] > agreement[None]


def test_transfer_rows_come_from_the_training_part_with_their_weights(
    moons, monkeypatch
):
    X, y = moons
    weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    seen = {}

    def spy_transfer(kind, rows, size, rng, **context):
        synthetic, sources = make_transfer_set(kind, rows, size, rng, **context)
        seen.update(rows=rows, sources=sources)
        return synthetic, sources

    def spy_train(self, X_train, *args):
        seen.update(X_train=X_train, weight=args[-1])

    monkeypatch.setattr(tuner_module, "make_transfer_set", spy_transfer)
    monkeypatch.setattr(KDMetaparamTuner, "_train_student", spy_train)
    _tuner(transfer_set="perturb", transfer_size=2.0, validation_fraction=0.25).fit(
        X, y, sample_weight=weight
    )
    # The 150 training rows (never the 50 validation rows) make 300 synthetic
    # rows, each carrying its source row's weight.
    real = seen["rows"]
    assert len(real) == 150 and len(seen["X_train"]) == 450
    np.testing.assert_array_equal(seen["X_train"][:150], real)
    index = [int(np.flatnonzero((X == row).all(axis=1))[0]) for row in real]
    np.testing.assert_array_equal(seen["weight"][:150], weight[index])
    np.testing.assert_array_equal(seen["weight"][150:], weight[index][seen["sources"]])


@pytest.fixture
def quick_distiller(monkeypatch):
    """The distilled transfer set with few outer iterations (test speed)."""
    monkeypatch.setattr(transfer_module, "DISTILLED_MAX_ITER", 10)


def test_distilled_transfer_rows_follow_the_teacher_labels(quick_distiller):
    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    context = dict(labels=y, hidden_layer_sizes=(8,), n_threads=1)
    rows, sources = make_transfer_set(
        "distilled", X, 95, np.random.RandomState(0), **context
    )
    # 95 rows asked: 10 steps of 10 rows; no row has a single source.
    assert rows.shape == (100, 2) and sources is None
    # The rows are in the units of X, not standardised ones.
    assert np.all(np.abs(rows.mean(axis=0) - X.mean(axis=0)) < X.std(axis=0))
    again, _ = make_transfer_set(
        "distilled", X, 95, np.random.RandomState(0), **context
    )
    np.testing.assert_array_equal(rows, again)
    # The distiller learns from the labels it is given: other labels, other rows.
    flipped, _ = make_transfer_set(
        "distilled", X, 95, np.random.RandomState(0), **{**context, "labels": 1 - y}
    )
    assert not np.allclose(rows, flipped)


def test_distilled_transfer_set_in_a_fit(moons, quick_distiller, monkeypatch):
    X, y = moons
    weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    seen = {}

    def spy_transfer(kind, rows, size, rng, **context):
        seen.update(context)
        return make_transfer_set(kind, rows, size, rng, **context)

    def spy_train(self, X_train, targets, teacher_logits, *args):
        seen.update(X_train=X_train, logits=teacher_logits, weight=args[-1])

    monkeypatch.setattr(tuner_module, "make_transfer_set", spy_transfer)
    monkeypatch.setattr(KDMetaparamTuner, "_train_student", spy_train)
    tuner = _tuner(
        transfer_set="distilled",
        transfer_size=1.0,
        hidden_layer_sizes=(8,),
        validation_fraction=0.25,
        random_state=0,
    ).fit(X, y, sample_weight=weight)
    # 150 real training rows, 150 distilled ones; the teacher's predictions
    # on the real rows are the distiller's labels, and it labels the rows.
    assert len(seen["X_train"]) == 300 and seen["hidden_layer_sizes"] == (8,)
    real, synthetic = seen["X_train"][:150], seen["X_train"][150:]
    np.testing.assert_array_equal(seen["labels"], tuner.teacher_.predict(real))
    np.testing.assert_allclose(
        seen["logits"][150:],
        np.log(np.maximum(tuner.teacher_.predict_proba(synthetic), 1e-6)),
    )
    # Distilled rows carry the mean weight of the training rows.
    np.testing.assert_allclose(seen["weight"][150:], seen["weight"][:150].mean())


def test_bad_transfer_parameters():
    X, y = make_moons(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="transfer_set"):
        _tuner(transfer_set="smote", max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="transfer_size"):
        _tuner(transfer_set="munge", transfer_size=0, max_iter=1).fit(X, y)


def test_adam_meta_optimizer_moves_the_metaparameters_further(moons):
    X, y = moons
    paths = {
        optimizer: _tuner(
            meta_optimizer=optimizer,
            temperature_step="log",
            max_iter=10,
            random_state=0,
        ).fit(X, y)
        for optimizer in ("sgd", "adam")
    }
    # "auto" is 0.1 for plain steps and 0.01 for Adam's normalised ones.
    assert paths["sgd"]._meta_learning_rate() == 0.1
    assert paths["adam"]._meta_learning_rate() == 0.01
    moved = {k: np.ptp(np.log(v.temperature_path_)) for k, v in paths.items()}
    assert moved["adam"] > 0.05 and moved["adam"] > 3 * moved["sgd"]
    with pytest.raises(ValueError, match="meta_optimizer"):
        _tuner(meta_optimizer="rmsprop", max_iter=1).fit(X, y)
