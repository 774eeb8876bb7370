"""Composition features: chemical formulas -> element fractions (ElemNet's representation) and
element-property statistics (Magpie-style)."""

from ._element_fractions import ElementFractionTransformer, fraction_keys
from ._element_properties import ElementPropertyTransformer
from ._elements import ELEMNET_ELEMENTS

__all__ = [
    "ELEMNET_ELEMENTS",
    "ElementFractionTransformer",
    "ElementPropertyTransformer",
    "fraction_keys",
]
