import os
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sktl.composition import (
    ELEMNET_ELEMENTS,
    ElementFractionTransformer,
    ElementPropertyTransformer,
)
from sktl.composition._element_data import element_table
from sktl.composition._elements import PERIODIC_TABLE
from sktl.composition._parser import parse_formula

DATA = Path(os.environ.get("SKTL_DATA", Path(__file__).resolve().parents[2].parent / "shared/data"))
OQMD = DATA / "composition" / "oqmd" / "test.csv"


@pytest.fixture(scope="module")
def pymatgen_core():
    return pytest.importorskip("pymatgen.core", reason="pymatgen-core is a test dependency")


def test_table_matches_pymatgen(pymatgen_core):
    from tools.make_element_table import PROPERTIES, element_row

    names, table = element_table()
    assert names == tuple(PROPERTIES) and table.shape == (86, 21)
    assert np.isfinite(table).all()
    for i, symbol in enumerate(ELEMNET_ELEMENTS):
        expected = element_row(symbol)
        np.testing.assert_allclose(table[i], [expected[n] for n in names], rtol=1e-9, err_msg=symbol)


def test_table_spot_values_against_pymatgen(pymatgen_core):
    # read pymatgen directly here, not through the generator, for a few hand-picked facts
    Element = pymatgen_core.Element
    names, table = element_table()
    row = {s: dict(zip(names, table[i])) for i, s in enumerate(ELEMNET_ELEMENTS)}
    for symbol in ("H", "O", "Fe", "Ga", "La", "U"):
        e = Element(symbol)
        assert row[symbol]["Number"] == e.Z
        assert row[symbol]["Electronegativity"] == pytest.approx(float(e.X))
        assert row[symbol]["MeltingT"] == pytest.approx(float(e.melting_point))
        assert row[symbol]["Row"] == e.row and row[symbol]["Column"] == e.group
    # valence counts outside the noble-gas core: Ga [Ar]3d10 4s2 4p1, Fe [Ar]3d6 4s2
    assert [row["Ga"][k] for k in ("NsValence", "NpValence", "NdValence", "NfValence")] == [2, 1, 10, 0]
    assert row["Ga"]["NpUnfilled"] == 5 and row["Ga"]["NUnfilled"] == 5
    assert row["Fe"]["NdValence"] == 6 and row["Fe"]["NdUnfilled"] == 4
    assert row["O"]["NValence"] == 6 and row["O"]["NUnfilled"] == 2


def test_shipped_file_is_what_the_generator_writes(pymatgen_core):
    from tools.make_element_table import TABLE_PATH, table_text

    assert TABLE_PATH.read_text() == table_text()


def test_statistics_by_hand():
    t = ElementPropertyTransformer(properties=["Electronegativity", "Row"], scale="none")
    X = t.fit_transform(["NaCl", "Fe2O3", "Fe"])
    names = list(t.get_feature_names_out())
    assert names[:2] == ["mean_Electronegativity", "mean_Row"] and len(names) == 10
    got = dict(zip(names, X[1]))
    x_fe, x_o = 1.83, 3.44
    mean = 0.4 * x_fe + 0.6 * x_o
    assert got["mean_Electronegativity"] == pytest.approx(mean)
    assert got["avg_dev_Electronegativity"] == pytest.approx(0.4 * abs(x_fe - mean) + 0.6 * abs(x_o - mean))
    assert got["min_Electronegativity"] == pytest.approx(x_fe)
    assert got["max_Electronegativity"] == pytest.approx(x_o)
    assert got["range_Electronegativity"] == pytest.approx(x_o - x_fe)
    assert got["mean_Row"] == pytest.approx(0.4 * 4 + 0.6 * 2)
    # one element: no deviation, no range
    single = dict(zip(names, X[2]))
    assert single["avg_dev_Row"] == 0 and single["range_Electronegativity"] == 0


def test_minmax_scale_is_fixed_by_the_table():
    names, table = element_table()
    raw = ElementPropertyTransformer(stats=["mean"], scale="none").fit_transform(["Fe2O3"])
    scaled = ElementPropertyTransformer(stats=["mean"]).fit_transform(["Fe2O3"])
    lo, hi = table.min(axis=0), table.max(axis=0)
    np.testing.assert_allclose(scaled[0], (raw[0] - lo) / (hi - lo))
    # stateless: the same formula gives the same features whatever else was in the batch
    np.testing.assert_array_equal(
        ElementPropertyTransformer().fit(["H2O", "U"]).transform(["Fe2O3"]),
        ElementPropertyTransformer().fit_transform(["Fe2O3"]),
    )
    everything = ElementPropertyTransformer().transform(list(ELEMNET_ELEMENTS))
    assert everything.min() >= 0 and everything.max() <= 1


def test_include_fractions_puts_the_elements_first():
    t = ElementPropertyTransformer(include_fractions=True)
    X = t.fit_transform(["Fe2O3", "NaCl"])
    assert X.shape == (2, 86 + 21 * 5)
    assert list(t.get_feature_names_out()[:86]) == list(ELEMNET_ELEMENTS)
    np.testing.assert_array_equal(X[:, :86], ElementFractionTransformer().transform(["Fe2O3", "NaCl"]))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"properties": ["Electronegativty"]}, r"Unknown properties \['Electronegativty'\]; choose from"),
        ({"stats": ["median"]}, r"Unknown stats \['median'\]"),
        ({"stats": []}, "stats is empty"),
        ({"properties": ["Row", "Row"]}, "names an entry twice"),
        ({"scale": "standard"}, "scale"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        ElementPropertyTransformer(**params).fit(["NaCl"])


def test_bad_formulas_say_which_row():
    t = ElementPropertyTransformer()
    with pytest.raises(ValueError, match=r"Row 1: missing formula"):
        t.fit_transform(["NaCl", None])
    with pytest.raises(ValueError, match=r"Row 0: formula 'HeH' contains 'He'.*unsupported='drop'"):
        t.fit_transform(["HeH"])
    assert ElementPropertyTransformer(unsupported="drop").fit_transform(["HeH"]).shape == (1, 105)


def test_set_output_clone_pickle_and_pipeline(tmp_path):
    df = pd.DataFrame({"formula": ["Fe2O3", "NaCl"]}, index=[10, 20])
    t = ElementPropertyTransformer(stats=("mean", "max")).set_output(transform="pandas")
    out = t.fit_transform(df)
    assert list(out.columns) == list(t.get_feature_names_out()) and list(out.index) == [10, 20]
    assert list(t.feature_names_in_) == ["formula"]
    assert clone(t).get_params() == t.get_params()
    joblib.dump(t, tmp_path / "t.joblib")
    pd.testing.assert_frame_equal(joblib.load(tmp_path / "t.joblib").transform(df), out)
    formulas = ["Fe2O3", "NaCl", "Fe3O4", "KCl", "FeO", "NaBr"] * 3
    y = np.array([1.0, 2.0, 1.1, 2.1, 0.9, 2.2] * 3)
    pipe = make_pipeline(ElementPropertyTransformer(), Ridge(alpha=1e-3)).fit(formulas, y)
    assert pipe.score(formulas, y) > 0.9


def test_parser_agrees_with_pymatgen_on_oqmd_formulas(pymatgen_core):
    if not OQMD.is_file():
        pytest.skip(f"reference data not found at {OQMD}; set SKTL_DATA")
    pairs = [(f, f) for f in pd.read_csv(OQMD)["formula"].sample(3000, random_state=0)]
    # hydrates: pymatgen reads "CuSO4.5H2O" as CuSO4.5 + H2O, so it gets the unambiguous form
    pairs += [
        ("CuSO4·5H2O", "CuSO4(H2O)5"),
        ("CuSO4.5H2O", "CuSO4(H2O)5"),
        ("Na2CO3.H2O", "Na2CO3(H2O)"),
        ("K4[Fe(CN)6]", "K4[Fe(CN)6]"),
        ("Fe0.5Ni0.5", "Fe0.5Ni0.5"),
        ("Ca(OH)2", "Ca(OH)2"),
    ]
    Composition = pymatgen_core.Composition
    for formula, theirs_formula in pairs:
        ours = dict(parse_formula(formula, PERIODIC_TABLE))
        theirs = {str(el): amt for el, amt in Composition(theirs_formula).items()}
        assert set(ours) == set(theirs), formula
        for el, n in ours.items():
            assert n == pytest.approx(theirs[el], rel=1e-9), (formula, el)
