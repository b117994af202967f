"""A CJK font for matplotlib that works on a machine with no system fonts.

Charts carry Chinese titles, labels and province names.  matplotlib ships only DejaVu,
which has no Han glyphs, so without help every character renders as an empty box
("tofu") and matplotlib warns ``Glyph ... missing from font(s)``.  The ``mplfonts``
wheel (a hard dependency of nqpf) carries the OFL-licensed *Noto Sans CJK SC*; this
module registers that file with matplotlib's font manager in memory and points the
sans-serif family at it.

It deliberately does **not** call ``mplfonts.use_font`` (which only sets rcParams, so
glyphs stay missing) nor ``mplfonts init`` (which writes into matplotlib's install
folder), and it never touches ``SimHei.ttf``, a commercial font that mplfonts also
ships and that we may not use or redistribute.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Iterable
from pathlib import Path

__all__ = ["CJK_FAMILY", "FALLBACK_FAMILY", "cjk_font_path", "use_cjk_font"]

#: Family name of the OFL font nqpf registers from the ``mplfonts`` package.
CJK_FAMILY = "Noto Sans CJK SC"
#: matplotlib's bundled font, used for glyphs the CJK font lacks and as last resort.
FALLBACK_FAMILY = "DejaVu Sans"

_MPLFONTS_FILE = "NotoSansCJKsc-Regular.otf"
# Never pick a commercial font, even if a system happens to have it installed.  "Last
# Resort" (bundled with matplotlib >= 3.10) maps every code point to a placeholder box,
# so it passes the coverage probe while drawing exactly the tofu we want to avoid.
_FORBIDDEN = ("simhei", "last resort", "lastresort")
# Families known to cover simplified Chinese, tried before any other system font so the
# fallback is predictable (and a sans face) when mplfonts is absent.
_PREFERRED_SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# Common characters of a report; a font must have all of them to count as CJK-capable.
_PROBE = "中国指数"


def cjk_font_path() -> Path | None:
    """Path of the Noto Sans CJK SC file inside the installed ``mplfonts`` package.

    Returns
    -------
    pathlib.Path or None
        The ``.otf`` file, or None when ``mplfonts`` is not installed or lacks it.

    Notes
    -----
    The package is located with :func:`importlib.util.find_spec`, which does not
    import it: importing ``mplfonts`` pulls in extra dependencies and we only need
    its data directory.
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root) / "fonts" / _MPLFONTS_FILE
        if path.is_file():
            return path
    return None


def _is_forbidden(name: str, fname: str) -> bool:
    """True for fonts we must not use (commercial) or that only fake coverage."""
    text = f"{name} {Path(fname).name}".lower()
    return any(bad in text for bad in _FORBIDDEN)


def _covers_cjk(fname: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(fname).get_charmap()
    except (OSError, RuntimeError, ValueError):
        # Unreadable or exotic font files are simply not candidates.
        return False
    return all(ord(ch) in charmap for ch in _PROBE)


def _family_name(path: Path) -> str:
    # matplotlib names a font after its own family record; read it rather than
    # trusting the file name.
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return font_manager.ttfFontProperty(FT2Font(str(path))).name


def _register(path: Path) -> None:
    """Add ``path`` to matplotlib's font manager unless it is already there."""
    from matplotlib import font_manager

    known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(str(path))


def _system_candidates() -> Iterable[tuple[str, str]]:
    """(name, file) of installed fonts: preferred families first, then the rest."""
    from matplotlib import font_manager

    entries = [(f.name, f.fname) for f in font_manager.fontManager.ttflist]
    rank = {name: i for i, name in enumerate(_PREFERRED_SYSTEM_FAMILIES)}
    yield from sorted(entries, key=lambda e: rank.get(e[0], len(rank)))
    # Fonts installed after matplotlib built its cache are not in ttflist yet;
    # findSystemFonts asks fontconfig (fc-list) and the usual folders directly.
    seen = {fname for _, fname in entries}
    for fname in font_manager.findSystemFonts():
        if fname not in seen:
            yield "", fname


def _system_cjk_family() -> str | None:
    """Register and name the first installed font with simplified-Chinese glyphs."""
    tried: set[str] = set()
    for name, fname in _system_candidates():
        if fname in tried or _is_forbidden(name, fname):
            continue
        tried.add(fname)
        if not _covers_cjk(fname):
            continue
        family = _family_name(Path(fname))
        if not _is_forbidden(family, fname):
            _register(Path(fname))
            return family
    return None


@functools.cache
def _resolve_family() -> str | None:
    """Find and register a CJK font once per process (the expensive part)."""
    path = cjk_font_path()
    if path is not None:
        _register(path)
        return _family_name(path)
    family = _system_cjk_family()
    if family is None:
        # Cached, so users see this once, not once per chart.
        warnings.warn(
            "No CJK font found (mplfonts is not installed and no system font covers "
            "Chinese); Chinese text in charts will render as empty boxes. "
            "Install nqpf's dependency 'mplfonts' or a system font such as "
            "fonts-noto-cjk.",
            RuntimeWarning,
            stacklevel=3,
        )
    return family


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text with an OFL CJK font.

    Registers *Noto Sans CJK SC* from the ``mplfonts`` package (in memory: nothing is
    written to disk) and sets ``font.family = sans-serif``,
    ``font.sans-serif = ["Noto Sans CJK SC", "DejaVu Sans"]`` and
    ``axes.unicode_minus = False``.  Without mplfonts it falls back to the first
    installed system font that covers simplified Chinese; with neither it warns once
    and keeps DejaVu Sans.

    Returns
    -------
    str
        The family now first in ``font.sans-serif``; ``"Noto Sans CJK SC"`` on a
        normal install.

    Notes
    -----
    Idempotent and cheap after the first call: the font is located and registered
    once per process, while the rcParams are re-applied on every call, so that a
    caller who reset them (``matplotlib.rcdefaults()``) gets them back.
    ``axes.unicode_minus`` is switched off because the CJK font lacks U+2212 MINUS
    SIGN; the ASCII hyphen it draws instead looks the same.

    Examples
    --------
    >>> use_cjk_font()
    'Noto Sans CJK SC'
    >>> import matplotlib
    >>> matplotlib.rcParams["font.sans-serif"][:2]
    ['Noto Sans CJK SC', 'DejaVu Sans']
    """
    import matplotlib  # here, not at import: the fonts' path is asked without drawing

    family = _resolve_family()
    families = [family, FALLBACK_FAMILY] if family else [FALLBACK_FAMILY]
    # A caller who switched font.family to serif would otherwise bypass our list.
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = families
    matplotlib.rcParams["axes.unicode_minus"] = False
    return families[0]
