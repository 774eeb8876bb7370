"""The import layers of docs/architecture.md hold: lower never imports higher, and no module
imports itself back through others (module-level imports; a function-level import is how a
lower layer names a higher one's object lazily, e.g. the vocabulary's FeatureCache constraint).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sktl"

#: The layers, lowest first: a module may import its own layer or lower ones.
LAYERS = [
    {"utils"},
    {"persistence", "_nn", "images", "_version"},
    {"backbones"},
    {"descriptors"},
    {"featurizers", "multimodal", "cnn", "transfer", "reconstruction", "composition"},
    {"datasets", "automl", "plotting"},
    {"cli", "base"},
    {"__init__"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.parse(path.read_text()).body:  # module level only
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            submodules = {f"{target}.{a.name}" for a in node.names} & modules
            found |= submodules  # from . import a, b: the submodules a and b ...
            if node.module or len(submodules) < len(node.names):
                found.add(target)  # ... else what the package itself defines
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sktl"):
            found.add(node.module)
    return {m for m in found if m in modules and m != name}


GRAPH = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module}: add its subpackage to LAYERS and to docs/architecture.md")


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_lower_layers_never_import_higher_ones(module):
    higher = sorted(m for m in GRAPH[module] if _layer(m) > _layer(module))
    assert not higher, f"{module} (layer {_layer(module)}) imports {higher}"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module, path):
        state[module] = 1
        for nxt in sorted(GRAPH[module]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, module, nxt]))
            if nxt not in state:
                visit(nxt, [*path, module])
        state[module] = 2

    for module in sorted(GRAPH):
        # a package's __init__ re-exports its submodules; a submodule importing its own
        # package is the cycle to look for, so the walk starts everywhere
        if module not in state:
            visit(module, [])
