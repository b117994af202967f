"""Staggered difference-in-differences: a programme's effect when enterprises join in different years.

:func:`did` checks a long panel (unit, period, first treated period, outcome), refuses or
flags what would make a silent estimate wrong, and runs one of four estimators from two
well-kept libraries — it never estimates by hand:

``cs``
    Callaway & Sant'Anna (2021) ATT(g, t), doubly robust, with the simple (overall) and
    dynamic (event-time) aggregations and the Wald pre-test of R ``did`` — csdid.
``sa``
    Sun & Abraham (2021) interaction-weighted event study — pyfixest
    ``event_study(estimator="saturated")``; the overall ATT weights the cohort ×
    event-time cells by their treated observations (the CS "simple" target).
``did2s``
    Gardner (2021) two-stage DiD — pyfixest ``did2s`` (pooled ATT and event study).
``twfe``
    The plain two-way fixed-effects regression — pyfixest ``feols`` — shown only as the
    biased contrast: with staggered adoption and effects that change over time it makes
    "forbidden comparisons" with already-treated units (Goodman-Bacon 2021).

Every estimate comes back as one frozen :class:`DidResult` with the event-study table,
pre-trend estimates and a joint pre-trend p-value, and plain-language Chinese caveats as
named warnings (small comparison group, significant pre-trends, tiny cohorts …).

The libraries are an optional extra (``pip install "nqpf[evaluation]"``), imported only
when an estimate is asked for, so ``import nqpf.evaluation`` stays light.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary, pick_table

__all__ = [
    "CONTROLS",
    "METHODS",
    "DidResult",
    "DidWarning",
    "did",
]

#: The estimators, by their CLI name.
METHODS = ("cs", "sa", "did2s", "twfe")
#: The comparison groups each estimator implements (the first is its default).
CONTROLS: dict[str, tuple[str, ...]] = {
    "cs": ("never", "notyet"),
    "sa": ("never",),
    "did2s": ("notyet",),
    "twfe": ("implicit",),
}
_METHOD_ZH = {
    "cs": "Callaway–Sant'Anna",
    "sa": "Sun–Abraham",
    "did2s": "Gardner 两阶段 did2s",
    "twfe": "双向固定效应 TWFE（有偏对照）",
}
_CONTROL_ZH = {
    "never": "从未参与的企业",
    "notyet": "尚未参与的企业（含从未参与）",
    "implicit": "其余所有观测（含已参与企业：禁止比较）",
}
_LIBRARY = {"cs": "csdid", "sa": "pyfixest", "did2s": "pyfixest", "twfe": "pyfixest"}
_INSTALL = 'pip install "nqpf[evaluation]"'

# internal column names (valid formula names for pyfixest)
_ID, _T, _G, _Y, _D, _REL, _CL = (
    "nqpf_id",
    "nqpf_t",
    "nqpf_g",
    "nqpf_y",
    "nqpf_d",
    "nqpf_rel",
    "nqpf_cl",
)


@dataclass(frozen=True)
class DidWarning:
    """A named caveat of an estimate: ``code`` (stable), ``message`` (Chinese), ``detail``."""

    code: str
    message: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _num(x: Any) -> float | None:
    """A float for JSON: None for NaN/inf/None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True, eq=False)
class DidResult(Result):
    """A staggered-DiD estimate of a programme's effect on an outcome.

    Attributes
    ----------
    method
        ``cs``, ``sa``, ``did2s`` or ``twfe`` (see :data:`METHODS`).
    estimator
        What ran: estimator, library and version.
    control
        Comparison group: ``never`` (never-treated units), ``notyet`` (units not yet
        treated, including never-treated) or ``implicit`` (TWFE: every other
        observation, already-treated ones included).
    outcome
        The outcome column.
    att, se, ci, alpha
        The overall average treatment effect on the treated, its standard error
        (clustered by unit, or by ``cluster``) and the normal (1 − alpha) interval.
    n_units, n_treated, n_control, n_obs
        Units in the estimation sample, treated units with an estimate, the smallest
        comparison group (never-treated units; for ``notyet`` without them, the last
        cohort) and observations.
    periods
        First and last period of the estimation sample.
    cohorts
        One row per cohort (first treated period ``cohort``, ``n_units``, ``role``:
        treated / control (a last cohort used only as comparison) / never).
    event_study
        One row per event time e = period − cohort: ``e``, ``att``, ``se``, ``ci_lo``,
        ``ci_hi``; e < 0 are the pre-trend estimates (e = −1 is the reference for the
        regression estimators and absent there).
    detail
        The estimator's own table: ATT(g, t) for ``cs``, cohort × event-time
        coefficients for ``sa``, event-study coefficients for ``did2s`` and ``twfe``.
    pretrend_p, pretrend_stat, pretrend_df
        Joint test that all pre-treatment estimates are zero: for ``cs`` the Wald
        pre-test of R ``did`` over the pre-treatment ATT(g, t); for the regressions a
        Wald χ² test of the pre-period coefficients.  None when there is none to test.
    warnings
        Named caveats (:class:`DidWarning`), in Chinese.
    """

    method: str
    estimator: str
    control: str
    outcome: str
    att: float
    se: float
    ci: tuple[float, float]
    alpha: float
    n_units: int
    n_treated: int
    n_control: int
    n_obs: int
    periods: tuple[float, float]
    cohorts: pd.DataFrame = field(repr=False)
    event_study: pd.DataFrame = field(repr=False)
    detail: pd.DataFrame = field(repr=False)
    pretrend_p: float | None = None
    pretrend_stat: float | None = None
    pretrend_df: int | None = None
    warnings: tuple[DidWarning, ...] = ()

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``nqpf evaluate did --json`` (docs/evaluation-guide.md)."""
        return {
            "method": self.method,
            "att": _num(self.att),
            "se": _num(self.se),
            "ci": [_num(self.ci[0]), _num(self.ci[1])],
            "n_units": int(self.n_units),
            "n_treated": int(self.n_treated),
            "event_study": [
                {"e": int(r.e), "att": _num(r.att), "se": _num(r.se)}
                for r in self.event_study.itertuples(index=False)
            ],
            "pretrend_p": _num(self.pretrend_p),
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        cohorts = "，".join(
            f"{_fmt_period(r.cohort)}（{r.n_units} 家）"
            for r in self.cohorts.itertuples(index=False)
            if r.role != "never"
        )
        rows: list[tuple[str, Any]] = [
            ("方法", f"{_METHOD_ZH[self.method]}（{self.estimator}）"),
            ("对照组", _CONTROL_ZH[self.control]),
            ("结果变量", self.outcome),
            ("平均处理效应 ATT", f"{self.att:.4g}"),
            ("标准误", f"{self.se:.4g}"),
            (f"{level} 置信区间", f"{self.ci[0]:.4g} ~ {self.ci[1]:.4g}"),
            ("企业数（处理/对照）", f"{self.n_units}（{self.n_treated}/{self.n_control}）"),
            ("期间", f"{_fmt_period(self.periods[0])}–{_fmt_period(self.periods[1])}"),
            ("参与批次", cohorts),
            (
                "处理前趋势联合检验 p 值",
                "无法检验" if self.pretrend_p is None else f"{self.pretrend_p:.3g}",
            ),
        ]
        notes = tuple(w.message for w in self.warnings)
        return Summary(
            title=f"项目效果估计：{_METHOD_ZH[self.method]}", rows=tuple(rows), notes=notes
        )

    def estimate_frame(self) -> pd.DataFrame:
        """One row: method, control, att, se, ci_lo, ci_hi, pretrend_p and the counts."""
        return pd.DataFrame(
            [
                {
                    "method": self.method,
                    "estimator": self.estimator,
                    "control": self.control,
                    "outcome": self.outcome,
                    "att": self.att,
                    "se": self.se,
                    "ci_lo": self.ci[0],
                    "ci_hi": self.ci[1],
                    "pretrend_p": self.pretrend_p,
                    "n_units": self.n_units,
                    "n_treated": self.n_treated,
                    "n_control": self.n_control,
                    "n_obs": self.n_obs,
                }
            ]
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """``estimate``, ``event_study``, ``detail``, ``cohorts`` and ``warnings``."""
        return {
            "estimate": self.estimate_frame(),
            "event_study": self.event_study,
            "detail": self.detail,
            "cohorts": self.cohorts,
            "warnings": pd.DataFrame(
                [{"code": w.code, "message": w.message, "detail": w.detail} for w in self.warnings],
                columns=["code", "message", "detail"],
            ),
        }

    def to_frame(self, table: str = "estimate") -> pd.DataFrame:
        """One of :meth:`tables` (default the one-row ``estimate``), or ``"all"`` stacked."""
        return pick_table(self.tables(), table)


def _fmt_period(x: Any) -> str:
    x = float(x)
    return str(int(x)) if x == int(x) else f"{x:g}"


# ----------------------------------------------------------------------------- the panel


def _to_pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    try:
        import narwhals as nw

        return nw.from_native(data, eager_only=True).to_pandas()
    except TypeError:
        raise DataValidationError(
            f"expected a data frame (pandas, Polars, PyArrow …), got {type(data).__name__}",
            field="data",
            zh=f"应为数据表，收到 {type(data).__name__}",
        ) from None


def _numbers(col: pd.Series, name: str, what_zh: str) -> np.ndarray:
    """A column as floats (NaN where empty); text that is not a number is refused."""
    if col.dtype == bool:
        return col.to_numpy(dtype=float)
    x = pd.to_numeric(col, errors="coerce")
    text = col.astype("string").str.strip()
    bad = x.isna() & col.notna() & (text != "").fillna(False)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = col.iloc[i]
        raise DataValidationError(
            f"{int(bad.sum())} value(s) are not numbers, first {value!r} at row {col.index[i]}",
            column=name,
            data_row=i,
            zh=f"{what_zh}应为数字：{int(bad.sum())} 个值不是数字，首个为第 {col.index[i]} 行的 {value!r}",
        )
    return x.to_numpy(dtype=float, na_value=np.nan)


@dataclass
class _Panel:
    frame: pd.DataFrame  # nqpf_id, nqpf_t, nqpf_g, nqpf_y (+ nqpf_cl)
    warnings: list[DidWarning]
    n_never: int


def _prepare(
    data: Any,
    unit: str,
    time: str,
    cohort: str | None,
    treatment: str | None,
    outcome: str,
    cluster: str | None,
    unbalanced: str,
) -> _Panel:
    df = _to_pandas(data)
    if (cohort is None) == (treatment is None):
        raise DataValidationError(
            "give either cohort (first treated period) or treatment (0/1 per period)",
            field="cohort",
            zh="请给出参与批次列（首次参与期）或处理状态列（每期 0/1）之一",
        )
    needed = [unit, time, outcome, cohort or treatment]
    if cluster is not None:
        needed.append(cluster)
    for c in needed:
        if c not in df.columns:
            raise DataValidationError(
                f"no column {c!r}; columns: {', '.join(map(str, df.columns))}",
                column=c,
                zh=f"没有列 {c!r}",
            )
    if len(df) == 0:
        raise DataValidationError("the panel has no rows", field="data", zh="面板没有数据")
    if df[unit].isna().any():
        i = int(np.flatnonzero(df[unit].isna().to_numpy())[0])
        raise DataValidationError(
            f"unit is missing at row {df.index[i]}", column=unit, data_row=i, zh="企业标识缺失"
        )
    t = _numbers(df[time], time, "期间")
    if np.isnan(t).any() or (t != np.round(t)).any():
        i = int(np.flatnonzero(np.isnan(t) | (t != np.round(t)))[0])
        raise DataValidationError(
            f"periods must be whole numbers (years, months as 202301 …), got {df[time].iloc[i]!r} "
            f"at row {df.index[i]}",
            column=time,
            data_row=i,
            zh=f"期间应为整数（如年份），第 {df.index[i]} 行为 {df[time].iloc[i]!r}",
        )
    dup = pd.DataFrame({"u": df[unit].to_numpy(), "t": t}).duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        u, when = df[unit].iloc[i], _fmt_period(t[i])
        raise DataValidationError(
            f"{int(dup.sum())} rows repeat a (unit, period) pair, e.g. {u!r} in {when}; "
            "give one row per unit and period",
            column=unit,
            data_row=i,
            zh=f"有 {int(dup.sum())} 行的（企业，期间）重复，如 {u!r} 的 {when}：每家企业每期只能一行",
        )
    y = _numbers(df[outcome], outcome, "结果变量")
    ids, labels = pd.factorize(df[unit])
    frame = pd.DataFrame({_ID: ids.astype(np.int64), _T: t, _Y: y})
    if cluster is not None and cluster != unit:
        codes, _ = pd.factorize(df[cluster])
        if (codes < 0).any():
            raise DataValidationError(
                "the cluster column has missing values", column=cluster, zh="聚类列有缺失值"
            )
        frame[_CL] = codes.astype(np.int64)
        if frame.groupby(_ID)[_CL].nunique().max() > 1:
            raise DataValidationError(
                "a unit changes cluster over time; clusters must contain whole units",
                column=cluster,
                zh="同一企业在不同期间属于不同的聚类：聚类须包含完整的企业",
            )
    found: list[DidWarning] = []
    if cohort is not None:
        g = _numbers(df[cohort], cohort, "参与批次")
        g = np.where(np.isnan(g), 0.0, g)
        frame[_G] = g
        varies = frame.groupby(_ID)[_G].nunique() > 1
        if varies.any():
            u = labels[int(varies.index[varies.to_numpy()][0])]
            vals = sorted(frame.loc[frame[_ID] == varies.index[varies.to_numpy()][0], _G].unique())
            raise DataValidationError(
                f"{int(varies.sum())} unit(s) have more than one cohort, e.g. {u!r}: "
                f"{', '.join(_fmt_period(v) for v in vals)}; the cohort is the first treated "
                "period, one per unit (treatment cannot switch off and on again)",
                column=cohort,
                zh=f"{int(varies.sum())} 家企业的参与批次不唯一（如 {u!r}）：参与批次是首次参与的期间，每家企业只有一个",
            )
        if (g < 0).any() or (g != np.round(g)).any():
            i = int(np.flatnonzero((g < 0) | (g != np.round(g)))[0])
            raise DataValidationError(
                f"cohort must be a period, 0 or empty (never treated), got {df[cohort].iloc[i]!r}",
                column=cohort,
                data_row=i,
                zh=f"参与批次应为期间，或 0/空（从未参与），收到 {df[cohort].iloc[i]!r}",
            )
    else:
        assert treatment is not None
        d = _numbers(df[treatment], treatment, "处理状态")
        if np.isnan(d).any() or not np.isin(d, (0.0, 1.0)).all():
            i = int(np.flatnonzero(np.isnan(d) | ~np.isin(d, (0.0, 1.0)))[0])
            raise DataValidationError(
                f"treatment must be 0 or 1 in every row, got {df[treatment].iloc[i]!r} at row "
                f"{df.index[i]}",
                column=treatment,
                data_row=i,
                zh=f"处理状态每行应为 0 或 1，第 {df.index[i]} 行为 {df[treatment].iloc[i]!r}",
            )
        frame["_d"] = d
        order = frame.sort_values([_ID, _T], kind="stable")
        off = (order.groupby(_ID)["_d"].diff() < 0).to_numpy()
        if off.any():
            r = order.iloc[int(np.flatnonzero(off)[0])]
            u = labels[int(r[_ID])]
            n_off = order.loc[off, _ID].nunique()
            raise DataValidationError(
                f"treatment switches off for {n_off} unit(s), e.g. {u!r} in {_fmt_period(r[_T])}; "
                "staggered estimators need a treatment that stays on once it starts",
                column=treatment,
                zh=f"{n_off} 家企业的处理状态由 1 变回 0（如 {u!r} 在 {_fmt_period(r[_T])}）：交错双重差分要求一旦参与就持续参与",
            )
        first = frame[frame["_d"] == 1].groupby(_ID)[_T].min()
        frame[_G] = frame[_ID].map(first).fillna(0.0).to_numpy()
        frame = frame.drop(columns="_d")
    periods = np.unique(frame[_T])
    t_min, t_max = periods[0], periods[-1]
    # cohorts outside the panel
    g_all = frame[_G].to_numpy()
    after = g_all > t_max
    if after.any():
        gs = sorted(np.unique(g_all[after]))
        n = frame.loc[after, _ID].nunique()
        found.append(
            DidWarning(
                "cohort_after_panel",
                f"{n} 家企业的参与批次（{'、'.join(map(_fmt_period, gs))}）在面板最后一期"
                f"（{_fmt_period(t_max)}）之后：样本期内按未参与处理；若为录入错误请更正。",
                f"{n} units with cohort after the last period {_fmt_period(t_max)} are treated as never treated",
            )
        )
        frame.loc[after, _G] = 0.0
    early = (frame[_G] > 0) & (frame[_G] <= t_min)
    if early.any():
        gs = sorted(np.unique(frame.loc[early, _G]))
        n = frame.loc[early, _ID].nunique()
        found.append(
            DidWarning(
                "cohort_at_panel_start",
                f"{n} 家企业在面板第一期（{_fmt_period(t_min)}）或之前已参与（批次 "
                f"{'、'.join(map(_fmt_period, gs))}），没有参与前的数据，已从估计中剔除。",
                f"{n} units treated at or before the first period were dropped",
            )
        )
        frame = frame[~early.to_numpy()]
    inside = frame[_G].to_numpy()
    odd = (inside > 0) & ~np.isin(inside, periods)
    if odd.any():
        bad = sorted(np.unique(inside[odd]))
        raise DataValidationError(
            f"cohort(s) {', '.join(map(_fmt_period, bad))} are not periods of the panel "
            f"({', '.join(map(_fmt_period, periods))})",
            column=cohort or treatment,
            zh=f"参与批次 {'、'.join(map(_fmt_period, bad))} 不是面板中的期间",
        )
    # balance: every unit observed with an outcome in every period
    n_t = len(periods)
    have = frame[np.isfinite(frame[_Y].to_numpy())].groupby(_ID)[_T].nunique()
    complete = have.index[have.to_numpy() == n_t]
    incomplete = frame[_ID].nunique() - len(complete)
    if incomplete:
        missing_y = int((~np.isfinite(frame[_Y].to_numpy())).sum())
        if unbalanced == "error":
            raise DataValidationError(
                f"{incomplete} unit(s) lack the outcome in some period ({missing_y} empty "
                f"cells, or missing rows); the estimators need every unit in every period",
                column=outcome,
                zh=f"{incomplete} 家企业缺少部分期间的结果（{missing_y} 个空值或缺行）：估计需要每家企业每期都有数据",
            )
        found.append(
            DidWarning(
                "unbalanced_panel",
                f"{incomplete} 家企业缺少部分期间的结果，已从估计中剔除（保留 {len(complete)} 家每期都有数据的企业）；"
                "若缺失与参与有关，估计可能有偏。",
                f"dropped {incomplete} units with missing periods (balanced panel of {len(complete)})",
            )
        )
        frame = frame[frame[_ID].isin(complete)]
    if frame.empty:
        raise DataValidationError(
            "no unit is left with the outcome in every period",
            column=outcome,
            zh="没有每期都有结果数据的企业，无法估计",
        )
    unit_g = frame.groupby(_ID)[_G].first()
    if not (unit_g > 0).any():
        raise DataValidationError(
            "no unit is treated within the panel",
            column=cohort or treatment,
            zh="样本期内没有参与的企业",
        )
    frame = frame.sort_values([_ID, _T], kind="stable").reset_index(drop=True)
    return _Panel(frame=frame, warnings=found, n_never=int((unit_g == 0).sum()))


# ---------------------------------------------------------------------------- estimators


def _require(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise DataValidationError(
            f"the {module} package is needed for this estimator; install it with {_INSTALL}",
            field="method",
            zh=f"该估计方法需要可选依赖 {module}：请运行 {_INSTALL} 安装",
        ) from None


def _version(module: str) -> str:
    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "?"


_LIBRARY_NOISE = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@contextlib.contextmanager
def _quiet(caught: list[str], ignore: tuple[str, ...] = ()):
    """Silence the libraries' prints; keep their warnings (minus known noise) in ``caught``."""
    with warnings.catch_warnings(record=True) as ws, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        yield
    for w in ws:
        text = str(w.message).strip()
        if issubclass(w.category, _LIBRARY_NOISE):  # about the libraries' code, not the data
            continue
        if not any(re.search(p, text) for p in ignore) and text not in caught:
            caught.append(text)


def _library_error(library: str, exc: Exception) -> DataValidationError:
    return DataValidationError(
        f"{library} could not estimate on this panel: {exc}",
        field="data",
        zh=f"{library} 无法在该面板上估计：{exc}",
    )


@dataclass
class _Fit:
    att: float
    se: float
    event_study: pd.DataFrame  # e, att, se
    detail: pd.DataFrame
    pretrend_p: float | None
    pretrend_stat: float | None
    pretrend_df: int | None
    estimator: str


def _fit_cs(
    frame: pd.DataFrame,
    control: str,
    cluster: bool,
    alpha: float,
    est_method: str,
    base_period: str,
    caught: list[str],
) -> _Fit:
    _require("csdid")
    from csdid.att_gt import ATTgt

    try:
        with _quiet(caught):
            m = ATTgt(
                yname=_Y, tname=_T, idname=_ID, gname=_G, data=frame,
                control_group=["nevertreated" if control == "never" else "notyettreated"],
                clustervar=_CL if cluster else None, alp=alpha,
            )  # fmt: skip
            m.fit(est_method=est_method, base_period=base_period, bstrap=False)
            res = m.results
            detail = pd.DataFrame(
                {
                    "cohort": np.asarray(res["group"], dtype=float),
                    "period": np.asarray(res["year"], dtype=float),
                    "att": np.asarray(res["att"], dtype=float),
                    "se": np.asarray(res["se"], dtype=float),
                }
            )
            simple = m.aggte(typec="simple", alp=alpha).atte
            att, se = float(simple["overall_att"]), float(simple["overall_se"])
            dyn = m.aggte(typec="dynamic", alp=alpha).atte
            es = pd.DataFrame(
                {
                    "e": np.asarray(dyn["egt"], dtype=float),
                    "att": np.asarray(dyn["att_egt"], dtype=float),
                    "se": np.asarray(dyn["se_egt"], dtype=float).ravel(),
                }
            )
            W, p = m.MP["W"], m.MP["Wpval"]
    except (ValueError, KeyError, IndexError, np.linalg.LinAlgError) as exc:
        raise _library_error("csdid", exc) from None
    detail["e"] = detail["period"] - detail["cohort"]
    pre = detail[(detail["e"] < 0) & np.isfinite(detail["se"]) & (detail["se"] > 0)]
    return _Fit(
        att=att,
        se=se,
        event_study=es,
        detail=detail[["cohort", "period", "e", "att", "se"]],
        pretrend_p=None if p is None else float(p),
        pretrend_stat=None if W is None else float(W),
        pretrend_df=None if p is None else len(pre),
        estimator=f"csdid {_version('csdid')}, {est_method}, base period {base_period}",
    )


def _coef_table(fit: Any) -> pd.DataFrame:
    tidy = fit.tidy()
    return pd.DataFrame(
        {
            "term": tidy.index.astype(str),
            "att": tidy["Estimate"].to_numpy(dtype=float),
            "se": tidy["Std. Error"].to_numpy(dtype=float),
        }
    )


def _wald(
    fit: Any, names: list[str], pick: list[str]
) -> tuple[float | None, float | None, int | None]:
    """Wald χ² test that the coefficients ``pick`` are jointly zero (pyfixest ``wald_test``)."""
    if not pick:
        return None, None, None
    R = np.zeros((len(pick), len(names)))
    for i, term in enumerate(pick):
        R[i, names.index(term)] = 1.0
    test = fit.wald_test(R=R, distribution="chi2")
    stat, p = float(test["statistic"]), float(test["pvalue"])
    if not math.isfinite(p):
        return None, None, None
    return p, stat, len(pick)


_EVENT_TERM = re.compile(r"::(?P<e>-?[0-9.]+)(?::.+::(?P<g>-?[0-9.]+))?$")


def _event_terms(names: list[str]) -> pd.DataFrame:
    rows = []
    for n in names:
        m = _EVENT_TERM.search(n)
        if m:
            rows.append(
                {"term": n, "e": float(m["e"]), "cohort": None if m["g"] is None else float(m["g"])}
            )
    return pd.DataFrame(rows, columns=["term", "e", "cohort"])


def _fit_sa(frame: pd.DataFrame, cluster: bool, caught: list[str]) -> _Fit:
    pf = _require("pyfixest")
    try:
        with _quiet(caught, (r"currently in beta", r"dropped due to multicollinearity")):
            fit = pf.event_study(
                data=frame, yname=_Y, idname=_ID, tname=_T, gname=_G,
                estimator="saturated", cluster=_CL if cluster else _ID,
            )  # fmt: skip
            agg = fit.aggregate().astype(float)
    except (ValueError, KeyError, IndexError, np.linalg.LinAlgError) as exc:
        raise _library_error("pyfixest", exc) from None
    names = [str(n) for n in fit._coefnames]
    terms = _event_terms(names)
    beta = np.asarray(fit._beta_hat, dtype=float)
    V = np.asarray(fit._vcov, dtype=float)
    # the overall ATT: cohort × event-time cells weighted by their treated observations
    cells = frame[frame[_G] > 0].assign(e=lambda d: d[_T] - d[_G])
    n_cell = cells[cells["e"] >= 0].groupby([_G, "e"]).size()
    w = np.zeros(len(names))
    for _, r in terms.iterrows():
        if r["e"] >= 0 and r["cohort"] is not None:
            w[names.index(r["term"])] = n_cell.get((r["cohort"], r["e"]), 0)
    w /= w.sum()
    att, se = float(w @ beta), float(np.sqrt(w @ V @ w))
    es = pd.DataFrame(
        {
            "e": agg.index.to_numpy(dtype=float),
            "att": agg["Estimate"].to_numpy(dtype=float),
            "se": agg["Std. Error"].to_numpy(dtype=float),
        }
    )
    detail = _coef_table(fit).merge(terms, on="term", how="left")[["cohort", "e", "att", "se"]]
    pre = terms.loc[terms["e"] < 0, "term"].tolist()
    p, stat, dfree = _wald(fit, names, pre)
    return _Fit(
        att,
        se,
        es,
        detail,
        p,
        stat,
        dfree,
        f"pyfixest {_version('pyfixest')} saturated event study",
    )


def _rel(frame: pd.DataFrame) -> pd.DataFrame:
    g, t = frame[_G].to_numpy(), frame[_T].to_numpy()
    return frame.assign(
        **{
            _D: ((g > 0) & (t >= g)).astype(float),
            # never-treated units join the reference event time −1 (fixest's convention)
            _REL: np.where(g > 0, t - g, -1.0).astype(float),
        }
    )


def _event_fit(fit: Any) -> tuple[pd.DataFrame, pd.DataFrame, tuple]:
    names = [str(n) for n in fit._coefnames]
    terms = _event_terms(names)
    table = _coef_table(fit).merge(terms[["term", "e"]], on="term", how="inner")
    es = table[["e", "att", "se"]].sort_values("e").reset_index(drop=True)
    pre = terms.loc[terms["e"] < 0, "term"].tolist()
    return es, table[["term", "e", "att", "se"]], _wald(fit, names, pre)


def _fit_did2s(frame: pd.DataFrame, cluster: bool, caught: list[str]) -> _Fit:
    pf = _require("pyfixest")
    df = _rel(frame)
    cl = _CL if cluster else _ID
    try:
        with _quiet(caught):
            pooled = pf.did2s(
                df, yname=_Y, first_stage=f"~0|{_ID}+{_T}", second_stage=f"~{_D}",
                treatment=_D, cluster=cl,
            )  # fmt: skip
            dyn = pf.did2s(
                df, yname=_Y, first_stage=f"~0|{_ID}+{_T}",
                second_stage=f"~i({_REL}, ref=-1.0)", treatment=_D, cluster=cl,
            )  # fmt: skip
            es, detail, (p, stat, dfree) = _event_fit(dyn)
    except (ValueError, KeyError, IndexError, np.linalg.LinAlgError) as exc:
        raise _library_error("pyfixest", exc) from None
    att, se = float(pooled.coef().iloc[0]), float(pooled.se().iloc[0])
    return _Fit(att, se, es, detail, p, stat, dfree, f"pyfixest {_version('pyfixest')} did2s")


def _fit_twfe(frame: pd.DataFrame, cluster: bool, caught: list[str]) -> _Fit:
    pf = _require("pyfixest")
    df = _rel(frame)
    vcov = {"CRV1": _CL if cluster else _ID}
    try:
        with _quiet(caught):
            static = pf.feols(f"{_Y} ~ {_D} | {_ID} + {_T}", data=df, vcov=vcov)
            dyn = pf.feols(f"{_Y} ~ i({_REL}, ref=-1.0) | {_ID} + {_T}", data=df, vcov=vcov)
            es, detail, (p, stat, dfree) = _event_fit(dyn)
    except (ValueError, KeyError, IndexError, np.linalg.LinAlgError) as exc:
        raise _library_error("pyfixest", exc) from None
    att, se = float(static.coef().iloc[0]), float(static.se().iloc[0])
    return _Fit(att, se, es, detail, p, stat, dfree, f"pyfixest {_version('pyfixest')} feols TWFE")


# ---------------------------------------------------------------------------------- did


def _check_choice(value: Any, name: str, allowed: tuple[str, ...], zh: str) -> str:
    if value not in allowed:
        raise DataValidationError(
            f"{name} must be one of {', '.join(allowed)}, got {value!r}",
            field=name,
            zh=f"{zh}应为 {'、'.join(allowed)} 之一，收到 {value!r}",
        )
    return str(value)


def did(
    data: Any,
    *,
    unit: str,
    time: str,
    outcome: str,
    cohort: str | None = None,
    treatment: str | None = None,
    method: str = "cs",
    control: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    est_method: str = "dr",
    base_period: str = "varying",
    unbalanced: str = "drop",
    min_cohort_size: int = 5,
    min_control: int = 20,
) -> DidResult:
    """Estimate a programme's effect with staggered adoption (交错双重差分).

    Parameters
    ----------
    data
        A long panel, one row per unit and period (pandas, Polars, PyArrow …).
    unit, time, outcome
        Columns of the unit (enterprise), the period (whole numbers: years, 202301 …)
        and the outcome (numbers; empty cells are missing).
    cohort
        Column of the first treated period; empty, NaN or 0 = never treated.  Constant
        within a unit.
    treatment
        Instead of ``cohort``: a 0/1 column per unit and period; the cohort is the first
        period with 1.  A treatment that switches off (1 then 0) is refused.
    method
        ``"cs"`` (default; Callaway–Sant'Anna, csdid), ``"sa"`` (Sun–Abraham, pyfixest
        saturated event study), ``"did2s"`` (Gardner, pyfixest) or ``"twfe"`` (plain
        two-way fixed effects, the biased contrast).
    control
        Comparison group: ``"never"`` (never-treated units) or ``"notyet"`` (not yet
        treated, never-treated included).  Default the estimator's own: cs and sa
        ``never``; did2s uses every untreated observation (``notyet``); twfe has no
        choice (``implicit``).  A choice the estimator does not implement is refused.
    cluster
        Column to cluster standard errors on (whole units per cluster); default the unit.
    alpha
        1 − confidence level of the intervals (normal, ``att ± z·se``).
    est_method, base_period
        csdid's ``est_method`` (``"dr"`` doubly robust, default, as R ``did``;
        ``"reg"``, ``"ipw"``) and ``base_period`` (``"varying"``, default as R ``did``,
        or ``"universal"``).  Used by ``cs`` only.
    unbalanced
        Units lacking the outcome in some period: ``"drop"`` (default; named warning
        ``unbalanced_panel``) or ``"error"``.
    min_cohort_size, min_control
        A cohort with fewer units, or a comparison group with fewer units, gets the
        named warning ``tiny_cohort`` / ``small_control_group`` (nqpf conventions:
        5 and 20).

    Returns
    -------
    DidResult

    Raises
    ------
    DataValidationError
        A missing column; duplicate (unit, period) rows; text in the outcome, period or
        cohort; a cohort that varies within a unit or a treatment that switches off; a
        cohort that is not a period of the panel; ``control="never"`` (or ``sa``)
        without never-treated units; a comparison group the estimator does not
        implement; no treated unit; the optional extra missing (naming
        ``pip install "nqpf[evaluation]"``).  ``column``/``field`` name the input and
        ``reason_zh`` says it in Chinese.

    Notes
    -----
    Standard errors are analytic and clustered by unit (the influence function of
    csdid with ``bstrap=False``, as R ``did``; CRV1 for pyfixest), or by ``cluster``.
    For ``sa`` the overall ATT is Σ w_{g,e} β_{g,e} over post-treatment cohort ×
    event-time cells with w ∝ treated observations in the cell (the CS "simple"
    target), its SE √(wᵀVw) from pyfixest's CRV1 covariance.  Cohorts after the last
    period are treated as never treated and cohorts at or before the first period are
    dropped (no pre-period), each with a named warning — the choices csdid makes
    silently.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
    time periods. *Journal of Econometrics* 225(2), 200–230.
    Sun, L. & Abraham, S. (2021). Estimating dynamic treatment effects in event studies
    with heterogeneous treatment effects. *Journal of Econometrics* 225(2), 175–199.
    Gardner, J. (2021). Two-stage differences in differences. arXiv:2207.05943.
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment
    timing. *Journal of Econometrics* 225(2), 254–277.

    Examples
    --------
    >>> from nqpf.evaluation.synthetic import staggered_panel
    >>> panel, truth = staggered_panel(n_units=400, seed=1)
    >>> r = did(panel, unit="firm", time="year", cohort="cohort", outcome="y")  # doctest: +SKIP
    >>> r.ci[0] <= truth.att <= r.ci[1]  # doctest: +SKIP
    True
    """
    method = _check_choice(method, "method", METHODS, "估计方法")
    allowed = CONTROLS[method]
    if control is None:
        control = allowed[0]
    if control not in allowed:
        other = [m for m, cs in CONTROLS.items() if control in cs]
        raise DataValidationError(
            f"method {method!r} implements control {', '.join(allowed)}, not {control!r}"
            + (f"; {control!r} is available with {', '.join(other)}" if other else ""),
            field="control",
            zh=f"方法 {method} 的对照组只能是 {'、'.join(allowed)}，不能是 {control!r}"
            + (f"（{control!r} 可用于 {'、'.join(other)}）" if other else ""),
        )
    if not 0 < float(alpha) < 1:
        raise DataValidationError(
            f"alpha must be in (0, 1), got {alpha!r}", field="alpha", zh="alpha 应在 0 与 1 之间"
        )
    _check_choice(unbalanced, "unbalanced", ("drop", "error"), "unbalanced ")
    if method == "cs":
        _check_choice(est_method, "est_method", ("dr", "reg", "ipw"), "est_method ")
        _check_choice(base_period, "base_period", ("varying", "universal"), "base_period ")
    panel = _prepare(data, unit, time, cohort, treatment, outcome, cluster, unbalanced)
    frame, found = panel.frame, list(panel.warnings)
    unit_g = frame.groupby(_ID)[_G].first()
    cohorts = np.sort(unit_g[unit_g > 0].unique())
    if control == "never" and panel.n_never == 0:
        raise DataValidationError(
            "no never-treated unit in the panel, so control='never' has no comparison group; "
            "use control='notyet' (method cs) or method did2s, which compare with units not yet treated",
            field="control",
            zh="面板中没有从未参与的企业，无法以其为对照：请改用“尚未参与”对照（--control notyet，方法 cs）或 did2s 方法",
        )
    roles = {g: "treated" for g in cohorts}
    last_only = False
    if panel.n_never == 0 and method in ("cs", "did2s"):
        if len(cohorts) < 2:
            raise DataValidationError(
                "every unit joins in the same period and none stays out: there is no comparison group",
                field="control",
                zh="所有企业在同一期参与且没有未参与的企业：没有可比较的对照组",
            )
        g_last = cohorts[-1]
        roles[g_last] = "control"
        last_only = True
        found.append(
            DidWarning(
                "last_cohort_control",
                f"没有从未参与的企业：最后一批（{_fmt_period(g_last)} 年参与）只作对照，"
                f"{_fmt_period(g_last)} 年及以后的期间无法估计，已不计入。",
                f"no never-treated units: cohort {_fmt_period(g_last)} serves only as comparison; "
                f"periods >= {_fmt_period(g_last)} dropped",
            )
        )
        if method == "did2s":  # csdid trims these periods itself
            frame = frame[frame[_T] < g_last].reset_index(drop=True)
    sizes = unit_g.value_counts()
    n_control = panel.n_never if panel.n_never else int(sizes.get(cohorts[-1], 0))
    treated_cohorts = [g for g in cohorts if roles[g] == "treated"]
    tiny = [g for g in treated_cohorts if sizes.get(g, 0) < min_cohort_size]
    if tiny:
        found.append(
            DidWarning(
                "tiny_cohort",
                "参与批次 "
                + "、".join(f"{_fmt_period(g)}（{int(sizes[g])} 家）" for g in tiny)
                + f"的企业少于 {min_cohort_size} 家：这些批次的估计很不稳定，标准误可能不可靠。",
                f"cohorts with fewer than {min_cohort_size} units: {', '.join(map(_fmt_period, tiny))}",
            )
        )
    if control != "implicit" and n_control < min_control:
        what = "从未参与" if panel.n_never else "作为对照的最后一批"
        found.append(
            DidWarning(
                "small_control_group",
                f"对照组（{what}的企业）只有 {n_control} 家，少于 {min_control} 家：估计不稳定，置信区间可能偏窄。",
                f"comparison group of {n_control} units (< {min_control})",
            )
        )
    periods = np.unique(frame[_T])
    n_pre = {g: int((periods < g).sum()) for g in treated_cohorts}
    if all(v < 2 for v in n_pre.values()):
        found.append(
            DidWarning(
                "few_pre_periods",
                "各参与批次在参与前最多只有一期数据：无法检验平行趋势（只有一次基线评测 T0 时常见），"
                "估计完全依赖“未参与时两组趋势相同”的假设。",
                "no cohort has two or more pre-treatment periods",
            )
        )
    caught: list[str] = []
    has_cluster = _CL in frame.columns
    if method == "cs":
        fit = _fit_cs(frame, control, has_cluster, float(alpha), est_method, base_period, caught)
    elif method == "sa":
        fit = _fit_sa(frame, has_cluster, caught)
    elif method == "did2s":
        fit = _fit_did2s(frame, has_cluster, caught)
    else:
        fit = _fit_twfe(frame, has_cluster, caught)
    z = NormalDist().inv_cdf(1 - float(alpha) / 2)
    es = fit.event_study.sort_values("e").reset_index(drop=True)
    es["ci_lo"] = es["att"] - z * es["se"]
    es["ci_hi"] = es["att"] + z * es["se"]
    if fit.pretrend_p is None:
        if not any(w.code == "few_pre_periods" for w in found):
            found.append(
                DidWarning(
                    "no_pretrend_test",
                    "没有可检验的参与前估计，无法检验平行趋势。",
                    "no pre-treatment estimate to test",
                )
            )
    elif fit.pretrend_p < float(alpha):
        found.append(
            DidWarning(
                "pretrend_significant",
                f"参与前趋势检验显著（p = {fit.pretrend_p:.3g} < {float(alpha):g}）：参与企业与对照企业在参与前已有不同走势，"
                "平行趋势假设可疑，效应估计可能有偏。",
                f"joint pre-trend test p = {fit.pretrend_p:.3g}",
            )
        )
    if method == "twfe":
        found.append(
            DidWarning(
                "twfe_biased",
                "双向固定效应（TWFE）在企业分批参与、效应随时间或批次变化时有偏（拿已参与企业作对照的“禁止比较”），"
                "仅作对照，请以 Callaway–Sant'Anna、Sun–Abraham 或 did2s 的结果为准。",
                "TWFE is biased under staggered adoption with heterogeneous effects",
            )
        )
    for text in caught:
        found.append(DidWarning("library_warning", f"{_LIBRARY[method]} 提示：{text}", text))
    cohort_rows = [
        {"cohort": float(g), "n_units": int(sizes[g]), "role": roles[g]} for g in cohorts
    ]
    if panel.n_never:
        cohort_rows.append({"cohort": 0.0, "n_units": panel.n_never, "role": "never"})
    used = frame[_ID].nunique()
    return DidResult(
        method=method,
        estimator=fit.estimator,
        control=control,
        outcome=outcome,
        att=fit.att,
        se=fit.se,
        ci=(fit.att - z * fit.se, fit.att + z * fit.se),
        alpha=float(alpha),
        n_units=int(used),
        n_treated=int(sum(int(sizes[g]) for g in treated_cohorts)),
        n_control=int(n_control),
        n_obs=int(
            len(frame) if not (last_only and method == "cs") else (frame[_T] < cohorts[-1]).sum()
        ),
        periods=(
            float(periods[0]),
            float(periods[-1] if not last_only else periods[periods < cohorts[-1]][-1]),
        ),
        cohorts=pd.DataFrame(cohort_rows, columns=["cohort", "n_units", "role"]),
        event_study=es[["e", "att", "se", "ci_lo", "ci_hi"]],
        detail=fit.detail.reset_index(drop=True),
        pretrend_p=fit.pretrend_p,
        pretrend_stat=fit.pretrend_stat,
        pretrend_df=fit.pretrend_df,
        warnings=tuple(found),
    )
