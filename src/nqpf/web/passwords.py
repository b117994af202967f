"""Password policy: length, a strength estimate (zxcvbn) and common Chinese patterns.

ASVS 4.0.3 V2.1: at least 12 characters is the standard's floor for L1–L3 (2.1.1), no
composition rules (2.1.9), a check against breached and common passwords (2.1.7) and a
strength meter (2.1.8).  nqpf keeps its documented 10-character minimum
(:data:`MIN_LENGTH`) and asks zxcvbn — the Dropbox estimator, here the maintained
``zxcvbn`` Python port — for a score of at least ``NQPF_PASSWORD_MIN_SCORE`` (default 3)
computed with the user's own e-mail, name and the platform's name as extra dictionary
words and with :data:`COMMON_CHINESE` — pinyin words, surnames and digit phrases frequent
in leaked Chinese password lists, which zxcvbn's English lists miss (``woaini5201314``
scores 3 without them, 1 with them).  zxcvbn's English feedback is translated
(:func:`feedback_zh`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from zxcvbn import zxcvbn

__all__ = ["COMMON_CHINESE", "MAX_LENGTH", "MIN_LENGTH", "Verdict", "check", "feedback_zh"]

MIN_LENGTH = 10
MAX_LENGTH = 1024
# zxcvbn's work grows with the length; what lies beyond is scored as a long random tail
_SCORED_PREFIX = 100

# Frequent in the leaked CSDN/Tianya lists and in surveys of Chinese passwords (pinyin
# surnames and words, "I love you" digit puns); order is rank (zxcvbn weighs by position).
COMMON_CHINESE = (
    "woaini", "5201314", "1314520", "aini", "woaini1314", "iloveyou", "baobei", "laopo",
    "laogong", "qq", "dearbook", "xiazhili", "zhang", "wang", "li", "liu", "chen", "yang",
    "huang", "zhao", "zhou", "wu", "xu", "sun", "ma", "zhu", "hu", "guo", "he", "lin", "gao",
    "luo", "zheng", "liang", "xie", "song", "tang", "han", "feng", "deng", "cao", "peng",
    "zeng", "xiao", "tian", "dong", "pan", "yuan", "cai", "jiang", "yu", "du", "ye", "cheng",
    "wei", "su", "lu", "ding", "ren", "shen", "yao", "jin", "fang", "shi", "tan", "xiong",
    "ming", "hua", "jun", "jie", "hong", "ping", "hui", "lei", "qiang", "yong", "yan", "jing",
    "xin", "ling", "fei", "long", "tao", "bin", "hao", "jian", "zhongguo", "beijing",
    "shanghai", "shenzhen", "zhengfu", "gongsi", "mima", "admin", "root", "test",
)  # fmt: skip

_FEEDBACK_ZH = (
    ("All-uppercase", "全部大写与全部小写差不多一样容易被猜中。"),
    ("Capitalization doesn't help", "首字母大写帮助不大。"),
    ("Dates are often", "日期很容易被猜中。"),
    ("No need for symbols", "不必刻意加入符号、数字或大写字母。"),
    ("Predictable substitutions", "用 @ 代替 a 之类可预料的替换帮助不大。"),
    ("Recent years are", "最近的年份很容易被猜中。"),
    ("Reversed words", "把单词倒过来写并不会难猜多少。"),
    ("Use a few words", "用几个不相关的词组成口令，避免常见短语。"),
    ("A word by itself", "单个词语很容易被猜中。"),
    ("Add another word", "再加一两个词，越不常见越好。"),
    ("Avoid dates and years", "避免使用与您有关的日期和年份。"),
    ("Avoid recent years", "避免使用最近的年份。"),
    ("Avoid repeated", "避免重复的字词和字符。"),
    ("Avoid sequences", "避免连续序列。"),
    ("Avoid years that", "避免使用与您有关的年份。"),
    ("Common names and surnames", "常见的姓名很容易被猜中。"),
    ("Names and surnames by themselves", "单独的姓名很容易被猜中。"),
    ('Repeats like "aaa"', "“aaa”这样的重复很容易被猜中。"),
    ('Repeats like "abcabcabc"', "“abcabcabc”这样的重复只比“abc”难猜一点。"),
    ('Sequences like "abc"', "“abc”“6543”这样的序列很容易被猜中。"),
    ("Short keyboard patterns", "较短的键盘排列很容易被猜中。"),
    ("Straight rows of keys", "键盘上一整排的按键很容易被猜中。"),
    ("This is a top-10", "这是最常见的 10 个密码之一。"),
    ("This is a top-100", "这是最常见的 100 个密码之一。"),
    ("This is a very common", "这是非常常见的密码。"),
    ("This is similar to a commonly", "与常用密码相似。"),
    ("Use a longer keyboard", "键盘排列请更长、转折更多。"),
)


def feedback_zh(text: str) -> str:
    """The Chinese of one zxcvbn warning or suggestion ("" for ""; unknown text as is)."""
    for prefix, chinese in _FEEDBACK_ZH:
        if text.startswith(prefix):
            return chinese
    return text


@dataclass(frozen=True)
class Verdict:
    """A password's check: ``ok`` and, when not, the Chinese ``message``; ``score`` is
    zxcvbn's 0–4 (None when the length alone decided)."""

    ok: bool
    message: str = ""
    score: int | None = None


def _personal_words(personal: Iterable[str]) -> list[str]:
    words: list[str] = []
    for text in personal:
        words.extend(w for w in re.split(r"[^0-9A-Za-z]+", (text or "").lower()) if len(w) >= 3)
    return words


def check(password: str, *, personal: Iterable[str] = (), min_score: int = 3) -> Verdict:
    """Check ``password`` against the policy.

    Parameters
    ----------
    password
        The candidate.
    personal
        The user's e-mail, display name and the like: guessable words for this user.
    min_score
        Least zxcvbn score accepted (0–4; default 3).
    """
    if len(password) < MIN_LENGTH:
        return Verdict(False, f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        return Verdict(False, f"密码不能超过 {MAX_LENGTH} 个字符")
    inputs = [*_personal_words(personal), "nqpf", *COMMON_CHINESE]
    result = zxcvbn(password[:_SCORED_PREFIX], user_inputs=inputs)
    score = int(result["score"])
    if score >= min_score:
        return Verdict(True, score=score)
    feedback = result["feedback"]
    hints = [feedback_zh(feedback["warning"])] if feedback["warning"] else []
    hints += [feedback_zh(s) for s in feedback["suggestions"]]
    detail = "".join(hints) or "请使用更长、更不可预测的口令（如几个不相关的词语）。"
    return Verdict(
        False, f"密码太容易被猜中（强度 {score}/4，至少需要 {min_score}）：{detail}", score
    )
