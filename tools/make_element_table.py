"""Regenerate ``sktl/composition/data/element_properties.csv`` from pymatgen's element data.

Usage::

    python -m tools.make_element_table [--check]

Needs pymatgen (``pip install pymatgen-core``). One row per ElemNet element (H ... Pu, in
ElemNet's order), one column per property of :data:`PROPERTIES`. ``--check`` compares a fresh
table with the shipped file instead of writing it. The tests do the same, property by property.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import warnings
from pathlib import Path

from sktl.composition._elements import ELEMNET_ELEMENTS

TABLE_PATH = (
    Path(__file__).resolve().parents[1] / "sktl" / "composition" / "data" / "element_properties.csv"
)

_CAPACITY = {"s": 2, "p": 6, "d": 10, "f": 14}
_ORBITAL = re.compile(r"(\d+)([spdf])(\d+)")


def valence_electrons(element) -> dict[str, int]:
    """Electrons per orbital type outside the noble-gas core (Magpie's NsValence ...).

    pymatgen writes the configuration beyond the core, e.g. Ga ``[Ar].3d10.4s2.4p1``:
    s 2, p 1, d 10, f 0; unfilled counts are each partly filled shell's free places.
    """
    counts = {"s": 0, "p": 0, "d": 0, "f": 0}
    unfilled = {"s": 0, "p": 0, "d": 0, "f": 0}
    for _, kind, n in _ORBITAL.findall(element.electronic_structure):
        counts[kind] += int(n)
        unfilled[kind] += _CAPACITY[kind] - int(n)
    return {
        **{f"N{k}Valence": v for k, v in counts.items()},
        "NValence": sum(counts.values()),
        **{f"N{k}Unfilled": v for k, v in unfilled.items()},
        "NUnfilled": sum(unfilled.values()),
    }


def _radius(element) -> float:
    # pymatgen has no empirical radius for Kr and Xe: use its calculated one.
    r = element.atomic_radius
    return float(r if r is not None else element.atomic_radius_calculated)


#: Property name -> (unit, pymatgen source). The names follow Magpie (Ward et al. 2016).
PROPERTIES: dict[str, tuple[str, str]] = {
    "Number": ("", "Element.Z"),
    "MendeleevNumber": ("", "Element.mendeleev_no"),
    "AtomicWeight": ("u", "Element.atomic_mass"),
    "MeltingT": ("K", "Element.melting_point"),
    "Column": ("", "Element.group"),
    "Row": ("", "Element.row"),
    "AtomicRadius": ("angstrom", "Element.atomic_radius (atomic_radius_calculated for Kr, Xe)"),
    "Electronegativity": ("Pauling", "Element.X"),
    "NsValence": ("", "Element.electronic_structure"),
    "NpValence": ("", "Element.electronic_structure"),
    "NdValence": ("", "Element.electronic_structure"),
    "NfValence": ("", "Element.electronic_structure"),
    "NValence": ("", "Element.electronic_structure"),
    "NsUnfilled": ("", "Element.electronic_structure"),
    "NpUnfilled": ("", "Element.electronic_structure"),
    "NdUnfilled": ("", "Element.electronic_structure"),
    "NfUnfilled": ("", "Element.electronic_structure"),
    "NUnfilled": ("", "Element.electronic_structure"),
    "MolarVolume": ("cm^3/mol", "Element.molar_volume"),
    "IonizationEnergy": ("eV", "Element.ionization_energies[0]"),
    "ElectronAffinity": ("eV", "Element.electron_affinity"),
}


def element_row(symbol: str) -> dict[str, float]:
    """The properties of one element, read from pymatgen."""
    from pymatgen.core import Element

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns about a few estimated values
        e = Element(symbol)
        row = {
            "Number": e.Z,
            "MendeleevNumber": e.mendeleev_no,
            "AtomicWeight": float(e.atomic_mass),
            "MeltingT": float(e.melting_point),
            "Column": e.group,
            "Row": e.row,
            "AtomicRadius": _radius(e),
            "Electronegativity": float(e.X),
            **valence_electrons(e),
            "MolarVolume": float(e.molar_volume),
            "IonizationEnergy": float(e.ionization_energies[0]),
            "ElectronAffinity": float(e.electron_affinity),
        }
    return {name: float(row[name]) for name in PROPERTIES}


def table_text() -> str:
    """The CSV text of the table, freshly read from pymatgen."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["element", *PROPERTIES])
    for symbol in ELEMNET_ELEMENTS:
        row = element_row(symbol)
        writer.writerow([symbol, *(f"{row[name]:.10g}" for name in PROPERTIES)])
    return buf.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = table_text()
    if args.check:
        same = TABLE_PATH.read_text() == text
        print("the shipped table matches pymatgen" if same else "the shipped table differs")
        return 0 if same else 1
    TABLE_PATH.write_text(text)
    print(f"wrote {TABLE_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
