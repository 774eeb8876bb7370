"""Every public estimator and transformer, fed malformed input by hypothesis.

Each case either works (finite output, one row per sample) or raises ValueError/TypeError from
sktl's or scikit-learn's validation with a message that names the problem. The suite counts its
cases; the count per kind is printed in pytest's terminal summary.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from torch import nn

from sktl import (
    CNNRegressor,
    DeepMLPRegressor,
    DescriptorRegressor,
    HyperoptRegressor,
    ImageRegressor,
    LayerActivationTransformer,
    MicrostructureReconstructor,
    MultimodalRegressor,
    PretrainedCNNFeaturizer,
    TLRLRegressor,
    TransferCNNRegressor,
    TwoPointStatsTransformer,
    multimodal_input,
)

from ._cases import COUNTS, Case, array_cases, check_outcome, pixel_cases

N = 10
_RNG = np.random.default_rng(0)
IMAGES = _RNG.random((N, 8, 8))
DESC = _RNG.normal(size=(N, 4))
Y = DESC[:, 0] + IMAGES.mean(axis=(1, 2))

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_IMAGE_KW = dict(backbone="resnet18", layer="conv1", weights=None, max_epochs=2)

ARRAY_ESTIMATORS = {
    "PretrainedCNNFeaturizer[images]": (
        PretrainedCNNFeaturizer(backbone="resnet18", layer="conv1", weights=None),
        IMAGES,
        None,
    ),
    "PretrainedCNNFeaturizer[packed]": (
        PretrainedCNNFeaturizer(backbone="resnet18", layer="conv1", weights=None, image_shape=(8, 8)),
        IMAGES.reshape(N, -1),
        None,
    ),
    "DescriptorRegressor": (DescriptorRegressor(descriptor_units=(8,), max_epochs=2), DESC, Y),
    "DeepMLPRegressor": (DeepMLPRegressor(architecture="8x2D-1", max_epochs=2, random_state=0), DESC, Y),
    "LayerActivationTransformer": (
        LayerActivationTransformer(
            weights=nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)), layer=1
        ),
        DESC,
        None,
    ),
    "TLRLRegressor": (
        TLRLRegressor(
            weights=nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 1)),
            layer=2,
            regressor=DeepMLPRegressor(architecture="8x1-4x1-1", max_epochs=2, random_state=0),
        ),
        DESC,
        Y,
    ),
    "CNNRegressor": (
        CNNRegressor(n_blocks=1, filters=4, head_units=(8,), max_epochs=2, random_state=0),
        IMAGES,
        Y,
    ),
    "TransferCNNRegressor": (
        TransferCNNRegressor(
            backbone="vgg19",
            weights=None,
            layer="conv1_1",
            head_units=(8,),
            max_epochs=2,
            random_state=0,
        ),
        IMAGES,
        Y,
    ),
    "TwoPointStatsTransformer": (TwoPointStatsTransformer(threshold=0.5), IMAGES, None),
    "HyperoptRegressor": (
        HyperoptRegressor(regressor="ridge", preprocessing="none", max_evals=1, cv=None),
        DESC,
        Y,
    ),
}

MULTIMODAL_ESTIMATORS = {
    "MultimodalRegressor": MultimodalRegressor(
        **_IMAGE_KW, image_units=(8,), descriptor_units=(8,), head_units=(8,), stack_folds=2
    ),
    "ImageRegressor": ImageRegressor(**_IMAGE_KW, head_units=(8,)),
}


def _apply(model, X):
    return model.transform(X) if hasattr(model, "transform") else model.predict(X)


def _n(X):
    try:
        return len(X["features"]) if isinstance(X, dict) else len(X)
    except (TypeError, KeyError):
        return None


@pytest.fixture(scope="module")
def fitted():
    out = {}
    for name, (est, X, y) in ARRAY_ESTIMATORS.items():
        out[name] = clone(est).fit(X, y) if y is not None else clone(est).fit(X)
    for name, est in MULTIMODAL_ESTIMATORS.items():
        out[name] = clone(est).fit(multimodal_input(IMAGES, DESC), Y)
    return out


@pytest.mark.parametrize("name", list(ARRAY_ESTIMATORS))
@SETTINGS
@given(data=st.data())
def test_fit_array_input(name, data):
    est, X, y = ARRAY_ESTIMATORS[name]
    case = data.draw(array_cases(X, y))
    model = clone(est)
    run = (lambda: model.fit(case.X, case.y)) if y is not None else (lambda: model.fit(case.X))
    check_outcome(run, case, None)


@pytest.mark.parametrize("name", list(ARRAY_ESTIMATORS))
@SETTINGS
@given(data=st.data())
def test_predict_array_input(name, data, fitted):
    _, X, _ = ARRAY_ESTIMATORS[name]
    case = data.draw(array_cases(X, None))
    check_outcome(lambda: _apply(fitted[name], case.X), case, _n(case.X))


@st.composite
def multimodal_cases(draw):
    """Malformed multimodal input: one bad modality, or modalities that do not fit together."""
    kind = draw(st.sampled_from(["image", "features", "mismatch", "keys", "not_a_dict"]))
    if kind == "image":
        c = draw(array_cases(IMAGES, Y))
        return Case(f"image:{c.name}", {"image": c.X, "features": DESC}, c.y, c.keywords)
    if kind == "features":
        c = draw(array_cases(DESC, Y))
        return Case(f"features:{c.name}", {"image": IMAGES, "features": c.X}, c.y, c.keywords)
    if kind == "mismatch":
        k = draw(st.integers(1, N - 1))
        which = draw(st.booleans())
        X = {"image": IMAGES[:k] if which else IMAGES, "features": DESC if which else DESC[:k]}
        return Case("mismatched_modalities", X, Y, ("images", "descriptor rows", "match"))
    if kind == "keys":
        X = draw(
            st.sampled_from(
                [
                    {"image": IMAGES},
                    {"features": DESC},
                    {"image": IMAGES, "features": DESC, "extra": DESC},
                    {"images": IMAGES, "features": DESC},
                ]
            )
        )
        return Case("bad_keys", X, Y, ("key",))
    X = draw(st.sampled_from([IMAGES, DESC, IMAGES.reshape(N, -1)]))
    return Case("not_a_dict", X, Y, ("image", "features", "multimodal"))


@pytest.mark.parametrize("name", list(MULTIMODAL_ESTIMATORS))
@SETTINGS
@given(case=multimodal_cases())
def test_fit_multimodal_input(name, case):
    model = clone(MULTIMODAL_ESTIMATORS[name])
    check_outcome(lambda: model.fit(case.X, case.y), case, None)


@pytest.mark.parametrize("name", list(MULTIMODAL_ESTIMATORS))
@SETTINGS
@given(case=multimodal_cases())
def test_predict_multimodal_input(name, case, fitted):
    check_outcome(lambda: fitted[name].predict(case.X), case, _n(case.X))


# estimators whose X is images (values in [0, 1]): dtypes, scales and channels of pixels
IMAGE_INPUT = [n for n, (_, X, _) in ARRAY_ESTIMATORS.items() if X is not DESC]


@pytest.mark.parametrize("name", IMAGE_INPUT + list(MULTIMODAL_ESTIMATORS))
@settings(SETTINGS, max_examples=10)
@given(data=st.data())
def test_pixel_values_and_channels(name, data, fitted):
    if name in MULTIMODAL_ESTIMATORS:
        est, X, y = MULTIMODAL_ESTIMATORS[name], IMAGES, Y
    else:
        est, X, y = ARRAY_ESTIMATORS[name]
    case = data.draw(pixel_cases(X, y))
    if name in MULTIMODAL_ESTIMATORS:
        case.X = {"image": case.X, "features": DESC}
    model = clone(est)
    run = (lambda: model.fit(case.X, case.y)) if y is not None else (lambda: model.fit(case.X))
    for attempt in (run, lambda: _apply(fitted[name], case.X)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = check_outcome(attempt, case, None if attempt is run else _n(case.X))
        alpha = [w for w in caught if "alpha channel" in str(w.message)]
        if case.name == "rgba" and outcome == "worked":  # dropped, and the user is told so
            assert alpha, f"{name}: an RGBA input was used without the alpha warning"
        others = [w for w in caught if w not in alpha]
        assert not others, [str(w.message) for w in others]


LABELS = (_RNG.random((16, 16)) > 0.5).astype(np.int64)


@SETTINGS
@given(data=st.data())
def test_reconstructor_fit_input(data):
    """MicrostructureReconstructor.fit takes one 2-D label image (not a table): malformed."""
    case = data.draw(array_cases(LABELS, None))
    # one image, not a table: shape and label problems are named in image terms
    case.keywords = (*case.keywords, "label", "phase", "image", "px") if case.keywords else ()
    model = MicrostructureReconstructor(layers=("conv1_1",), max_iter=1, weights=None)
    check_outcome(lambda: model.fit(case.X), case, None)


def test_zz_case_count():
    """Runs last in this module: at least 300 malformed cases were tried (the terminal summary
    prints the count per kind, see conftest.py)."""
    assert sum(COUNTS.values()) >= 300
