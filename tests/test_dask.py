"""Many fits on a Dask cluster, through joblib (skipped without dask)."""

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV

from skdistill import DatasetDistiller, DistilledMLPClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


class ThreadRecordingClassifier(DistilledMLPClassifier):
    """Records torch's thread count while it trains (module level: picklable)."""

    def _fit(self, X, y, n_models):
        self.threads_seen_ = torch.get_num_threads()
        return super()._fit(X, y, n_models)


def threads_seen(estimator, X, y):
    return estimator.threads_seen_


@pytest.fixture(scope="module")
def client():
    import dask

    # distributed gives up on a connection after 30 s by default; worker
    # processes that import torch on a busy machine can take longer to answer.
    # The test waits as long as it takes instead of failing on a slow machine.
    patient = {
        "distributed.comm.timeouts.connect": "1h",
        "distributed.comm.timeouts.tcp": "1h",
    }
    with dask.config.set(patient):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
        )
        with distributed.Client(cluster) as client:
            yield client
        cluster.close()


def test_grid_search_on_a_local_cluster(client, moons_small):
    X, y = moons_small
    distiller = DatasetDistiller(n_steps=3, max_iter=20, random_state=0).fit(X, y)
    search_params = dict(
        param_grid={"hidden_layer_sizes": [(4,), (8,)], "schedule": ["distilled"]},
        scoring={"accuracy": "accuracy", "threads": threads_seen},
        refit="accuracy",
        cv=3,
    )
    model = ThreadRecordingClassifier(
        distiller=FrozenEstimator(distiller), n_threads=1, random_state=0
    )
    before = client.run(torch.get_num_threads)
    with joblib.parallel_backend("dask"):
        on_cluster = GridSearchCV(model, n_jobs=-1, **search_params).fit(X, y)
    local = GridSearchCV(model, n_jobs=1, **search_params).fit(X, y)
    np.testing.assert_array_equal(
        on_cluster.cv_results_["mean_test_accuracy"],
        local.cv_results_["mean_test_accuracy"],
    )
    # Inside the workers torch ran at the estimator's n_threads ...
    assert set(on_cluster.cv_results_["mean_test_threads"]) == {1.0}
    # ... and the workers' own setting was restored afterwards.
    assert client.run(torch.get_num_threads) == before
