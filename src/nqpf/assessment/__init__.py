"""Enterprise assessment: versioned frameworks (YAML data) and their scoring.

Shipped frameworks
------------------
``sme-digital-2024``
    中小企业数字化水平评测指标（2024年版）(工信厅企业〔2024〕56号): 15 scored questions
    (数字化基础 50 / 管理 30 / 成效 20), 16 数字化经营 scenes (10 约束性) and the level rule
    (score plus scene counts; confidence ``secondary``).
``sme-digital-2022``
    The 2022 version (工信厅企业〔2022〕32号): level bands only; its item tables are not
    available, so it cannot score responses.

Examples
--------
>>> from nqpf.assessment import framework_versions, latest_version, list_frameworks, load_framework
>>> list_frameworks()
['sme-digital-2022', 'sme-digital-2024']
>>> fw = load_framework("sme-digital")      # the latest version
>>> fw.version, fw.confidence, fw.level_rule.confidence
('2024', 'official', 'secondary')
>>> framework_versions("sme-digital"), latest_version("sme-digital")
(['2022', '2024'], '2024')
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

import yaml

from nqpf.assessment.cmmm import score_cmmm
from nqpf.assessment.diagnosis import Diagnosis, Roadmap, diagnose, roadmap
from nqpf.assessment.green_factory import score_green_factory
from nqpf.assessment.quality_sme_tiers import (
    assess_innovative,
    assess_little_giant,
    assess_specialized,
)
from nqpf.assessment.schema import (
    Band,
    Dimension,
    FormField,
    Framework,
    Indicator,
    LevelRow,
    LevelRule,
    Option,
    Question,
    Scene,
    SubDimension,
    parse_framework,
)
from nqpf.assessment.scoring import (
    BatchScoreResult,
    Condition,
    QuestionScore,
    ScoreResult,
    batch_score,
    score,
)
from nqpf.assessment.smart_factory_tiers import assess_tier
from nqpf.exceptions import ConfigError

__all__ = [
    "Band",
    "BatchScoreResult",
    "Condition",
    "Diagnosis",
    "Dimension",
    "FormField",
    "Framework",
    "Indicator",
    "LevelRow",
    "LevelRule",
    "Option",
    "Question",
    "QuestionScore",
    "Roadmap",
    "Scene",
    "ScoreResult",
    "SubDimension",
    "assess_innovative",
    "assess_little_giant",
    "assess_specialized",
    "assess_tier",
    "batch_score",
    "diagnose",
    "framework_versions",
    "latest_version",
    "list_frameworks",
    "load_framework",
    "parse_framework",
    "roadmap",
    "score",
    "score_cmmm",
    "score_green_factory",
    "version_key",
]

_DIR = "frameworks"


@functools.cache
def _kind(name: str) -> str:
    """``questionnaire`` for files in the :class:`Framework` schema (scored by :func:`score`),
    ``rules`` for the condition and maturity sets of cmmm, smart_factory_tiers,
    quality_sme_tiers and green_factory."""
    text = resources.files(__name__).joinpath(_DIR, name).read_text("utf-8")
    top = yaml.safe_load(text)
    return "questionnaire" if isinstance(top, dict) and "questions" in top else "rules"


def list_frameworks(kind: str | None = "questionnaire") -> list[str]:
    """Shipped frameworks as ``id-version`` (the file stems), sorted.

    ``kind="questionnaire"`` (default) lists those :func:`load_framework` and :func:`score`
    handle; ``"rules"`` the rule sets of :mod:`~nqpf.assessment.cmmm`,
    :mod:`~nqpf.assessment.smart_factory_tiers`, :mod:`~nqpf.assessment.quality_sme_tiers` and
    :mod:`~nqpf.assessment.green_factory`; ``None`` all of them.
    """
    root = resources.files(__name__).joinpath(_DIR)
    names = [e.name for e in root.iterdir() if e.is_file() and e.name.endswith(".yaml")]
    return sorted(Path(n).stem for n in names if kind is None or _kind(n) == kind)


def version_key(version: str) -> list[tuple[int, int, str]]:
    """Sort key of a framework version: the rule that says which version is the latest.

    The version is cut at ``.`` and ``-``; parts of digits compare as numbers, other parts
    as text and after any number, so ``2024 < 2024.2 < 2024.10 < 2024-draft``.

    Examples
    --------
    >>> sorted(["2024.10", "2022", "2024-draft", "2024.2"], key=version_key)
    ['2022', '2024.2', '2024.10', '2024-draft']
    """
    return [
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.replace("-", ".").split(".")
    ]


def framework_versions(id: str) -> list[str]:
    """Versions of the shipped questionnaire framework ``id``, oldest first (``[]`` if none).

    Examples
    --------
    >>> framework_versions("sme-digital")
    ['2022', '2024']
    >>> framework_versions("sme")
    []
    """
    # A key is "<id>-<version>" and a version starts with a digit, so the id "sme" does
    # not claim "sme-digital-2024".
    versions = (k[len(id) + 1 :] for k in list_frameworks() if k.startswith(f"{id}-"))
    return sorted((v for v in versions if v[:1].isdigit()), key=version_key)


def latest_version(id: str) -> str:
    """The newest shipped version of framework ``id``: the one ``load_framework(id)`` loads.

    Raises
    ------
    ConfigError
        If no shipped questionnaire framework has this id (the message lists those shipped).

    Examples
    --------
    >>> latest_version("sme-digital")
    '2024'
    """
    return _known_versions(id)[-1]


def _known_versions(id: str) -> list[str]:
    """:func:`framework_versions`, refusing an id that has none."""
    versions = framework_versions(id)
    if not versions:
        shipped = list_frameworks()
        raise ConfigError(
            f"unknown framework {id!r}; shipped: {', '.join(shipped)}",
            field="id",
            zh=f"没有评测框架 {id!r}；可选：{'、'.join(shipped)}",
        )
    return versions


@functools.cache
def _load_shipped(key: str) -> Framework:
    text = resources.files(__name__).joinpath(_DIR, f"{key}.yaml").read_text("utf-8")
    fw = parse_framework(text, filename=f"{key}.yaml")
    if fw.key != key:
        raise ConfigError(
            f"file {key}.yaml declares id {fw.id!r} version {fw.version!r}; "
            f"expected the file to be named {fw.key}.yaml"
        )
    return fw


def load_framework(id: str | os.PathLike[str], version: str | None = None) -> Framework:
    """Load a shipped framework, or a YAML file by path.

    Parameters
    ----------
    id
        A framework id (``"sme-digital"``), an ``id-version`` key
        (``"sme-digital-2024"``, see :func:`list_frameworks`) or the path of a YAML file.
    version
        The version (``"2024"``); ``None`` takes the latest shipped version.

    Raises
    ------
    ConfigError
        Unknown id or version, or a malformed file (naming the key and line).

    Examples
    --------
    >>> load_framework("sme-digital", "2022").level_rule.to_frame()["min_score"].tolist()
    [80.0, 60.0, 40.0, 20.0]
    """
    shipped = list_frameworks()
    if isinstance(id, str) and version is None and id in shipped:
        return _load_shipped(id)
    if isinstance(id, str) and not id.endswith((".yaml", ".yml")) and os.sep not in id:
        versions = _known_versions(id)
        if version is None:
            version = versions[-1]
        if str(version) not in versions:
            raise ConfigError(
                f"framework {id!r} has no version {version!r}; available: {', '.join(versions)}",
                field="version",
                zh=f"评测框架 {id} 没有 {version!r} 版；可选版本：{'、'.join(versions)}",
            )
        return _load_shipped(f"{id}-{version}")
    path = Path(id)
    if not path.is_file():
        raise ConfigError("file not found", file=str(path), zh="找不到该文件")
    fw = parse_framework(path.read_text(encoding="utf-8-sig"), filename=str(path))
    if version is not None and fw.version != str(version):
        raise ConfigError(
            f"file declares version {fw.version!r}, not {version!r}",
            file=str(path),
            zh=f"文件声明的版本是 {fw.version!r}，不是 {version!r}",
        )
    return fw
