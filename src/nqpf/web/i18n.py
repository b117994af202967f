"""What the platform says in the reader's language: download file names (this module) and
the interface language (:mod:`nqpf.web.i18n_catalogue`).

Download names carry what a person filing the document looks for: the enterprise's name,
the framework's Chinese name and the wave or year, e.g.
``示例精密机械有限公司-中小企业数字化水平评测-T0.pdf``.  The name travels as RFC 5987
``filename*`` (UTF-8); the plain ``filename`` stays ASCII for old clients.
"""

from __future__ import annotations

import re

__all__ = ["MAX_FILENAME", "download_filename"]

MAX_FILENAME = 120
"""Longest download name in characters (before the extension); longer parts are cut."""

# characters no common file system accepts in a name, and control characters
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def download_filename(*parts: object, ext: str) -> str:
    """A download's name from its parts, joined by ``-``: blanks dropped, characters no file
    system accepts replaced by ``_``, cut to :data:`MAX_FILENAME` characters.

    >>> download_filename("示例机械有限公司", "中小企业数字化水平评测", "T0", ext="pdf")
    '示例机械有限公司-中小企业数字化水平评测-T0.pdf'
    >>> download_filename("A/B: 公司", None, "", 2023, ext="xlsx")
    'A_B_ 公司-2023.xlsx'
    """
    texts = []
    for part in parts:
        if part is None:
            continue
        text = str(part).strip()
        text = _FORBIDDEN.sub("_", text).strip(" .")
        if text:
            texts.append(text)
    stem = "-".join(texts)[:MAX_FILENAME].rstrip(" .-") or "download"
    return f"{stem}.{ext}"
