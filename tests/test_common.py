"""scikit-learn's common estimator checks over every public estimator of sktl.

Each instance uses tiny settings (random weights, shallow taps). Checks that cannot pass are
listed per class with the reason; they are still run and must fail (strict xfail). Checks
whose outcome depends on the CPU are run too and are expected failures only where they fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

from sktl import (
    DeepMLPRegressor,
    LayerActivationTransformer,
    MicrostructureReconstructor,
    PretrainedCNNFeaturizer,
    TLRLRegressor,
)
from sktl.automl import HyperoptRegressor
from sktl.cnn import CNNRegressor, StructurePropertyRegressor, TransferCNNRegressor
from sktl.descriptors import TwoPointStatsTransformer
from sktl.multimodal import DescriptorRegressor, ImageRegressor, MultimodalRegressor

_TINY_IMAGE = dict(
    backbone="resnet18",
    layer="conv1",
    weights=None,
    image_shape=(1, 1),
    intensity_range=(0, 1),  # a line, not a clip: the check's real values pass unchanged
    max_epochs=30,
    random_state=0,
)


class _Pixels(TransformerMixin, BaseEstimator):
    """(n, H, W, C) images -> (n, H * W * C) rows: a pixel table for a scikit-learn member
    (a class, not a FunctionTransformer, whose repr would put an address in the test ids)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


ESTIMATORS = [
    # 2-D rows become 1-pixel-high grayscale images, so every check's X is a valid input.
    PretrainedCNNFeaturizer(
        backbone="resnet18", layer="layer1", weights=None, image_shape=(1, -1), random_state=0,
        intensity_range=(0, 1),  # a line, not a clip: the check's real values pass unchanged
    ),
    HyperoptRegressor(
        regressor="ridge", preprocessing="none", max_evals=2, cv=None, random_state=0
    ),
    # packed [1 pixel | descriptors]: the first column is a 1x1 image, the rest descriptors
    MultimodalRegressor(
        **_TINY_IMAGE, fusion="concat", image_units=(8,), descriptor_units=(8,), head_units=(8,)
    ),
    MultimodalRegressor(  # the default fusion: a stack of five members over 2 folds
        **_TINY_IMAGE, stack_folds=2, image_units=(8,), descriptor_units=(8,), head_units=(8,)
    ),
    ImageRegressor(**_TINY_IMAGE, head_units=(8, 4)),
    DescriptorRegressor(descriptor_units=(32, 16), descriptor_dropout=0.0, max_epochs=100, random_state=0),
    DeepMLPRegressor(
        architecture="16x1-8x1-1", lr=1e-2, max_epochs=50, early_stopping=False, random_state=0
    ),
    # LazyLinear: the source takes its input width from the check's X (materialised with a
    # fixed seed inside fit), so every check's data is a valid input
    LayerActivationTransformer(
        weights=nn.Sequential(
            nn.LazyLinear(8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 1)
        ),
        layer=2,
    ),
    # a lazy source 16 units wide at layer 1 (a full-rank projection of any check's X, where a
    # narrower tap after a ReLU would lose the check's target); the target network repeats the
    # source's shape (16 -> 8 -> 1), its first layer bridged onto the source's
    TLRLRegressor(
        weights=nn.Sequential(
            nn.LazyLinear(16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1)
        ),
        layer=1,
        regressor=DeepMLPRegressor(
            architecture="16x1-8x1-1", lr=1e-2, max_epochs=50, early_stopping=False, random_state=0
        ),
    ),
    # packed rows become 1 x n_features grayscale images
    CNNRegressor(
        image_shape=(1, -1),
        intensity_range=(0, 1),  # a line, not a clip: the check's real values pass unchanged
        n_blocks=1,
        filters=4,
        head_units=(8,),
        max_epochs=5,
        random_state=0,
    ),
    TransferCNNRegressor(
        backbone="vgg19",
        weights=None,
        layer="conv1_1",
        pooling="flatten",
        head_units=(16,),
        head_dropout=0.0,
        image_shape=(1, -1),
        intensity_range=(0, 1),  # a line, not a clip: the check's real values pass unchanged
        max_epochs=10,
        random_state=0,
    ),
    TwoPointStatsTransformer(threshold=0.0, image_shape=(1, -1)),
    # a stack of a ridge on the pixels and a tiny CNN over 2 folds; packed rows become
    # 1 x n_features grayscale images
    StructurePropertyRegressor(
        members=[
            ("ridge", make_pipeline(_Pixels(), RidgeCV())),
            (
                "small_cnn",
                CNNRegressor(
                    n_blocks=1, filters=4, head_units=(8,), max_epochs=5, intensity_range=(0, 1)
                ),
            ),
        ],
        stack_folds=2,
        image_shape=(1, -1),
        intensity_range=(0, 1),  # a line, not a clip: the check's real values pass unchanged
        random_state=0,
    ),
    # a fit/sample estimator: a check's 2-D X is one grey-level image, quantised to 2 phases;
    # conv1_1 (receptive field 3 px) and two iterations keep each check fast
    MicrostructureReconstructor(
        layers=("conv1_1",), n_levels=1, max_iter=2, n_phases=2, random_state=0
    ),
    # ElementFractionTransformer and ElementPropertyTransformer are not here: they take chemical formulas (strings), and
    # scikit-learn's checks feed numbers only (they skip string-input estimators). Their API
    # (clone, params, set_output, feature names, pickling, Pipeline) is tested in
    # tests/composition/test_element_fractions.py and test_element_properties.py.
]

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "PretrainedCNNFeaturizer": {},
    "HyperoptRegressor": {},
    "StructurePropertyRegressor": {},
    "ImageRegressor": {
        name: (
            "the image-only model sees only the first column of the check's data (a 1x1 "
            "image in the packed form), so R2 > 0.5 is out of reach by construction"
        )
        for name in (
            "check_regressors_train",
            "check_regressors_train(readonly_memmap=True)",
            "check_regressors_train(readonly_memmap=True,X_dtype=float32)",
        )
    },
    "CNNRegressor": {
        name: (
            "a one-block CNN with global average pooling cannot weight individual columns of "
            "a 1 x n_features image, so R2 > 0.5 on the check's linear target is out of reach "
            "(n_blocks=4, padding='zeros', max_epochs=20 passes, but costs minutes per check)"
        )
        for name in (
            "check_regressors_train",
            "check_regressors_train(readonly_memmap=True)",
            "check_regressors_train(readonly_memmap=True,X_dtype=float32)",
        )
    },
    "MicrostructureReconstructor": {
        **{
            name: (
                "the check fits on a table of 2 columns, i.e. one image 2 px wide, smaller than "
                "the receptive field of any VGG19 tap (3 px for conv1_1), which fit refuses "
                "with an error that says so"
            )
            for name in (
                "check_estimators_fit_returns_self",
                "check_estimators_overwrite_params",
                "check_fit_check_is_fitted",
                "check_fit_idempotent",
                "check_n_features_in",
                "check_readonly_memmap_input",
            )
        },
        "check_estimators_dtypes": (
            "integer X is a label image: the check's integer table has more distinct labels "
            "than n_phases=2, which fit rejects by design (float X is quantised instead)"
        ),
    },
    "LayerActivationTransformer": {
        "check_estimators_overwrite_params": (
            "joblib.hash of a deep copy of a torch module differs from the original's (tensor "
            "pickles are not content-hashed), so any nn.Module parameter is flagged; fit never "
            "mutates source (it works on a deep copy; tested in tests/transfer)"
        ),
    },
    "TLRLRegressor": {
        "check_estimators_overwrite_params": (
            "as for LayerActivationTransformer: source is an nn.Module, whose deep copy hashes "
            "differently; fit never mutates source (tested in tests/transfer/test_tlrl.py)"
        ),
    },
}

# Checks whose outcome depends on the CPU: they run everywhere, pass where they pass, and
# count as expected failures (non-strict) where they fail for the reason given.
MACHINE_DEPENDENT = {
    "TLRLRegressor": {
        "check_methods_subset_invariance": (
            "two float32 networks in a row (source up to layer k, then the regressor): on "
            "some CPUs torch picks different matmul kernels for 1 row and for 20, and the "
            "one-ulp differences (up to 3.6e-7) exceed the check's atol of 1e-7; on others "
            "the outputs are bit-identical. tests/transfer/test_tlrl.py asserts subset "
            "invariance at float32 precision on every machine"
        ),
    },
    **{
        name: {
            "check_methods_subset_invariance": (
                "float32 networks: on some CPUs torch picks different matmul kernels for one "
                "row and for a batch, and predictions differ by one float32 ulp (~2e-7 "
                "absolute), above the check's atol of 1e-7; elsewhere they are bit-identical. "
                "test_subset_invariance_at_float32_precision below asserts invariance at "
                "float32 precision on every machine"
            )
        }
        for name in ("MultimodalRegressor", "DeepMLPRegressor", "TransferCNNRegressor")
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


def _listed(mark):
    """The same parametrisation with its cases in a list: scikit-learn passes pytest a generator,
    which pytest deprecates (PytestRemovedIn10Warning)."""
    names, cases = mark.args
    return pytest.mark.parametrize(names, list(cases), **mark.kwargs)


@_listed(parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks))
def test_sklearn_compatible(estimator, check):
    name = getattr(check, "func", check).__name__
    reason = MACHINE_DEPENDENT.get(type(estimator).__name__, {}).get(name)
    try:
        check(estimator)
    except AssertionError:
        if reason is None:
            raise
        pytest.xfail(reason)


_BATCHED = [e for e in ESTIMATORS if type(e).__name__ in MACHINE_DEPENDENT]


@pytest.mark.parametrize("estimator", _BATCHED, ids=lambda e: type(e).__name__)
def test_subset_invariance_at_float32_precision(estimator):
    """What check_methods_subset_invariance asks, at the precision the networks compute in."""
    import numpy as np
    from sklearn.base import clone

    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, (20, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    model = clone(estimator).fit(X, y)
    full = model.predict(X)
    for rows in (slice(0, 1), slice(3, 4), slice(5, 12)):
        np.testing.assert_allclose(model.predict(X[rows]), full[rows], rtol=1e-5, atol=1e-6)
