"""The built documentation, opened in headless Chromium: index, user guide, API and gallery.

Run by ``make docs-check`` after ``make docs``; not part of the unit-test suite.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parents[1] / "_build" / "html"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Chromium is not installed: `make docs-check` installs Debian's chromium.")
    return exe


def render(page: Path) -> str:
    """The DOM of ``page`` after Chromium has loaded it and run its scripts."""
    out = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "<body" in out.stdout, out.stderr[-1000:]
    return out.stdout


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])


def parse(dom: str) -> _Links:
    p = _Links()
    p.feed(dom)
    return p


@pytest.fixture(scope="module")
def index_dom():
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE / 'index.html'} is missing: run `make docs` first.")
    return render(SITE / "index.html")


def test_index_links_every_section(index_dom):
    links = parse(index_dom).links
    for target in ("api.html", "auto_examples/index.html", "architecture.html"):
        assert any(h.split("#")[0].endswith(target) for h in links), target
    guides = sorted(p.stem for p in (SITE / "user_guide").glob("*.html"))
    assert len(guides) >= 4
    for g in guides:
        assert any(f"user_guide/{g}.html" in h for h in links), g


def test_every_link_on_the_index_resolves(index_dom):
    for href in parse(index_dom).links:
        if re.match(r"^(https?:|mailto:|#|javascript:)", href):
            continue
        target = (SITE / href.split("#")[0]).resolve()
        assert target.exists(), f"broken link on index: {href}"


def test_gallery_has_a_page_and_images_per_example():
    scripts = sorted(EXAMPLES.glob("plot_*.py"))
    assert scripts
    gallery = parse(render(SITE / "auto_examples" / "index.html"))
    for script in scripts:
        page = SITE / "auto_examples" / f"{script.stem}.html"
        assert any(h.split("#")[0].endswith(page.name) for h in gallery.links), script.name
        dom = parse(render(page))
        figures = [s for s in dom.images if "sphx_glr_" in s and "thumb" not in s]
        assert figures, f"{page.name} shows no figure"
        for src in figures:
            assert (page.parent / src).resolve().is_file(), f"{page.name}: missing image {src}"
    thumbs = [s for s in gallery.images if "thumb" in s]
    assert len(thumbs) >= len(scripts)


def test_api_page_documents_the_estimators():
    dom = render(SITE / "api.html")
    for name in ("PretrainedCNNFeaturizer", "MultimodalRegressor", "HyperoptRegressor"):
        assert name in dom
        assert (SITE / "generated" / f"sktl.{name}.html").is_file()
