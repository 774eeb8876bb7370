"""No setting silently does nothing: each estimator names, or refuses, a setting that cannot act.

The rule (stated in :mod:`sktl.base`): a parameter set away from its default in a configuration
where it has no effect is named in one UserWarning per ``fit``; left at its default it is
silent; a configuration that can do nothing at all is a ValueError. One table: (estimator,
input, the warning's words or the error's words, or None for silence).
"""

from __future__ import annotations

import importlib.util
import re
import warnings

import numpy as np
import pytest
from torch import nn

from sktl import (
    CNNRegressor,
    DeepMLPRegressor,
    DescriptorRegressor,
    HyperoptRegressor,
    ImageRegressor,
    MicrostructureReconstructor,
    MultimodalRegressor,
    TLRLRegressor,
    TransferCNNRegressor,
    multimodal_input,
)
from sktl.featurizers import FeatureCache

N = 12
_RNG = np.random.default_rng(0)
IMAGES = _RNG.random((N, 8, 8))
DESC = _RNG.normal(size=(N, 4))
Y = DESC[:, 0] + IMAGES.mean(axis=(1, 2))
MM = multimodal_input(IMAGES, DESC)
LABELS = (np.random.default_rng(1).random((32, 32)) > 0.5).astype(int)

_IMAGE = dict(backbone="resnet18", layer="conv1", weights=None, max_epochs=1, random_state=0)
_MM = dict(**_IMAGE, image_units=(8,), descriptor_units=(8,), head_units=(8,))
_TCNN = dict(backbone="vgg19", weights=None, layer="conv1_1", head_units=(8,), max_epochs=1)
_REC = dict(layers=("conv1_1", "pool1"), max_iter=2, n_levels=1, random_state=0)


def _mlp(**kw):
    return DeepMLPRegressor(**{"architecture": "8D-1", "max_epochs": 1, "random_state": 0, **kw})


def _source():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 1))


def _tlrl(**kw):
    reg = DeepMLPRegressor(architecture="8x1-4x1-1", max_epochs=1, random_state=0)
    return TLRLRegressor(weights=_source(), layer=2, regressor=reg, **kw)


def _search(**kw):
    return HyperoptRegressor(regressor="ridge", preprocessing="none", max_evals=1, **kw)


# (id, estimator factory, X, y, expected): expected is a regex of the warning (the names and
# values it must give), ("error", regex) for a ValueError, or None: no such warning
CASES = [
    # early stopping's settings, in every skorch regressor (one place: the shared fit)
    ("mlp patience", lambda: _mlp(early_stopping=False, patience=3), DESC, Y,
     r"DeepMLPRegressor: patience=3 has no effect with early_stopping=False"),
    ("mlp both", lambda: _mlp(early_stopping=False, patience=3, validation_fraction=0.3),
     DESC, Y, r"patience=3, validation_fraction=0.3 have no effect"),
    ("mlp defaults", lambda: _mlp(early_stopping=False), DESC, Y, None),
    ("cnn validation_fraction",
     lambda: CNNRegressor(n_blocks=1, filters=4, max_epochs=1, validation_fraction=0.3),
     IMAGES, Y, r"CNNRegressor: validation_fraction=0.3 has no effect"),
    ("cnn early stopping on",
     lambda: CNNRegressor(n_blocks=1, filters=4, max_epochs=1, early_stopping=True,
                          validation_fraction=0.3), IMAGES, Y, None),
    # dropout that has no layer to act on
    ("mlp dropout without D", lambda: _mlp(architecture="8-1", dropout=0.5), DESC, Y,
     r"dropout=0.5 has no effect with architecture='8-1'"),
    ("mlp mc_dropout without dropout", lambda: _mlp(dropout=0.0, mc_dropout=4), DESC, Y,
     r"mc_dropout=4 has no effect with dropout=0"),
    ("mlp mc_dropout with dropout", lambda: _mlp(mc_dropout=4), DESC, Y, None),
    ("mlp onecycle lr_decay", lambda: _mlp(lr_schedule="onecycle", lr_decay=0.1), DESC, Y,
     ("error", r"lr_decay=0.1 has no effect with lr_schedule='onecycle'")),
    ("descriptor dropout without layers",
     lambda: DescriptorRegressor(descriptor_units=(), descriptor_dropout=0.5, max_epochs=1),
     DESC, Y, r"descriptor_dropout=0.5 has no effect with descriptor_units=\(\)"),
    ("image head_dropout after one layer",
     lambda: ImageRegressor(**_IMAGE, head_units=(8,), head_dropout=0.5), MM, Y,
     r"ImageRegressor: head_dropout=0.5 has no effect with head_units=\(8,\)"),
    # the stack's and the cache's settings
    ("concat stack_folds",
     lambda: MultimodalRegressor(**_MM, fusion="concat", stack_folds=3), MM, Y,
     r"stack_folds=3 has no effect with fusion='concat'"),
    ("stack stack_folds", lambda: MultimodalRegressor(**_MM, stack_folds=2), MM, Y, None),
    ("unfrozen cache",
     lambda: MultimodalRegressor(**_MM, fusion="concat", freeze="none", cache=FeatureCache()),
     MM, Y, r"cache=.* has no effect with freeze='none'"),
    # two-phase fine-tuning
    ("all frozen head_epochs", lambda: TransferCNNRegressor(**_TCNN, head_epochs=2),
     IMAGES, Y, r"head_epochs=2 has no effect with freeze='all'"),
    ("one phase fine_tune_lr_factor",
     lambda: TransferCNNRegressor(**_TCNN, freeze="none", fine_tune_lr_factor=0.5), IMAGES, Y,
     r"fine_tune_lr_factor=0.5 has no effect with head_epochs=0"),
    ("two phases", lambda: TransferCNNRegressor(**_TCNN, freeze="none", head_epochs=1,
                                                 fine_tune_lr_factor=0.5), IMAGES, Y, None),
    # TL+RL's bridge
    ("random bridge_alpha", lambda: _tlrl(bridge="random", bridge_alpha=1.0), DESC, Y,
     r"bridge_alpha=1.0 has no effect with bridge='random'"),
    ("least-squares bridge_alpha", lambda: _tlrl(bridge_alpha=1.0), DESC, Y, None),
    # the search's holdout
    ("k-fold validation_fraction", lambda: _search(cv=3, validation_fraction=0.3), DESC, Y,
     r"HyperoptRegressor: validation_fraction=0.3 has no effect with cv=3"),
    ("holdout validation_fraction", lambda: _search(cv=None, validation_fraction=0.3),
     DESC, Y, None),
    # the reconstructor's optimiser and loss
    ("lbfgs lr", lambda: MicrostructureReconstructor(**_REC, lr=5.0), LABELS, None,
     r"lr=5.0 has no effect with optimizer='lbfgs'"),
    ("adam lr", lambda: MicrostructureReconstructor(**_REC, optimizer="adam", lr=5.0),
     LABELS, None, None),
    ("zero loss",
     lambda: MicrostructureReconstructor(**_REC, layer_weights=[0, 0], s2_weight=0,
                                         lineal_path_weight=0), LABELS, None,
     ("error", r"Every weight of the loss is zero.*layer_weights.*s2_weight")),
    ("zero tap", lambda: MicrostructureReconstructor(**_REC, layer_weights=[1, 0]),
     LABELS, None, r"taps \['pool1'\] weight 0"),
    ("descriptors alone",
     lambda: MicrostructureReconstructor(**_REC, layer_weights=[0, 0]), LABELS, None, None),
]  # fmt: skip
NO_HPSKLEARN = importlib.util.find_spec("hpsklearn") is None


def _inactive(records):
    return [w for w in records if "no effect" in str(w.message) or "weight 0" in str(w.message)]


@pytest.mark.parametrize(("make", "X", "y", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_setting_that_cannot_act_is_named(make, X, y, expected):
    est = make()
    if isinstance(est, HyperoptRegressor) and NO_HPSKLEARN:
        pytest.skip("hyperopt-sklearn is not installed")
    if isinstance(expected, tuple):
        with pytest.raises(ValueError, match=expected[1]):
            est.fit(X, y)
        return
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        est.fit(X, y)
    found = _inactive(records)
    if expected is None:
        assert not found, [str(w.message) for w in found]
        return
    assert len(found) == 1, [str(w.message) for w in found]  # one warning per fit
    assert found[0].category is UserWarning
    assert found[0].filename == __file__  # it points at the caller's line
    message = str(found[0].message)
    assert re.search(expected, message), message
    if "no effect" in message:
        assert "default" in message or "Set " in message  # it says what to do
