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

``skops.io.load(path, trusted=TRUSTED_TYPES + TRUSTED_SKLEARN_TYPES)`` (both of
``sktl.persistence``) is the same without the checks. joblib keeps working too, and stores the same torch-free state.

A file that does not parse (empty, truncated, damaged, or another kind of file) raises
:class:`sktl.UnreadableFileError` naming it. The state of every sktl network model carries a
checksum and is checked before any network is built, whichever format holds it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..utils._errors import UnreadableFileError
from ._recipes import unportable_parts

__all__ = [
    "TRUSTED_SKLEARN_TYPES",
    "TRUSTED_TYPES",
    "UntrustedTypesError",
    "dump",
    "load",
]


# The public estimators and transformers, by the module that defines them (skops records that
# path). tests/test_persistence.py checks that the list matches sktl's public classes.
TRUSTED_TYPES: list[str] = [
    "sktl.automl._hyperopt.HyperoptRegressor",
    "sktl.cnn._cnn.CNNRegressor",
    "sktl.cnn._stack.StructurePropertyRegressor",
    "sktl.cnn._transfer.TransferCNNRegressor",
    "sktl.composition._element_fractions.ElementFractionTransformer",
    "sktl.composition._element_properties.ElementPropertyTransformer",
    "sktl.composition._regressor.CompositionRegressor",
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


#: scikit-learn's tree containers, which the forest and boosting members of
#: :class:`sktl.CompositionRegressor` hold. They are arrays of split thresholds and leaf values
#: that skops rebuilds with its own loaders (no code of the file runs), so ``load`` trusts them
#: as it trusts scikit-learn's estimators; tests/test_persistence.py checks this list.
TRUSTED_SKLEARN_TYPES: list[str] = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
]


# failures that say something about this environment (a missing package, no memory), not
# about the file: they pass through unchanged
_NOT_THE_FILES = (ImportError, MemoryError)


class UntrustedTypesError(ValueError):
    """A skops file names types that neither sktl nor the caller trusts."""


_SKOPS_EXPECTED = "a model saved by sktl.persistence.dump (a skops file)"
_JOBLIB_EXPECTED = "a fitted model saved by joblib.dump (or a .skops file of sktl.persistence.dump)"
_FIX = (
    "Use an undamaged copy of the file (compare its size and checksum with the original), "
    "or fit the model again and save it"
)


def _unreadable(name, head: bytes, exc: BaseException) -> UnreadableFileError:
    """The error of a skops file whose loading raised ``exc``, told from its first bytes."""
    if head.startswith(b"\x80"):  # pickle's PROTO opcode
        return UnreadableFileError(
            name,
            "is a pickle (joblib) file, not a skops file",
            _SKOPS_EXPECTED,
            "If you trust where it comes from, load it with joblib.load",
        )
    problem = "is empty" if not head else f"cannot be read ({type(exc).__name__}: {exc})"
    return UnreadableFileError(name, problem, _SKOPS_EXPECTED, _FIX)


def _head(file) -> bytes:
    try:
        with open(file, "rb") as f:
            return f.read(4)
    except OSError:
        return b"?"


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
    sktl.UnreadableFileError
        If the file is not a skops file, or is damaged (empty, truncated, bits changed) or
        edited: the message names it; the error that revealed it is chained.
    """
    import skops.io as sio

    allowed = set(TRUSTED_TYPES) | set(TRUSTED_SKLEARN_TYPES) | set(trusted or ())
    is_path = isinstance(file, (str, os.PathLike))
    if is_path:
        with open(file, "rb") as f:  # a missing or unreadable file: the OSError as is
            head = f.read(4)
        name = Path(file)
    else:
        data = file.read()
        head = data[:4]
        name = Path(str(getattr(file, "name", "<file object>")))
    try:
        found = (
            sio.get_untrusted_types(file=file) if is_path else sio.get_untrusted_types(data=data)
        )
    except _NOT_THE_FILES:
        raise
    except Exception as exc:  # noqa: BLE001 - every parse failure is the file's
        raise _unreadable(name, head, exc) from exc
    unknown = sorted(set(found) - allowed)
    if unknown:
        raise UntrustedTypesError(
            f"{name}: the file names types sktl does not trust: {unknown}. Check where the file "
            "comes from and what these types are, then pass them as trusted=[...] to load it "
            "(unexpected names can also mean a damaged file)."
        )
    try:
        if is_path:
            return sio.load(file, trusted=sorted(allowed))
        return sio.loads(data, trusted=sorted(allowed))
    except _NOT_THE_FILES:
        raise
    except Exception as exc:  # noqa: BLE001 - every parse failure is the file's
        raise _unreadable(name, head, exc) from exc


def load_model_file(path):
    """The model in ``path``: a ``.skops`` file with :func:`load`, any other with joblib.

    For the functions that take a path to a fitted model (such as a transfer source). joblib
    files run code when loaded: pass only files you trust.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    object
        The fitted estimator, skorch net or torch module the file holds.

    Raises
    ------
    sktl.UnreadableFileError
        If the file is damaged, is not a model file, or holds something other than a model.
    """
    import joblib
    import torch

    if str(path).endswith(".skops"):
        return load(path)
    head = _head(path)
    if head.startswith(b"PK"):  # a skops (zip) file under another name
        return load(path)
    try:
        with open(path, "rb") as f:  # a missing or unreadable file: the OSError as is
            data = io.BytesIO(f.read())
        # from memory: a damaged frame length then reads as a short frame, not a huge read
        model = joblib.load(data)
    except ModuleNotFoundError as exc:
        if all(part.isidentifier() for part in (exc.name or "").split(".")):
            raise  # a package this environment lacks
        # no package has such a name: the file's bytes are damaged
        raise UnreadableFileError(
            path, f"names a module that cannot exist ({exc.name!r})", _JOBLIB_EXPECTED, _FIX
        ) from exc
    except (FileNotFoundError, PermissionError, IsADirectoryError, *_NOT_THE_FILES):
        raise
    except Exception as exc:  # noqa: BLE001 - every parse failure is the file's
        problem = "is empty" if not head else f"cannot be read ({type(exc).__name__}: {exc})"
        raise UnreadableFileError(path, problem, _JOBLIB_EXPECTED, _FIX) from exc
    if not (
        hasattr(model, "get_params")
        or hasattr(model, "initialize")
        or isinstance(model, torch.nn.Module)
    ):
        raise UnreadableFileError(
            path,
            f"holds a {type(model).__name__}, not a model",
            _JOBLIB_EXPECTED,
            "Pass the file the model was saved to",
        )
    return model
