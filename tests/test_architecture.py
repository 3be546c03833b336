"""The layers of docs/architecture.md hold: who may import whom, read from the source's import statements."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Layers of the package, lowest first: a module may import its own layer and those below, never above.
LAYERS: dict[str, int] = {
    "ropa": 0, "ropa.errors": 0,
    "ropa.reference": 1, "ropa.config": 1, "ropa.auth": 1,
    "ropa.models": 2, "ropa.labels": 2, "ropa.review": 2, "ropa.four_eyes": 2,
    "ropa.storage": 3,
    "ropa.cli": 5, "ropa.commands": 5, "ropa.__main__": 5,
}
DOMAIN = 4  # every other ropa module: analysis, export, import, dashboard data, sign-in decisions

def imported(source: str) -> set[str]:
    """Every module ``source`` imports, wherever the statement is (inside functions and TYPE_CHECKING too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@cache
def imports_of(path: Path) -> frozenset[str]:
    return frozenset(imported(path.read_text(encoding="utf-8")))


def _unit(module: str) -> str:
    """The layer unit a ropa module belongs to: ``ropa.gaps.engine`` -> ``ropa.gaps``."""
    return ".".join(module.split(".")[:2])


def _layer(module: str) -> int:
    return LAYERS.get(_unit(module), DOMAIN)


def higher_layers(module: str, names: Iterable[str]) -> set[str]:
    """The ropa modules among ``names`` that sit in a layer above ``module``'s."""
    return {n for n in _touches(names, "ropa") if _unit(n) != _unit(module) and _layer(n) > _layer(module)}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _touches(names: Iterable[str], package: str) -> set[str]:
    return {n for n in names if n == package or n.startswith(package + ".")}


@pytest.mark.parametrize(("source", "package", "found"), [
    pytest.param("import streamlit as st", "streamlit", True, id="import"),
    pytest.param("from streamlit.errors import StreamlitAPIException", "streamlit", True, id="from-import"),
    pytest.param("def f():\n    import streamlit\n", "streamlit", True, id="inside-a-function"),
    pytest.param("from ropa import storage", "ropa.storage", True, id="package-from-its-parent"),
    pytest.param("from ropa.storage.entities import list_entities", "ropa.storage", True, id="module"),
    pytest.param("import pandas as pd\nfrom ropa.register import register_counts", "streamlit", False, id="other"),
    pytest.param("from ropa.storage_notes import x", "ropa.storage", False, id="same-prefix-other-module"),
    pytest.param("text = 'import streamlit'", "streamlit", False, id="in-a-string"),
])
def test_the_import_scan_sees_every_form_of_import(source: str, package: str, found: bool) -> None:
    assert bool(_touches(imported(source), package)) is found


@pytest.mark.parametrize("path", _sources("ropa"), ids=lambda p: str(p.relative_to(ROOT)))
def test_ropa_never_imports_streamlit_or_the_app(path: Path) -> None:
    names = imports_of(path)
    assert not (_touches(names, "streamlit") | _touches(names, "ui") | _touches(names, "screens"))


@pytest.mark.parametrize(("module", "names", "fires"), [
    pytest.param("ropa.storage.activities", {"ropa.gaps.engine"}, True, id="storage-imports-analysis"),
    pytest.param("ropa.storage.backup", {"ropa.gaps.acceptance"}, True, id="restore-reaches-into-the-gap-rules"),
    pytest.param("ropa.models", {"ropa.storage.database"}, True, id="models-import-storage"),
    pytest.param("ropa.export.xlsx", {"ropa.cli"}, True, id="domain-imports-the-cli"),
    pytest.param("ropa.gaps.engine", {"ropa.storage.database", "ropa.config", "ropa.export"}, False,
                 id="domain-imports-below-and-beside"),
    pytest.param("ropa.storage.audit", {"ropa.storage.database", "ropa.auth"}, False, id="storage-imports-below"),
    pytest.param("ropa.backups", {"ropa.storage.backup", "ropa.gaps.acceptance"}, False,
                 id="a-facade-imports-storage-and-the-domain"),
    pytest.param("ropa.commands.gaps", {"ropa.cli", "ropa.gaps"}, False, id="commands-import-anything"),
])
def test_the_layer_rule_flags_only_imports_from_above(module: str, names: set[str], fires: bool) -> None:
    assert bool(higher_layers(module, names)) is fires


@pytest.mark.parametrize("path", _sources("ropa"), ids=lambda p: str(p.relative_to(ROOT)))
def test_ropa_imports_only_its_own_layer_and_those_below(path: Path) -> None:
    module = _module(path)
    above = higher_layers(module, imports_of(path))
    assert not above, f"{module} (layer {_layer(module)}) imports a higher layer: {sorted(above)}"


@pytest.mark.parametrize("path", [p for p in _sources("ropa") if "storage" not in p.relative_to(ROOT).parts],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_only_ropa_storage_imports_duckdb(path: Path) -> None:
    assert not _touches(imports_of(path), "duckdb")


@pytest.mark.parametrize("path", sorted((ROOT / "screens").glob("*.py")), ids=lambda p: p.name)
def test_a_page_never_imports_ropa_storage_or_duckdb(path: Path) -> None:
    found = _touches(imports_of(path), "ropa.storage") | _touches(imports_of(path), "duckdb")
    assert not found, f"{path.name} imports {sorted(found)}: ask ropa/ (or ui/ for the register handle) instead"


def test_there_are_pages_to_check() -> None:
    assert len(list((ROOT / "screens").glob("*.py"))) >= 10


def test_the_map_names_every_part_of_the_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    parts = {p.stem for p in (ROOT / "ropa").glob("*.py") if p.stem != "__init__"}
    parts |= {p.name + "/" for p in (ROOT / "ropa").iterdir() if (p / "__init__.py").is_file()}
    missing = sorted(part for part in parts if f"ropa/{part}" not in text)
    assert not missing, f"docs/architecture.md does not say where these live: {missing}"
    assert all(f"`{unit.replace('.', '/')}" in text for unit in LAYERS if unit != "ropa")
