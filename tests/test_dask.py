"""GridSearchCV and cross_val_score over sktl estimators on a real Dask cluster (loopback)."""

from __future__ import annotations

import time

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sktl import DescriptorRegressor, MultimodalRegressor, multimodal_input

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # two single-threaded worker processes: workers x torch threads <= cores. The nanny sets
    # OMP_NUM_THREADS=1 in each worker before torch is imported there.
    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
    print(f"\ndask cluster lifetime: {time.perf_counter() - t0:.1f} s")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    images = rng.random((24, 12, 12)).astype(np.float32)
    desc = rng.normal(size=(24, 4))
    y = desc @ rng.normal(size=4) + images.mean(axis=(1, 2))
    return images, desc, y


def test_grid_search_on_dask_matches_serial(client, data):
    _, desc, y = data
    search = GridSearchCV(
        DescriptorRegressor(descriptor_units=(16,), max_epochs=20, random_state=0),
        {"lr": [1e-3, 1e-2], "descriptor_dropout": [0.0, 0.2]},
        cv=KFold(3),
        n_jobs=-1,
    )
    serial = GridSearchCV(**{**search.get_params(deep=False), "n_jobs": 1}).fit(desc, y)
    with joblib.parallel_backend("dask"):
        search.fit(desc, y)
    assert set(client.scheduler_info()["workers"]) and len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-4
    )
    assert search.best_params_ == serial.best_params_


def test_cross_val_score_on_dask(client, data):
    images, desc, y = data
    model = MultimodalRegressor(
        backbone="resnet18",
        layer="conv1",
        weights=None,
        image_units=(8,),
        descriptor_units=(8,),
        head_units=(8,),
        stack_folds=2,
        max_epochs=5,
        random_state=0,
    )
    X = multimodal_input(images, desc)
    with joblib.parallel_backend("dask"):
        scores = cross_val_score(model, X, y, cv=KFold(4), n_jobs=-1)
    serial = cross_val_score(model, X, y, cv=KFold(4), n_jobs=1)
    np.testing.assert_allclose(scores, serial, rtol=1e-4, atol=1e-6)
