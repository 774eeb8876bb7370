"""Sphinx configuration of the sktl documentation (built by `make docs`, warnings are errors)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The examples read only data that ship with sktl (no download). Any sktl.datasets.fetch_* a
# page runs reads the reference data beside the repository when it is there, else $SKTL_DATA
# or ~/sktl_data.
_SHARED_DATA = ROOT.parent / "shared" / "data"
if _SHARED_DATA.is_dir():
    os.environ.setdefault("SKTL_DATA", str(_SHARED_DATA))

import sktl  # noqa: E402

project = "sktl"
copyright = "2026, the sktl developers"
release = sktl.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "tests", "auto_examples/*.ipynb", "auto_examples/*.py"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

autosummary_generate = True
# scikit-learn's own methods (score, set_params, metadata routing) are documented by scikit-learn
_SKLEARN_MEMBERS = (
    "score,get_params,set_params,fit_transform,set_output,get_metadata_routing,"
    "set_fit_request,set_predict_request,set_score_request,set_transform_request"
)
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": _SKLEARN_MEMBERS,
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    # sktl's figures are plain matplotlib Figures (no pyplot): see docs/_ext/figure_scraper.py
    "image_scrapers": ("figure_scraper",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"sktl {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path: list[str] = []
templates_path = ["_templates"]
