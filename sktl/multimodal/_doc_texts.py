"""Docstring texts of the DMTL-R family, written once for its three regressors.

sktl's shared texts (:data:`~sktl.utils._parameter_docs.PARAMETER_DOCS` and
``ATTRIBUTE_DOCS``) serve every parameter and attribute they describe truly; this module holds
what is narrower for this family (the packed ``[pixels | descriptors]`` form) and the fitted
attributes only this family has.
"""

from __future__ import annotations

from ..utils._docstrings import fill_doc

#: {placeholder: description override, or a block of whole entries (starting with a newline)}
FAMILY_TEXTS: dict[str, str] = {
    # -- parameters ---------------------------------------------------------------------------
    "image_shape": (
        "(H, W) or (H, W, C) of the images in the packed 2-D form ``[pixels | descriptors]``, "
        "both H and W given (the number of descriptors is not known, so -1 cannot be "
        "inferred). None accepts only the mapping form (see :func:`sktl.multimodal_input`)."
    ),
    "standardize_y": (
        "Standardise the targets inside; predictions come back in the original units. "
        "(Descriptors and frozen image features are always standardised with their training "
        "statistics.)"
    ),
    # -- fitted attributes --------------------------------------------------------------------
    "featurizer_": """
    featurizer_ : PretrainedCNNFeaturizer or None
        The frozen part of the backbone, whose (cached) output the network takes; None when
        no tap is frozen (``freeze="none"`` or 0: the network takes pixels).""",
    "image_scaler_": """
    image_scaler_ : sklearn.preprocessing.StandardScaler or None
        Standardisation of the frozen image features; None when part of the backbone trains.""",
    "x_scaler_": """
    x_scaler_ : sklearn.preprocessing.StandardScaler
        Standardisation of the descriptors.""",
    "n_descriptors_": """
    n_descriptors_ : int
        Number of descriptors.""",
    "image_shape_": """
    image_shape_ : tuple of int
        (H, W, C) of the images seen in ``fit``; ``predict`` requires the same.""",
    "n_features_in_": """
    n_features_in_ : int
        Columns of a packed 2-D ``X`` (pixels and descriptors), or the number of descriptors
        of a dict ``X``.""",
    "feature_names_in_": (
        "Column names of ``X``, when ``fit`` is given a packed DataFrame whose column names "
        "are all strings."
    ),
}


#: The family's image parameters, one placeholder for the run of them in every signature.
IMAGE_GROUP: dict[str, tuple[str, ...]] = {
    "image": (
        "backbone",
        "layer",
        "weights",
        "freeze",
        "pooling",
        "input_size",
        "intensity_range",
        "image_shape",
        "image_dropout",
    ),
}


def fill_multimodal_doc(**overrides):
    """:func:`~sktl.utils._docstrings.fill_doc` with the family's texts, its ``%(image)s``
    group and ``overrides``."""
    return fill_doc(groups=IMAGE_GROUP, **{**FAMILY_TEXTS, **overrides})
