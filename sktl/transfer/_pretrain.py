"""The composition source network: element fractions and element-property statistics -> a
batch-normalised MLP, trained once on a large set (OQMD) and reused by every transfer model.

sktl ships one (``weights="oqmd"``, ``sktl/transfer/data/oqmd_source.*``); ``sktl pretrain
--out sktl/transfer/data/oqmd_source`` rebuilds it with these settings."""

from __future__ import annotations

import time

import numpy as np
from sklearn.pipeline import Pipeline

from ..composition import ElementPropertyTransformer
from ._deep_mlp import DeepMLPRegressor

#: The source network: 7 hidden layers with batch normalisation (``B``), no dropout.
SOURCE_ARCHITECTURE = "1024x2B-512x2B-256x2B-128B-1"

#: Settings of the source's DeepMLPRegressor (chosen on a subsample of OQMD's training rows
#: scored on validation rows; docs/benchmarks.md), those of the shipped ``weights="oqmd"``.
#: ``pretrain_source`` overrides any by keyword.
SOURCE_SETTINGS: dict = {
    "architecture": SOURCE_ARCHITECTURE,
    "dropout": 0.0,
    "lr": 2e-3,
    "lr_schedule": "onecycle",
    "batch_size": 512,
    "max_epochs": 30,
    "early_stopping": True,
    "patience": 10,
    "validation_fraction": 0.05,
}


def source_features() -> ElementPropertyTransformer:
    """The source's input: the 86 element fractions, then 105 element-property statistics."""
    return ElementPropertyTransformer(include_fractions=True)


def pretrain_source(formulas, y, *, path=None, random_state=0, verbose=1, **settings) -> Pipeline:
    """Train a composition source network and optionally save it as a source.

    The source is a Pipeline: :func:`source_features` (element fractions and element-property
    statistics, stateless) and a :class:`DeepMLPRegressor` with :data:`SOURCE_SETTINGS`. Any
    sktl transfer model takes it (or its files) as ``weights``; feed those models
    the same features, e.g. ``make_pipeline(source[:-1], TLRLRegressor(weights=source))``.

    Trained on OQMD's training formulas (``fetch_oqmd``), it scores a test MAE of about 0.048
    eV/atom on OQMD's split (ElemNet: 0.049); sktl ships such a source as ``weights="oqmd"``
    (``sktl pretrain`` trained it; the TL+RL guide gives the cost and the details).

    Parameters
    ----------
    formulas : array-like of str of shape (n_samples,)
        Chemical formulas.
    y : array-like of shape (n_samples,)
        The source property (e.g. formation energy per atom).
    path : str, path-like or None, default=None
        Where to save the source: a stem writes ``<stem>.npz`` (the network's arrays) and
        ``<stem>.json`` (its metadata) with :func:`write_source`, which every transfer model
        takes as ``weights="<stem>.npz"``; a path ending with ``.skops`` saves the whole
        fitted Pipeline with :func:`sktl.persistence.dump` instead. None does not save.
    random_state : int, default=0
        Seeds the network's initialisation, shuffling and validation split.
    verbose : int, default=1
        1 prints one line per epoch (the training takes long); 0 is silent.
    **settings
        Overrides of :data:`SOURCE_SETTINGS` (e.g. ``max_epochs=5`` for a quick try, or
        ``device="cuda"``).

    Returns
    -------
    source : sklearn.pipeline.Pipeline
        The fitted ``[("features", ...), ("network", DeepMLPRegressor)]`` pipeline.

    Examples
    --------
    >>> from sktl.transfer import pretrain_source
    >>> formulas = ["NaCl", "KCl", "Fe2O3", "Al2O3", "MgO", "CaO"] * 5
    >>> y = [-2.1, -2.2, -1.7, -3.4, -3.1, -3.3] * 5
    >>> source = pretrain_source(formulas, y, path="my_source", verbose=0,
    ...                          architecture="16B-1", max_epochs=3, early_stopping=False)
    >>> source.predict(["NaCl"]).shape
    (1,)
    >>> from sktl.transfer import load_source
    >>> module, metadata = load_source("my_source.npz")  # what weights="my_source.npz" reads
    >>> metadata["train_rows"], metadata["input_features"]
    (30, 'source_features: 86 element fractions then 105 element-property statistics')
    """
    unknown = sorted(set(settings) - set(DeepMLPRegressor().get_params()))
    if unknown:
        raise TypeError(
            f"pretrain_source got unknown settings {unknown}; pass DeepMLPRegressor parameters."
        )
    defaults = dict(SOURCE_SETTINGS)
    if not settings.get("early_stopping", True):  # the source's stopping settings do nothing
        for name in ("patience", "validation_fraction"):
            del defaults[name]
    network = DeepMLPRegressor(
        **{**defaults, **settings, "random_state": random_state, "verbose": verbose}
    )
    source = Pipeline([("features", source_features()), ("network", network)])
    start = time.perf_counter()
    source.fit(formulas, np.asarray(y, dtype=np.float64))
    seconds = time.perf_counter() - start
    if path is not None and str(path).endswith(".skops"):
        from ..persistence import dump

        dump(source, path)
    elif path is not None:
        from ._sources import write_source

        write_source(source, path, {"train_rows": len(y), "fit_seconds": round(seconds, 1)})
    return source
