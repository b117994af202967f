"""Did-you-mean suggestions: the closest known names to a name that is not known.

One rule for every message that proposes a correction (an answer key, an option id, an
energy carrier, a column): names are compared in a *normal form* (Unicode NFKC, case
folded, runs of blanks, ``_`` and ``-`` read as one space), ranked by
:class:`difflib.SequenceMatcher` ratio, and kept when the ratio reaches ``cutoff``.  A
name of at most three characters (a Chinese carrier such as ``柴油``, an option id) is
allowed one wrong character: its cutoff is at most 0.5.  A name of two characters or
more found inside a known one (``已制定规划`` in an option's label) scores at least 0.75,
and only names within ``spread`` (0.1) of the best are suggested.

Choices are names, or a mapping *spelling → name* when several spellings (aliases)
point at one name: the spellings are compared, the names are suggested, each once.

The module is private (its users are nqpf's checks); its names are public to them.

Examples
--------
>>> close_matches("equipment_digtal_rate", ["equipment_digital_rate", "network"])
['equipment_digital_rate']
>>> close_matches("柴由", ["柴油", "汽油", "电力"])
['柴油']
>>> close_matches("点力", ["柴油", "电力"])
['电力']
>>> close_matches("Natural-Gas", {"natural gas": "天然气", "天然气": "天然气"})
['天然气']
>>> did_you_mean("disel", {"diesel": "柴油", "柴油": "柴油"})
("did you mean '柴油'?", '是否指“柴油”？')
>>> did_you_mean("木头", ["柴油", "电力"])
('', '')
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

__all__ = ["close_matches", "did_you_mean", "normal_form"]

_SEPARATORS = re.compile(r"[\s_\-]+")
#: Longest name (in characters) that is allowed one wrong character whatever its ratio.
_SHORT = 3
#: Least score of a name that holds the word given (or is held by it).
_CONTAINED = 0.75


def normal_form(text: object) -> str:
    """``text`` as names are compared: NFKC, case folded, ``_``/``-``/blank runs as one space.

    >>> normal_form("  Natural__Gas ")
    'natural gas'
    >>> normal_form("ＬＰＧ")
    'lpg'
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def close_matches(
    word: object,
    choices: Iterable[str] | Mapping[str, str],
    *,
    n: int = 3,
    cutoff: float = 0.6,
    spread: float = 0.1,
) -> list[str]:
    """Up to ``n`` names of ``choices`` closest to ``word``, best first.

    Parameters
    ----------
    word
        The name given (any object: its text is compared).
    choices
        Known names, or a mapping spelling → name (the name is suggested when any of its
        spellings is close).
    n
        Most names returned.
    cutoff
        Least :class:`difflib.SequenceMatcher` ratio of the normal forms (0–1); for a
        ``word`` of at most three characters the cutoff is at most 0.5 (one wrong
        character).  A ``word`` of two characters or more found inside a spelling (or a
        spelling inside it) scores at least 0.75.
    spread
        Names scoring more than ``spread`` below the best are left out (a clear best
        match is suggested alone).  Ties keep the order of ``choices``.

    Returns
    -------
    list of str
        Distinct names; empty when none is close enough.
    """
    pairs = choices.items() if isinstance(choices, Mapping) else ((c, c) for c in choices)
    key = normal_form(word)
    if not key:
        return []
    limit = min(cutoff, 0.5) if len(key) <= _SHORT else cutoff
    best: dict[str, tuple[float, int]] = {}
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    for order, (spelling, name) in enumerate(pairs):
        text = normal_form(spelling)
        matcher.set_seq1(text)
        ratio = matcher.ratio()
        if len(key) >= 2 and text and (key in text or text in key):
            ratio = max(ratio, _CONTAINED)
        if ratio >= limit and (name not in best or ratio > best[name][0]):
            best[name] = (ratio, best[name][1] if name in best else order)
    ranked = sorted(best, key=lambda name: (-best[name][0], best[name][1]))
    if ranked:
        floor = best[ranked[0]][0] - spread
        ranked = [name for name in ranked if best[name][0] >= floor]
    return ranked[:n]


def did_you_mean(
    word: object,
    choices: Iterable[str] | Mapping[str, str],
    *,
    n: int = 3,
    cutoff: float = 0.6,
    spread: float = 0.1,
    show: Callable[[str], str] | None = None,
) -> tuple[str, str]:
    """The suggestion phrase for ``word`` in English and in Chinese; ``("", "")`` if none.

    ``show`` writes a suggested name in the English phrase (default ``repr``); the
    Chinese phrase quotes it as ``“name”``.  See :func:`close_matches` for the rest.

    >>> did_you_mean("AB", ["A", "B", "C"])
    ("did you mean 'A' or 'B'?", '是否指“A”或“B”？')
    """
    names = close_matches(word, choices, n=n, cutoff=cutoff, spread=spread)
    if not names:
        return "", ""
    shown = show or repr
    en = "did you mean " + " or ".join(shown(name) for name in names) + "?"
    zh = "是否指" + "或".join(f"“{name}”" for name in names) + "？"
    return en, zh
