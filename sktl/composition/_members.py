"""The candidate members of :class:`CompositionRegressor`, by name.

Each member reads some feature blocks (see ``_regressor_input``) and is built fresh for each
fold with its own seed. The forests and the boosting model also read the extra numeric
columns; the networks read the source's input (fractions, then properties) only, because their
first layer is the pretrained source's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.multioutput import MultiOutputRegressor

from ..utils._stack_fit import resolve_members as resolve_stack_members

#: Trees of each fold's forest. Prediction averages the fold models, so a fitted member holds
#: ``stack_folds`` times as many trees.
FOREST_TREES = 100

#: Fine-tuning settings of the network members (the TL+RL guide's target-network training,
#: chosen on the shear-modulus design target): on top of the source's own architecture.
FINE_TUNE = {
    "dropout": 0.0,
    "standardize_y": True,
    "lr": 1e-3,
    "lr_schedule": "onecycle",
    "batch_size": 128,
    "max_epochs": 100,
    "early_stopping": True,
    "patience": 20,
}

#: Dense layers that ``"finetune_frozen"`` keeps at the source's weights (of its 8).
FROZEN_LAYERS = 3


@dataclass(frozen=True)
class Member:
    """One candidate: the blocks it reads, how to build it, and whether it is a network."""

    name: str
    blocks: tuple[str, ...]
    build: Callable[..., object]
    network: bool = False
    description: str = ""


def _forest(*, random_state, **_):
    return RandomForestRegressor(n_estimators=FOREST_TREES, n_jobs=1, random_state=random_state)


def _boosting(*, random_state, n_targets, **_):
    model = HistGradientBoostingRegressor(
        max_iter=1000, learning_rate=0.05, random_state=random_state
    )
    return model if n_targets == 1 else MultiOutputRegressor(model)


def _network(*, random_state, weights, device, n_targets=1, **overrides):
    from ..transfer._deep_mlp import DeepMLPRegressor
    from ..transfer._pretrain import SOURCE_ARCHITECTURE

    return DeepMLPRegressor(
        architecture=SOURCE_ARCHITECTURE,
        weights=weights,
        device=device,
        random_state=random_state,
        **{**FINE_TUNE, **overrides},
    )


def _finetune(**kwargs):
    return _network(**kwargs)


def _finetune_frozen(**kwargs):
    return _network(**kwargs, freeze=FROZEN_LAYERS)


def _tlrl(*, random_state, weights, device, n_targets=1):
    from ..transfer._tlrl import TLRLRegressor

    regressor = _network(random_state=random_state, weights=None, device=device)
    return TLRLRegressor(weights=weights, layer=1, regressor=regressor, device=device)


_BOTH = ("fractions", "properties")

CATALOGUE: dict[str, Member] = {
    m.name: m
    for m in (
        Member(
            "forest_fractions",
            ("fractions", "extras"),
            _forest,
            description="random forest on the 86 element fractions",
        ),
        Member(
            "forest_properties",
            ("properties", "extras"),
            _forest,
            description="random forest on the 105 element-property statistics",
        ),
        Member(
            "forest_both",
            ("fractions", "properties", "extras"),
            _forest,
            description="random forest on fractions and property statistics",
        ),
        Member(
            "boosting",
            ("properties", "extras"),
            _boosting,
            description="histogram gradient boosting (1,000 rounds, rate 0.05) on the "
            "property statistics",
        ),
        Member(
            "finetune",
            _BOTH,
            _finetune,
            network=True,
            description="the source network, every layer fine-tuned",
        ),
        Member(
            "finetune_frozen",
            _BOTH,
            _finetune_frozen,
            network=True,
            description=f"the source network, its first {FROZEN_LAYERS} dense layers frozen",
        ),
        Member(
            "tlrl",
            _BOTH,
            _tlrl,
            network=True,
            description="bridged TL+RL on the source's first dense layer",
        ),
    )
}

#: The members of ``members=None`` without / with a source (``weights``).
DEFAULT_MEMBERS = ("forest_fractions", "forest_properties", "forest_both", "boosting")
DEFAULT_NETWORK_MEMBERS = ("finetune",)


def resolve_members(members, weights) -> tuple[list[str], dict]:
    """(names, {name: estimator} of the user's pairs) of ``members``; errors say what to do."""
    defaults = list(DEFAULT_MEMBERS) + (list(DEFAULT_NETWORK_MEMBERS) if weights is not None else [])
    return resolve_stack_members(members, built_in=CATALOGUE, defaults=defaults)
