"""The event-study chart (reports/evaluation_plots.py)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from tests.evaluation.factories import _did

from nqpf.exceptions import DataValidationError
from nqpf.reports.evaluation_plots import event_study_chart
from nqpf.reports.plots import figure_to_data_uri

pytest.importorskip("csdid")


def test_event_study_chart_draws_each_method():
    r = _did()
    fig = event_study_chart([r, r], note="示例数据，非真实统计")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 2 and labels[0].startswith("Callaway–Sant'Anna：ATT")
    assert "事件研究" in ax.get_title() and "参与后年数" in ax.get_xlabel()
    assert figure_to_data_uri(event_study_chart(r)).startswith("data:image/png;base64,")


def test_refuses_other_objects():
    with pytest.raises(DataValidationError):
        event_study_chart([object()])
