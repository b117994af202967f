"""The interface language: Chinese (default) or English, one message catalogue.

Templates write Chinese and pass what they show through ``_()``: ``{{ _("监测") }}``.  In
Chinese that is the text itself; in English it is the entry of
``nqpf/web/messages/en.yaml`` (a text without an entry stays Chinese rather than showing
a key).  The language is a setting of the browser session: the ``nqpf_lang`` cookie, set
by ``GET /language?lang=en&next=/dashboard`` (:mod:`nqpf.web.i18n_routes`); anything else
is Chinese.  Covered: navigation, page frame, error headings; the platform's domain
messages stay Chinese (their wording is the official one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "COOKIE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "catalogue",
    "language_of",
    "translator",
]

LANGUAGES = {"zh": "中文", "en": "English"}
"""Interface languages: code → its own name (what the switch shows)."""
DEFAULT_LANGUAGE = "zh"
"""The language of a session that chose none."""
COOKIE = "nqpf_lang"
"""The cookie holding the session's language."""


@functools.cache
def catalogue(language: str) -> Mapping[str, str]:
    """Chinese text → its translation in ``language`` (empty for Chinese).

    >>> catalogue("en")["监测"], dict(catalogue("zh"))
    ('Dashboard', {})
    """
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return {}
    text = resources.files("nqpf.web").joinpath("messages", f"{language}.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k): str(v) for k, v in data.items()}


def language_of(request: Any) -> str:
    """The session's language: the cookie's when it names a language, else Chinese."""
    code = getattr(request, "cookies", {}).get(COOKIE, "")
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def translator(language: str) -> Callable[[str], str]:
    """``_`` of the templates: a Chinese text in ``language``.

    >>> translator("en")("监测"), translator("en")("没有条目的文字"), translator("zh")("监测")
    ('Dashboard', '没有条目的文字', '监测')
    """
    table = catalogue(language)
    return lambda text: table.get(text, text)
