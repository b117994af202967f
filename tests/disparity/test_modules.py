"""The shape of nqpf.disparity: old import paths still work, modules share no private names.

``spatial.py`` was split into ``weights.py`` and ``moran.py``, ``markov.py`` into
``classify.py``, ``ergodic.py`` and the estimators (issue 10); the old modules re-export
every public name they had.  The name lists below are written out as they were before the
split, so that a name dropped from a re-export fails here.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import nqpf.disparity

SPATIAL_NAMES = [
    "EARTH_RADIUS_KM",
    "LocalMoranResult",
    "MoranResult",
    "SpatialWeights",
    "haversine",
    "lattice_adjacency",
    "local_moran",
    "moran",
    "parse_gal",
    "province_weights",
    "spatial_weights",
]
MARKOV_NAMES = [
    "HomogeneityResult",
    "MarkovResult",
    "SpatialMarkovResult",
    "default_labels",
    "homogeneity",
    "markov",
    "mfpt",
    "spatial_markov",
    "steady_states",
]
PACKAGE_NAMES = [
    "BetaConvergenceResult",
    "ByPeriod",
    "DagumResult",
    "GiniResult",
    "KDEResult",
    "LocalMoranResult",
    "MarkovResult",
    "MoranResult",
    "SigmaConvergenceResult",
    "SpatialMarkovResult",
    "SpatialWeights",
    "TheilResult",
    "beta_convergence",
    "dagum",
    "gini",
    "homogeneity",
    "kde",
    "local_moran",
    "markov",
    "mfpt",
    "moran",
    "province_weights",
    "sigma_convergence",
    "spatial_markov",
    "spatial_weights",
    "steady_states",
    "theil",
]

#: Names issue 15 added to the package (new methods); the names above must all remain.
ADDED_NAMES = [
    "LocalMoranBVResult",
    "MobilityResult",
    "MoranBVResult",
    "MoranRateResult",
    "eb_standardized_rates",
    "local_moran_bv",
    "mobility",
    "moran_bv",
    "moran_rate",
    "prais",
    "shorrocks",
    "sojourn_time",
]

PACKAGE_DIR = Path(nqpf.disparity.__file__).parent


@pytest.mark.parametrize(
    ("module", "names", "homes"),
    [
        ("nqpf.disparity.spatial", SPATIAL_NAMES, ("weights", "moran")),
        ("nqpf.disparity.markov", MARKOV_NAMES, ("markov", "classify", "ergodic")),
        ("nqpf.disparity", sorted(PACKAGE_NAMES + ADDED_NAMES), ()),
    ],
)
def test_public_names_are_unchanged(module, names, homes):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == names
    for name in names:
        obj = getattr(mod, name)  # `from <module> import <name>` works
        if homes and hasattr(obj, "__module__"):
            # re-exported from the module that defines it, not a copy
            assert obj.__module__ in {f"nqpf.disparity.{h}" for h in homes}, name


def test_markov_keeps_its_class_names_constant():
    from nqpf.disparity.classify import LABELS_4
    from nqpf.disparity.markov import LABELS_4 as old_path

    assert old_path is LABELS_4


def _private_imports_from_siblings(path: Path) -> list[str]:
    """``from nqpf.disparity.<m> import _x`` (or ``from .<m> import _x``) lines of a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        sibling = node.level > 0 or (node.module or "").startswith("nqpf.disparity")
        found += [
            f"{path.name}:{node.lineno} imports {alias.name} from {node.module}"
            for alias in node.names
            if sibling and alias.name.startswith("_")
        ]
    return found


def test_no_module_imports_a_private_name_from_a_sibling():
    modules = sorted(PACKAGE_DIR.glob("*.py"))
    assert len(modules) > 10
    offences = [line for path in modules for line in _private_imports_from_siblings(path)]
    assert offences == []


def test_the_check_finds_a_private_import(tmp_path):
    bad = tmp_path / "theil.py"
    bad.write_text(
        "from nqpf.disparity._validation import unit_weights\n"
        "from nqpf.disparity.gini import _values, gini\n"
        "from .gini import _label\n"
    )
    assert _private_imports_from_siblings(bad) == [
        "theil.py:2 imports _values from nqpf.disparity.gini",
        "theil.py:3 imports _label from gini",
    ]
