"""Composition features: chemical formulas -> element fractions (ElemNet's representation)."""

from ._element_fractions import ElementFractionTransformer
from ._elements import ELEMNET_ELEMENTS

__all__ = ["ELEMNET_ELEMENTS", "ElementFractionTransformer"]
