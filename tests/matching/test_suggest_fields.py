"""Did-you-mean for misspelt keys and categories of needs, solutions and catalogue tables
(issue 14): the rule of :mod:`nqpf._suggest`, in English and Chinese."""

from __future__ import annotations

import io

import pytest

from nqpf.exceptions import DataValidationError
from nqpf.io.catalogue_template import catalogue_frame, read_catalogue
from nqpf.io.tables import read_table
from nqpf.matching import make_catalogue, need_from_mapping, solution_from_mapping


def refused(fn, data) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        fn(data)
    return info.value


@pytest.mark.parametrize(
    ("over", "field", "en", "zh"),
    [
        (
            {"deploymnt": ["saas"]},
            "deploymnt",
            "unknown field; did you mean 'deployment'?",
            "未知字段；是否指“deployment”？",
        ),
        (
            {"deployment": ["sass"]},
            "deployment[0]",
            "expected one of 'saas' or 'private', got 'sass'; did you mean 'saas'?",
            "应为 'saas' or 'private' 之一，实际为 'sass'；是否指“saas”？",
        ),
        (  # the misspelt key is named, not the "required" echo of the key meant
            {"scenes": [{"scene": "scene_equipment", "from_level": 2, "to_levl": 3}]},
            "scenes[0].to_levl",
            "unknown field; did you mean 'to_level'?",
            "未知字段；是否指“to_level”？",
        ),
        ({"colour": "red"}, "colour", "unknown field", "未知字段"),  # nothing close
    ],
)
def test_solution_keys_and_categories(solution_data, over, field, en, zh):
    err = refused(solution_from_mapping, {**solution_data, **over})
    assert (err.field, err.reason, err.reason_zh) == (field, en, zh)


def test_need_size_class_and_key(need_data):
    err = refused(need_from_mapping, {**need_data, "size_class": "smal"})
    assert err.reason.endswith("got 'smal'; did you mean 'small'?")
    err = refused(need_from_mapping, {**need_data, "size_clas": "small"})
    assert (err.field, err.reason_zh) == ("size_clas", "未知字段；是否指“size_class”？")


def test_catalogue_table_header_suggests_the_column():
    frame = catalogue_frame(make_catalogue(2, seed=1)).rename(columns={"服务商名称": "服务商名"})
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    table = read_table(buf.getvalue(), name="c.csv", text_columns=True)
    with pytest.raises(DataValidationError) as info:
        read_catalogue(table, file="c.csv")
    assert info.value.reason.startswith(
        "unknown column '服务商名' (did you mean '服务商名称'?); the catalogue's columns are id,"
    )
    assert (
        info.value.reason_zh
        == "未知列“服务商名”（是否指“服务商名称”？）；目录的列见模板“填写说明”工作表"
    )
