"""Korean text helpers the graders share: sentences, plain prose out of Markdown, negation
after a phrase, and the speech level a sentence ends in.

Speech level: the persona speaks 해요체 (…요) or 합니다체 (…니다/…니까); a sentence that ends
in a 반말 or 해라체 ending (…해, …어, …야, …지, …다 without 니, …라 …) is not polite. Only
sentences that end a clause count: a heading, a list of places or a noun phrase is neither,
so Markdown and item names do not trip the check. A heuristic over endings, not a parser:
docs/eval.md lists what it misses.
"""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["polite", "impolite", "neutral"]

_SENTENCE = re.compile(r"[^.!?\n。]+[.!?。]*")
_MARKDOWN = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),  # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"^\s{0,3}#{1,6}\s.*$", re.M), " "),  # headings are titles, not sentences
    (re.compile(r"^\s*(?:[-*+]|\d+\.)\s+", re.M), ""),  # list markers
    (re.compile(r"[*_`>]+"), ""),
    (re.compile(r"[“\"][^”\"]*[”\"]"), " "),  # quoted speech (a character's dialog line)
)
_HANGUL = re.compile(r"[가-힣]+")
_TAIL = re.compile(r"[가-힣]+[^가-힣]*$")
_NEGATION = re.compile(
    r"^\S{0,3}\s*(?:지\s*말|지\s*마|면\s*안|지\s*않|선\s*안|면\s*위험|는\s*금지)"
)
_POLITE = ("요", "니다", "니까", "죠", "시오", "세요")
# 반말/해라체 endings: a sentence's last syllable(s), when it ends a clause (see module doc).
_IMPOLITE = (
    "어", "아", "야", "해", "돼", "지", "줘", "래", "게", "자", "라", "냐", "니", "든", "군",
    "네", "걸", "까", "다", "워", "져", "와", "봐", "려", "쳐", "둬", "거야", "잖아",
    "떼", "빼", "내", "가", "서", "써", "놔", "꿔", "마", "고",
)  # fmt: skip
# Without a full stop after it, only a verb ending counts (a noun such as 건전지 ends in 지).
_IMPOLITE_BARE = (
    "어",
    "아",
    "해",
    "돼",
    "줘",
    "봐",
    "려",
    "워",
    "져",
    "둬",
    "거야",
    "잖아",
    "라",
    "냐",
    "떼",
    "빼",
)


def squeeze(text: str) -> str:
    """No whitespace at all: phrases are compared in this form (Korean spacing varies)."""
    return "".join(text.split())


_ENDING = re.compile(r"(?:주세요|줘|해요|해|돼요|돼|어요|아요|습니다|니다|요)?[.!?~]*$")


def instruction(step: str) -> str:
    """A step without its final speech-level ending, squeezed: "빼 주세요." and "빼 줘." are
    one instruction (the register check judges the ending, not the step check)."""
    flat = squeeze(step)
    return _ENDING.sub("", flat) or flat


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def prose(markdown: str) -> str:
    """The sentences of a Markdown answer without its markup, headings or quoted dialog."""
    text = markdown
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return text


def negated(sentence: str, end: int) -> bool:
    """Whether the phrase ending at `end` is negated right after it (넣지 말고, 버리면 안 돼요)."""
    return bool(_NEGATION.match(sentence[end:]))


def level(sentence: str) -> Level:
    """The speech level the sentence ends in; neutral when it does not end a clause."""
    tail = _TAIL.search(sentence)
    if tail is None:
        return "neutral"
    rest = tail.group(0)
    word = _HANGUL.match(rest)
    assert word is not None
    trailer = rest[word.end() :].strip()
    last = word.group(0)
    if last.endswith(_POLITE):
        return "polite"
    if len(sentence.split()) < 2:
        return "neutral"
    if trailer[:1] and trailer[0] in ".!?~…":
        return "impolite" if last.endswith(_IMPOLITE) else "neutral"
    if trailer == "":
        return "impolite" if last.endswith(_IMPOLITE_BARE) else "neutral"
    return "neutral"
