"""The descriptions (``DESCR``) of the fetched sets: content, sources, licences, published
results.
"""

OQMD_DESCR = """\
.. _oqmd_dataset:

OQMD formation enthalpies (CrabNet's split)
-------------------------------------------

Formation enthalpy per atom (eV/atom) of 341,700 compositions from the Open Quantum Materials
Database, with CrabNet's fixed train / val / test split (239,190 / 51,255 / 51,255 rows), as
in CrabNet's ``benchmark_data/OQMD_Formation_Enthalpy``. Columns ``formula`` (e.g.
``Ta2Te1Zr1``) and ``target``. 60 rows (47 / 10 / 3) have |target| > 10 eV/atom: outliers
to filter before training. The source set of the cross-property transfer learning of
Gupta et al. 2021 (ElemNet pre-trained on OQMD).

Data licence: OQMD, CC BY 4.0; cite Kirklin et al. 2015, npj Comput. Mater. 1:15010, and
Saal et al. 2013, JOM 65:1501. CrabNet's packaging code is MIT-licensed (Baird 2021).

Published test MAE on this split (CrabNet repository, metrics/all_metrics.csv), eV/atom:
Roost 0.0315, CrabNet 0.0311, ElemNet 0.0489, random forest on Magpie features 0.0834
(``published_mae``).
"""

JARVIS_DESCR = """\
.. _jarvis_deltae_dataset:

JARVIS-DFT formation energies (Gupta et al. 2021's split)
---------------------------------------------------------

Formation energy per atom (eV/atom) by composition from JARVIS-DFT, with the exact
train / test split (25,297 / 2,811 rows) of the cross-property transfer learning of Gupta et
al. 2021 (Nat. Commun. 12:6595), from github.com/NU-CUCIS/CrossPropertyTL (``data/deltae``),
under that repository's Northwestern University copyright notice. Columns ``formula`` (the
files' ``pretty_comp``, e.g. ``Lu(MnGe)6``) and ``target`` (``formation_energy_peratom``).
Cite Gupta et al. 2021 and JARVIS (Choudhary et al. 2020, npj Comput. Mater. 6:173).

Published test MAE on this split (``published_mae``, eV/atom): trained from scratch 0.135,
with transfer learning from OQMD 0.125 (Gupta et al. 2021). The TL+RL table of the same
paper (Table II) reports test MAEs of 0.142 for SC:DL and 0.121 for TL+RL:DL(Dense).

Overlap with OQMD: about 20,356 of its 26,741 unique compositions also occur in
:func:`fetch_oqmd`'s set; a fair benchmark removes the test compositions from the source (or
says how it handles them).
"""

CROSSPROP_DESCR = """\
.. _crossprop_dataset:

Small composition -> property sets (CrabNet's splits)
-----------------------------------------------------

Three small sets with fixed train / val / test splits, as packaged in CrabNet's
``benchmark_data`` (packaging code MIT), for cross-property transfer learning from
:func:`fetch_oqmd`. Columns ``formula`` and ``target``.

============================== ============================== ====== ==================
target                         property                       unit   train / val / test
============================== ============================== ====== ==================
aflow__ael_bulk_modulus_vrh    bulk modulus (VRH, AFLOW-AEL)  GPa    3428 / 732 / 736
aflow__ael_debye_temperature   Debye temperature (AFLOW-AEL)  K      3428 / 732 / 736
mp_shear_modulus               shear modulus (VRH, MP)        GPa    4328 / 928 / 928
============================== ============================== ====== ==================

(aliases: ``bulk_modulus``, ``debye_temperature``, ``shear_modulus``.) Underlying data:
AFLOW (cite Curtarolo et al. and AFLOW-AEL, Toher et al. 2017) and the Materials Project
(CC BY 4.0; cite Jain et al. 2013 and de Jong et al. 2015).

Published test MAE on these splits (CrabNet repository, metrics/all_metrics.csv;
``published_mae``), Roost / CrabNet / ElemNet / random forest: bulk modulus 8.82 / 8.69 /
12.12 / 11.91 GPa; Debye temperature 37.17 / 33.46 / 45.72 / 36.48 K; shear modulus 12.80 /
12.79 / 15.10 / 12.78 GPa. Those models trained on train (val for early stopping) and were
scored once on test.
"""

PYMKS_DESCR = """\
.. _pymks_dataset:

PyMKS synthetic microstructures
-------------------------------

Synthetic two-phase microstructures (int64 labels {0, 1}) made with PyMKS
``generate_multiphase`` (MIT licence), at 64x64, 128x128 and 256x256 px, as shipped in
MCRpy's ``example_microstructures`` (``pymks_ms_<size>x<size>_1.npy``; github.com/
NEFM-TUDresden/MCRpy). A synthetic companion of the real Li et al. images of
:func:`load_li2018` for reconstruction benchmarks.
"""
