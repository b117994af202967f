"""Roll-up of a scored table (线、面): by industry, by region, by chain and chain stage.

:func:`rollup` groups the rows of :attr:`BatchScoreResult.scores` (joined with enterprise
attributes) — or any table of scored rows, such as stored results — by GB/T 4754 industry
code at a chosen level, by NBS region code at a chosen level, by any column, or not at
all; :func:`chain_rollup` does the same per stage of a chain (an ordered list of stages
with member enterprises, from a chain file (:func:`parse_chains`) or from each
enterprise's own chain list (:func:`chains_from_memberships`)), :func:`weak_links` picks
the stages that hold a chain back and :func:`common_gaps` counts the unmet next-level
conditions the rows share (共性短板).

Every group reports ``n`` (rows), ``n_valid`` (scored rows; statistics use these only),
the level distribution (counts ``n_<level>`` and shares ``share_<level>`` of ``n_valid``,
from 未达一级 to the top level), mean and median total and per scored dimension, the share
reaching the target level or above (``share_ge_二级`` by default) and the weakest scenes:
the ``k`` scenes with the lowest mean scene level, with the 约束性 flag and the linked
智能制造典型场景 of the crosswalk (``data/sme16_crosswalk.yaml``, confidence ``design``).
Scene levels are read from columns named by scene id; :attr:`BatchScoreResult.scores`
does not carry them, so join them from the response table (the service does).  A table
with ``first_level`` and ``first_total`` (each row's first assessment, T0) also gets the
T0 → latest movement: ``n_compared``, ``n_up``, ``n_same``, ``n_down`` and
``mean_change_total``.

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

from collections import Counter
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
    "ALL_ROWS",
    "STAGE_ORDER",
    "Chain",
    "ChainRollupResult",
    "RollupResult",
    "Stage",
    "WeakLinksResult",
    "chain_rollup",
    "chains_from_memberships",
    "common_gaps",
    "condition_key",
    "industry_keys",
    "level_names",
    "parse_chains",
    "region_keys",
    "rollup",
    "weak_links",
]

#: The one group of :func:`rollup` with ``by=None`` (the whole table).
ALL_ROWS = "全部"
#: The usual stages of a chain, upstream first (:func:`chains_from_memberships`).
STAGE_ORDER = ("上游", "中游", "下游")

# -- codes -------------------------------------------------------------------------------


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _keys(codes: pd.Series, key: Callable[[Any], str], column: str) -> pd.Series:
    """``key`` of every present code (missing → missing); an error names the row.

    ``key`` runs once per distinct code (a table of enterprises holds few), in order of
    first appearance, so the first bad code found is also the first bad row.
    """
    positions, distinct = pd.factorize(codes.to_numpy(dtype=object))
    keys: list[str | None] = []
    for position, v in enumerate(distinct):
        if _missing(v):
            keys.append(None)
            continue
        try:
            keys.append(key(v))
        except DataValidationError as exc:
            if exc.field in ("industry_level", "region_level"):
                raise
            label = codes.index[np.argmax(positions == position)]
            raise exc.at(row=label, column=column, field=None) from None
    keys.append(None)  # position -1: a missing code
    return pd.Series(np.array(keys, dtype=object)[positions], index=codes.index, dtype=object)


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


def level_names(framework: Framework) -> tuple[str, ...]:
    """Level names of ``framework`` by level, 0 (未达一级) to the top level.

    Examples
    --------
    >>> from nqpf.assessment import load_framework
    >>> level_names(load_framework("sme-digital-2024"))
    ('未达一级', '一级', '二级', '三级', '四级')
    """
    rule = framework.level_rule
    names = {r.level: r.name for r in rule.rows}
    return tuple(
        "未达一级" if k == 0 else names.get(k, f"{k}级") for k in range(rule.top_level + 1)
    )


def _typical_of(framework: Framework) -> dict[str, str]:
    cw = load_crosswalk()
    if cw.framework != framework.key:
        return {}
    return {sid: "；".join(str(t) for t in ts) for sid, ts in cw.scenes.items()}


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _aggregate(
    frame: pd.DataFrame,
    keys: list[str],
    framework: Framework,
    *,
    k: int,
    target_level: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group statistics and weakest scenes of ``frame`` grouped by ``keys`` (rows with a
    missing key are dropped by the caller).

    The keys are grouped once, giving each row its group's number; counts, the level
    distribution and the movement are then counts per number (``np.bincount``), means
    and medians one ``groupby`` over all metric columns.
    """
    names = level_names(framework)
    top = len(names) - 1
    target_name = names[target_level] if 0 <= target_level <= top else str(target_level)
    grouped = frame.groupby(keys, sort=True, dropna=True)
    index = grouped.size().index
    n_groups = len(index)
    codes = grouped.ngroup().to_numpy(dtype="float64", na_value=np.nan)
    keyed = ~np.isnan(codes)
    codes = np.where(keyed, codes, 0).astype("int64")
    valid = keyed & (
        frame["valid"].astype(bool).to_numpy() if "valid" in frame else np.ones(len(frame), bool)
    )

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=n_groups)

    n_valid = count(valid)
    level = _numbers(frame, "level")
    ranked = valid & np.isin(level, np.arange(top + 1))
    levels = np.bincount(
        codes[ranked] * (top + 1) + level[ranked].astype("int64"), minlength=n_groups * (top + 1)
    ).reshape(n_groups, top + 1)
    nv = np.where(n_valid > 0, n_valid, np.nan)
    columns: dict[str, Any] = {"n": count(keyed), "n_valid": n_valid}
    columns.update({f"n_{name}": levels[:, lv] for lv, name in enumerate(names)})
    columns.update({f"share_{name}": levels[:, lv] / nv for lv, name in enumerate(names)})
    columns[f"share_ge_{target_name}"] = levels[:, max(target_level, 0) :].sum(axis=1) / nv
    metrics = ["total", *[d.name for d in framework.scored_dimensions if d.name in frame]]
    values = pd.DataFrame({m: _numbers(frame, m)[valid] for m in metrics})
    by_group = values.groupby(codes[valid], sort=True)
    means = by_group.mean().reindex(range(n_groups))
    medians = by_group.median().reindex(range(n_groups))
    for m in metrics:
        columns[f"mean_{m}"] = means[m].to_numpy()
        columns[f"median_{m}"] = medians[m].to_numpy()
    if "first_level" in frame:
        columns.update(_movement(frame, codes, valid, level, n_groups))
    out = pd.DataFrame(columns, index=index)

    scene_cols = [s for s in framework.scenes if s.id in frame.columns]
    ok = frame[valid] if scene_cols and k > 0 else frame.iloc[:0]  # the copy only if used
    weakest = _weakest(ok, keys, index, scene_cols, framework, k)
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
        out["weakest_scenes"] = joined.reindex(index)
    else:
        out["weakest_scenes"] = None
    return out.reset_index(), weakest


def _movement(
    frame: pd.DataFrame, codes: np.ndarray, valid: np.ndarray, level: np.ndarray, n_groups: int
) -> dict[str, np.ndarray]:
    """T0 → latest per group: the valid rows whose ``first_level`` (of their first
    assessment) is known, how many of them moved up, stayed or moved down a level, and
    the mean change of the total (``total − first_total``)."""
    first = _numbers(frame, "first_level")
    compared = valid & ~np.isnan(first) & ~np.isnan(level)
    out = {
        column: np.bincount(codes[moved], minlength=n_groups)
        for column, moved in (
            ("n_compared", compared),
            ("n_up", compared & (level > first)),
            ("n_same", compared & (level == first)),
            ("n_down", compared & (level < first)),
        )
    }
    change = _numbers(frame, "total") - (
        _numbers(frame, "first_total") if "first_total" in frame else np.nan
    )
    mean = pd.Series(change[compared]).groupby(codes[compared]).mean()
    out["mean_change_total"] = mean.reindex(range(n_groups)).to_numpy()
    return out


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
        ``industry``, ``region``, the column grouped by or :data:`ALL_ROWS` (不分组).
    key_level
        The code level (``大类``, ``province`` …) or None for a plain column.
    framework
        ``id-version`` of the framework.
    target_level
        The level whose share (and above) is reported (2 = 二级).
    groups
        One row per group: ``group``, ``n``, ``n_valid``, ``n_<level>``,
        ``share_<level>``, ``share_ge_<target>``, ``mean_``/``median_`` total and per
        dimension, the movement columns when the table has ``first_level``,
        ``weakest_scenes`` (text).
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
    by: str | None,
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
        ``"region"`` (codes in ``region_column`` at ``region_level``), the name of any
        other column, grouped by its values as they are, or None: the whole table as
        one group (:data:`ALL_ROWS`), with no row when the table is empty.
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
    if by is None:
        frame["group"] = ALL_ROWS
        key_level: str | None = None
    elif by == "industry":
        if industry_column not in frame:
            raise DataValidationError(
                f"no industry column {industry_column!r}", column=industry_column
            )
        frame["group"] = industry_keys(
            frame[industry_column], industry_level, sections=sections, column=industry_column
        )
        key_level = INDUSTRY_LEVELS[industry_level]
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
        by=ALL_ROWS if by is None else by,
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


def chains_from_memberships(
    memberships: Iterable[tuple[Any, str, str]],
    *,
    stage_order: Sequence[str] = STAGE_ORDER,
    unnamed_stage: str = "未标注环节",
) -> tuple[Chain, ...]:
    """Chains from what each enterprise says of itself: (member id, chain, stage) triples,
    as an enterprise profile lists its chains (a chain file is :func:`parse_chains`).

    A chain's id is its name; chains are sorted by name, stages follow ``stage_order``
    and then any other stage by name; a blank stage is named ``unnamed_stage``.  An
    enterprise listed twice in one stage counts once.

    Examples
    --------
    >>> c = chains_from_memberships([(1, "新能源汽车", "下游"), (2, "新能源汽车", "上游"),
    ...                              (2, "新能源汽车", "上游"), (3, "新能源汽车", "")])
    >>> [(s.name, s.members) for s in c[0].stages]
    [('上游', ('2',)), ('下游', ('1',)), ('未标注环节', ('3',))]
    """
    chains: dict[str, dict[str, dict[str, None]]] = {}
    for member, chain, stage in memberships:
        chains.setdefault(chain, {}).setdefault(stage, {})[_plain(member)] = None
    rank = {s: i for i, s in enumerate(stage_order)}

    def order(stage: str) -> tuple[int, str]:
        return (rank[stage], "") if stage in rank else (len(rank), stage)

    return tuple(
        Chain(
            name,
            name,
            tuple(
                Stage(stage, stage or unnamed_stage, tuple(stages[stage]))
                for stage in sorted(stages, key=order)
            ),
        )
        for name, stages in sorted(chains.items())
    )


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
    # Stages and chains are grouped by their position (one integer key, not five text
    # keys), and only the columns the statistics read travel through the join.
    frame = scores[_statistics_columns(scores, framework)].assign(
        _member=_member_ids(scores[id_column])
    )
    stage_frame = pd.DataFrame(
        [(c.id, c.name, o, s.id, s.name) for c in chains for o, s in enumerate(c.stages, start=1)],
        columns=_STAGE_KEYS,
    )
    sizes = [len(s.members) for c in chains for s in c.stages]
    links = pd.DataFrame(
        {
            "_stage": np.repeat(np.arange(len(stage_frame)), sizes),
            "_member": pd.Series(  # object, not Arrow text: isin and merge hash them fast
                [m for c in chains for s in c.stages for m in s.members], dtype=object
            ),
        }
    )
    found = links["_member"].isin(frame["_member"].dropna())
    lost = links[~found]
    unknown = (
        stage_frame.iloc[lost["_stage"].to_numpy()][["chain_id", "stage_id"]]
        .reset_index(drop=True)
        .assign(member=lost["_member"].astype(str).to_numpy())
    )
    long = links[found].merge(frame, on="_member", how="inner")
    stats, weakest = _aggregate(long, ["_stage"], framework, k=k, target_level=target_level)
    stats = stats.set_index("_stage")
    stages = stage_frame.assign(n_members=sizes).join(stats)
    for col in [c for c in stats.columns if c == "n" or c.startswith("n_")]:
        stages[col] = stages[col].fillna(0).astype("int64")
    weakest = (
        stage_frame.iloc[weakest.pop("_stage").to_numpy()]
        .reset_index(drop=True)
        .join(weakest)
        .sort_values([*_STAGE_KEYS, "rank"], kind="stable")  # as grouped by the five keys
        .reset_index(drop=True)
    )
    stage_chain = np.repeat(np.arange(len(chains)), [len(c.stages) for c in chains])
    distinct = long.assign(_chain=stage_chain[long["_stage"].to_numpy()]).drop_duplicates(
        ["_chain", "_member"]
    )
    chain_stats, _ = _aggregate(distinct, ["_chain"], framework, k=k, target_level=target_level)
    chain_rows = pd.DataFrame([(c.id, c.name) for c in chains], columns=["chain_id", "chain_name"])
    return ChainRollupResult(
        framework=framework.key,
        target_level=target_level,
        stages=stages,
        chains=chain_rows.join(chain_stats.set_index("_chain")),
        weakest=weakest,
        unknown=unknown,
    )


def _statistics_columns(frame: pd.DataFrame, framework: Framework) -> list[str]:
    """The columns :func:`_aggregate` reads (besides the keys)."""
    read = {"valid", "level", "total", "first_level", "first_total"}
    read.update(d.name for d in framework.scored_dimensions)
    read.update(s.id for s in framework.scenes)
    return [c for c in frame.columns if c in read]


def _plain(v: Any) -> str:
    if isinstance(v, float) and v == int(v):
        v = int(v)
    return str(v).strip()


def _member_ids(ids: pd.Series) -> pd.Series:
    """Ids as the text chain members are matched by (missing → None)."""
    if isinstance(ids.dtype, np.dtype) and ids.dtype.kind in "iu":
        return ids.astype(str).astype(object)  # integers: never missing, no blanks
    return ids.map(lambda v: None if _missing(v) else _plain(v)).astype(object)


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


# -- next-level gaps ---------------------------------------------------------------------


def condition_key(message: Any) -> str | None:
    """The condition of an unmet next-level message, without the row's own value.

    The messages are those of :attr:`nqpf.assessment.scoring.Condition.message`, as a
    stored result keeps them; None when the condition is met or the text is blank.

    Examples
    --------
    >>> condition_key("二级：总分需≥40，当前23.2（未满足）")
    '二级：总分需≥40'
    >>> condition_key("二级：总分需≥40，当前43（已满足）") is None
    True
    """
    text = str(message).strip()
    if not text or "已满足" in text:
        return None
    return text.split("，当前", 1)[0].strip() or None


def common_gaps(
    scores: pd.DataFrame, *, column: str = "next_level", top: int | None = 10
) -> pd.DataFrame:
    """The unmet next-level conditions most valid rows share (共性短板).

    Parameters
    ----------
    scores
        A scored table with ``valid`` and ``column``: each row's list of next-level
        messages (see :func:`condition_key`); anything but a list counts as none.
    top
        At most this many conditions (None: all).

    Returns
    -------
    pandas.DataFrame
        ``condition``, ``n`` (valid rows that miss it; once per row) and ``share`` (of the
        valid rows), most frequent first, ties by condition.

    Examples
    --------
    >>> t = pd.DataFrame({"valid": [True, True, False], "next_level": [
    ...     ["二级：总分需≥40，当前23（未满足）", "二级：总分需≥40，当前23（未满足）"],
    ...     ["二级：总分需≥40，当前31（未满足）", "二级：场景需≥3，当前4（已满足）"], None]})
    >>> common_gaps(t).values.tolist()
    [['二级：总分需≥40', 2, 1.0]]
    """
    valid = scores["valid"].astype(bool) if "valid" in scores else np.ones(len(scores), bool)
    lists = scores.loc[valid, column]
    counts: Counter[str] = Counter()
    for messages in lists:  # short lists of text: a plain loop beats explode + groupby
        if isinstance(messages, list | tuple):
            counts.update({key for m in messages if (key := condition_key(m))})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return pd.DataFrame(
        {
            "condition": [c for c, _ in ranked],
            "n": np.array([n for _, n in ranked], dtype="int64"),
            "share": [n / len(lists) for _, n in ranked],
        }
    )
