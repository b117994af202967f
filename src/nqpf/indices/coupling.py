"""Coupling coordination degree (耦合协调度) of 2..n subsystems."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from nqpf.exceptions import DataValidationError
from nqpf.indices._validate import as_matrix, as_weights, check_choice, column_label
from nqpf.results import Result, Summary


@dataclass(frozen=True)
class ClassTable:
    """Ordered classes given by their upper bounds (the last bound is the top of the scale)."""

    uppers: tuple[float, ...]
    labels: tuple[str, ...]
    labels_en: tuple[str, ...]
    source: str

    def classify(self, values, *, closed: str = "right") -> np.ndarray:
        """Label of the class each value falls in.

        ``closed="right"``: classes (lo, hi] as in the source table, and the bottom value
        (0) is put in the first class explicitly.  ``closed="left"``: classes [lo, hi),
        and the top value (1) goes to the last class.
        """
        check_choice(closed, "closed", ("right", "left"))
        v = np.asarray(values, dtype=np.float64)
        side = "left" if closed == "right" else "right"
        idx = np.searchsorted(np.asarray(self.uppers), v, side=side)
        idx = np.clip(idx, 0, len(self.labels) - 1)
        return np.asarray(self.labels, dtype=object)[idx]


@cache
def _class_tables() -> tuple[ClassTable, ClassTable]:
    text = resources.files("nqpf.indices").joinpath("data/coupling_classes.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)

    def table(rows) -> ClassTable:
        return ClassTable(
            tuple(float(r[0]) for r in rows),
            tuple(r[1] for r in rows),
            tuple(r[2] for r in rows),
            raw["source"],
        )

    return table(raw["coordination"]), table(raw["coupling_stages"])


def coordination_classes() -> ClassTable:
    """The 10 classes of D (极度失调 … 优质协调), from ``data/coupling_classes.yaml``."""
    return _class_tables()[0]


def coupling_stages() -> ClassTable:
    """The 4 stages of C (低水平耦合 … 高水平耦合), from ``data/coupling_classes.yaml``."""
    return _class_tables()[1]


@dataclass(frozen=True, eq=False)
class CouplingResult(Result):
    """Coupling degree C, comprehensive index T, coordination degree D and their classes."""

    C: np.ndarray
    T: np.ndarray
    D: np.ndarray
    D_class: np.ndarray
    C_stage: np.ndarray
    method: str
    subsystems: tuple[str, ...]

    @property
    def labels(self) -> np.ndarray:
        """Coordination class of D (alias of ``D_class``)."""
        return self.D_class

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "C": self.C,
                "T": self.T,
                "D": self.D,
                "coordination": self.D_class,
                "coupling_stage": self.C_stage,
            }
        )

    def summary(self) -> Summary:
        counts = pd.Series(self.D_class).value_counts()
        rows = [
            ("method", self.method),
            ("subsystems", ", ".join(self.subsystems)),
            ("mean C", float(self.C.mean())),
            ("mean T", float(self.T.mean())),
            ("mean D", float(self.D.mean())),
        ]
        rows += [(f"class {k}", int(v)) for k, v in counts.items()]
        return Summary(title="耦合协调度 (coupling coordination)", rows=tuple(rows))


def coupling_coordination(
    U,
    weights=None,
    method: str = "standard",
    *,
    zero: str = "error",
    closed: str = "right",
    names: Sequence[str] | None = None,
) -> CouplingResult:
    """Coupling coordination degree of n ≥ 2 subsystems.

    Parameters
    ----------
    U : array_like, shape (N, n)
        Composite score of each subsystem (column) for each unit (row), in [0, 1].
    weights : array_like, shape (n,), optional
        Contribution α_i of each subsystem to T = Σ α_i U_i; default equal.
    method : {"standard", "modified"}
        ``"standard"``: C = n (Π U_i)^{1/n} / Σ U_i.  ``"modified"`` (王淑佳、孔伟等 2021,
        自然资源学报 36(3): 793–810): C = sqrt{[1 − Σ_{i<j}|U_i − U_j| / (n(n−1)/2)] ·
        [Π (U_i / max U)]^{1/(n−1)}}, which spreads C over [0, 1] (methods.md §8).
    zero : {"error", "zero"}
        A subsystem score of exactly 0 makes C degenerate (0/0 when all are 0).
        ``"error"`` (default) raises naming the row; ``"zero"`` sets C = 0 with a warning.
    closed : {"right", "left"}
        Class bounds (lo, hi] as in 地理学报 76(4) T1 (default) or [lo, hi).

    Returns
    -------
    CouplingResult
        ``C``, ``T``, ``D = sqrt(C·T)``, ``D_class`` (10 coordination classes) and
        ``C_stage`` (4 coupling stages).

    Examples
    --------
    Row A of the mathmodels documentation (methods.md R5):

    >>> r = coupling_coordination([[0.0162, 0.2720, 0.2655]])
    >>> round(float(r.C[0]), 3), round(float(r.T[0]), 3), round(float(r.D[0]), 3), r.D_class[0]
    (0.571, 0.185, 0.325, '轻度失调')
    """
    check_choice(method, "method", ("standard", "modified"))
    check_choice(zero, "zero", ("error", "zero"))
    A = as_matrix(U, names=names, min_rows=1, what="U")
    k = A.shape[1]
    if k < 2:
        raise DataValidationError(f"coupling needs at least 2 subsystems, got {k}", field="U")
    outside = (A < 0) | (A > 1)
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise DataValidationError(
            f"subsystem scores must lie in [0, 1]; row {i} is {float(A[i, j])} "
            "(rescale scores given in percent)",
            column=column_label(j, names),
            data_row=int(i),
        )
    alpha = np.full(k, 1.0 / k) if weights is None else as_weights(weights, k)
    has_zero = (A == 0).any(axis=1)
    if has_zero.any():
        i = int(np.argmax(has_zero))
        if zero == "error":
            raise DataValidationError(
                f"row {i} has a subsystem score of 0, so C is degenerate; pass zero='zero' "
                "to set C = 0 for such rows",
                field="U",
                data_row=i,
            )
        warnings.warn(
            f"{int(has_zero.sum())} row(s) with a zero subsystem score get C = 0", stacklevel=2
        )
    safe = np.where(has_zero[:, None], 1.0, A)
    if method == "standard":
        C = k * np.exp(np.log(safe).mean(axis=1)) / safe.sum(axis=1)
    else:
        iu, ju = np.triu_indices(k, 1)
        spread = np.abs(safe[:, iu] - safe[:, ju]).sum(axis=1) / (k * (k - 1) / 2)
        ratio = np.exp(np.log(safe / safe.max(axis=1, keepdims=True)).sum(axis=1) / (k - 1))
        C = np.sqrt(np.clip(1.0 - spread, 0.0, None) * ratio)
    C = np.where(has_zero, 0.0, np.clip(C, 0.0, 1.0))
    T = A @ alpha
    D = np.sqrt(C * T)
    subsystems = tuple(column_label(j, names) for j in range(k))
    return CouplingResult(
        C,
        T,
        D,
        coordination_classes().classify(D, closed=closed),
        coupling_stages().classify(C, closed=closed),
        method,
        subsystems,
    )
