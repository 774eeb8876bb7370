import os
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sktl.composition import ELEMNET_ELEMENTS, ElementFractionTransformer

DATA = Path(os.environ.get("SKTL_DATA", Path(__file__).resolve().parents[2].parent / "shared/data"))
SAMPLE = DATA / "composition" / "elemnet_sample" / "sample_train_set.csv"


@pytest.fixture(scope="module")
def sample():
    if not SAMPLE.is_file():
        pytest.skip(f"reference data not found at {SAMPLE}; set SKTL_DATA")
    return pd.read_csv(SAMPLE)


def frac(formula, **kw):
    t = ElementFractionTransformer(**kw)
    return dict(zip(t.get_feature_names_out(), t.fit_transform([formula])[0]))


def nonzero(d):
    return {k: round(v, 12) for k, v in d.items() if v}


def test_element_order_is_elemnets(sample):
    assert len(ELEMNET_ELEMENTS) == 86 == len(set(ELEMNET_ELEMENTS))
    header = list(sample.columns)
    assert header[1:87] == list(ELEMNET_ELEMENTS)
    assert list(ElementFractionTransformer().get_feature_names_out()) == header[1:87]


def test_reproduces_elemnet_sample(sample):
    out = ElementFractionTransformer().fit_transform(sample["pretty_comp"])
    np.testing.assert_allclose(out, sample.iloc[:, 1:87].to_numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("Fe2O3", {"Fe": 2, "O": 3}),
        ("Ca3(PO4)2", {"Ca": 3, "P": 2, "O": 8}),
        ("K4[Fe(CN)6]", {"K": 4, "Fe": 1, "C": 6, "N": 6}),
        ("((CH3)2)2N", {"C": 4, "H": 12, "N": 1}),
        ("Lu(MnGe)6", {"Lu": 1, "Mn": 6, "Ge": 6}),
        ("Fe0.5Ni0.5O", {"Fe": 0.5, "Ni": 0.5, "O": 1}),
        ("CuSO4·5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),
        ("CuSO4.5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),
        ("CuSO4*5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),
        ("Na2CO3.H2O", {"Na": 2, "C": 1, "O": 4, "H": 2}),
        (" Al2 (SO4)3 · 18 H2O ", {"Al": 2, "S": 3, "O": 30, "H": 36}),
        ("CO", {"C": 1, "O": 1}),
        ("Co", {"Co": 1}),
        # Unicode compatibility forms (NFKC) of ASCII: full-width, sub- and superscripts
        ("\uff26\uff45\uff12\uff2f\uff13", {"Fe": 2, "O": 3}),  # Ｆｅ２Ｏ３
        ("Fe\u2082O\u2083", {"Fe": 2, "O": 3}),  # Fe₂O₃
        ("\uff08NH4\uff092SO4", {"N": 2, "H": 8, "S": 1, "O": 4}),  # full-width brackets
        ("CuSO4\u30fb5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),  # katakana middle dot
        ("Fe\u3000O", {"Fe": 1, "O": 1}),  # ideographic space
    ],
)
def test_parsing(formula, expected):
    total = sum(expected.values())
    assert nonzero(frac(formula)) == {k: round(v / total, 12) for k, v in expected.items()}


@pytest.mark.parametrize(
    "formulas, match",
    [
        (["Fe2O3", "Xx2O"], r"Row 1.*'Xx'"),
        (["Fe2O3", "NaCl", "Abc"], r"Row 2.*'Abc'"),
        (["", "Fe"], r"Row 0.*empty"),
        (["Fe", "   "], r"Row 1.*empty"),
        (["Fe", np.nan], r"Row 1.*missing"),
        ([None], r"Row 0.*missing"),
        (["Fe(O"], r"Row 0.*unclosed"),
        (["FeO)"], r"Row 0.*unbalanced"),
        (["Fe-O"], r"Row 0.*'-'"),
        (["Fe", 3.5], r"Row 1.*string"),
        (["He2O"], r"Row 0.*'He'.*86"),
        (["Fe" + "9" * 400], r"Row 0.*too large"),
        (["Fe0O0"], r"Row 0.*no atoms"),
    ],
)
def test_bad_formulas(formulas, match):
    with pytest.raises(ValueError, match=match):
        ElementFractionTransformer().fit_transform(formulas)


@pytest.mark.parametrize(
    "formula, name, position",
    [
        ("Fe2\u03bf3", "GREEK SMALL LETTER OMICRON", 3),
        ("Fe2\u039f3", "GREEK CAPITAL LETTER OMICRON", 3),  # crashed with AttributeError
        ("F\u0435O", "CYRILLIC SMALL LETTER IE", 1),
        ("\u0421uO", "CYRILLIC CAPITAL LETTER ES", 0),
        ("Fe(\u2162)", "ROMAN NUMERAL THREE", 3),  # NFKC "III": iodine, not a count
        ("Fe2O3\u2122", "TRADE MARK SIGN", 5),  # NFKC "TM"
        ("Fe\u0662O3", "ARABIC-INDIC DIGIT TWO", 2),
        ("NaCl\u200b", "ZERO WIDTH SPACE", 4),
        ("\uff26e \u03bf", "GREEK SMALL LETTER OMICRON", 3),  # the position in the input
    ],
)
def test_non_ascii_letters_are_named(formula, name, position):
    match = rf"Row 1: .*{name}\) at position {position}\b.*ASCII"
    with pytest.raises(ValueError, match=match):
        ElementFractionTransformer().fit_transform(["NaCl", formula])


def test_unsupported_drop():
    assert nonzero(frac("HeO2", unsupported="drop")) == {"O": 1.0}
    with pytest.raises(ValueError, match="no atoms"):
        frac("He", unsupported="drop")


def test_input_forms_agree():
    formulas = ["Fe2O3", "NaCl", "CuSO4·5H2O"]
    ref = ElementFractionTransformer().fit_transform(formulas)
    t = ElementFractionTransformer()
    for X in (
        np.array(formulas),
        np.array(formulas, dtype=object).reshape(-1, 1),
        pd.Series(formulas),
        pd.DataFrame({"formula": formulas}),
        tuple(formulas),
    ):
        np.testing.assert_array_equal(t.fit(X).transform(X), ref)
        assert t.n_features_in_ == 1
    with pytest.raises(ValueError, match="single string"):
        t.transform("Fe2O3")
    with pytest.raises(ValueError, match="one column"):
        t.fit(pd.DataFrame({"a": formulas, "b": formulas}))
    with pytest.raises(ValueError, match="one column"):
        t.fit(np.array([formulas, formulas]).T)


def test_set_output_pandas_and_feature_names():
    df = pd.DataFrame({"formula": ["Fe2O3", "NaCl"]}, index=[10, 20])
    t = ElementFractionTransformer().set_output(transform="pandas")
    out = t.fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(ELEMNET_ELEMENTS) and list(out.index) == [10, 20]
    assert out.loc[10, "O"] == pytest.approx(0.6)
    assert list(t.feature_names_in_) == ["formula"]
    # stateless: transform works without fit too
    assert ElementFractionTransformer().transform(["NaCl"]).shape == (1, 86)


def test_clone_pickle_and_pipeline(tmp_path):
    t = ElementFractionTransformer(unsupported="drop")
    assert clone(t).get_params() == t.get_params()
    joblib.dump(t.fit(["Fe"]), tmp_path / "t.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "t.joblib").transform(["NaCl"]), t.transform(["NaCl"])
    )
    formulas = ["Fe2O3", "NaCl", "Fe3O4", "KCl", "FeO", "NaBr"] * 3
    y = np.array([1.0, 2.0, 1.1, 2.1, 0.9, 2.2] * 3)
    pipe = make_pipeline(ElementFractionTransformer(), Ridge(alpha=1e-3)).fit(formulas, y)
    assert pipe.score(formulas, y) > 0.9
    with pytest.raises(Exception, match="unsupported"):
        ElementFractionTransformer(unsupported="bogus").fit(formulas)
