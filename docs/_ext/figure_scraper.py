"""sphinx-gallery image scraper for the ``matplotlib.figure.Figure`` objects sktl returns.

sktl's plotting functions build figures without pyplot (so they never change a user's
backend or figure registry), which sphinx-gallery's default matplotlib scraper cannot see:
it only asks pyplot. This scraper saves every new Figure an example block leaves in the
example's globals (also inside lists, tuples and dicts) and still collects pyplot figures.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from sphinx_gallery.scrapers import figure_rst, matplotlib_scraper

_SEEN: dict[str, set[int]] = {}


def _figures(value, depth=0):
    if isinstance(value, Figure):
        yield value
    elif depth < 2 and isinstance(value, (list, tuple)):
        for v in value:
            yield from _figures(v, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for v in value.values():
            yield from _figures(v, depth + 1)


def sktl_figure_scraper(block, block_vars, gallery_conf, **kwargs):
    seen = _SEEN.setdefault(block_vars["src_file"], set())
    paths = []
    for name, value in list(block_vars["example_globals"].items()):
        if name.startswith("__"):
            continue
        for fig in _figures(value):
            if id(fig) in seen:
                continue
            seen.add(id(fig))
            path = next(block_vars["image_path_iterator"])
            fig.savefig(path, dpi=100, bbox_inches="tight")
            paths.append(path)
    rst = figure_rst(paths, gallery_conf["src_dir"]) if paths else ""
    return rst + matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)


def _get_sg_image_scraper():
    """How sphinx-gallery finds the scraper from its module name (keeps conf.py picklable)."""
    return sktl_figure_scraper
