"""imbalanced-learn conformance: the distiller and the baselines are samplers."""

import numpy as np
import pytest

imblearn = pytest.importorskip("imblearn")

from imblearn.pipeline import make_pipeline  # noqa: E402
from imblearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skdistill import (  # noqa: E402
    ClassMeanSampler,
    DatasetDistiller,
    KMeansSampler,
    OptimizedRealSampler,
    RandomRealSampler,
)

CHEAP = dict(n_steps=2, n_epochs=1, max_iter=3, batch_size=16, n_models=1)


def _expected_failures(estimator):
    if isinstance(estimator, DatasetDistiller):
        return {}
    return {
        "check_samplers_one_label": (
            "A baseline set can be drawn from data of one class (a shrinking "
            "resampler has nothing to balance), so it does not refuse one label."
        )
    }


@parametrize_with_checks(
    [
        DatasetDistiller(**CHEAP, random_state=0),
        RandomRealSampler(random_state=0),
        OptimizedRealSampler(n_candidates=3, random_state=0),
        KMeansSampler(n_init=1, random_state=0),
        ClassMeanSampler(random_state=0),
    ],
    expected_failed_checks=_expected_failures,
)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "sampler",
    [
        DatasetDistiller(**CHEAP, random_state=0),
        RandomRealSampler(n_samples=6, random_state=0),
        KMeansSampler(n_samples=6, n_init=1, random_state=0),
    ],
)
def test_imblearn_pipeline_distiller_then_classifier(sampler):
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    pipe = make_pipeline(sampler, LogisticRegression()).fit(X, y)
    # The classifier was fitted on the small set only ...
    X_small, y_small = clone(sampler).fit_resample(X, y)
    direct = LogisticRegression().fit(X_small, y_small)
    np.testing.assert_allclose(pipe[-1].coef_, direct.coef_)
    # ... and prediction bypasses the sampler.
    np.testing.assert_array_equal(pipe.predict(X), direct.predict(X))


def test_get_feature_names_out_and_pandas_round_trip():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(
        n_samples=60, n_features=3, n_informative=2, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X.astype(np.float32), columns=["a", "b", "c"])
    sampler = RandomRealSampler(n_samples=4, random_state=0)
    X_res, y_res = sampler.fit_resample(frame, pd.Series(y, name="target"))
    assert list(X_res.columns) == ["a", "b", "c"]
    assert (X_res.dtypes == np.float32).all()
    assert y_res.name == "target"
    assert sampler.get_feature_names_out().tolist() == ["a", "b", "c"]


def test_sample_indices_of_the_samplers_of_real_rows():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    for sampler in (
        RandomRealSampler(n_samples=6, random_state=0),
        OptimizedRealSampler(n_samples=6, n_candidates=3, random_state=0),
    ):
        X_res, y_res = sampler.fit_resample(X, y)
        np.testing.assert_array_equal(X[sampler.sample_indices_], X_res)
        np.testing.assert_array_equal(y[sampler.sample_indices_], y_res)


def test_fit_resample_passes_sample_weight_to_fit():
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    weights = np.arange(120) % 4
    X_res, _ = DatasetDistiller(**CHEAP, random_state=0).fit_resample(
        X, y, sample_weight=weights
    )
    direct = DatasetDistiller(**CHEAP, random_state=0).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(X_res, direct.distilled_X_)
    unweighted = DatasetDistiller(**CHEAP, random_state=0).fit(X, y)
    assert not np.array_equal(X_res, unweighted.distilled_X_)
