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

# The confidence map lives with the rule data's schema, whose own summaries need it (the
# core imports no edge); pages, PDFs and spreadsheets take it from here.
from nqpf.assessment.schema import CONFIDENCE_ZH as CONFIDENCE_LABELS
from nqpf.assessment.schema import confidence_zh as confidence_label

__all__ = ["CARBON_LINE_COLUMNS", "CONFIDENCE_LABELS", "confidence_label"]


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
