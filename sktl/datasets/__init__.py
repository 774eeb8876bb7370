"""Datasets: simulated, embedded and fetched microstructure and composition sets."""

from ._base import get_cache_home, get_data_home
from ._fetch import fetch_crossprop, fetch_jarvis_deltae, fetch_oqmd, fetch_pymks
from ._li2018 import load_li2018
from ._shear_modulus import load_shear_modulus
from ._spinodal import load_spinodal, make_spinodal
from ._stiffness import make_stiffness

__all__ = [
    "fetch_crossprop",
    "fetch_jarvis_deltae",
    "fetch_oqmd",
    "fetch_pymks",
    "get_cache_home",
    "get_data_home",
    "load_li2018",
    "load_shear_modulus",
    "load_spinodal",
    "make_spinodal",
    "make_stiffness",
]
