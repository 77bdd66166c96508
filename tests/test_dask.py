"""Many fits on a Dask cluster, through joblib (skipped without dask)."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
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


def test_distilled_search_on_a_local_cluster(client, moons_small):
    from skdistill import DistilledSearchCV

    X, y = moons_small
    search = DistilledSearchCV(
        DistilledMLPClassifier(max_iter=30, random_state=0),
        {"hidden_layer_sizes": [(), (4,), (8,)]},
        distiller=DatasetDistiller(n_steps=3, n_epochs=2, max_iter=20),
        n_confirm=2,
        cv=3,
        random_state=0,
    )
    with joblib.parallel_backend("dask"):
        on_cluster = clone(search).set_params(n_jobs=-1).fit(X, y)
    local = search.fit(X, y)
    for key in ("mean_distilled_score", "mean_test_score", "rank_test_score"):
        np.testing.assert_array_equal(
            on_cluster.cv_results_[key], local.cv_results_[key]
        )
    assert on_cluster.best_params_ == local.best_params_


def test_a_single_partition_frame_fits_on_the_cluster_as_in_threads(
    client, moons_small
):
    # The one pass runs in the workers (the cluster is dask's default
    # scheduler here), with the same seeded split of the rows as in threads.
    import dask
    import dask.dataframe as dd
    import pandas as pd

    X, y = moons_small
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(t=y)
    lazy = dd.from_pandas(frame, npartitions=1)
    params = dict(n_steps=3, max_iter=20, random_state=0)
    on_cluster = DatasetDistiller(**params).fit(lazy[["a", "b"]], lazy["t"])
    with dask.config.set(scheduler="threads"):
        local = DatasetDistiller(**params).fit(lazy[["a", "b"]], lazy["t"])
    assert len(on_cluster.validation_scores_) == 3  # early stopping at the defaults
    np.testing.assert_array_equal(on_cluster.distilled_X_, local.distilled_X_)
    assert on_cluster.validation_scores_ == local.validation_scores_
