"""Data that ships with nqpf: region tables and seeded synthetic demo panels.

No Chinese statistical panel is available offline, so demo and test data for Chinese
provinces are *generated* (see :mod:`nqpf.datasets.synthetic`) and always carry the label
:data:`SYNTHETIC_LABEL` (示例数据，非真实统计).  The region table is recalled reference data
with ``confidence: unverified``; check it before relying on it.

Examples
--------
>>> from nqpf.datasets import load_regions, make_demo_panel
>>> regions = load_regions()
>>> len(regions), regions.loc[regions["code"] == "44", "region"].item()
(31, '东部')
>>> panel = make_demo_panel(years=range(2012, 2015), provinces=["11", "65"])
>>> panel[["province_code", "province", "region", "year"]].head(3)
  province_code province region  year
0            11       北京     东部  2012
1            11       北京     东部  2013
2            11       北京     东部  2014
>>> panel.attrs["nqpf_synthetic"]
'示例数据，非真实统计 (seed=20241)'
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nqpf._datafile import Confidence, StrictModel
from nqpf.exceptions import ConfigError

__all__ = [
    "REGION_ORDER",
    "SYNTHETIC_LABEL",
    "load_regions",
    "make_demo_panel",
]

#: The four economic regions in their customary order.
REGION_ORDER: tuple[str, ...] = ("东部", "中部", "西部", "东北")

_REGION_COLUMNS = ["code", "name", "full_name", "name_en", "region", "capital", "lat", "lon"]


class _Provenance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    source: str = Field(min_length=1)
    confidence: Confidence


class _Province(StrictModel):
    code: str = Field(pattern=r"^\d{2}$")
    name: str = Field(min_length=1)
    full_name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    region: Literal["东部", "中部", "西部", "东北"]
    capital: str = Field(min_length=1)
    lat: float = Field(ge=18, le=54)  # mainland China's latitude span
    lon: float = Field(ge=73, le=136)


class _RegionsFile(StrictModel):
    id: str
    version: str
    name: str
    source: str = Field(min_length=1)
    confidence: Confidence
    verified: bool
    groups: _Provenance
    capitals: _Provenance
    provinces: tuple[_Province, ...]

    @model_validator(mode="after")
    def _unique(self) -> _RegionsFile:
        for attr in ("code", "name"):
            values = [getattr(p, attr) for p in self.provinces]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"duplicate province {attr}(s): {', '.join(dupes)}")
        return self


@functools.cache
def _regions_file() -> _RegionsFile:
    # Package data, read once; a broken edit should still say where it is broken.
    name = "regions.yaml"
    text = (resources.files(__name__) / name).read_text(encoding="utf-8")
    try:
        return _RegionsFile.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", file=name) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ConfigError(first["msg"], file=name, field=field) from None


def load_regions() -> pd.DataFrame:
    """The 31 mainland provinces with NBS codes, region groups and capitals.

    Returns
    -------
    pandas.DataFrame
        One row per province, sorted by code, with columns

        ``code``
            first two digits of the NBS 统计用区划代码, as a string (``"11"`` … ``"65"``);
        ``name``, ``full_name``, ``name_en``
            short Chinese name (北京), full name (北京市), English name;
        ``region``
            东部 / 中部 / 西部 / 东北;
        ``capital``, ``lat``, ``lon``
            provincial capital and its approximate WGS84 coordinates (about 0.01°).

        ``attrs`` holds the file's ``source``, ``confidence`` and ``verified`` flags and
        those of the grouping and the coordinates.

    Notes
    -----
    The grouping follows the NBS four-region division as recalled in data.md §4.2, and
    the codes and coordinates are likewise recalled: all are ``confidence: unverified``.
    Most NQPF studies use 30 provinces (all but 西藏, code ``"54"``).

    Examples
    --------
    >>> r = load_regions()
    >>> r.groupby("region").size().loc[list(REGION_ORDER)].tolist()
    [10, 6, 12, 3]
    """
    data = _regions_file()
    frame = pd.DataFrame(
        [p.model_dump() for p in data.provinces], columns=_REGION_COLUMNS
    ).sort_values("code", ignore_index=True)
    frame.attrs.update(
        {
            "source": data.source,
            "confidence": data.confidence,
            "verified": data.verified,
            "groups_source": data.groups.source,
            "groups_confidence": data.groups.confidence,
            "capitals_source": data.capitals.source,
            "capitals_confidence": data.capitals.confidence,
        }
    )
    return frame


# Imported last: the generator reads the region table through load_regions above.
from nqpf.datasets.synthetic import SYNTHETIC_LABEL, make_demo_panel  # noqa: E402
