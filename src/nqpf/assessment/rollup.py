"""Roll-up of a scored table (线、面): by industry, by region, by chain and chain stage.

:func:`rollup` groups the rows of :attr:`BatchScoreResult.scores` (joined with enterprise
attributes) by GB/T 4754 industry code at a chosen level, by NBS region code at a chosen
level, or by any column; :func:`chain_rollup` does the same per stage of a chain (an
ordered list of stages with member enterprises) and :func:`weak_links` picks the stages
that hold a chain back.

Every group reports ``n`` (rows), ``n_valid`` (scored rows; statistics use these only),
the level distribution (counts ``n_<level>`` and shares ``share_<level>`` of ``n_valid``,
from 未达一级 to the top level), mean and median total and per scored dimension, the share
reaching the target level or above (``share_ge_二级`` by default) and the weakest scenes:
the ``k`` scenes with the lowest mean scene level, with the 约束性 flag and the linked
智能制造典型场景 of the crosswalk (``data/sme16_crosswalk.yaml``, confidence ``design``).
Scene levels are read from columns named by scene id; :attr:`BatchScoreResult.scores`
does not carry them, so join them from the response table (the service does).

Codes
-----
*Industry* (GB/T 4754): an optional 门类 letter followed by 2, 3 or 4 digits
(``C3511`` or ``3511``); a letter alone is a 门类.  Levels: ``门类`` (section letter),
``大类`` (2 digits), ``中类`` (3), ``小类`` (4); English aliases ``section``,
``division``, ``group``, ``class``.  nqpf ships no 大类 → 门类 table (the reference notes
give none), so 门类 is taken from the code's own letter or from a user mapping
``sections`` (大类 two-digit code → letter); otherwise it is an error.

*Region* (NBS 统计用区划代码): 6 or 12 digits; ``province`` = the first 2 digits, ``city``
= 4, ``county`` = 6 (Chinese aliases 省, 市, 县).  The group key is that prefix.

Rows whose code is missing are left out of the groups and counted in ``n_unassigned``;
a code that is present but malformed raises :class:`~nqpf.exceptions.DataValidationError`
naming the row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nqpf.assessment.diagnosis import load_crosswalk
from nqpf.assessment.schema import Framework
from nqpf.codes import INDUSTRY_LEVELS, REGION_LEVELS, industry_key, region_key
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "Chain",
    "ChainRollupResult",
    "RollupResult",
    "Stage",
    "WeakLinksResult",
    "chain_rollup",
    "industry_keys",
    "parse_chains",
    "region_keys",
    "rollup",
    "weak_links",
]

# -- codes -------------------------------------------------------------------------------


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _keys(codes: pd.Series, key: Callable[[Any], str], column: str) -> pd.Series:
    """``key`` of every present code (missing → missing); an error names the row."""
    out: list[str | None] = []
    for label, v in codes.items():
        if _missing(v):
            out.append(None)
            continue
        try:
            out.append(key(v))
        except DataValidationError as exc:
            if exc.field in ("industry_level", "region_level"):
                raise
            raise exc.at(row=label, column=column, field=None) from None
    return pd.Series(out, index=codes.index, dtype=object)


def industry_keys(
    codes: pd.Series,
    level: str = "大类",
    *,
    sections: Mapping[str, str] | None = None,
    column: str = "industry",
) -> pd.Series:
    """GB/T 4754 group key of each code at ``level`` (missing code → missing key).

    See :func:`nqpf.codes.industry_key`.

    Examples
    --------
    >>> industry_keys(pd.Series(["C3511", "3512", None]), "中类").tolist()
    ['351', '351', None]
    >>> industry_keys(pd.Series(["C3511", "3512"]), "门类", sections={"35": "C"}).tolist()
    ['C', 'C']
    """
    industry_key("C3511", level)  # an unknown level fails even on an empty column
    return _keys(codes, lambda v: industry_key(v, level, sections=sections), column)


def region_keys(codes: pd.Series, level: str = "province", *, column: str = "region") -> pd.Series:
    """NBS region prefix of each 6- or 12-digit code at ``level`` (missing → missing).

    See :func:`nqpf.codes.region_key`.

    Examples
    --------
    >>> region_keys(pd.Series(["440305", "440305001000", 110101]), "city").tolist()
    ['4403', '4403', '1101']
    """
    region_key("440305", level)  # an unknown level fails even on an empty column
    return _keys(codes, lambda v: region_key(v, level), column)


# -- aggregation -------------------------------------------------------------------------


def _level_names(framework: Framework) -> dict[int, str]:
    rule = framework.level_rule
    names = {0: "未达一级"}
    names.update({r.level: r.name for r in rule.rows})
    return names


def _typical_of(framework: Framework) -> dict[str, str]:
    cw = load_crosswalk()
    if cw.framework != framework.key:
        return {}
    return {sid: "；".join(str(t) for t in ts) for sid, ts in cw.scenes.items()}


def _aggregate(
    frame: pd.DataFrame,
    keys: list[str],
    framework: Framework,
    *,
    k: int,
    target_level: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group statistics and weakest scenes of ``frame`` grouped by ``keys`` (rows with a
    missing key are dropped by the caller)."""
    names = _level_names(framework)
    target_name = names.get(target_level, str(target_level))
    valid = (
        frame["valid"].astype(bool).to_numpy() if "valid" in frame else np.ones(len(frame), bool)
    )
    g_all = frame.groupby(keys, sort=True, dropna=True)
    out = pd.DataFrame({"n": g_all.size()})
    idx = out.index
    ok = frame[valid]
    g = ok.groupby(keys, sort=True, dropna=True)
    out["n_valid"] = g.size().reindex(idx, fill_value=0).astype("int64")
    level = pd.to_numeric(ok["level"], errors="coerce").astype("float64")
    counts = pd.crosstab([ok[c] for c in keys] if len(keys) > 1 else ok[keys[0]], level).reindex(
        index=idx, fill_value=0
    )
    for lv, name in names.items():
        col = counts[float(lv)] if float(lv) in counts.columns else 0
        out[f"n_{name}"] = pd.Series(col, index=idx).fillna(0).astype("int64")
    nv = out["n_valid"].where(out["n_valid"] > 0)
    for name in names.values():
        out[f"share_{name}"] = out[f"n_{name}"] / nv
    reach = sum(out[f"n_{names[lv]}"] for lv in names if lv >= target_level)
    out[f"share_ge_{target_name}"] = reach / nv
    metrics = ["total", *[d.name for d in framework.scored_dimensions if d.name in frame]]
    for m in metrics:
        vals = pd.to_numeric(ok[m], errors="coerce")
        gm = vals.groupby([ok[c] for c in keys] if len(keys) > 1 else ok[keys[0]])
        out[f"mean_{m}"] = gm.mean().reindex(idx)
        out[f"median_{m}"] = gm.median().reindex(idx)

    scene_cols = [s for s in framework.scenes if s.id in frame.columns]
    weakest = _weakest(ok, keys, idx, scene_cols, framework, k)
    if len(weakest):
        text = weakest.assign(
            item=lambda d: (
                d["scene"]
                + np.where(d["binding"], "(约束性)", "")
                + " "
                + d["mean_level"].map(lambda x: f"{x:.2f}")
            )
        )
        joined = text.groupby(keys, sort=False)["item"].agg("；".join)
        out["weakest_scenes"] = joined.reindex(idx)
    else:
        out["weakest_scenes"] = None
    return out.reset_index(), weakest


def _weakest(
    ok: pd.DataFrame,
    keys: list[str],
    idx: pd.Index,
    scenes: Sequence[Any],
    framework: Framework,
    k: int,
) -> pd.DataFrame:
    cols = [*keys, "rank", "scene_id", "scene", "binding", "mean_level", "typical_scenes"]
    if not scenes or k <= 0 or ok.empty:
        return pd.DataFrame(columns=cols)
    levels = ok[[s.id for s in scenes]].apply(pd.to_numeric, errors="coerce")
    by = [ok[c] for c in keys] if len(keys) > 1 else ok[keys[0]]
    means = levels.groupby(by, sort=True).mean()
    typical = _typical_of(framework)
    order = {s.id: i for i, s in enumerate(scenes)}
    rows = []
    for key, row in means.iterrows():
        items = [
            (float(row[s.id]), not s.binding, order[s.id], s)
            for s in scenes
            if not np.isnan(row[s.id])
        ]
        items.sort(key=lambda t: t[:3])  # lowest mean; 约束性 first on ties; framework order
        kt = key if isinstance(key, tuple) else (key,)
        for rank, (m, _, _, s) in enumerate(items[:k], start=1):
            rows.append((*kt, rank, s.id, s.name, bool(s.binding), m, typical.get(s.id, "")))
    return pd.DataFrame(rows, columns=cols)


# -- results -----------------------------------------------------------------------------


def _summary_rows(groups: pd.DataFrame, label: str, share_col: str) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for _, r in groups.iterrows():
        mean = r["mean_total"]
        share = r[share_col]
        mean_s = "—" if pd.isna(mean) else f"{mean:.2f}"
        share_s = "—" if pd.isna(share) else f"{share:.0%}"
        rows.append(
            (
                str(r[label]),
                f"n={r['n']} 有效={r['n_valid']} 平均总分={mean_s} {share_col}={share_s}",
            )
        )
    return rows


@dataclass(frozen=True, eq=False)
class RollupResult(Result):
    """Statistics of a scored table per group.

    Attributes
    ----------
    by
        ``industry``, ``region`` or the column grouped by.
    key_level
        The code level (``大类``, ``province`` …) or None for a plain column.
    framework
        ``id-version`` of the framework.
    target_level
        The level whose share (and above) is reported (2 = 二级).
    groups
        One row per group: ``group``, ``n``, ``n_valid``, ``n_<level>``,
        ``share_<level>``, ``share_ge_<target>``, ``mean_``/``median_`` total and per
        dimension, ``weakest_scenes`` (text).
    weakest
        ``group``, ``rank``, ``scene_id``, ``scene``, ``binding``, ``mean_level``,
        ``typical_scenes``.
    n_unassigned
        Rows left out because their code (or group value) is missing.
    """

    by: str
    key_level: str | None
    framework: str
    target_level: int
    groups: pd.DataFrame
    weakest: pd.DataFrame
    n_unassigned: int = 0

    @property
    def share_column(self) -> str:
        return next(c for c in self.groups.columns if c.startswith("share_ge_"))

    def summary(self) -> Summary:
        title = f"汇总 {self.by}" + (f"（{self.key_level}）" if self.key_level else "")
        rows: list[tuple[str, Any]] = [("框架", self.framework), ("组数", len(self.groups))]
        rows += _summary_rows(self.groups, "group", self.share_column)
        notes = []
        if self.n_unassigned:
            notes.append(f"{self.n_unassigned} 行缺少分组代码，未计入任何组。")
        return Summary(title=title, rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        return self.groups


def rollup(
    scores: pd.DataFrame,
    by: str,
    *,
    framework: Framework,
    industry_level: str = "大类",
    region_level: str = "province",
    industry_column: str = "industry",
    region_column: str = "region",
    sections: Mapping[str, str] | None = None,
    k: int = 3,
    target_level: int = 2,
) -> RollupResult:
    """Aggregate a scored table by industry, region or any column.

    Parameters
    ----------
    scores
        :attr:`BatchScoreResult.scores` joined with enterprise attributes (and, for the
        weakest scenes, scene-level columns named by scene id).
    by
        ``"industry"`` (codes in ``industry_column`` at ``industry_level``),
        ``"region"`` (codes in ``region_column`` at ``region_level``) or the name of any
        other column, grouped by its values as they are.
    framework
        The framework the table was scored with (level names, dimensions, scenes).
    industry_level, region_level, sections
        See the module notes.
    k
        Number of weakest scenes per group.
    target_level
        ``share_ge_<name>`` is the share of valid rows at this level or above.

    Returns
    -------
    RollupResult

    Examples
    --------
    >>> from nqpf.assessment import load_framework
    >>> fw = load_framework("sme-digital")
    >>> t = pd.DataFrame({"valid": [True, True, False], "total": [30.0, 50.0, None],
    ...                   "level": pd.array([1, 2, None], dtype="Int64"),
    ...                   "region": ["440305", "441900", "110101"]})
    >>> r = rollup(t, "region", framework=fw)
    >>> r.groups[["group", "n", "n_valid", "mean_total", "share_ge_二级"]].values.tolist()
    [['11', 1, 0, nan, nan], ['44', 2, 2, 40.0, 0.5]]
    """
    if not isinstance(scores, pd.DataFrame):
        raise DataValidationError(f"scores must be a DataFrame, got {type(scores).__name__}")
    for col in ("valid", "total", "level"):
        if col not in scores.columns:
            raise DataValidationError(
                f"scores has no column {col!r}; pass BatchScoreResult.scores", column=col
            )
    frame = scores.copy()
    if by == "industry":
        if industry_column not in frame:
            raise DataValidationError(
                f"no industry column {industry_column!r}", column=industry_column
            )
        frame["group"] = industry_keys(
            frame[industry_column], industry_level, sections=sections, column=industry_column
        )
        key_level: str | None = INDUSTRY_LEVELS[industry_level]
    elif by == "region":
        if region_column not in frame:
            raise DataValidationError(f"no region column {region_column!r}", column=region_column)
        frame["group"] = region_keys(frame[region_column], region_level, column=region_column)
        key_level = REGION_LEVELS[region_level][0]
    else:
        if by not in frame:
            raise DataValidationError(
                f"cannot group by {by!r}: no such column (use 'industry', 'region' or a column "
                "name; chains: chain_rollup)",
                column=by,
            )
        frame["group"] = frame[by].map(lambda v: None if _missing(v) else v)
        key_level = None
    n_unassigned = int(frame["group"].isna().sum())
    frame = frame[frame["group"].notna()]
    groups, weakest = _aggregate(frame, ["group"], framework, k=k, target_level=target_level)
    return RollupResult(
        by=by,
        key_level=key_level,
        framework=framework.key,
        target_level=target_level,
        groups=groups,
        weakest=weakest,
        n_unassigned=n_unassigned,
    )


# -- chains ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One stage of a chain with its member enterprise ids."""

    id: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Chain:
    """An industrial chain: ordered stages (upstream first)."""

    id: str
    name: str
    stages: tuple[Stage, ...]


def parse_chains(data: Mapping[str, Any]) -> tuple[Chain, ...]:
    """Chains from parsed YAML ``{chains: [{id, name, stages: [{id, name, members}]}]}``.

    Examples
    --------
    >>> c = parse_chains({"chains": [{"id": "c1", "name": "链", "stages": [
    ...     {"id": "s1", "name": "上游", "members": ["E1", 2]}]}]})
    >>> c[0].stages[0].members
    ('E1', '2')
    """

    def bad(msg: str, where: str) -> DataValidationError:
        return DataValidationError(msg, field=where)

    if not isinstance(data, Mapping) or not isinstance(data.get("chains"), list):
        raise bad("expected a mapping with a list 'chains'", "chains")
    chains: list[Chain] = []
    seen_chain: set[str] = set()
    for i, c in enumerate(data["chains"]):
        where = f"chains[{i}]"
        if not isinstance(c, Mapping):
            raise bad("each chain must be a mapping with id, name, stages", where)
        cid = str(c.get("id") or "").strip()
        if not cid:
            raise bad("chain without an id", where)
        if cid in seen_chain:
            raise bad(f"duplicate chain id {cid!r}", where)
        seen_chain.add(cid)
        stages_in = c.get("stages")
        if not isinstance(stages_in, list) or not stages_in:
            raise bad(f"chain {cid!r} needs a non-empty list 'stages'", f"{where}.stages")
        stages: list[Stage] = []
        seen_stage: set[str] = set()
        for j, s in enumerate(stages_in):
            sw = f"{where}.stages[{j}]"
            if not isinstance(s, Mapping):
                raise bad("each stage must be a mapping with id, name, members", sw)
            sid = str(s.get("id") or "").strip()
            if not sid:
                raise bad(f"stage without an id in chain {cid!r}", sw)
            if sid in seen_stage:
                raise bad(f"duplicate stage id {sid!r} in chain {cid!r}", sw)
            seen_stage.add(sid)
            members = s.get("members") or []
            if not isinstance(members, list):
                raise bad(f"members of stage {sid!r} must be a list of enterprise ids", sw)
            ids = tuple(str(m).strip() for m in members if not _missing(m))
            stages.append(Stage(sid, str(s.get("name") or sid), ids))
        chains.append(Chain(cid, str(c.get("name") or cid), tuple(stages)))
    return tuple(chains)


_STAGE_KEYS = ["chain_id", "chain_name", "stage_order", "stage_id", "stage_name"]


@dataclass(frozen=True, eq=False)
class ChainRollupResult(Result):
    """Statistics per chain stage, stages in chain order.

    Attributes
    ----------
    stages
        One row per stage: ``chain_id``, ``chain_name``, ``stage_order`` (1 = first),
        ``stage_id``, ``stage_name``, ``n_members`` and the columns of
        :attr:`RollupResult.groups`.
    chains
        One row per chain: the same statistics over its distinct members.
    weakest
        Weakest scenes per stage (keyed like ``stages``).
    unknown
        ``chain_id``, ``stage_id``, ``member``: member ids not found in the scores.
    """

    framework: str
    target_level: int
    stages: pd.DataFrame
    chains: pd.DataFrame
    weakest: pd.DataFrame
    unknown: pd.DataFrame

    @property
    def share_column(self) -> str:
        return next(c for c in self.stages.columns if c.startswith("share_ge_"))

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [("框架", self.framework), ("链数", len(self.chains))]
        labelled = self.stages.assign(
            label=self.stages["chain_name"] + " / " + self.stages["stage_name"]
        )
        rows += _summary_rows(labelled, "label", self.share_column)
        notes = []
        if len(self.unknown):
            ids = "、".join(self.unknown["member"].astype(str).unique()[:10])
            notes.append(f"{len(self.unknown)} 个成员编号不在评分表中：{ids}")
        return Summary(title="产业链汇总", rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        return self.stages


def chain_rollup(
    scores: pd.DataFrame,
    chains: Iterable[Chain],
    *,
    framework: Framework,
    id_column: str = "id",
    k: int = 3,
    target_level: int = 2,
) -> ChainRollupResult:
    """Aggregate a scored table per stage of each chain (an enterprise may sit in several).

    Member ids are matched to ``scores[id_column]`` as text.  Ids not in the table are
    listed in ``unknown`` and counted in ``n_members`` but not in ``n``.
    """
    chains = tuple(chains)
    if id_column not in scores.columns:
        raise DataValidationError(f"scores has no id column {id_column!r}", column=id_column)
    frame = scores.copy()
    frame["_member"] = frame[id_column].map(lambda v: None if _missing(v) else _plain(v))
    known = set(frame["_member"].dropna())
    links, unknown, n_members = [], [], []
    for c in chains:
        for order, s in enumerate(c.stages, start=1):
            n_members.append((c.id, order, len(s.members)))
            for m in s.members:
                if m in known:
                    links.append((c.id, c.name, order, s.id, s.name, m))
                else:
                    unknown.append((c.id, s.id, m))
    link = pd.DataFrame(links, columns=[*_STAGE_KEYS, "_member"])
    long = link.merge(frame, on="_member", how="inner")
    stage_frame = pd.DataFrame(
        [(c.id, c.name, o, s.id, s.name) for c in chains for o, s in enumerate(c.stages, start=1)],
        columns=_STAGE_KEYS,
    )
    stats, weakest = _aggregate(long, _STAGE_KEYS, framework, k=k, target_level=target_level)
    stages = stage_frame.merge(stats, on=_STAGE_KEYS, how="left")
    nm = pd.DataFrame(n_members, columns=["chain_id", "stage_order", "n_members"])
    stages = stages.merge(nm, on=["chain_id", "stage_order"], how="left")
    for col in (
        "n",
        "n_valid",
        *[c for c in stages.columns if c.startswith("n_") and c != "n_members"],
    ):
        stages[col] = stages[col].fillna(0).astype("int64")
    cols = [*_STAGE_KEYS, "n_members", *[c for c in stats.columns if c not in _STAGE_KEYS]]
    stages = stages[cols].sort_values(["chain_id", "stage_order"], kind="stable")
    order = {c.id: i for i, c in enumerate(chains)}
    stages = stages.iloc[np.argsort(stages["chain_id"].map(order).to_numpy(), kind="stable")]
    stages = stages.reset_index(drop=True)
    distinct = long.drop_duplicates(["chain_id", "_member"])
    chain_stats, _ = _aggregate(
        distinct, ["chain_id", "chain_name"], framework, k=k, target_level=target_level
    )
    chain_rows = pd.DataFrame([(c.id, c.name) for c in chains], columns=["chain_id", "chain_name"])
    chain_stats = chain_rows.merge(chain_stats, on=["chain_id", "chain_name"], how="left")
    return ChainRollupResult(
        framework=framework.key,
        target_level=target_level,
        stages=stages,
        chains=chain_stats,
        weakest=weakest,
        unknown=pd.DataFrame(unknown, columns=["chain_id", "stage_id", "member"]),
    )


def _plain(v: Any) -> str:
    if isinstance(v, float) and v == int(v):
        v = int(v)
    return str(v).strip()


@dataclass(frozen=True, eq=False)
class WeakLinksResult(Result):
    """The weak links of each chain.

    Attributes
    ----------
    metric
        ``mean_total`` or ``share_ge_<target>``.
    rule
        ``lowest <n>`` or ``below chain by <threshold>``.
    links
        One row per weak stage: ``chain_id``, ``chain_name``, ``stage_order``,
        ``stage_id``, ``stage_name``, ``n_valid``, ``value`` (the stage's metric),
        ``chain_value`` (over the chain's distinct members), ``gap`` (value −
        chain_value), ``weakest_scenes``.
    """

    metric: str
    rule: str
    links: pd.DataFrame

    def summary(self) -> Summary:
        rows = [
            (
                f"{r['chain_name']} / {r['stage_name']}",
                f"{self.metric}={r['value']:.3g}（链 {r['chain_value']:.3g}，差 {r['gap']:+.3g}）"
                f" {r['weakest_scenes'] or ''}",
            )
            for _, r in self.links.iterrows()
        ]
        return Summary(title=f"薄弱环节（{self.rule}）", rows=tuple(rows))

    def to_frame(self) -> pd.DataFrame:
        return self.links


def weak_links(
    result: ChainRollupResult,
    *,
    metric: str = "mean_total",
    threshold: float | None = None,
    lowest: int = 1,
) -> WeakLinksResult:
    """Stages that hold each chain back.

    Parameters
    ----------
    result
        From :func:`chain_rollup`.
    metric
        ``"mean_total"`` or ``"share"`` (the share at the target level or above).
    threshold
        When given, every stage whose metric is below the chain's value by more than
        ``threshold`` (points, or a share 0–1); otherwise the ``lowest`` stages of each
        chain.  Stages without a scored member are never weak links (no evidence).
    """
    if metric in ("share", "share_ge", result.share_column):
        col = result.share_column
    elif metric == "mean_total":
        col = "mean_total"
    else:
        raise DataValidationError(
            f"unknown metric {metric!r}; use 'mean_total' or 'share'", field="metric"
        )
    if threshold is None and lowest < 1:
        raise DataValidationError("lowest must be ≥ 1", field="lowest")
    chain_value = result.chains.set_index("chain_id")[col]
    st = result.stages[result.stages["n_valid"] > 0].copy()
    st["value"] = st[col]
    st["chain_value"] = st["chain_id"].map(chain_value)
    st["gap"] = st["value"] - st["chain_value"]
    if threshold is not None:
        picked = st[st["gap"] < -float(threshold)]
        rule = f"below chain by > {threshold:g}"
    else:
        picked = (
            st.sort_values(["chain_id", "value", "stage_order"], kind="stable")
            .groupby("chain_id", sort=False)
            .head(lowest)
        )
        rule = f"lowest {lowest}"
    order = {c: i for i, c in enumerate(result.chains["chain_id"])}
    picked = picked.assign(_o=picked["chain_id"].map(order)).sort_values(
        ["_o", "stage_order"], kind="stable"
    )
    cols = [*_STAGE_KEYS, "n_valid", "value", "chain_value", "gap", "weakest_scenes"]
    return WeakLinksResult(metric=col, rule=rule, links=picked[cols].reset_index(drop=True))
