"""Chemical formulas -> fraction-weighted statistics of elemental properties (Magpie-style)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context

from ..utils._vocabulary import vocabulary
from ._element_data import element_table
from ._element_fractions import ElementFractionTransformer, FormulaInputMixin
from ._elements import ELEMNET_ELEMENTS

STATS = ("mean", "avg_dev", "min", "max", "range")
_CHUNK = 4096


def _names(value, known, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    value = tuple(value)
    if not value:
        raise ValueError(f"{what} is empty; pass at least one of {list(known)}.")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ValueError(f"Unknown {what} {unknown}; choose from {list(known)}.")
    if len(set(value)) != len(value):
        raise ValueError(f"{what} {list(value)} names an entry twice.")
    return value


def property_statistics(fractions: np.ndarray, table: np.ndarray, stats) -> np.ndarray:
    """(n, len(stats) * n_properties) statistics of ``table`` (86, p) weighted by ``fractions``.

    Columns are grouped by statistic, then property. ``avg_dev`` is the fraction-weighted mean
    absolute deviation from the weighted mean; ``min``, ``max`` and ``range`` run over the
    elements present (fraction > 0).
    """
    n, p = len(fractions), table.shape[1]
    out = np.empty((n, len(stats), p), dtype=np.float64)
    for start in range(0, n, _CHUNK):
        f = fractions[start : start + _CHUNK]
        mean = f @ table
        present = (f > 0)[:, :, None]
        lo = np.where(present, table[None], np.inf).min(axis=1)
        hi = np.where(present, table[None], -np.inf).max(axis=1)
        for j, stat in enumerate(stats):
            if stat == "mean":
                v = mean
            elif stat == "avg_dev":
                v = np.einsum("ne,nep->np", f, np.abs(table[None] - mean[:, None, :]))
            elif stat == "min":
                v = lo
            elif stat == "max":
                v = hi
            else:
                v = hi - lo
            out[start : start + _CHUNK, j] = v
    return out.reshape(n, -1)


@vocabulary
class ElementPropertyTransformer(FormulaInputMixin, TransformerMixin, BaseEstimator):
    """Chemical formulas -> fraction-weighted statistics of elemental properties.

    Each formula becomes its element fractions (as in :class:`ElementFractionTransformer`);
    for every elemental property, the statistics ``stats`` of the property over the elements
    of the formula, weighted by their fractions, are the features. These are the composition
    features of Magpie (Ward et al. 2016, npj Comput. Mater. 2:16028), the inputs of the random
    forest baselines of the composition literature.

    The 21 properties come from pymatgen's element data (Ong et al. 2013, Comput. Mater. Sci.
    68:314; MIT licence), shipped as a table so pymatgen is not needed at run time; a test
    checks every value against pymatgen. The names follow Magpie's:

    - ``Number``, ``MendeleevNumber``, ``AtomicWeight``, ``MeltingT`` (K), ``Column`` (group),
      ``Row``, ``AtomicRadius`` (angstrom; pymatgen's calculated radius for Kr and Xe),
      ``Electronegativity`` (Pauling), ``MolarVolume`` (cm^3/mol), ``IonizationEnergy`` (first,
      eV), ``ElectronAffinity`` (eV);
    - ``NsValence``, ``NpValence``, ``NdValence``, ``NfValence``, ``NValence``: electrons in
      each orbital type outside the noble-gas core; ``NsUnfilled`` ... ``NUnfilled``: the free
      places of those shells.

    With ``scale="minmax"`` (the default) each property is first mapped to [0, 1] by its
    minimum and maximum over the 86 elements. The scale is fixed by the table, not learned, so
    a network trained on these features (a transfer source) sees the same inputs in every
    later fit.

    Stateless: ``fit`` only validates the parameters and records the input column.

    Parameters
    ----------
    properties : "all" or list of str, default="all"
        Elemental properties to use, from the list above.
    stats : list of str, default=("mean", "avg_dev", "min", "max", "range")
        Statistics per property: the weighted ``mean``, ``avg_dev`` (weighted mean absolute
        deviation from that mean), and ``min``, ``max``, ``range`` over the elements present.
    scale : {"minmax", "none"}, default="minmax"
        "minmax" maps each property to [0, 1] over the 86 elements before the statistics;
        "none" keeps the table's units.
    include_fractions : bool, default=False
        Put the 86 element fractions in front of the statistics (the input of the composition
        source network of :func:`sktl.transfer.pretrain_source`).
    unsupported : {"error", "drop"}, default="error"
        What to do with an element outside ElemNet's 86 (He, Ne, Ar, Po, Am, ...): raise, or
        leave it out and normalise over the rest.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one column of formulas.
    feature_names_in_ : ndarray of str
        The column's name, when fitted on a named pandas column.

    See Also
    --------
    ElementFractionTransformer : the element fractions alone (ElemNet's input).

    Examples
    --------
    >>> from sktl.composition import ElementPropertyTransformer
    >>> t = ElementPropertyTransformer(properties=["Electronegativity"], scale="none")
    >>> X = t.fit_transform(["NaCl", "Fe2O3"])
    >>> list(t.get_feature_names_out())
    ['mean_Electronegativity', 'avg_dev_Electronegativity', 'min_Electronegativity', 'max_Electronegativity', 'range_Electronegativity']
    >>> [round(float(v), 3) for v in X[0]]
    [2.045, 1.115, 0.93, 3.16, 2.23]
    """

    def __init__(
        self,
        *,
        properties="all",
        stats=STATS,
        scale="minmax",
        include_fractions=False,
        unsupported="error",
    ):
        self.properties = properties
        self.stats = stats
        self.scale = scale
        self.include_fractions = include_fractions
        self.unsupported = unsupported

    def _columns(self) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
        names, table = element_table()
        props = names if self.properties == "all" else _names(self.properties, names, "properties")
        stats = _names(self.stats, STATS, "stats")
        values = table[:, [names.index(p) for p in props]]
        if self.scale == "minmax":
            lo, hi = values.min(axis=0), values.max(axis=0)
            values = (values - lo) / np.where(hi > lo, hi - lo, 1.0)
        return props, stats, values

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the input (nothing is learned).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            Chemical formulas.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer.
        """
        self._columns()
        self._record_input(X)
        return self

    def _fractions(self) -> ElementFractionTransformer:
        return ElementFractionTransformer(unsupported=self.unsupported)

    def transform(self, X):
        """The property statistics of each formula.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            Chemical formulas (a list, array, pandas Series or one-column DataFrame).

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
            Columns follow :meth:`get_feature_names_out`.
        """
        formulas = self._formulas(X)
        _, stats, values = self._columns()
        fractions = self._fractions().transform(formulas)
        features = property_statistics(fractions, values, stats)
        if self.include_fractions:
            features = np.hstack([fractions, features])
        return features

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``"{stat}_{property}"``, after the elements if any.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the output columns do not depend on the input's name.

        Returns
        -------
        feature_names_out : ndarray of str
            The element symbols (with ``include_fractions=True``), then one name per
            statistic and property, grouped by statistic.
        """
        props, stats, _ = self._columns()
        names = [f"{s}_{p}" for s in stats for p in props]
        if self.include_fractions:
            names = [*ELEMNET_ELEMENTS, *names]
        return np.asarray(names, dtype=object)
