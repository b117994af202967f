"""The layers of design.md §1: cli, web → services → core, io, reports.

* The core imports none of the edges: a static check that parses every ``import``
  statement of every core module (including imports inside functions and relative
  imports), and a dynamic one that imports the core in a fresh interpreter and looks at
  ``sys.modules``.
* One kitchen, two doors: the web reads, computes, validates domain rules and renders
  only through :mod:`nqpf.services` (its own services hold authorisation, SQL,
  transactions, revisions and audit), the CLI reaches the web only to serve it, and
  :mod:`nqpf.services` knows neither door.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nqpf

SRC = Path(nqpf.__file__).resolve().parent

#: Core packages and modules.
CORE = [
    "nqpf.indices",
    "nqpf.panel",
    "nqpf.results",
    "nqpf.disparity",
    "nqpf.assessment",
    "nqpf.codes",
    "nqpf.matching",
    "nqpf.evaluation",
    "nqpf.systems",
    "nqpf.exceptions",
]
#: What the core must never import.
FORBIDDEN = [
    "nqpf.io",
    "nqpf.reports",
    "nqpf.services",
    "nqpf.cli",
    "nqpf.web",
    "rich",
    "typer",
    "click",
    "fastapi",
    "sqlalchemy",
    "matplotlib",
    "jinja2",
]


def _existing_core() -> list[str]:
    return [name for name in CORE if importlib.util.find_spec(name) is not None]


def _module_files(name: str) -> list[tuple[str, Path]]:
    """(dotted module name, file) for ``name`` and, for a package, every module below it."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    origin = Path(spec.origin)
    if origin.name != "__init__.py":
        return [(name, origin)]
    root = origin.parent
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out.append((".".join([name, *parts]), path))
    return out


def imported_names(module: str, source: str, *, is_package: bool = False) -> list[tuple[str, int]]:
    """Absolute names of every module an ``import`` statement in ``source`` may load."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.append((target, node.lineno))
            # `from nqpf import io` imports the module nqpf.io
            names += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.args[0].value, node.lineno))
    return names


def _is_forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def violations(module: str, path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    found = imported_names(module, source, is_package=path.name == "__init__.py")
    return [
        f"{path.relative_to(SRC.parent)}:{line} imports {name}"
        for name, line in found
        if _is_forbidden(name)
    ]


def test_core_packages_exist():
    core = _existing_core()
    assert {"nqpf.indices", "nqpf.panel", "nqpf.results"} <= set(core)
    files = [f for name in core for f in _module_files(name)]
    assert len(files) >= 8  # indices has several modules; the walk found them


@pytest.mark.parametrize("package", _existing_core())
def test_core_imports_no_edge_statically(package):
    bad = [v for module, path in _module_files(package) for v in violations(module, path)]
    assert bad == []


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import rich.console\n", "nqpf.indices.x", ["rich.console"]),
        ("from nqpf.io import read_panel\n", "nqpf.indices.x", ["nqpf.io"]),
        ("from nqpf import reports\n", "nqpf.indices.x", ["nqpf.reports"]),
        ("from .. import services\n", "nqpf.indices.x", ["nqpf.services"]),
        ("from ..cli.main import app\n", "nqpf.panel.panel", ["nqpf.cli.main"]),
        ("def f():\n    import typer\n", "nqpf.results", ["typer"]),
        ("import importlib\nimportlib.import_module('nqpf.web')\n", "nqpf.panel.x", ["nqpf.web"]),
        ("from nqpf.indices import minmax\nimport numpy\n", "nqpf.panel.x", []),
        ("from nqpf.iox import y\n", "nqpf.panel.x", []),
    ],
)
def test_the_static_check_catches_edge_imports(source, module, expected):
    found = {n for n, _ in imported_names(module, source) if _is_forbidden(n)}
    assert set(expected) <= found
    if not expected:
        assert found == set()


def test_importing_the_core_loads_no_edge():
    core = _existing_core()
    code = (
        "import json, sys\n"
        + "".join(f"import {name}\n" for name in core)
        + "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(proc.stdout)
    bad = [m for m in loaded if _is_forbidden(m)]
    assert bad == []
    assert "nqpf.indices" in loaded  # the import really happened


# -- one kitchen, two doors ---------------------------------------------------------------
#: What the web's services and routes must leave to nqpf.services: file readers and
#: writers, dataframes, report rendering and charts.
WEB_FORBIDDEN = [
    "csv",
    "zipfile",
    "openpyxl",
    "pandas",
    "polars",
    "matplotlib",
    "nqpf.io",
    "nqpf.reports",
]


def _imports_matching(package: str, forbidden: list[str], *, skip: tuple[str, ...] = ()):
    bad = []
    for module, path in _module_files(package):
        if module in skip:
            continue
        found = imported_names(module, path.read_text("utf-8"), is_package=path.name == "__init__.py")
        bad += [
            f"{path.relative_to(SRC.parent)}:{line} imports {name}"
            for name, line in found
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        ]
    return bad


@pytest.mark.parametrize("package", ["nqpf.web.services", "nqpf.web.routes"])
def test_web_reads_computes_and_renders_through_services(package):
    assert _imports_matching(package, WEB_FORBIDDEN) == []


def test_cli_reaches_the_web_only_to_serve_it():
    assert _imports_matching("nqpf.cli", ["nqpf.web"], skip=("nqpf.cli.web",)) == []


def test_services_know_neither_door():
    assert _imports_matching("nqpf.services", ["nqpf.web", "nqpf.cli", "rich", "typer"]) == []


def test_the_door_check_sees_imports():
    found = {n for n, _ in imported_names("nqpf.web.services.x", "def f():\n    import openpyxl\n")}
    assert "openpyxl" in found
