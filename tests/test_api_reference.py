"""docs/api.rst documents exactly the public API: every name in the ``__all__`` of every public
module, and nothing that is not there."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import sktl

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
PUBLIC_MODULES = [
    "sktl", *(f"sktl.{m.name}" for m in pkgutil.iter_modules(sktl.__path__) if m.name[0] != "_")
]


def _documented() -> list[tuple[str, str]]:
    found, module = [], None
    for line in API.read_text().splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = m.group(1)
        elif m := re.match(r"\.\. autodata:: (\S+)", line):
            found.append((module, m.group(1)))
        elif (m := re.match(r"   (\w+)$", line)) and module is not None:
            found.append((module, m.group(1)))
    return found


def test_every_documented_name_exists():
    missing = [f"{m}.{n}" for m, n in _documented() if not hasattr(importlib.import_module(m), n)]
    assert not missing, f"api.rst names what does not exist: {missing}"


def test_every_public_name_is_documented():
    documented = {id(getattr(importlib.import_module(m), n)) for m, n in _documented()}
    undocumented = []
    for module in PUBLIC_MODULES:
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if name.startswith("__") or inspect.ismodule(obj):
                continue
            if id(obj) not in documented:
                undocumented.append(f"{module}.{name}")
    assert not undocumented, f"add to docs/api.rst: {undocumented}"


def test_sections_hold_what_their_titles_say():
    lines = API.read_text().splitlines()
    section, module, entries = None, None, {}
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and set(lines[i + 1]) == {"-"} and len(lines[i + 1]) == len(line):
            section = line
        elif m := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = m.group(1)
        elif (m := re.match(r"   (\w+)$", line)) and module is not None:
            entries.setdefault(section, []).append(getattr(importlib.import_module(module), m[1]))
    assert all(inspect.isfunction(o) for o in entries["Functions"])
    assert all(issubclass(o, Warning) for o in entries["Warnings"])
    assert all(hasattr(o, "get_params") for o in entries["Estimators and transformers"])
