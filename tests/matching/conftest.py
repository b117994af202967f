"""Shared fixtures of the matching tests: small catalogues, builders and facts.

The tokenizer (rjieba's dictionary takes about half a second to load) and the fitted
synthetic catalogue are built once per session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nqpf.matching import MatchIndex, Need, Solution, default_tokenizer, make_catalogue


@pytest.fixture(scope="session")
def tokenizer():
    return default_tokenizer()


@pytest.fixture(scope="session")
def synthetic(tokenizer) -> list[Solution]:
    """200 synthetic solutions from 40 providers (示例数据)."""
    return make_catalogue(200, seed=5)


@pytest.fixture(scope="session")
def synthetic_index(synthetic, tokenizer) -> MatchIndex:
    return MatchIndex(tokenizer=tokenizer).fit(synthetic)


BASE_SOLUTION: dict[str, Any] = {
    "id": "S1",
    "provider_id": "P1",
    "provider_name": "测试服务商（示例）",
    "provider_rating": 4.0,
    "name": "设备预测性维护方案",
    "description": "设备联网采集振动数据，预测性维护，减少停机。",
    "scenes": [{"scene": "scene_equipment", "from_level": 2, "to_level": 3}],
    "industries": ["C35"],
    "deployment": ["saas"],
    "price_min": 10,
    "price_max": 30,
    "delivery_weeks": 8,
}
BASE_NEED: dict[str, Any] = {
    "enterprise_id": "E1",
    "scene": "设备管理",
    "current_level": 2,
    "target_level": 3,
    "text": "设备预测性维护",
    "industry": "C3511",
    "size_class": "small",
}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    return {**base, **over}


@pytest.fixture
def solution_data() -> dict[str, Any]:
    """The base solution's fields (a fresh copy)."""
    return dict(BASE_SOLUTION)


@pytest.fixture
def need_data() -> dict[str, Any]:
    """The base need's fields (a fresh copy)."""
    return dict(BASE_NEED)


@pytest.fixture(scope="session")
def solution() -> Callable[..., Solution]:
    """``solution(**fields)``: the base solution with some fields replaced."""
    return lambda **over: Solution.model_validate(_merge(BASE_SOLUTION, over))


@pytest.fixture(scope="session")
def need() -> Callable[..., Need]:
    """``need(**fields)``: the base need with some fields replaced."""
    return lambda **over: Need.model_validate(_merge(BASE_NEED, over))


@pytest.fixture(scope="session")
def facts() -> dict[str, Any]:
    """Facts of an enterprise with 设备联网率 25 %, an ERP and no MES."""
    from nqpf.matching import check_facts

    return dict(
        check_facts(
            {
                "equipment_network_rate": 25.0,
                "equipment_digital_rate": 45.0,
                "information_system": "C",
                "scene_equipment": 2,
                "scene_finance": 2,
                "scene_procurement": 2,
                "scene_production_control": 1,
            }
        )
    )
