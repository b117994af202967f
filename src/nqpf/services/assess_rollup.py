"""Roll-up of scored enterprises (线、面): by industry, region and chain, shared by CLI and web.

* :func:`read_enterprises` — the enterprise attribute file (id, industry, region, …);
* :func:`read_chains` — the chain file (YAML: ``chains: [{id, name, stages: [...]}]``);
* :func:`rollup_batch` — the roll-up tables of a :class:`~nqpf.services.assess.BatchOutcome`;
* :func:`rollup_stored` — the roll-ups of stored results (the platform's dashboard: one
  row per enterprise, chain membership from its own chain list), and :func:`rollup_xlsx`
  to download them.

Files come as an upload's name and bytes (:class:`~nqpf.services.files.InputFile`) or as
a path, which :func:`nqpf.services.files.read_input` reads (the CLI's door).  Invalid
industry or region codes and duplicate enterprise ids are errors naming the file row
(header = row 1).  Scored enterprises missing from the enterprise file and chain members
missing from the scores are not errors: they are listed in ``rollup_problems``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from nqpf.assessment.rollup import (
    Chain,
    ChainRollupResult,
    RollupResult,
    WeakLinksResult,
    chain_rollup,
    chains_from_memberships,
    common_gaps,
    condition_key,
    industry_keys,
    level_names,
    parse_chains,
    region_keys,
    rollup,
    weak_links,
)
from nqpf.assessment.schema import Framework
from nqpf.codes import province_names
from nqpf.exceptions import DataValidationError
from nqpf.io.atomic import xlsx_bytes
from nqpf.io.tables import read_table
from nqpf.services.assess import BatchOutcome
from nqpf.services.files import InputFile, read_input

__all__ = [
    "BY_CHOICES",
    "MIN_PEERS",
    "ROLLUP_TABLES",
    "STORED_FIELDS",
    "SUMMARY_DIMENSIONS",
    "SUMMARY_SCENES",
    "RollupOutcome",
    "StoredRollup",
    "carbon_from_sums",
    "carbon_rollup",
    "carbon_totals",
    "group_view",
    "latest_summaries",
    "peer_distribution",
    "read_chains",
    "read_enterprises",
    "rollup_batch",
    "rollup_stored",
    "rollup_xlsx",
    "stored_frame",
    "stored_summary",
    "summary_fits",
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


#: A file as the doors hand it over: an upload's name and bytes, or a path (the CLI's).
Source = InputFile | str | os.PathLike[str]


def _input(source: Source) -> InputFile:
    return source if isinstance(source, InputFile) else read_input(source)


def _enterprise_file(
    source: Source, text_columns: Sequence[str], sheet: str | int | None
) -> tuple[pd.DataFrame, str]:
    f = _input(source)
    return read_table(f.data, name=f.name, sheet=sheet, text_columns=text_columns), f.name


def _checked_enterprises(table: pd.DataFrame, name: str, id_column: str) -> pd.DataFrame:
    """``table`` indexed by spreadsheet row, its ids as text; a missing or duplicate id is
    an error naming the row."""
    if id_column not in table.columns:
        raise DataValidationError(
            f"id column {id_column!r} not found; columns: {', '.join(map(str, table.columns))}",
            file=name,
            column=id_column,
        )
    first = table.attrs.get("first_row", 2)
    table = table.set_axis(pd.RangeIndex(first, len(table) + first))
    ids = table[id_column].map(_text)
    seen: dict[str, int] = {}
    for row, v in ids.items():
        if v is None:
            raise DataValidationError("缺少企业编号", file=name, row=row, column=id_column)
        if v in seen:
            raise DataValidationError(
                f"企业编号 {v!r} 重复（首次出现在第 {seen[v]} 行）",
                file=name,
                row=row,
                column=id_column,
            )
        seen[v] = row
    return table.assign(**{id_column: ids})


def read_enterprises(
    source: Source,
    *,
    id_column: str = "id",
    industry_column: str = "industry",
    region_column: str = "region",
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """The enterprise file (CSV/XLSX/Parquet: an upload's name and bytes, or a path),
    indexed by spreadsheet row.

    Codes and ids are read as text (leading zeros kept).  A missing or duplicate id is an
    error naming the row.
    """
    table, name = _enterprise_file(source, [id_column, industry_column, region_column], sheet)
    return _checked_enterprises(table, name, id_column)


def read_chains(source: Source) -> tuple[Chain, ...]:
    """Chains from a YAML file (an upload's name and bytes, or a path; see
    ``examples/chains-demo.yaml``)."""
    f = _input(source)
    try:
        data = yaml.safe_load(f.data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(f"cannot read the chain file: {exc}", file=f.name) from None
    try:
        return parse_chains(data)
    except DataValidationError as exc:
        raise exc.at(file=f.name) from None


@dataclass(frozen=True)
class RollupOutcome:
    """Roll-up results and the tables to write."""

    results: Mapping[str, RollupResult]
    chains: ChainRollupResult | None
    weak: WeakLinksResult | None
    problems: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _roll_ups(
    by: Sequence[str], has_enterprises: bool, has_chains: bool, columns: str
) -> list[str]:
    """The roll-ups asked for (by default what the given files allow), checked."""
    wanted = list(dict.fromkeys(by))
    for b in wanted:
        if b not in BY_CHOICES:
            raise DataValidationError(
                f"unknown roll-up {b!r}; use one of {', '.join(BY_CHOICES)}", field="by"
            )
    if not wanted:
        wanted = (["industry", "region"] if has_enterprises else []) + (
            ["chain"] if has_chains else []
        )
    needs = [b for b in wanted if b in ("industry", "region")]
    if needs and not has_enterprises:
        raise DataValidationError(
            f"--by {needs[0]} needs an enterprise file (--enterprises) with {columns} columns",
            field="enterprises",
        )
    if "chain" in wanted and not has_chains:
        raise DataValidationError("--by chain needs a chain file (--chains)", field="chains")
    return wanted


def _with_scene_levels(
    outcome: BatchOutcome, responses: Source | None, sheet: str | int | None
) -> pd.DataFrame:
    """The batch's scores with the scene levels of its response table (the scores do not
    carry them), read from ``responses`` or else the batch's own file."""
    f = _input(outcome.source if responses is None else responses)
    raw = read_table(f.data, name=f.name, sheet=sheet).reset_index(drop=True)
    present = [s.id for s in outcome.framework.scenes if s.id in raw.columns]
    levels = raw[present].apply(pd.to_numeric, errors="coerce")
    scores = outcome.scores
    return scores.join(levels.drop(columns=[c for c in levels if c in scores], errors="ignore"))


def _enterprise_attributes(
    source: Source,
    needs: Sequence[str],
    *,
    id_column: str | None,
    batch_id_column: str,
    industry_column: str,
    region_column: str,
    industry_level: str,
    region_level: str,
    sections: Mapping[str, str] | None,
) -> tuple[pd.DataFrame, str]:
    """The enterprise file read once, with its id column (``id_column``, by default
    ``id`` or else the batch's) and the code columns the roll-ups need checked on it, so
    that errors name its rows."""
    candidates = [id_column] if id_column else ["id", batch_id_column]
    table, name = _enterprise_file(source, [*candidates, industry_column, region_column], None)
    eid = id_column or ("id" if "id" in table.columns else batch_id_column)
    ent = _checked_enterprises(table, name, eid)
    for b in needs:
        col = industry_column if b == "industry" else region_column
        if col not in ent.columns:
            raise DataValidationError(
                f"no {b} column {col!r}; columns: {', '.join(map(str, ent.columns))}",
                file=name,
                column=col,
            )
        try:
            if b == "industry":
                industry_keys(ent[col], industry_level, sections=sections, column=col)
            else:
                region_keys(ent[col], region_level, column=col)
        except DataValidationError as exc:
            raise exc.at(file=name) from None
    return ent, eid


def rollup_batch(
    outcome: BatchOutcome,
    *,
    by: Sequence[str] = (),
    enterprises: Source | None = None,
    chains: Source | None = None,
    responses: Source | None = None,
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
    ``enterprises`` is given, plus chain when ``chains`` is given.  The enterprise, chain
    and response files are an upload's name and bytes (:class:`~nqpf.services.files.
    InputFile`) or a path; the response table (for the scene levels) defaults to the
    batch's own file.  ``id_column`` is the batch id column (None: the row numbers 1, 2, …
    of the batch); the enterprise file's id column is ``enterprise_id_column``, by
    default ``id`` or else ``id_column``.
    """
    by = _roll_ups(
        by, enterprises is not None, chains is not None, f"{industry_column!r} / {region_column!r}"
    )
    fw = outcome.framework
    id_col = id_column or "id"
    scores = _with_scene_levels(outcome, responses, sheet)
    scores["_id"] = scores[id_col].map(_text)
    problems: list[dict[str, Any]] = []
    results: dict[str, RollupResult] = {}
    tables: dict[str, pd.DataFrame] = {}
    needs_ent = [b for b in by if b in ("industry", "region")]
    if needs_ent:
        assert enterprises is not None
        ent, eid = _enterprise_attributes(
            enterprises,
            needs_ent,
            id_column=enterprise_id_column,
            batch_id_column=id_col,
            industry_column=industry_column,
            region_column=region_column,
            industry_level=industry_level,
            region_level=region_level,
            sections=sections,
        )
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
                groups = groups.copy()
                groups.insert(1, "name", groups["group"].astype(str).map(province_names()))
            tables[f"rollup_{b}"] = groups
            tables[f"rollup_{b}_scenes"] = r.weakest
    chain_res = weak = None
    if "chain" in by:
        assert chains is not None
        chain_res = chain_rollup(scores, read_chains(chains), framework=fw, id_column="_id", k=k)
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


# -- stored results (the officers' dashboard) ---------------------------------------------

#: The fields of a stored-results row, in order: the enterprise id, its region and industry
#: codes and chain list (``[{chain, stage}]``, or its JSON text), the latest submitted
#: result's level, total, dimension points (mapping) and next-level messages (list), and
#: the first result's level and total when there are two or more (else None).
STORED_FIELDS = (
    "id",
    "region",
    "industry",
    "chains",
    "level",
    "total",
    "dimensions",
    "next_level",
    "first_level",
    "first_total",
)


def _chain_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """The (chain, stage) pairs of a chain list, each once, in order."""
    if not isinstance(value, list):
        return ()
    pairs = {
        (str(item["chain"]), str(item.get("stage") or "")): None
        for item in value
        if isinstance(item, dict) and item.get("chain")
    }
    return tuple(pairs)


def _chains_column(values: Sequence[Any]) -> list[tuple[tuple[str, str], ...]]:
    decoded: dict[str, tuple[tuple[str, str], ...]] = {}  # few distinct lists: decode each once
    out = []
    for v in values:
        if isinstance(v, str):
            if v not in decoded:
                decoded[v] = _chain_pairs(json.loads(v))
            out.append(decoded[v])
        else:
            out.append(_chain_pairs(v))
    return out


def _points(results: Sequence[Any], name: str) -> np.ndarray:
    """The points of dimension ``name`` in each result's mapping (missing where there is
    no mapping, or a value that is not a number)."""
    out = np.full(len(results), np.nan)
    for i, points in enumerate(results):
        if type(points) is dict:  # exact types: a bool is no number, and this is fast
            value = points.get(name)
            if type(value) is float or type(value) is int:
                out[i] = value
    return out


def stored_frame(rows: Sequence[Sequence[Any]], framework: Framework) -> pd.DataFrame:
    """Stored results (rows of :data:`STORED_FIELDS`) as a scored table for the roll-up.

    Columns: ``id``, ``region``, ``industry`` (upper case), ``division`` (GB/T 4754 大类
    with its 门类 letter, ``C34``), ``chains`` ((chain, stage) pairs), ``valid`` (has a
    level and a total), ``level`` (within 0 … top), ``total``, one column per scored
    dimension (non-numbers missing), ``next_level``, ``first_level``, ``first_total``.
    Built column by column: type guessing over 10,000 rows would cost more than the
    roll-up itself.
    """
    cols = dict(
        zip(
            STORED_FIELDS,
            zip(*rows, strict=True) if rows else [()] * len(STORED_FIELDS),
            strict=True,
        )
    )

    def objects(name: str) -> pd.Series:
        return pd.Series(cols[name], dtype=object)

    def numbers(name: str) -> pd.Series:
        return pd.to_numeric(objects(name), errors="coerce")

    industry = [(code or "").upper() for code in cols["industry"]]
    level, total = numbers("level"), numbers("total")
    return pd.DataFrame(
        {
            "id": pd.Series(cols["id"]),  # the platform's integer ids stay integers
            "region": objects("region"),
            "industry": pd.Series(industry, dtype=object),
            "division": pd.Series([c[:3] if len(c) >= 3 else None for c in industry], dtype=object),
            "chains": pd.Series(_chains_column(cols["chains"]), dtype=object),
            "valid": level.notna() & total.notna(),
            "level": level.clip(0, framework.level_rule.top_level),
            "total": total,
            **{d.name: _points(cols["dimensions"], d.name) for d in framework.scored_dimensions},
            "next_level": objects("next_level"),
            "first_level": numbers("first_level"),
            "first_total": numbers("first_total"),
        }
    )


@dataclass(frozen=True)
class StoredRollup:
    """Roll-ups of stored results, as records: one dict per group holding the columns of
    :attr:`RollupResult.groups <nqpf.assessment.rollup.RollupResult>` (``n``,
    ``n_valid``, ``n_<level>``, ``mean_total``, ``share_ge_<level>``, ``mean_<dimension>``,
    ``n_compared``, ``n_up`` …) as plain numbers, None where missing.

    Attributes
    ----------
    level_names
        Level names by level, 0 = 未达一级.
    overall
        Every row as one group (counts 0 when there is no row).
    prefectures, counties
        By 4- and 6-digit region prefix (``group``).
    industries
        By GB/T 4754 大类 with its 门类 letter (``group`` = ``C34``).
    stages, chains
        Chain × stage (chains by name, stages 上游, 中游, 下游, then others) and whole
        chains (an enterprise in two stages counts once): the columns of
        :class:`~nqpf.assessment.rollup.ChainRollupResult`.
    gaps
        ``condition``, ``n``, ``share``: the most frequent unmet next-level conditions.
    chain_options
        The chains the rows name (before the chain filter).
    """

    level_names: tuple[str, ...]
    overall: dict[str, Any]
    prefectures: list[dict[str, Any]]
    counties: list[dict[str, Any]]
    industries: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    chains: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    chain_options: tuple[str, ...]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values, None where missing (NaN)."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def rollup_stored(
    rows: Sequence[Sequence[Any]],
    framework: Framework,
    *,
    chain: str = "",
    target_level: int = 2,
    top_gaps: int = 10,
) -> StoredRollup:
    """Roll stored results up by region, industry and chain, in one pass of the core
    roll-up per grouping (:func:`~nqpf.assessment.rollup.rollup`,
    :func:`~nqpf.assessment.rollup.chain_rollup`), as ``nqpf assess batch --by`` does.

    Parameters
    ----------
    rows
        One row per enterprise, fields :data:`STORED_FIELDS` (an enterprise without a
        result counts in ``n`` only).
    chain
        Keep only the enterprises in this chain, and only its stages ("" = all).
    target_level, top_gaps
        The level reported as ``share_ge_<level>``; how many gaps.
    """
    frame = stored_frame(rows, framework)
    chain_options = tuple(sorted({name for pairs in frame["chains"] for name, _s in pairs}))
    if chain:
        member = [any(name == chain for name, _s in p) for p in frame["chains"]]
        frame = frame[np.array(member, dtype=bool)]  # an array: [] would select columns
    memberships = [
        (member, name, stage)
        for member, pairs in zip(frame["id"], frame["chains"], strict=True)
        for name, stage in pairs
        if not chain or name == chain
    ]

    def groups(by: str | None, **levels: str) -> pd.DataFrame:
        r = rollup(frame, by, framework=framework, k=0, target_level=target_level, **levels)
        return r.groups

    whole = groups(None)
    counted = [c for c in whole.columns if c == "n" or c.startswith("n_")]
    chains = chain_rollup(
        frame,
        chains_from_memberships(memberships),
        framework=framework,
        k=0,
        target_level=target_level,
    )
    return StoredRollup(
        level_names=level_names(framework),
        overall=_records(  # one row also over no row at all: counts 0, the rest missing
            whole.reindex([0])
            .fillna(dict.fromkeys(counted, 0))
            .astype(dict.fromkeys(counted, "int64"))
        )[0],
        prefectures=_records(groups("region", region_level="city")),
        counties=_records(groups("region", region_level="county")),
        industries=_records(groups("division")),
        stages=_records(chains.stages),
        chains=_records(chains.chains),
        gaps=_records(common_gaps(frame, top=top_gaps)),
        chain_options=chain_options,
    )


def rollup_xlsx(sheets: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """Roll-up tables as one XLSX download: sheet name → (header, rows).

    Each cell is written as given (counts stay whole numbers, None stays empty, text stays
    text, never a formula) by :func:`nqpf.io.atomic.xlsx_bytes`.
    """
    return xlsx_bytes(
        {
            name: pd.DataFrame(list(rows), columns=list(header), dtype=object)
            for name, (header, rows) in sheets.items()
        }
    )


# -- views of the officers' platform (issue 13): stages, peers, carbon ----------------------

#: Fewest peers a benchmark distribution is shown for (fewer would reveal single firms).
MIN_PEERS = 5


def group_view(
    rows: Sequence[Mapping[str, Any]],
    framework: Framework,
    order: Sequence[str],
    *,
    k: int = 3,
    target_level: int = 2,
) -> list[dict[str, Any]]:
    """Roll enterprise rows up by their ``group`` in the given ``order`` (chain stages left
    to right, industry classes …), with the core roll-up
    (:func:`~nqpf.assessment.rollup.rollup`): counts, level distribution, mean total,
    share at ``target_level``+, T0 → latest movement and the ``k`` weakest scenes.

    Each row has ``group``, ``level`` and ``total`` (None: not assessed), ``scenes``
    (scene id → level of the latest result) and ``first_level``/``first_total`` (the first
    submitted result when there are two or more, else None).  A group of ``order``
    without rows is reported with zero counts; groups are returned in ``order``.
    Records: the columns of :attr:`RollupResult.groups` plus ``weakest`` (a list of
    ``{scene_id, scene, binding, mean_level}``).
    """
    scene_ids = [s.id for s in framework.scenes]
    frame = pd.DataFrame(
        {
            "group": pd.Series([r["group"] for r in rows], dtype=object),
            "level": pd.to_numeric(pd.Series([r.get("level") for r in rows], dtype=object)),
            "total": pd.to_numeric(pd.Series([r.get("total") for r in rows], dtype=object)),
            "first_level": pd.to_numeric(
                pd.Series([r.get("first_level") for r in rows], dtype=object)
            ),
            "first_total": pd.to_numeric(
                pd.Series([r.get("first_total") for r in rows], dtype=object)
            ),
            **{
                sid: pd.to_numeric(
                    pd.Series([(r.get("scenes") or {}).get(sid) for r in rows], dtype=object),
                    errors="coerce",
                )
                for sid in scene_ids
            },
        }
    )
    frame["valid"] = frame["level"].notna() & frame["total"].notna()
    frame["level"] = frame["level"].clip(0, framework.level_rule.top_level)
    result = rollup(frame, "group", framework=framework, k=k, target_level=target_level)
    by_group = {r["group"]: r for r in _records(result.groups)}
    weakest: dict[str, list[dict[str, Any]]] = {}
    for w in _records(result.weakest):
        weakest.setdefault(w["group"], []).append(
            {k2: w[k2] for k2 in ("scene_id", "scene", "binding", "mean_level")}
        )
    names = level_names(framework)
    empty = {"n": 0, "n_valid": 0, **{f"n_{n}": 0 for n in names}}
    out = []
    for g in order:
        rec = dict(by_group.get(g) or {**empty, "group": g})
        rec["weakest"] = weakest.get(g, [])
        out.append(rec)
    return out


def peer_distribution(values: Sequence[float], own: float | None) -> dict[str, Any]:
    """The distribution of ``values`` (the peers' scores) and where ``own`` stands in it.

    Returns ``n``, ``mean``, ``p10``, ``p25``, ``median``, ``p75``, ``p90`` (numpy's
    default linear quantiles) and ``percentile``: 100 × (peers below + ½ × peers equal) /
    n, the mid-rank convention of ``scipy.stats.percentileofscore(kind="mean")``.  With
    fewer than :data:`MIN_PEERS` values only ``n`` is given (``suppressed`` True).

    >>> d = peer_distribution([10, 20, 30, 40, 50], 30)
    >>> d["percentile"], d["median"], d["p25"]
    (50.0, 30.0, 20.0)
    >>> peer_distribution([1, 2], 3)["suppressed"]
    True
    """
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    out: dict[str, Any] = {"n": int(x.size), "suppressed": x.size < MIN_PEERS}
    keys = ("mean", "p10", "p25", "median", "p75", "p90", "percentile")
    if x.size < MIN_PEERS:
        return {**out, **dict.fromkeys(keys)}
    q = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])
    pct = None
    if own is not None:
        pct = float(100.0 * (np.sum(x < own) + 0.5 * np.sum(x == own)) / x.size)
    return {
        **out,
        "mean": float(x.mean()),
        **{k: float(v) for k, v in zip(keys[1:6], q, strict=True)},
        "percentile": pct,
    }


def carbon_rollup(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The carbon roll-up of a park: totals, by industry and by enterprise.

    ``rows``: one per enterprise inventory of the year, with ``id``, ``name``,
    ``industry`` (GB/T 4754 code), ``tce`` (综合能耗), ``tco2`` (排放总量) and ``output``
    (工业总产值, 万元; None when not reported).  Intensities are ratios of sums over the
    inventories that report an output (tCO₂/万元 and tce/万元), never means of ratios.

    Returns ``total`` (``n``, ``tce``, ``tco2``, ``output``, ``co2_intensity``,
    ``energy_intensity``), ``industries`` (the same per GB/T 4754 大类 ``key``, largest
    emitters first) and ``enterprises`` (the same per enterprise, largest first).

    >>> r = carbon_rollup([
    ...     {"id": 1, "name": "a", "industry": "C3484", "tce": 10, "tco2": 30, "output": 100},
    ...     {"id": 2, "name": "b", "industry": "C3420", "tce": 5, "tco2": 10, "output": None}])
    >>> r["total"]["tco2"], r["total"]["co2_intensity"], r["industries"][0]["key"]
    (40.0, 0.3, 'C34')
    """

    def summary(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        def num(v: Any) -> float:
            return float(v) if v is not None and not math.isnan(float(v)) else 0.0

        with_output = [r for r in items if r.get("output")]
        return carbon_from_sums(
            n=len(items),
            tce=sum(num(r.get("tce")) for r in items),
            tco2=sum(num(r.get("tco2")) for r in items),
            n_output=len(with_output),
            output=sum(num(r.get("output")) for r in with_output),
            tco2_output=sum(num(r.get("tco2")) for r in with_output),
            tce_output=sum(num(r.get("tce")) for r in with_output),
        )

    by_industry: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        code = str(r.get("industry") or "").upper()
        by_industry.setdefault(code[:3] if len(code) >= 3 else code, []).append(r)
    industries = sorted(
        ({"key": k, **summary(v)} for k, v in by_industry.items()),
        key=lambda d: (-d["tco2"], d["key"]),
    )
    enterprises = sorted(
        (
            {"id": r["id"], "name": r.get("name"), "industry": r.get("industry"), **summary([r])}
            for r in rows
        ),
        key=lambda d: (-d["tco2"], str(d["name"])),
    )
    return {"total": summary(rows), "industries": industries, "enterprises": enterprises}


def carbon_from_sums(
    *,
    n: int,
    tce: float,
    tco2: float,
    n_output: int,
    output: float,
    tco2_output: float,
    tce_output: float,
) -> dict[str, Any]:
    """One group of :func:`carbon_rollup` from its sums (what a database adds up): ``n``
    inventories, their ``tce`` and ``tco2`` (a missing value counts 0), and over the
    ``n_output`` that report a non-zero output the sums of ``output``, ``tco2_output``
    and ``tce_output``.  Returns ``n``, ``tce``, ``tco2``, ``output`` (None when none
    reports one) and the intensities (ratios of the sums; None unless the output is > 0).

    >>> carbon_from_sums(n=2, tce=15.0, tco2=40.0, n_output=1, output=100.0,
    ...                  tco2_output=30.0, tce_output=10.0)["co2_intensity"]
    0.3
    """
    return {
        "n": int(n),
        "tce": float(tce),
        "tco2": float(tco2),
        "output": float(output) if n_output else None,
        "co2_intensity": tco2_output / output if output > 0 else None,
        "energy_intensity": tce_output / output if output > 0 else None,
    }


def carbon_totals(result: Any, inputs: Any) -> dict[str, float | None]:
    """What :func:`carbon_rollup` reads of one stored inventory: ``tce``
    (``result["energy_tce"]``), ``tco2`` (``result["e_total"]``) and ``output``
    (``inputs["output"]``, 工业总产值 万元), each the stored number (an int or a finite
    float; a bool or text is none) or None.

    >>> carbon_totals({"energy_tce": 12, "e_total": 30.5}, {"output": None})
    {'tce': 12.0, 'tco2': 30.5, 'output': None}
    """
    r = result if isinstance(result, Mapping) else {}
    i = inputs if isinstance(inputs, Mapping) else {}
    return {
        "tce": _number(r.get("energy_tce")),
        "tco2": _number(r.get("e_total")),
        "output": _number(i.get("output")),
    }


# -- the latest result's summary (issue 13: the views aggregate it in SQL) -------------------

#: Slots for scored-dimension points and scene levels in a summary row: ``dim_1`` … and
#: ``scene_1`` … hold them in the framework's order (:func:`summary_fits` checks a
#: framework fits; the ``latest_results`` migration creates the columns).
SUMMARY_DIMENSIONS = 8
SUMMARY_SCENES = 32


def summary_fits(framework: Framework) -> bool:
    """Whether the framework's scored dimensions and scenes fit the summary's slots."""
    return (
        len(framework.scored_dimensions) <= SUMMARY_DIMENSIONS
        and len(framework.scenes) <= SUMMARY_SCENES
    )


def _number(v: Any) -> float | None:
    """A stored number as the roll-up reads it (exact types: a bool is no number)."""
    if (type(v) is float or type(v) is int) and math.isfinite(v):
        return float(v)
    return None


def _whole(v: Any) -> int | None:
    x = _number(v)
    return int(x) if x is not None and x.is_integer() else None


def stored_summary(framework: Framework | None, result: Any) -> dict[str, Any]:
    """What the roll-up reads of one stored result (``Assessment.result``), as the summary
    row's columns.

    ``level`` (within 0 … top, as :func:`stored_frame` clips it) and ``total`` are set
    together or not at all (a result is *valid* when it has both); ``level_name`` is the
    result's own; for a valid result ``dim_<i>`` holds the points of the framework's
    *i*-th scored dimension and ``scene_<i>`` the level of its *i*-th scene (None where
    the result has no number), and ``gaps`` the JSON list of its unmet next-level
    conditions (:func:`~nqpf.assessment.rollup.condition_key`, each once, sorted).  An
    unknown ``framework`` (None) leaves the slots empty.
    """
    result = result if isinstance(result, Mapping) else {}
    level, total = _whole(result.get("level")), _number(result.get("total"))
    valid = level is not None and total is not None
    name = result.get("level_name")
    out: dict[str, Any] = {
        "level": None,
        "total": None,
        "level_name": str(name)[:32] if name is not None else None,
        "gaps": "[]",
        **{f"dim_{i}": None for i in range(1, SUMMARY_DIMENSIONS + 1)},
        **{f"scene_{i}": None for i in range(1, SUMMARY_SCENES + 1)},
    }
    if not valid:
        return out
    assert level is not None
    top = framework.level_rule.top_level if framework is not None else level
    out["level"], out["total"] = min(max(level, 0), top), total
    messages = result.get("next_level")
    if isinstance(messages, list | tuple):
        keys = sorted({key for m in messages if (key := condition_key(m))})
        out["gaps"] = json.dumps(keys, ensure_ascii=False)
    if framework is not None and summary_fits(framework):
        dims = result.get("dimensions")
        scenes = result.get("scenes")
        dims = dims if isinstance(dims, Mapping) else {}
        scenes = scenes if isinstance(scenes, Mapping) else {}
        for i, d in enumerate(framework.scored_dimensions, 1):
            out[f"dim_{i}"] = _number(dims.get(d.name))
        for i, s in enumerate(framework.scenes, 1):
            out[f"scene_{i}"] = _number(scenes.get(s.id))
    return out


#: A submitted assessment as :func:`latest_summaries` reads it: enterprise id, framework
#: id and version, seq, assessment id, submission time, stored result.
SubmittedRecord = tuple[int, str, str, int, int, Any, Any]


def latest_summaries(
    records: Iterable[SubmittedRecord],
    framework: Callable[[str, str], Framework | None],
) -> list[dict[str, Any]]:
    """One summary row per (enterprise, framework id, version) of submitted assessments:
    the latest (highest ``seq``) one's :func:`stored_summary` with its ``assessment_id``,
    ``seq`` and ``submitted_at``, and the first (lowest ``seq``) one's level and total
    (``first_level``, ``first_total``) when there are two or more and the latest is valid
    — the T0 → latest movement of the roll-up.

    ``framework(id, version)`` gives the framework (None when unknown).
    """
    latest: dict[tuple[int, str, str], SubmittedRecord] = {}
    first: dict[tuple[int, str, str], SubmittedRecord] = {}
    for rec in records:
        key = (rec[0], rec[1], rec[2])
        if key not in latest or rec[3] > latest[key][3]:
            latest[key] = rec
        if key not in first or rec[3] < first[key][3]:
            first[key] = rec
    rows = []
    for key, (eid, fid, version, seq, aid, at, result) in latest.items():
        fw = framework(fid, version)
        row = stored_summary(fw, result)
        f = first[key]
        compared = f[3] < seq and row["level"] is not None
        f_result = f[6] if compared and isinstance(f[6], Mapping) else {}
        rows.append(
            {
                "enterprise_id": eid,
                "framework_id": fid,
                "framework_version": version,
                "assessment_id": aid,
                "seq": seq,
                "submitted_at": at,
                **row,
                "first_level": _number(f_result.get("level")),
                "first_total": _number(f_result.get("total")),
            }
        )
    return rows
