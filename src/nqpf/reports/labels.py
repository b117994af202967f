"""Chinese labels of codes and column names, for every page, PDF and spreadsheet.

Frameworks, factor tables and cost tables say how far to trust them with a code
(``confidence: secondary``), and result tables have English column names; a reader sees
the Chinese label instead.

>>> confidence_label("secondary")
'二手来源（待与官方公告核对）'
>>> confidence_label("something-new")
'something-new'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# The confidence map lives with the rule data's schema, whose own summaries need it (the
# core imports no edge); pages, PDFs and spreadsheets take it from here.
from nqpf.assessment.schema import CONFIDENCE_ZH as CONFIDENCE_LABELS
from nqpf.assessment.schema import confidence_zh as confidence_label

__all__ = [
    "CARBON_LINE_COLUMNS",
    "CONFIDENCE_LABELS",
    "answer_text",
    "confidence_label",
    "question_numbers",
]


#: Column of a carbon accounting's lines (``CarbonResult.to_frame()``) → its Chinese header.
CARBON_LINE_COLUMNS = {
    "carrier": "能源品种",
    "category": "类别",
    "quantity": "用量",
    "unit": "单位",
    "tce": "折标煤 (tce)",
    "activity": "活动数据",
    "activity_unit": "活动数据单位",
    "ef": "排放因子",
    "ef_unit": "因子单位",
    "tco2": "排放量 (tCO2)",
    "sources": "因子来源",
}


def question_numbers(questions: Iterable[Any]) -> dict[str, int]:
    """Question id → its number in the questionnaire (1, 2, …): readers see the number,
    never the id (``funding_rate``).

    >>> from nqpf.assessment import load_framework
    >>> question_numbers(load_framework("sme-digital-2024").questions)["funding_rate"]
    11
    """
    return {q.id: i for i, q in enumerate(questions, start=1)}


_LETTER = re.compile(r"[A-Z]")  # an option letter of the official questionnaire (A, B …)


def answer_text(question: Any, value: Any) -> str:
    """An answer as a reader reads it: option letters as printed (``B``), coded options by
    their label (``process_design`` → ``工艺设计``), several joined by ``、``.

    >>> from nqpf.assessment import load_framework
    >>> q = load_framework("sme-digital-2024").question("data_collection")
    >>> answer_text(q, ("process_design", "energy"))
    '工艺设计、能耗管理'
    """
    labels = {o.id: o.label for o in (getattr(question, "options", None) or ())}

    def one(v: Any) -> str:
        text = str(v)
        return text if _LETTER.fullmatch(text) else labels.get(text, text)

    if isinstance(value, tuple | list):
        return "、".join(one(v) for v in value) or "（无）"
    return "" if value is None else one(value)
