"""Parameters renamed in sktl 1.1, and how a model saved before the renames is read."""

from __future__ import annotations

#: Parameters renamed in sktl 1.1, per class (old -> new). Models saved before the rename load
#: with their values under the new names (:func:`upgrade_state`).
RENAMED: dict[str, dict[str, str]] = {
    "MultimodalRegressor": {"desc_units": "descriptor_units", "desc_dropout": "descriptor_dropout"},
    "ImageRegressor": {"units": "head_units", "dropout": "head_dropout"},
    "DescriptorRegressor": {"units": "descriptor_units", "dropout": "descriptor_dropout"},
    "CNNRegressor": {"dense_units": "head_units", "dropout": "head_dropout"},
    "TransferCNNRegressor": {"dropout": "head_dropout"},
    "HyperoptRegressor": {"valid_size": "validation_fraction"},
    "DeepMLPRegressor": {"init_from": "weights"},
    "LayerActivationTransformer": {"source": "weights"},
    "TLRLRegressor": {"source": "weights"},
}


def upgrade_state(owner: str, state: dict) -> dict:
    """A pickled estimator's ``__dict__`` from an older sktl, in today's parameter names.

    Renamed parameters keep their saved values; a feature cache of sktl 1.0 (``cache=True``,
    ``False`` or a folder: process-wide state that no longer exists) becomes None.
    """
    state = dict(state)
    for old, new in RENAMED.get(owner, {}).items():
        if old in state and new not in state:
            state[new] = state.pop(old)
    cache = state.get("cache")
    if cache is not None and (isinstance(cache, (bool, str)) or hasattr(cache, "__fspath__")):
        state["cache"] = None
    return state
