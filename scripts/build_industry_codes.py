"""Build ``src/nqpf/codes/data/industry_codes.yaml``: GB/T 4754-2017 and -2011 code tables
and a derived 2011 → 2017 crosswalk.

A code table is a fact of the standard (data.md §4.3): the source named in the file is
GB/T 4754-2017 / GB/T 4754-2011 国民经济行业分类; the transcriptions it was read from
are public repositories, pinned by commit below:

* 2017, copy A: ``zmshe/capital`` ``src/utils/category.js`` (2020-07; a flat list with
  门类/大类/中类/小类 and the standard's 说明 text).  It lists a 中类 that has a single
  小类 only as the 小类 (``6520 集成电路设计``), as the printed standard does, and it
  misses ``3741 飞机制造``.
* 2017, copy B: ``qwer-of-div/1frontEnd`` ``…/IndustryData.js`` (2025-12; a cascader tree
  of ``"C3511-…"`` titles with every level explicit).
* 2011: ``dizuncainiao/draft-store`` ``js/data.js`` (2022-11; a tree; MIT licence), whose
  counts 20/96/432/1,094 are those published for GB/T 4754-2011.

The two 2017 copies are compared code by code: codes must agree (copy A + 3741 = copy B),
names are compared after normalising blanks and bracket widths, and every remaining
disagreement is written into the file header with the name chosen (copy A, the
transcription of the standard's text, except where noted).

The crosswalk is DERIVED, not the NBS 对照表: a 2011 code maps to the 2017 code with the
same code and name (``same``), else to the only 2017 code of the same level with the same
name (``name``); the other 2011 codes are listed as unmapped.

Usage::

    python scripts/build_industry_codes.py  # reads the repositories fetched under /work/.mirror
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "nqpf" / "codes" / "data" / "industry_codes.yaml"

SOURCES = {
    "2017a": ("zmshe/capital", "0b8f1ae480aadd9f35aca2fd0efb934e9a7101e8", "src/utils/category.js"),
    "2017b": (
        "qwer-of-div/1frontEnd",
        "ce9bac9d564d174977f4e46017e2998646ec653a",
        "example/9组件-指令/components/form/IndustryData.js",
    ),
    "2011": ("dizuncainiao/draft-store", "e7ad898d6961f9f57afee7e28db6f7f88142619e", "js/data.js"),
}
LEVELS = {1: "门类", 3: "大类", 4: "中类", 5: "小类"}


def _git_show(mirror: Path, repo: str, commit: str, path: str) -> tuple[str, str]:
    git_dir = mirror / repo.replace("/", "+") / "repo"
    sha = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    text = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{sha}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sha, text


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name).replace("(", "（").replace(")", "）")


def parse_2017a(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Copy A's codes and names, and the rows whose code repeats (kept: the first)."""
    out: dict[str, str] = {}
    repeated = []
    for block in re.findall(r"\{[^{}]*\}", text):
        d = dict(re.findall(r"(\w+):\s*'([^']*)'", block))
        code = (
            d["class1"]
            + {"1": "", "2": d["class2"], "3": d["class3"], "4": d["class4"]}[d["level"]]
        )
        if code in out:
            repeated.append((code, d["name"]))
        else:
            out[code] = d["name"]
    return out, repeated


def parse_2017b(text: str) -> dict[str, str]:
    return dict(re.findall(r'"title":\s*"([A-T][0-9]{0,4})-([^"]*)"', text))


def parse_2011(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    stack: list[dict[str, str]] = []
    for key, value, opening, closing in re.findall(r'"(code|value)":\s*"([^"]*)"|(\{)|(\})', text):
        if opening:
            stack.append({})
        elif closing:
            d = stack.pop()
            if "code" in d:
                out[d["code"]] = d["value"]
        else:
            stack[-1][key] = value
    return out


def with_implied_groups(table: dict[str, str]) -> dict[str, str]:
    """Add the 中类 that a transcription lists only through its single 小类 (6520 → 652).

    Such a 小类 ends in 0 and has no sibling; it shares the 中类's name.
    """
    out = dict(table)
    children = Counter(c[:4] for c in table if len(c) == 5)
    for code, name in table.items():
        if len(code) == 5 and code[:4] not in out:
            assert code.endswith("0") and children[code[:4]] == 1, code
            out[code[:4]] = name
    return out


def check_tree(table: dict[str, str], what: str) -> Counter:
    counts = Counter(LEVELS[len(c)] for c in table)
    for code in table:
        if len(code) > 1:
            parent = code[:1] if len(code) == 3 else code[:-1]
            assert parent in table, f"{what}: {code} has no parent {parent}"
    return counts


def crosswalk(
    old: dict[str, str], new: dict[str, str]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    by_name: dict[tuple[int, str], list[str]] = {}
    for code, name in new.items():
        by_name.setdefault((len(code), _norm(name)), []).append(code)
    rows, unmapped = [], []
    for code in sorted(old, key=lambda c: (c[1:], c)):
        if len(code) == 1:
            continue
        name = _norm(old[code])
        if code in new and _norm(new[code]) == name:
            rows.append((code, code, "same"))
        elif len(hits := by_name.get((len(code), name), [])) == 1:
            rows.append((code, hits[0], "name"))
        else:
            unmapped.append(code)
    return rows, unmapped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    args = ap.parse_args()
    texts, shas = {}, {}
    for key, (repo, commit, path) in SOURCES.items():
        shas[key], texts[key] = _git_show(args.mirror, repo, commit, path)
    parsed_a, repeated = parse_2017a(texts["2017a"])
    # copy A enters 3741 飞机制造 as a second 中类 374 row (a level slip): the only repeat
    assert repeated == [("C374", "飞机制造")], repeated
    a = {k: v.strip() for k, v in parsed_a.items()}
    b = {k: v.strip() for k, v in parse_2017b(texts["2017b"]).items()}
    old = {k: v.strip() for k, v in parse_2011(texts["2011"]).items()}

    a_full = with_implied_groups(a)
    missing_in_a = sorted(set(b) - set(a_full))
    assert missing_in_a == ["C3741"], missing_in_a
    assert not set(a_full) - set(b), sorted(set(a_full) - set(b))
    table = {**a_full, "C3741": b["C3741"]}
    disagreements = []
    for code in sorted(table, key=lambda c: (c[1:], c)):
        if _norm(table[code]) != _norm(b[code]):
            disagreements.append(f"{code}: {table[code]} | {b[code]}")
        table[code] = _norm(table[code])
    old = {k: _norm(v) for k, v in with_implied_groups(old).items()}
    counts = check_tree(table, "2017")
    counts_2011 = check_tree(old, "2011")
    print("2017:", dict(counts), "2011:", dict(counts_2011))
    print("copies disagree on", len(disagreements), "names:", disagreements)
    rows, unmapped = crosswalk(old, table)
    print(f"crosswalk: {Counter(r[2] for r in rows)}; unmapped {len(unmapped)}")

    def block(t: dict[str, str]) -> list[str]:
        out = []
        for code in sorted(t, key=lambda c: (c[:1], c[1:])):
            level = LEVELS[len(code)]
            parent = "" if len(code) == 1 else (code[:1] if len(code) == 3 else code[:-1])
            out.append(f"  {code}\t{t[code]}\t{level}\t{parent or '-'}")
        return out

    def pin(key: str) -> str:
        repo, _, path = SOURCES[key]
        return f"{repo} @ {shas[key][:12]}, {path}"

    lines = [
        "# GB/T 4754 国民经济行业分类: the 2017 table (门类/大类/中类/小类 with names), the 2011",
        "# table, and a DERIVED 2011 → 2017 crosswalk (nqpf.codes.industry).",
        "#",
        "# GENERATED by scripts/build_industry_codes.py — do not edit by hand; rebuild instead.",
        "# A code table is a fact of the standard: the source is the standard; the text was read",
        "# from these public transcriptions (pinned by commit):",
        f"#   2017 copy A: {pin('2017a')}",
        f"#   2017 copy B: {pin('2017b')}",
        f"#   2011:        {pin('2011')}",
        "# Copy A and the 2011 copy list a 中类 with a single 小类 only through that 小类 (as the",
        "# printed standard does); those 中类 take the 小类's name.  Copy A enters C3741 飞机制造 as a",
        "# second row of 中类 374 (a level slip); it is read as the 小类, as copy B has it.  Where",
        "# the names differ, copy B mostly carries the 2011 names of 中类 that 2017 renamed, so",
        "# copy A is kept.",
        f"# Counts of this table: {dict(counts)}; 2011: {dict(counts_2011)}.",
        "# Published counts quoted for 2017 vary: 1,380 小类 (original text, as widely quoted),",
        "# 1,381 and 1,382 (with 第1号修改单, 2019, per some statistics bureaus); both copies agree on",
        "# 1,381 (copy A: 1,380 + the slipped 3741).  Names that differ (kept | copy B):",
        *[f"#   {d}" for d in disagreements],
        "# Names are normalised: blanks removed, brackets full-width.",
        "# crosswalk_2011: DERIVED, not the NBS 2011→2017 对照表: 'same' = same code and name in",
        "#   both editions; 'name' = the only 2017 code of the same level with the same name.",
        f"#   {len(unmapped)} 2011 codes have no such match (split, merged or renamed classes)",
        "#   and are left out; current_industry_code() refuses them by name.",
        "id: cn-industry-codes",
        'version: "GB/T 4754-2017"',
        "source: >-",
        "  GB/T 4754-2017 国民经济行业分类 (and GB/T 4754-2011 for the crosswalk), transcribed",
        "  from public repositories (see the header comment; two independent copies of 2017).",
        "confidence: secondary",
        "crosswalk_confidence: unverified",
        f"counts: {{门类: {counts['门类']}, 大类: {counts['大类']}, 中类: {counts['中类']}, 小类: {counts['小类']}}}",
        f"counts_2011: {{门类: {counts_2011['门类']}, 大类: {counts_2011['大类']}, "
        f"中类: {counts_2011['中类']}, 小类: {counts_2011['小类']}}}",
        "columns:",
        "  classes: [code, name, level, parent]",
        "  crosswalk_2011: [code_2011, code_2017, basis]",
        "classes: |",
        *block(table),
        "classes_2011: |",
        *block(old),
        "crosswalk_2011: |",
        *[f"  {o}\t{n}\t{basis}" for o, n, basis in rows],
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
