"""Rank a need against a catalogue: hard gates, then a transparent weighted score.

:class:`MatchIndex` is fitted once on a catalogue (arrays of every solution's scenes,
industries, prerequisites, prices …, and a BM25 index of its words) and ranks any number
of needs against it; fit it again when the catalogue changes (texts seen before are not
segmented again).  :func:`rank` does both for one need.

Gates, in order (a solution must pass all of them)
    scene
        The solution lifts the need's scene, or a scene the SME-16 ↔ 40 crosswalk links to
        it (:func:`~nqpf.matching.scenes.related_scenes`).
    standing
        Its provider's standing is one of ``gates.standings`` (入库, 警告).
    level
        Its lift reaches above the enterprise's current level (or, for a need whose target
        is its current level, spans that level).
    industry
        It is made for every industry, or for one sharing the enterprise's code down to
        ``gates.industry`` (default: the same 门类).
    prerequisites
        Every prerequisite holds on the assessment facts; without facts they are not
        checked (and each result says so).
    price
        With a budget: its lowest price is within the budget's upper end.

Score (0–100)
    Σ wᵢ·cᵢ / Σ wᵢ over the components that apply to the need, each cᵢ ∈ [0, 1] (weights
    and constants in ``data/weights-1.yaml``):

    * ``scene_level`` = (1 − a)·fit + a·coverage, where fit = scene factor (1 direct,
      ``scene.crosswalk`` through the crosswalk) × reach toward the target
      ((min(to, target) − current) / (target − current)) × ``start_penalty`` per level the
      solution starts above the current one, coverage the share of the need's ``addresses``
      the solution lifts or improves, a = ``scene.addresses_share`` (0 without addresses);
    * ``industry`` = (1 − s)·depth of the best code match + s·min(cases in the same
      industry, ``cases_full``)/``cases_full`` (needs the enterprise's code);
    * ``prerequisite_margin`` = min over prerequisites of margin/``margin_full`` (capped at
      1), margin = distance past the threshold as a share of the fact's range; 1 without
      prerequisites, ``prerequisites.unverified`` without facts;
    * ``price`` = share of [price_min, price_max] inside the budget (needs a budget);
    * ``rating`` = stars/5 (``rating.unrated`` without), × ``warning_factor`` under warning;
    * ``delivery`` = min(1, weeks left to the deadline / delivery weeks), or without a
      deadline 1/(1 + weeks/``half_weeks``);
    * ``size`` = ``size.match`` / ``generic`` / ``other`` (needs the size class);
    * ``text`` = BM25 (bm25s, Lucene variant) of the need's words against the solution's
      name, description, scenes and KPI names, divided by the best passing solution's.

Every component is non-decreasing in each condition of the need the solution meets, so
a solution meeting a superset of another's conditions never ranks below it, all else
equal.  Ties are broken by solution id; at most ``results.max_per_provider`` solutions of
one provider are listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from nqpf.exceptions import DataValidationError, NotFittedError
from nqpf.matching.facts import Condition, check_facts, load_facts
from nqpf.matching.models import (
    DEPLOYMENTS,
    SIZE_CLASSES,
    STANDINGS,
    Need,
    Solution,
    need_from_mapping,
)
from nqpf.matching.result import GATES, Match, MatchResult, NearMiss
from nqpf.matching.scenes import LEVEL_NAMES, related_scenes, scene_info, scene_label
from nqpf.matching.text import Tokenizer, default_tokenizer
from nqpf.matching.weights import COMPONENTS, MatchWeights, load_weights

__all__ = ["GateCheck", "MatchIndex", "check_gates", "rank"]

_STANDING_CODES = {s: i for i, s in enumerate(STANDINGS)}
_SIZE_BITS = {s: 1 << i for i, s in enumerate(SIZE_CLASSES)}
_OPS = (">=", ">", "<=", "<", "==", "!=")
_DEPTHS = ("section", "division", "group", "class")  # prefix lengths 1, 3, 4, 5
_GATE_DEPTH = {"none": 0, "section": 1, "division": 2, "group": 3, "class": 4}
_CASE_DEPTH = {"division": 2, "group": 3, "class": 4}


def _prefixes(code: str) -> list[str | None]:
    """The code's prefixes at 门类, 大类, 中类, 小类 (``None`` where the code is shorter)."""
    return [code[:n] if len(code) >= n else None for n in (1, 3, 4, 5)]


def _match_depth(codes: Sequence[str], industry: str) -> int:
    """0–4: how deep the best of ``codes`` agrees with ``industry`` (4 = same 小类)."""
    best = 0
    mine = _prefixes(industry)
    for code in codes:
        depth = sum(
            1 for a, b in zip(_prefixes(code), mine, strict=True) if a is not None and a == b
        )
        best = max(best, depth)
    return best


def _level_fit(
    lift: Any, need: Need, crosswalk: float, start_penalty: float
) -> tuple[float, float]:
    """(reach, fit) of one scene lift for the need (see the module notes)."""
    c, t, a, b = need.current_level, need.target_level, lift.from_level, lift.to_level
    # a need to consolidate its level (target = current) is met by a lift spanning it
    reach = min(max((min(b, t) - c) / (t - c), 0.0), 1.0) if t > c else float(a <= c <= b)
    factor = 1.0 if lift.scene == need.scene else crosswalk
    return reach, factor * reach * start_penalty ** max(a - c, 0)


def _scene_rows(solution: Solution, need: Need) -> list[Any]:
    scenes = {need.scene} | related_scenes(need.scene)
    return [lift for lift in solution.scenes if lift.scene in scenes]


@dataclass(frozen=True)
class GateCheck:
    """The gates one solution fails for a need, and what is missing, in Chinese."""

    failed: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failed


def check_gates(
    need: Need,
    solution: Solution,
    facts: Mapping[str, Any] | None = None,
    *,
    weights: MatchWeights | None = None,
) -> GateCheck:
    """The gates ``solution`` fails for ``need``, one solution at a time.

    The reference for :class:`MatchIndex` (which checks the same gates on arrays) and the
    source of the near misses' "what is missing".
    """
    w = weights or load_weights()
    failed: list[str] = []
    missing: list[str] = []
    rows = _scene_rows(solution, need)
    if not rows:
        failed.append("scene")
        missing.append(f"方案不覆盖场景{scene_label(need.scene)}")
    if solution.provider_standing not in w.gates.standings:
        failed.append("standing")
        missing.append(f"服务商状态为{STANDINGS[solution.provider_standing]}")
    if rows and not any(_level_fit(r, need, 1.0, 1.0)[0] > 0 for r in rows):
        failed.append("level")
        top = max(r.to_level for r in rows)
        missing.append(
            f"方案最高提升至{LEVEL_NAMES[top]}，需求为{LEVEL_NAMES[need.current_level]}→"
            f"{LEVEL_NAMES[need.target_level]}"
        )
    gate_depth = _GATE_DEPTH[w.gates.industry]
    if (
        need.industry
        and gate_depth
        and solution.industries
        and _match_depth(solution.industries, need.industry) < gate_depth
    ):
        failed.append("industry")
        missing.append(f"方案面向行业 {'、'.join(solution.industries)}，企业行业 {need.industry}")
    if facts is not None:
        unmet = [c for c in solution.prerequisites if c.check(facts).met is False]
        if unmet:
            failed.append("prerequisites")
            missing += [c.missing_zh(facts) for c in unmet]
    if need.budget_max is not None and solution.price_min > need.budget_max:
        failed.append("price")
        missing.append(f"需预算 ≥ {solution.price_min:g} 万元，当前上限 {need.budget_max:g} 万元")
    return GateCheck(tuple(failed), tuple(missing))


def _csr(owner: np.ndarray, n: int) -> np.ndarray:
    """Offsets of rows grouped by owner (rows must be sorted by owner)."""
    return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))]).astype(np.int64)


def _rows_of(sel: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the solutions ``sel`` in a CSR layout, and each row's position in sel."""
    starts, ends = offsets[sel], offsets[sel + 1]
    lens = ends - starts
    total = int(lens.sum())
    owner = np.repeat(np.arange(len(sel)), lens)
    first = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return first + np.arange(total), owner


class MatchIndex:
    """A catalogue prepared for ranking needs: fit once, rank many times.

    Parameters
    ----------
    weights
        :class:`~nqpf.matching.weights.MatchWeights`, a mapping, a YAML path, or ``None``
        for the shipped default; :meth:`rank` may override it per call.
    tokenizer
        The :class:`~nqpf.matching.text.Tokenizer`; ``None`` for the shipped one.

    Attributes
    ----------
    solutions_
        The catalogue, in the order given.
    weights_
        The weights, loaded.

    Examples
    --------
    >>> from nqpf.matching import make_catalogue
    >>> index = MatchIndex().fit(make_catalogue(60, seed=1))
    >>> need = {"enterprise_id": "E1", "scene": "设备管理", "current_level": 2,
    ...         "target_level": 3, "text": "设备预测性维护"}
    >>> result = index.rank(need, top=3)
    >>> len(result.matches), result.matches[0].score >= result.matches[1].score
    (3, True)
    """

    def __init__(
        self,
        *,
        weights: MatchWeights | Mapping[str, Any] | str | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.weights = weights
        self.tokenizer = tokenizer

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, catalogue: Iterable[Solution]) -> MatchIndex:
        """Build the arrays and the text index of ``catalogue``; returns ``self``.

        Raises
        ------
        DataValidationError
            An item that is not a :class:`Solution`, or a solution id given twice.
        """
        solutions = tuple(catalogue)
        seen: dict[str, int] = {}
        for i, s in enumerate(solutions):
            if not isinstance(s, Solution):
                raise DataValidationError(
                    f"catalogue item {i} is a {type(s).__name__}, not a Solution",
                    field=f"catalogue[{i}]",
                    zh="目录中的每一项应为方案（Solution）",
                )
            if s.id in seen:
                raise DataValidationError(
                    f"solution id {s.id!r} is given twice (items {seen[s.id]} and {i})",
                    field=f"catalogue[{i}].id",
                    zh=f"方案编号 {s.id} 重复",
                )
            seen[s.id] = i
        self.weights_ = load_weights(self.weights)
        tokenizer = self.tokenizer or default_tokenizer()
        self._fit_arrays(solutions)
        self._fit_text(solutions, tokenizer)
        self.solutions_ = solutions
        self._tokenizer = tokenizer
        return self

    def _fit_arrays(self, solutions: tuple[Solution, ...]) -> None:
        n = len(solutions)
        self._n = n
        order = sorted(range(n), key=lambda i: solutions[i].id)
        self._id_rank = np.empty(n, dtype=np.int64)
        self._id_rank[order] = np.arange(n)
        facts = load_facts()
        self._fact_index = {spec.id: k for k, spec in enumerate(facts)}
        providers: dict[str, int] = {}
        # one pass over the catalogue fills every column; the row tables (scenes, industry
        # codes, cases, prerequisites) are sorted by solution, as the CSR offsets need
        cols: dict[str, list[Any]] = {k: [] for k in (
            "provider", "standing", "rating", "price_min", "price_max", "delivery", "sizes",
            "sc_sol", "sc_key", "sc_from", "sc_to", "ind_sol", "ind_code", "case_sol",
            "case_code", "pre_sol", "pre_row",
        )}  # fmt: skip
        improves: dict[str, set[int]] = {}
        encoded: dict[tuple[str, str, str], tuple[int, int, float]] = {}
        for i, s in enumerate(solutions):
            cols["provider"].append(providers.setdefault(s.provider_id, len(providers)))
            cols["standing"].append(_STANDING_CODES[s.provider_standing])
            cols["rating"].append(np.nan if s.provider_rating is None else s.provider_rating)
            cols["price_min"].append(s.price_min)
            cols["price_max"].append(s.price_max)
            cols["delivery"].append(s.delivery_weeks)
            cols["sizes"].append(sum(_SIZE_BITS[z] for z in set(s.sizes)))
            for lift in s.scenes:
                cols["sc_sol"].append(i)
                cols["sc_key"].append(lift.scene)
                cols["sc_from"].append(lift.from_level)
                cols["sc_to"].append(lift.to_level)
                improves.setdefault(lift.scene, set()).add(i)
            for fact in s.improves:
                improves.setdefault(fact, set()).add(i)
            for code in s.industries:
                cols["ind_sol"].append(i)
                cols["ind_code"].append(code)
            for case in s.evidence:
                cols["case_sol"].append(i)
                cols["case_code"].append(case.industry)
            for c in s.prerequisites:
                key = (c.fact, c.op, repr(c.value))
                if key not in encoded:
                    encoded[key] = (self._fact_index[c.fact], _OPS.index(c.op), c.encoded)
                cols["pre_sol"].append(i)
                cols["pre_row"].append(encoded[key])

        self._provider = np.array(cols["provider"], dtype=np.int64)
        self._standing = np.array(cols["standing"], dtype=np.int8)
        self._rating = np.array(cols["rating"], dtype=float)
        self._price_min = np.array(cols["price_min"], dtype=float)
        self._price_max = np.array(cols["price_max"], dtype=float)
        self._delivery = np.array(cols["delivery"], dtype=float)
        self._sizes = np.array(cols["sizes"], dtype=np.int64)
        self._generic = np.diff(_csr(np.array(cols["ind_sol"], dtype=np.int64), n)) == 0

        # scene rows, grouped by scene key
        self._sc_sol = np.array(cols["sc_sol"], dtype=np.int64)
        self._sc_key = np.array(cols["sc_key"], dtype=object)
        self._sc_from = np.array(cols["sc_from"], dtype=np.int64)
        self._sc_to = np.array(cols["sc_to"], dtype=np.int64)
        groups: dict[str, list[int]] = {}
        for j, key in enumerate(cols["sc_key"]):
            groups.setdefault(key, []).append(j)
        self._scene_rows = {k: np.array(v, dtype=np.int64) for k, v in groups.items()}

        # solutions that lift or improve each fact (for the need's `addresses`)
        self._improves = {k: np.fromiter(sorted(v), dtype=np.int64) for k, v in improves.items()}

        # industry codes and case industries, as integer ids of their prefixes
        self._prefix_ids: dict[str, int] = {}
        codes: dict[str | None, tuple[int, ...]] = {None: (-1, -1, -1, -1)}
        self._ind_offsets = _csr(np.array(cols["ind_sol"], dtype=np.int64), n)
        self._ind_prefix = self._prefix_matrix(cols["ind_code"], codes)
        self._case_offsets = _csr(np.array(cols["case_sol"], dtype=np.int64), n)
        self._case_prefix = self._prefix_matrix(cols["case_code"], codes)

        # prerequisites: fact, operator and value on the fact's scale
        spans = np.array([max(spec.hi - spec.lo, 1e-12) for spec in facts])
        table = np.array(cols["pre_row"], dtype=float).reshape(-1, 3)
        self._pre_offsets = _csr(np.array(cols["pre_sol"], dtype=np.int64), n)
        self._pre_fact = table[:, 0].astype(np.int64)
        self._pre_op = table[:, 1].astype(np.int64)
        self._pre_value = table[:, 2]
        self._pre_span = spans[self._pre_fact]

    def _prefix_matrix(
        self, codes: list[str | None], known: dict[str | None, tuple[int, ...]]
    ) -> np.ndarray:
        """One row per code: the integer ids of its 门类/大类/中类/小类 prefixes (-1: none)."""
        for code in set(codes) - known.keys():
            known[code] = tuple(
                -1 if p is None else self._prefix_ids.setdefault(p, len(self._prefix_ids))
                for p in _prefixes(code)  # type: ignore[arg-type]
            )
        return np.array([known[c] for c in codes], dtype=np.int64).reshape(-1, 4)

    @staticmethod
    def _document(s: Solution) -> str:
        scenes = " ".join(scene_info(lift.scene).name for lift in s.scenes)
        kpis = " ".join(k.name for c in s.evidence for k in c.kpis)
        return f"{s.name} {s.description} {scenes} {kpis}"

    def _fit_text(self, solutions: tuple[Solution, ...], tokenizer: Tokenizer) -> None:
        import bm25s

        # a refit with the same tokenizer segments only texts it has not seen
        cache: dict[str, list[str]] = {}
        if getattr(self, "_tokenizer", None) is tokenizer:
            cache = self._token_cache
        docs = [self._document(s) for s in solutions]
        tokens = []
        for doc in docs:
            if doc not in cache:
                cache[doc] = tokenizer.tokens(doc)
            tokens.append(cache[doc])
        self._token_cache = {doc: cache[doc] for doc in docs}
        self._doc_tokens = tokens
        self._bm25 = None
        if solutions:
            self._bm25 = bm25s.BM25()
            self._bm25.index(tokens, show_progress=False)

    # -- ranking ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "solutions_"):
            raise NotFittedError("this MatchIndex is not fitted yet; call fit(catalogue) first")

    def _facts_vector(self, facts: Mapping[str, Any] | None) -> np.ndarray:
        vec = np.full(len(self._fact_index), np.nan)
        if facts is None:
            return vec
        catalogue = load_facts()
        for fact, value in facts.items():
            if value is not None and fact in self._fact_index:
                vec[self._fact_index[fact]] = catalogue.spec(fact).encode(value)
        return vec

    def rank(
        self,
        need: Need | Mapping[str, Any],
        facts: Mapping[str, Any] | None = None,
        *,
        top: int = 10,
        near_misses: int = 5,
        weights: MatchWeights | Mapping[str, Any] | str | None = None,
        as_of: dt.date | None = None,
    ) -> MatchResult:
        """Rank the fitted catalogue for ``need``.

        Parameters
        ----------
        need
            A :class:`~nqpf.matching.models.Need` or a mapping of its fields.
        facts
            The enterprise's assessment facts
            (:func:`~nqpf.matching.facts.facts_from_assessment`, or a mapping written by
            hand); ``None``: prerequisites are not checked.
        top, near_misses
            How many matches and near misses to return.
        weights
            Overrides the index's weights for this call.
        as_of
            The day a deadline is counted from; default today.

        Returns
        -------
        MatchResult
        """
        self._check_fitted()
        if not isinstance(need, Need):
            need = need_from_mapping(need)
        if top < 0 or near_misses < 0:
            raise DataValidationError("top and near_misses must be ≥ 0", field="top", zh="应 ≥ 0")
        w = self.weights_ if weights is None else load_weights(weights)
        facts = None if facts is None else check_facts(facts)
        as_of = as_of or dt.date.today()
        return _Ranking(self, need, facts, w, as_of).result(top, near_misses)


class _Ranking:
    """One need against a fitted index: the gates and components as arrays over the
    candidates (solutions of the need's scene or a related one)."""

    def __init__(self, index: MatchIndex, need: Need, facts: Mapping[str, Any] | None,
                 w: MatchWeights, as_of: dt.date) -> None:  # fmt: skip
        self.ix, self.need, self.facts, self.w, self.as_of = index, need, facts, w, as_of
        self.excluded = dict.fromkeys(GATES, 0)
        self._scenes()
        self._gates()

    # gates ---------------------------------------------------------------------------------

    def _scenes(self) -> None:
        ix, need, w = self.ix, self.need, self.w
        keys = [need.scene, *sorted(related_scenes(need.scene))]
        rows = np.concatenate([ix._scene_rows.get(k, np.zeros(0, dtype=np.int64)) for k in keys])
        direct = ix._sc_key[rows] == need.scene if len(rows) else np.zeros(0, dtype=bool)
        a, b = ix._sc_from[rows], ix._sc_to[rows]
        c, t = need.current_level, need.target_level
        if t > c:
            reach = np.clip((np.minimum(b, t) - c) / (t - c), 0.0, 1.0)
        else:
            reach = ((a <= c) & (c <= b)).astype(float)
        factor = np.where(direct, 1.0, w.scene.crosswalk)
        fit = factor * reach * w.scene.start_penalty ** np.maximum(a - c, 0)
        sol = ix._sc_sol[rows]
        self.cand = np.unique(sol)
        pos = np.searchsorted(self.cand, sol)
        self.fit = np.zeros(len(self.cand))
        self.reach = np.zeros(len(self.cand))
        np.maximum.at(self.fit, pos, fit)
        np.maximum.at(self.reach, pos, reach)
        self.excluded["scene"] = ix._n - len(self.cand)

    def _gates(self) -> None:
        ix, need, w, cand = self.ix, self.need, self.w, self.cand
        allowed = [_STANDING_CODES[s] for s in w.gates.standings]
        standing_ok = np.isin(ix._standing[cand], allowed)
        level_ok = self.reach > 0

        # industry: depth of the best code match per candidate
        self.depth = np.zeros(len(cand), dtype=np.int64)
        self.generic = ix._generic[cand]
        industry_ok = np.ones(len(cand), dtype=bool)
        if need.industry:
            mine = np.array(
                [ix._prefix_ids.get(p, -2) if p else -2 for p in _prefixes(need.industry)]
            )
            rows, owner = _rows_of(cand, ix._ind_offsets)
            depth = (ix._ind_prefix[rows] == mine).sum(axis=1)
            np.maximum.at(self.depth, owner, depth)
            gate = _GATE_DEPTH[w.gates.industry]
            industry_ok = self.generic | (self.depth >= gate)
            level = _CASE_DEPTH[w.industry.case_level]
            rows, owner = _rows_of(cand, ix._case_offsets)
            same = ix._case_prefix[rows, level - 1] == mine[level - 1]
            self.cases = np.bincount(owner[same], minlength=len(cand))
        # prerequisites: unmet count and the tightest margin per candidate
        self.unmet = np.zeros(len(cand), dtype=np.int64)
        self.margin = np.ones(len(cand))
        if self.facts is not None:
            rows, owner = _rows_of(cand, ix._pre_offsets)
            x = ix._facts_vector(self.facts)[ix._pre_fact[rows]]
            v, op = ix._pre_value[rows], ix._pre_op[rows]
            known = ~np.isnan(x)
            with np.errstate(invalid="ignore"):
                holds = np.select(
                    [op == k for k in range(6)],
                    [x >= v, x > v, x <= v, x < v, x == v, x != v],
                )
                gap = np.where(op <= 1, x - v, v - x) / ix._pre_span[rows]
            margin = np.where(op >= 4, 1.0, np.clip(gap, 0.0, 1.0))
            margin = np.where(
                known & holds, margin, np.where(known, 0.0, w.prerequisites.unverified)
            )
            np.add.at(self.unmet, owner, (known & ~holds).astype(np.int64))
            np.minimum.at(self.margin, owner, margin)
        else:
            has = np.diff(ix._pre_offsets)[cand] > 0
            self.margin = np.where(has, w.prerequisites.unverified, 1.0)
        price_ok = np.ones(len(cand), dtype=bool)
        if need.budget_max is not None:
            price_ok = ix._price_min[cand] <= need.budget_max

        self.excluded["standing"] = int((~standing_ok).sum())
        self.excluded["level"] = int((~level_ok).sum())
        self.excluded["industry"] = int((~industry_ok).sum())
        self.excluded["prerequisites"] = int((self.unmet > 0).sum())
        self.excluded["price"] = int((~price_ok).sum())
        self.fails = (~level_ok).astype(np.int64) + ~industry_ok + self.unmet + ~price_ok
        self.fails = np.where(standing_ok, self.fails, -1)

    # components ---------------------------------------------------------------------------

    def _components(self, sel: np.ndarray, passing: np.ndarray) -> dict[str, np.ndarray]:
        """Each applicable component for the candidate positions ``sel``."""
        ix, need, w, cand = self.ix, self.need, self.w, self.cand
        sols = cand[sel]
        out: dict[str, np.ndarray] = {}
        fit = self.fit[sel]
        if need.addresses:
            covered = np.zeros(ix._n, dtype=np.int64)
            for fact in need.addresses:
                covered[ix._improves.get(fact, np.zeros(0, dtype=np.int64))] += 1
            share = w.scene.addresses_share
            out["scene_level"] = (1 - share) * fit + share * covered[sols] / len(need.addresses)
        else:
            out["scene_level"] = fit
        tokens = self.query_tokens()
        if tokens and ix._bm25 is not None:
            raw = ix._bm25.get_scores(tokens)
            best = raw[sols[passing]].max() if passing.any() else raw[sols].max(initial=0.0)
            out["text"] = np.clip(raw[sols] / best, 0.0, 1.0) if best > 0 else np.zeros(len(sols))
        if need.industry:
            d = w.industry.depth
            table = np.array([d.other, d.section, d.division, d.group, d.class_])
            code = np.where(self.generic[sel], d.generic, table[self.depth[sel]])
            cases = np.minimum(self.cases[sel], w.industry.cases_full) / w.industry.cases_full
            s = w.industry.cases_share
            out["industry"] = (1 - s) * code + s * cases
        out["prerequisite_margin"] = np.minimum(self.margin[sel] / w.prerequisites.margin_full, 1.0)
        if need.budget_max is not None:
            lo, hi = ix._price_min[sols], ix._price_max[sols]
            with np.errstate(divide="ignore", invalid="ignore"):
                inside = np.clip((need.budget_max - lo) / (hi - lo), 0.0, 1.0)
            out["price"] = np.where(hi <= need.budget_max, 1.0, np.nan_to_num(inside))
        rating = ix._rating[sols]
        stars = np.where(np.isnan(rating), w.rating.unrated, rating / 5.0)
        warned = ix._standing[sols] == _STANDING_CODES["warning"]
        out["rating"] = np.where(warned, stars * w.rating.warning_factor, stars)
        weeks = ix._delivery[sols]
        if need.deadline is not None:
            left = (need.deadline - self.as_of).days / 7
            out["delivery"] = np.minimum(1.0, max(left, 0.0) / weeks)
        else:
            out["delivery"] = 1.0 / (1.0 + weeks / w.delivery.half_weeks)
        if need.size_class is not None:
            bits = ix._sizes[sols]
            s = w.size
            hit = (bits & _SIZE_BITS[need.size_class]) > 0
            out["size"] = np.where(bits == 0, s.generic, np.where(hit, s.match, s.other))
        return {k: out[k] for k in COMPONENTS if k in out}

    def query_tokens(self) -> list[str]:
        if not hasattr(self, "_query"):
            need = self.need
            labels = [load_facts().spec(f).label for f in need.addresses]
            text = " ".join([need.text, scene_info(need.scene).name, *labels])
            self._query = self.ix._tokenizer.tokens(text)
        return self._query

    def _scores(self, comps: dict[str, np.ndarray]) -> np.ndarray:
        shares = self.w.components
        total = sum(getattr(shares, k) for k in comps)
        if total <= 0:
            return np.zeros(len(next(iter(comps.values()))))
        return 100.0 * sum(getattr(shares, k) * v for k, v in comps.items()) / total

    # result -------------------------------------------------------------------------------

    def result(self, top: int, near_count: int) -> MatchResult:
        ix, w = self.ix, self.w
        passing = self.fails == 0
        near = (self.fails >= 1) & (self.fails <= w.results.near_miss_max_missing)
        sel = np.flatnonzero(passing | near)
        comps = self._components(sel, passing[sel]) if len(sel) else {}
        scores = self._scores(comps) if len(sel) else np.zeros(0)
        sols = self.cand[sel]
        order = np.lexsort((ix._id_rank[sols], -np.round(scores, 9)))
        ok = passing[sel[order]]
        cap = w.results.max_per_provider
        per_provider: dict[int, int] = {}
        matches: list[Match] = []
        for k in order[ok]:
            if len(matches) >= top:
                break
            p = int(ix._provider[sols[k]])
            if cap is not None and per_provider.get(p, 0) >= cap:
                continue
            per_provider[p] = per_provider.get(p, 0) + 1
            values = {c: float(v[k]) for c, v in comps.items()}
            matches.append(self._match(len(matches) + 1, int(sols[k]), float(scores[k]), values))
        # near misses: fewest gates failed first, then by score (the order above)
        near = order[~ok]
        near = near[np.argsort(self.fails[sel[near]], kind="stable")][:near_count]
        near_misses = [self._near_miss(int(sols[k]), float(scores[k])) for k in near]
        notes = []
        if self.facts is None:
            notes.append("未提供评测结果：前提条件未核验。")
        return MatchResult(
            need=self.need,
            matches=tuple(matches),
            near_misses=tuple(near_misses),
            weights=w.key,
            weights_confidence=w.confidence,
            catalogue_size=ix._n,
            n_passed=int(passing.sum()),
            excluded=MappingProxyType(self.excluded),
            facts_used=self.facts is not None,
            applicable=tuple(comps) if comps else (),
            as_of=self.as_of,
            notes=tuple(notes),
        )

    def _match(self, rank: int, i: int, score: float, comps: dict[str, float]) -> Match:
        s = self.ix.solutions_[i]
        return Match(
            rank=rank,
            solution_id=s.id,
            name=s.name,
            provider_id=s.provider_id,
            provider_name=s.provider_name,
            score=round(score, 1),
            components=MappingProxyType({k: round(v, 4) for k, v in comps.items()}),
            reasons=_reasons(self, i),
        )

    def _near_miss(self, i: int, score: float) -> NearMiss:
        s = self.ix.solutions_[i]
        check = check_gates(self.need, s, self.facts, weights=self.w)
        return NearMiss(s.id, s.name, s.provider_id, round(score, 1), check.failed, check.missing)


# -- reasons ---------------------------------------------------------------------------------


def _reasons(r: _Ranking, i: int) -> tuple[str, ...]:
    """Why solution ``i`` matches, in Chinese, naming what was used."""
    s, need, w, facts = r.ix.solutions_[i], r.need, r.w, r.facts
    out = []
    rows = _scene_rows(s, need)
    best = max(
        rows, key=lambda lift: _level_fit(lift, need, w.scene.crosswalk, w.scene.start_penalty)[1]
    )
    if best.scene == need.scene:
        out.append(
            f"匹配场景：{need.level_text}，方案覆盖{LEVEL_NAMES[best.from_level]}→{LEVEL_NAMES[best.to_level]}"
        )
    else:
        out.append(f"对照匹配：{scene_label(need.scene)} ↔ {best.text}（SME-16 与典型场景对照）")
    if best.from_level > need.current_level:
        out.append(
            f"方案从{LEVEL_NAMES[best.from_level]}起步，需先达到{LEVEL_NAMES[best.from_level]}"
        )
    if need.addresses:
        lifted = set(s.improves) | {lift.scene for lift in s.scenes}
        hit = [load_facts().spec(f).label for f in need.addresses if f in lifted]
        if hit:
            out.append(f"改善待提升项：{'、'.join(hit)}")
    if need.industry:
        out.append(_industry_reason(s, need, w))
    else:
        out.append("未提供企业行业代码，行业未参与评分")
    out.append(_prerequisite_reason(s.prerequisites, facts))
    if need.budget_max is not None:
        fits = "在预算内" if s.price_max <= need.budget_max else "最低报价在预算内"
        out.append(
            f"报价 {s.price_min:g}–{s.price_max:g} 万元，{fits}（上限 {need.budget_max:g} 万元）"
        )
    else:
        out.append(f"报价 {s.price_min:g}–{s.price_max:g} 万元（未给出预算）")
    if need.deadline is not None:
        left = (need.deadline - r.as_of).days / 7
        when = "可在截止日期前交付" if s.delivery_weeks <= left else "晚于截止日期"
        out.append(f"交付 {s.delivery_weeks:g} 周，{when}（距截止 {max(left, 0):.0f} 周）")
    else:
        out.append(f"交付 {s.delivery_weeks:g} 周")
    deploy = "、".join(DEPLOYMENTS[d] for d in s.deployment)
    out.append(f"部署方式：{deploy}")
    if need.size_class is not None:
        if not s.sizes:
            out.append("适用各类规模企业")
        elif need.size_class in s.sizes:
            out.append(f"适用{SIZE_CLASSES[need.size_class]}企业")
        else:
            out.append(f"主要面向{'、'.join(SIZE_CLASSES[z] for z in s.sizes)}企业")
    stars = (
        f"服务商评级 {s.provider_rating:g} 星"
        if s.provider_rating is not None
        else "服务商暂无评级"
    )
    if s.provider_standing == "warning":
        stars += "（处于警告期）"
    out.append(stars)
    tokens = set(r.query_tokens())
    hits = [t for t in dict.fromkeys(r.ix._doc_tokens[i]) if t in tokens]
    if hits:
        out.append(f"文本相关：命中 {'、'.join(hits[:6])}")
    return tuple(out)


def _industry_reason(s: Solution, need: Need, w: MatchWeights) -> str:
    assert need.industry is not None
    level = _CASE_DEPTH[w.industry.case_level]
    mine = _prefixes(need.industry)[level - 1]
    same = sum(1 for c in s.evidence if c.industry and _prefixes(c.industry)[level - 1] == mine)
    if not s.industries:
        text = "通用方案（不限行业）"
    else:
        depth = _match_depth(s.industries, need.industry)
        names = {4: "同小类", 3: "同中类", 2: "同大类", 1: "同门类", 0: "行业不同"}
        text = f"行业匹配：{names[depth]}（企业 {need.industry}，方案 {'、'.join(s.industries)}）"
    return f"{text}；同行业案例 {same} 个"


def _prerequisite_reason(conditions: Sequence[Condition], facts: Mapping[str, Any] | None) -> str:
    if not conditions:
        return "无前提条件"
    if facts is None:
        return "前提条件未核验（未提供评测结果）：" + "；".join(c.text_zh() for c in conditions)
    return "前提条件满足：" + "；".join(c.used_zh(facts) for c in conditions)


def rank(
    need: Need | Mapping[str, Any],
    catalogue: MatchIndex | Iterable[Solution],
    facts: Mapping[str, Any] | None = None,
    top: int = 10,
    *,
    near_misses: int = 5,
    weights: MatchWeights | Mapping[str, Any] | str | None = None,
    as_of: dt.date | None = None,
) -> MatchResult:
    """Rank ``catalogue`` for ``need`` (see the module notes for gates and score).

    ``catalogue`` is a fitted :class:`MatchIndex` (reused) or solutions (an index is
    built for this call).  The other parameters are those of :meth:`MatchIndex.rank`.
    """
    index = (
        catalogue
        if isinstance(catalogue, MatchIndex)
        else MatchIndex(weights=weights).fit(catalogue)
    )
    return index.rank(need, facts, top=top, near_misses=near_misses, weights=weights, as_of=as_of)
