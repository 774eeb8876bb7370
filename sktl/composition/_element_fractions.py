"""Chemical formulas -> ElemNet's 86 element fractions, as a scikit-learn transformer."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import _check_feature_names

from ..utils._vocabulary import vocabulary
from ._elements import ELEMENT_INDEX, ELEMNET_ELEMENTS, PERIODIC_TABLE
from ._parser import FormulaError, parse_formula

_KNOWN = frozenset(PERIODIC_TABLE)


def as_formula_column(X) -> np.ndarray:
    """A 1-D object array of formulas from a list, array, pandas Series or 1-column frame."""
    if isinstance(X, str):
        raise ValueError(
            "Expected a sequence of formulas (list, array, pandas Series or 1-column "
            f"DataFrame), got the single string {X!r}; wrap it in a list."
        )
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # DataFrame
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected one column of formulas, got a DataFrame with {X.shape[1]} columns "
                f"{list(X.columns)}; select the formula column."
            )
        X = X.iloc[:, 0]
    arr = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"Expected one column of formulas, got an array of shape {arr.shape}; pass a "
            "1-D sequence or an (n_samples, 1) array."
        )
    if len(arr) == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    return arr


def fraction_keys(fractions: np.ndarray) -> np.ndarray:
    """One hashable key per row of element fractions, rounded to 1e-6.

    Two formulas of the same composition ("Ta2Te1Zr1", "ZrTa2Te") get the same key, which is
    how the overlap of a pretraining set and a target set is found.

    Parameters
    ----------
    fractions : ndarray of shape (n_samples, 86)
        Rows of :class:`ElementFractionTransformer`.

    Returns
    -------
    keys : ndarray of object of shape (n_samples,)
        Equal for equal compositions.

    Examples
    --------
    >>> from sktl.composition import ElementFractionTransformer, fraction_keys
    >>> F = ElementFractionTransformer().transform(["Ta2Te1Zr1", "ZrTa2Te", "NaCl"])
    >>> keys = fraction_keys(F)
    >>> bool(keys[0] == keys[1]), bool(keys[0] == keys[2])
    (True, False)
    """
    return np.array([r.tobytes() for r in np.round(fractions, 6)], dtype=object)


class FormulaInputMixin:
    """The input side of the formula transformers: one column of formulas, stateless fit."""

    def _record_input(self, X) -> None:
        """In ``fit``: check the column and record its name and width."""
        _check_feature_names(self, X, reset=True)
        as_formula_column(X)
        self.n_features_in_ = 1

    def _formulas(self, X) -> np.ndarray:
        """In ``transform``: the formulas as a 1-D object array (fit is optional)."""
        if hasattr(self, "n_features_in_"):
            _check_feature_names(self, X, reset=False)
        return as_formula_column(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


@vocabulary
class ElementFractionTransformer(FormulaInputMixin, TransformerMixin, BaseEstimator):
    """Chemical formulas -> fractions of ElemNet's 86 elements (H ... Pu, ElemNet's order).

    Each formula is parsed into element counts, which are divided by their sum, so every row
    sums to one. This is the input representation of ElemNet (Jha et al. 2018) and of the
    TL+RL study of Gupta et al. (2021).

    Parsing: element symbols with integer or decimal counts (``"Fe0.5Ni0.5"``), nested
    parentheses, brackets and braces (``"K4[Fe(CN)6]"``), hydrates joined by a middle dot,
    ``"*"`` or ``"."`` (``"CuSO4·5H2O"``, ``"CuSO4.5H2O"``: a "." between digits is a decimal
    point except in front of an integer count of ``H2O``), and any whitespace.

    Stateless: ``fit`` only validates the parameters and records the input column.

    Parameters
    ----------
    unsupported : {"error", "drop"}, default="error"
        What to do with a real element that is not one of the 86 (He, Ne, Ar, Po, Am, ...):
        raise, or leave its atoms out and normalise over the rest. A string that is not an
        element symbol at all is always an error.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one column of formulas.
    feature_names_in_ : ndarray of str
        The column's name, when fitted on a named pandas column.

    Examples
    --------
    >>> from sktl.composition import ElementFractionTransformer
    >>> t = ElementFractionTransformer()
    >>> X = t.fit_transform(["Fe2O3", "CuSO4·5H2O"])
    >>> X.shape
    (2, 86)
    >>> round(float(X[0, list(t.get_feature_names_out()).index("O")]), 2)
    0.6
    """

    def __init__(self, *, unsupported="error"):
        self.unsupported = unsupported

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the input and record it has one column (nothing is learned).

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
        self._record_input(X)
        return self

    def transform(self, X):
        """Element fractions of each formula.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            Chemical formulas (a list, array, pandas Series or one-column DataFrame).

        Returns
        -------
        fractions : ndarray of shape (n_samples, 86)
            Rows sum to one; columns follow :meth:`get_feature_names_out`.
        """
        formulas = self._formulas(X)
        out = np.zeros((len(formulas), len(ELEMNET_ELEMENTS)), dtype=np.float64)
        for row, formula in enumerate(formulas):
            out[row] = self._fractions(formula, row)
        return out

    def _fractions(self, formula, row: int) -> np.ndarray:
        if formula is None or (isinstance(formula, numbers.Real) and np.isnan(formula)):
            raise ValueError(f"Row {row}: missing formula ({formula!r}); drop or fill it first.")
        if not isinstance(formula, str):
            raise ValueError(
                f"Row {row}: expected a chemical formula string, got {type(formula).__name__} "
                f"{formula!r}."
            )
        try:
            counts = parse_formula(formula, _KNOWN)
        except FormulaError as exc:
            raise ValueError(f"Row {row}: cannot parse formula {formula!r}: {exc}.") from None
        vec = np.zeros(len(ELEMNET_ELEMENTS), dtype=np.float64)
        dropped = []
        for el, n in counts:
            idx = ELEMENT_INDEX.get(el)
            if idx is None:
                dropped.append(el)
            else:
                vec[idx] += n
        if dropped and self.unsupported == "error":
            raise ValueError(
                f"Row {row}: formula {formula!r} contains {', '.join(map(repr, dropped))}, not "
                "one of ElemNet's 86 elements; use unsupported='drop' to leave it out."
            )
        total = vec.sum()
        if total <= 0:
            raise ValueError(
                f"Row {row}: formula {formula!r} has no atoms of ElemNet's 86 elements."
            )
        return vec / total

    def get_feature_names_out(self, input_features=None):
        """The 86 element symbols, in output column order.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the output columns are always the 86 elements.

        Returns
        -------
        feature_names_out : ndarray of str of shape (86,)
            Element symbols, H ... Pu in ElemNet's order.
        """
        return np.asarray(ELEMNET_ELEMENTS, dtype=object)
