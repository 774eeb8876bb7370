"""Composition features: chemical formulas -> element fractions (ElemNet's representation) and
element-property statistics (Magpie-style), and CompositionRegressor, which chooses its model from
the data."""

from ._element_fractions import ElementFractionTransformer, fraction_keys
from ._element_properties import ElementPropertyTransformer
from ._elements import ELEMNET_ELEMENTS
from ._members import FINE_TUNE
from ._regressor import MEMBERS, CompositionRegressor

__all__ = [
    "ELEMNET_ELEMENTS",
    "FINE_TUNE",
    "MEMBERS",
    "CompositionRegressor",
    "ElementFractionTransformer",
    "ElementPropertyTransformer",
    "fraction_keys",
]
