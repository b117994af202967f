"""Roll-up of a scored batch (线、面): by industry, region and chain, shared by CLI and web.

* :func:`read_enterprises` — the enterprise attribute file (id, industry, region, …);
* :func:`read_chains` — the chain file (YAML: ``chains: [{id, name, stages: [...]}]``);
* :func:`rollup_batch` — the roll-up tables of a :class:`~nqpf.services.assess.BatchOutcome`.

Invalid industry or region codes and duplicate enterprise ids are errors naming the file
row (header = row 1).  Scored enterprises missing from the enterprise file and chain
members missing from the scores are not errors: they are listed in ``rollup_problems``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nqpf.assessment.rollup import (
    Chain,
    ChainRollupResult,
    RollupResult,
    WeakLinksResult,
    chain_rollup,
    industry_keys,
    parse_chains,
    region_keys,
    rollup,
    weak_links,
)
from nqpf.datasets import load_regions
from nqpf.exceptions import DataValidationError
from nqpf.io.tables import read_table
from nqpf.services.assess import BatchOutcome

__all__ = [
    "BY_CHOICES",
    "ROLLUP_TABLES",
    "RollupOutcome",
    "read_chains",
    "read_enterprises",
    "rollup_batch",
]

BY_CHOICES = ("industry", "region", "chain")
ROLLUP_TABLES = (
    "rollup_industry",
    "rollup_industry_scenes",
    "rollup_region",
    "rollup_region_scenes",
    "rollup_chain",
    "rollup_chain_scenes",
    "rollup_chains",
    "weak_links",
    "rollup_problems",
)


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    if isinstance(v, float) and v == int(v):
        v = int(v)
    s = str(v).strip()
    return s or None


def read_enterprises(
    path: str | os.PathLike[str],
    *,
    id_column: str = "id",
    industry_column: str = "industry",
    region_column: str = "region",
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """The enterprise file (CSV/XLSX/Parquet), indexed by spreadsheet row (header = 1).

    Codes and ids are read as text (leading zeros kept).  A missing or duplicate id is an
    error naming the row.
    """
    path = Path(path)
    cols = [id_column, industry_column, region_column]
    table = read_table(path, sheet=sheet, text_columns=cols)
    if id_column not in table.columns:
        raise DataValidationError(
            f"id column {id_column!r} not found; columns: {', '.join(map(str, table.columns))}",
            file=path.name,
            column=id_column,
        )
    table.index = pd.RangeIndex(2, len(table) + 2)
    ids = table[id_column].map(_text)
    seen: dict[str, int] = {}
    for row, v in ids.items():
        if v is None:
            raise DataValidationError("缺少企业编号", file=path.name, row=row, column=id_column)
        if v in seen:
            raise DataValidationError(
                f"企业编号 {v!r} 重复（首次出现在第 {seen[v]} 行）",
                file=path.name,
                row=row,
                column=id_column,
            )
        seen[v] = row
    table[id_column] = ids
    return table


def read_chains(path: str | os.PathLike[str]) -> tuple[Chain, ...]:
    """Chains from a YAML file (see ``examples/chains-demo.yaml``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DataValidationError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(f"cannot read the chain file: {exc}", file=path.name) from None
    try:
        return parse_chains(data)
    except DataValidationError as exc:
        raise DataValidationError(exc.reason, file=path.name, field=exc.field) from None


@dataclass(frozen=True)
class RollupOutcome:
    """Roll-up results and the tables to write."""

    results: Mapping[str, RollupResult]
    chains: ChainRollupResult | None
    weak: WeakLinksResult | None
    problems: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _scene_levels(outcome: BatchOutcome, sheet: str | int | None) -> pd.DataFrame:
    ids = [s.id for s in outcome.framework.scenes]
    raw = read_table(outcome.source, sheet=sheet).reset_index(drop=True)
    present = [c for c in ids if c in raw.columns]
    return raw[present].apply(pd.to_numeric, errors="coerce")


def rollup_batch(
    outcome: BatchOutcome,
    *,
    by: Sequence[str] = (),
    enterprises: str | os.PathLike[str] | None = None,
    chains: str | os.PathLike[str] | None = None,
    id_column: str | None = None,
    enterprise_id_column: str | None = None,
    industry_column: str = "industry",
    region_column: str = "region",
    industry_level: str = "大类",
    region_level: str = "province",
    sections: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    k: int = 3,
    weak_metric: str = "mean_total",
    weak_threshold: float | None = None,
) -> RollupOutcome:
    """Roll a scored batch up by industry, region and/or chain.

    ``by`` lists ``industry``, ``region``, ``chain``; empty means industry and region when
    ``enterprises`` is given, plus chain when ``chains`` is given.  ``id_column`` is the
    batch id column (None: the row numbers 1, 2, … of the batch); the enterprise file's id
    column is ``enterprise_id_column``, by default ``id`` or else ``id_column``.
    """
    by = list(dict.fromkeys(by))
    for b in by:
        if b not in BY_CHOICES:
            raise DataValidationError(
                f"unknown roll-up {b!r}; use one of {', '.join(BY_CHOICES)}", field="by"
            )
    if not by:
        by = (["industry", "region"] if enterprises is not None else []) + (
            ["chain"] if chains is not None else []
        )
    needs_ent = [b for b in by if b in ("industry", "region")]
    if needs_ent and enterprises is None:
        raise DataValidationError(
            f"--by {needs_ent[0]} needs an enterprise file (--enterprises) with "
            f"{industry_column!r} / {region_column!r} columns",
            field="enterprises",
        )
    if "chain" in by and chains is None:
        raise DataValidationError("--by chain needs a chain file (--chains)", field="chains")
    fw = outcome.framework
    id_col = id_column or "id"
    scores = outcome.scores.copy()
    levels = _scene_levels(outcome, sheet)
    scores = scores.join(levels.drop(columns=[c for c in levels if c in scores], errors="ignore"))
    scores["_id"] = scores[id_col].map(_text)
    problems: list[dict[str, Any]] = []

    results: dict[str, RollupResult] = {}
    tables: dict[str, pd.DataFrame] = {}
    if needs_ent:
        assert enterprises is not None
        epath = Path(enterprises)
        probe = read_table(epath, sheet=None)
        eid = enterprise_id_column or ("id" if "id" in probe.columns else id_col)
        ent = read_enterprises(
            epath,
            id_column=eid,
            industry_column=industry_column,
            region_column=region_column,
        )
        for b in needs_ent:
            col = industry_column if b == "industry" else region_column
            if col not in ent.columns:
                raise DataValidationError(
                    f"no {b} column {col!r}; columns: {', '.join(map(str, ent.columns))}",
                    file=epath.name,
                    column=col,
                )
            try:  # validate on the enterprise file so that errors name its rows
                if b == "industry":
                    industry_keys(ent[col], industry_level, sections=sections, column=col)
                else:
                    region_keys(ent[col], region_level, column=col)
            except DataValidationError as exc:
                raise DataValidationError(
                    exc.reason, file=epath.name, row=exc.row, column=exc.column, field=exc.field
                ) from None
        attrs = ent.drop(columns=[c for c in ent.columns if c in scores.columns and c != eid])
        attrs = attrs.rename(columns={eid: "_id"})
        joined = scores.merge(attrs, on="_id", how="left", validate="many_to_one")
        missing = sorted(set(scores["_id"].dropna()) - set(attrs["_id"]))
        problems += [
            {
                "kind": "enterprise",
                "chain_id": None,
                "stage_id": None,
                "id": m,
                "message": "已评分企业不在企业信息文件中，未计入行业/地区汇总",
            }
            for m in missing
        ]
        for b in needs_ent:
            r = rollup(
                joined,
                b,
                framework=fw,
                industry_level=industry_level,
                region_level=region_level,
                industry_column=industry_column,
                region_column=region_column,
                sections=sections,
                k=k,
            )
            results[b] = r
            groups = r.groups
            if b == "region" and region_level in ("province", "省"):
                # Province codes alone are hard to read in a table: add the name.
                names = load_regions().set_index("code")["name"]
                groups = groups.copy()
                groups.insert(1, "name", groups["group"].astype(str).map(names))
            tables[f"rollup_{b}"] = groups
            tables[f"rollup_{b}_scenes"] = r.weakest
    chain_res = weak = None
    if "chain" in by:
        assert chains is not None
        parsed = read_chains(chains)
        chain_res = chain_rollup(scores, parsed, framework=fw, id_column="_id", k=k)
        weak = weak_links(chain_res, metric=weak_metric, threshold=weak_threshold)
        tables["rollup_chain"] = chain_res.stages
        tables["rollup_chain_scenes"] = chain_res.weakest
        tables["rollup_chains"] = chain_res.chains
        tables["weak_links"] = weak.links
        problems += [
            {
                "kind": "chain_member",
                "chain_id": c,
                "stage_id": s,
                "id": m,
                "message": "产业链成员编号不在评分表中",
            }
            for c, s, m in chain_res.unknown.itertuples(index=False)
        ]
    prob = pd.DataFrame(problems, columns=["kind", "chain_id", "stage_id", "id", "message"])
    if by:
        tables["rollup_problems"] = prob
    return RollupOutcome(results, chain_res, weak, prob, tables)
