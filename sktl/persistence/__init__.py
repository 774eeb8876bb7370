"""Save and load fitted sktl models securely, with skops.io.

joblib (pickle) files can run arbitrary code when loaded; skops files cannot: they hold data
and the names of the types to rebuild, and loading refuses every type the caller does not
trust. sktl keeps its fitted models free of torch's pickles (networks are stored as an
architecture recipe plus numpy arrays), so they save with skops, and a loaded model needs
neither the network nor the weight packages or caches it was fitted with.

>>> import numpy as np
>>> from sktl.persistence import dump, load
>>> from sktl.transfer import DeepMLPRegressor
>>> X = np.random.default_rng(0).random((20, 4))
>>> model = DeepMLPRegressor(architecture="16-1", max_epochs=2, early_stopping=False,
...                          random_state=0).fit(X, X.sum(axis=1))
>>> dump(model, "model.skops")
>>> loaded = load("model.skops")
>>> np.allclose(loaded.predict(X), model.predict(X))
True

``skops.io.load(path, trusted=sktl.persistence.TRUSTED_TYPES)`` is the same without the
checks. joblib keeps working too, and stores the same torch-free state.
"""

from __future__ import annotations

from pathlib import Path

from ._portable import unportable_parts

__all__ = ["TRUSTED_TYPES", "UntrustedTypesError", "dump", "load"]


# The public estimators and transformers, by the module that defines them (skops records that
# path). tests/test_persistence.py checks that the list matches sktl's public classes.
TRUSTED_TYPES: list[str] = [
    "sktl.automl._hyperopt.HyperoptRegressor",
    "sktl.cnn._cnn.CNNRegressor",
    "sktl.cnn._transfer.TransferCNNRegressor",
    "sktl.composition._element_fractions.ElementFractionTransformer",
    "sktl.composition._element_properties.ElementPropertyTransformer",
    "sktl.descriptors._twopoint.TwoPointStatsTransformer",
    "sktl.featurizers._cache.FeatureCache",
    "sktl.featurizers._pretrained_cnn.PretrainedCNNFeaturizer",
    "sktl.multimodal._regressors.DescriptorRegressor",
    "sktl.multimodal._regressors.ImageRegressor",
    "sktl.multimodal._regressors.MultimodalRegressor",
    "sktl.reconstruction._estimator.MicrostructureReconstructor",
    "sktl.transfer._activations.LayerActivationTransformer",
    "sktl.transfer._deep_mlp.DeepMLPRegressor",
    "sktl.transfer._tlrl.TLRLRegressor",
]


class UntrustedTypesError(ValueError):
    """A skops file names types that neither sktl nor the caller trusts."""


def dump(model, file) -> None:
    """Save ``model`` (any object, typically a fitted estimator or Pipeline) with skops.io.

    Parameters
    ----------
    model : object
    file : str, Path or binary file object

    Raises
    ------
    TypeError
        If the model holds a torch module sktl cannot describe without pickle (a custom
        ``nn.Module`` or an unmaterialised lazy layer passed by the user, for instance as a
        :class:`~sktl.LayerActivationTransformer` source). Save such models with joblib.
    """
    import skops.io as sio

    parts = unportable_parts(model)
    if parts:
        raise TypeError(
            "This model holds torch objects that can only be saved with pickle: "
            f"{'; '.join(parts)}. Use a DeepMLPRegressor (or an nn.Sequential of standard "
            "layers) instead of a custom module, or save with joblib.dump (trusted files only)."
        )
    sio.dump(model, file)


def load(file, trusted=None):
    """Load a model saved with :func:`dump` (or ``skops.io.dump``), trusting sktl's types.

    Parameters
    ----------
    file : str, Path or binary file object
    trusted : list of str, optional
        More type names to trust, after auditing them (for instance the types of a
        scikit-learn step in a Pipeline that skops does not trust by default).

    Returns
    -------
    object

    Raises
    ------
    UntrustedTypesError
        If the file names types outside sktl's :data:`TRUSTED_TYPES` and ``trusted``; the
        message lists them. Nothing is loaded.
    """
    import skops.io as sio

    allowed = set(TRUSTED_TYPES) | set(trusted or ())
    if isinstance(file, (str, Path)):
        found = sio.get_untrusted_types(file=file)
    else:
        data = file.read()
        found = sio.get_untrusted_types(data=data)
    unknown = sorted(set(found) - allowed)
    if unknown:
        raise UntrustedTypesError(
            f"The file names types sktl does not trust: {unknown}. Check where the file comes "
            "from and what these types are, then pass them as trusted=[...] to load it."
        )
    if isinstance(file, (str, Path)):
        return sio.load(file, trusted=sorted(allowed))
    return sio.loads(data, trusted=sorted(allowed))
