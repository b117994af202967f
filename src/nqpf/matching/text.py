"""Chinese text for relevance: word segmentation with a domain lexicon.

:class:`Tokenizer` segments with rjieba (the Rust port of jieba) after adding the domain
words of ``data/lexicon.yaml``; every spelling in its synonym table is read as its
canonical word (预知维护 → 预测性维护, MES → 制造执行系统), ASCII in lower case, and stop
words and punctuation are dropped.  :func:`default_tokenizer` builds the shipped one once
per process (loading the dictionary takes about half a second).

>>> tok = default_tokenizer()
>>> tok.tokens("寻找预知维护和MES方面的服务商，提升设备联网率")
['预测性维护', '制造执行系统', '设备联网率']
"""

from __future__ import annotations

import functools
import os
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from nqpf.exceptions import ConfigError

__all__ = ["Lexicon", "Tokenizer", "default_tokenizer", "load_lexicon"]


class Lexicon(BaseModel):
    """Domain words, synonyms (canonical → spellings) and stop words (see the data file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = "custom"
    version: str = ""
    source: str = ""
    confidence: Literal["official", "secondary", "design", "unverified"] = "design"
    words: tuple[str, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = {}
    stopwords: tuple[str, ...] = ()


def load_lexicon(
    lexicon: Lexicon | Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> Lexicon:
    """The lexicon: the shipped one (``None``), a mapping or a YAML file path."""
    if isinstance(lexicon, Lexicon):
        return lexicon
    name = "lexicon.yaml"
    if lexicon is None:
        data = yaml.safe_load(
            resources.files("nqpf.matching").joinpath("data", name).read_text("utf-8")
        )
    elif isinstance(lexicon, Mapping):
        data, name = dict(lexicon), "<lexicon mapping>"
    else:
        path = Path(lexicon)
        if not path.is_file():
            raise ConfigError("lexicon file not found", file=str(path), zh="找不到词表文件")
        data, name = yaml.safe_load(path.read_text(encoding="utf-8-sig")), str(path)
    try:
        return Lexicon.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise ConfigError(f"{e['msg']}", file=name, field=where, zh="词表格式有误") from None


def _is_word(token: str) -> bool:
    # a token worth indexing holds a letter, a digit or a CJK character
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


class Tokenizer:
    """Segment Chinese (and mixed ASCII) text into canonical domain tokens.

    Parameters
    ----------
    lexicon
        Words, synonyms and stop words; ``None`` for the shipped ``data/lexicon.yaml``.
    """

    def __init__(
        self, lexicon: Lexicon | Mapping[str, Any] | str | os.PathLike[str] | None = None
    ) -> None:
        import rjieba

        self.lexicon = load_lexicon(lexicon)
        self._jieba = rjieba.Jieba()
        canonical: dict[str, str] = {}
        for word, spellings in self.lexicon.synonyms.items():
            for spelling in (word, *spellings):
                canonical[spelling.lower()] = word
        for word in {*self.lexicon.words, *canonical, *canonical.values()}:
            self._jieba.add_word(word, None, None)
        self._canonical = canonical
        self._stop = frozenset(w.lower() for w in self.lexicon.stopwords)
        # segment → its canonical token, or "" to drop it; segments repeat a lot, so each
        # is looked at once
        self._seen: dict[str, str] = {}

    def _canonical_token(self, raw: str) -> str:
        token = raw.strip().lower()
        if not token or token in self._stop or not _is_word(token):
            token = ""
        self._seen[raw] = token = self._canonical.get(token, token)
        return token

    def tokens(self, text: str) -> list[str]:
        """The canonical tokens of ``text``, in order, stop words and punctuation dropped."""
        seen = self._seen
        out = []
        for raw in self._jieba.cut(text or ""):
            token = seen.get(raw)
            if token is None:
                token = self._canonical_token(raw)
            if token:
                out.append(token)
        return out

    def tokens_many(self, texts: Iterable[str]) -> list[list[str]]:
        """:meth:`tokens` of each text."""
        return [self.tokens(t) for t in texts]


@functools.cache
def default_tokenizer() -> Tokenizer:
    """The shipped tokenizer, built once per process."""
    return Tokenizer()
