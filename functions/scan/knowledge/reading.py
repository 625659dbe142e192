"""A user's text as the retriever reads it: its words (misspellings repaired), the text without
spaces, where each word starts, the situation phrases in it and the materials it names.

Matching happens in the spacing-free text so "우 유 팩" and "우유팩" are one; the word starts
kept here are what tells a word of its own from a piece of a longer one (바지 in 바지락).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from functions.scan.knowledge import hangul
from functions.scan.knowledge.lexicon import MATERIAL_WORDS, words_of

Span = tuple[int, int]


@dataclass(frozen=True)
class Text:
    words: tuple[str, ...]  # case-folded, repaired
    repaired: frozenset[int]  # indexes of the words that were misspelled
    compact: str  # the words joined without spaces
    folded: str  # `compact`, sound-folded (same length, same positions)
    starts: tuple[int, ...]  # where each word starts in `compact`

    @property
    def spoken(self) -> str:
        return " ".join(self.words)

    def word_at(self, position: int) -> int:
        return bisect.bisect_right(self.starts, position) - 1

    def end_of(self, word: int) -> int:
        return self.starts[word] + len(self.words[word])

    def around(self, start: int, end: int) -> tuple[str, str]:
        """What the words holding [start, end) have before and after it."""
        first, last = self.word_at(start), self.word_at(end - 1)
        return self.compact[self.starts[first] : start], self.compact[end : self.end_of(last)]

    def stems(self, outside: Sequence[Span] = ()) -> set[str]:
        """Every word, and every stem of a word with its ending cut ("박스를" → 박스), leaving
        out the words that start inside one of the `outside` spans."""
        return {
            stem
            for index, word in enumerate(self.words)
            if not any(s <= self.starts[index] < e for s, e in outside)
            for stem, _ in hangul.splits(word)
        }

    def nouns(self) -> set[str]:
        """The stems that may name the thing itself, also across one space ("일반 쓰레기" is
        일반쓰레기), but not words about where it goes or is ("수거함에", "상자에서"); folded,
        except that one-syllable stems keep their spelling (방 is not 빵)."""
        pairs = [a + b for a, b in zip(self.words, self.words[1:], strict=False)]
        return {
            head(stem)
            for word in (*self.words, *pairs)
            if not any(word.endswith(e) for e in hangul.LOCATIVE_ENDINGS)
            for stem, _ in hangul.splits(word)
        }


def head(word: str) -> str:
    """How a head noun is compared: folded, except a one-syllable word, whose folding would
    merge too many words."""
    return word if len(word) < 2 else hangul.fold(word)


def read(text: str, repair: Callable[[str], str]) -> Text:
    words, repaired = [], set()
    for index, word in enumerate(words_of(text)):
        fixed = repair(word)
        if fixed != word:
            repaired.add(index)
        words.append(fixed)
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word)
    compact = "".join(words)
    return Text(tuple(words), frozenset(repaired), compact, hangul.fold(compact), tuple(starts))


def occurrences(haystack: str, needle: str) -> list[Span]:
    spans, at = [], haystack.find(needle) if needle else -1
    while at >= 0:
        spans.append((at, at + len(needle)))
        at = haystack.find(needle, at + 1)
    return spans


def situation_spans(text: Text, keywords: Iterable[str]) -> list[Span]:
    """Where situation phrases are ("라벨 안 뗐"): a name inside one is not the item."""
    return [span for key in keywords for span in occurrences(text.compact, key)]


def materials(text: Text, situation: Sequence[Span]) -> list[tuple[int, int, str]]:
    """Materials a word names as what the item is made of: the word starts with the material
    and goes on with a noun or nothing (플라스틱박스, 비닐) or says "made of" (유리로 된).
    "플라스틱이에요?" is a guess, not a description; in a situation phrase, said or fixed
    ("비닐 라벨", "철심 뺐어요"), it is a part."""
    found = []
    for index, start in enumerate(text.starts):
        word = text.words[index]  # as spelled: sound folding would make 전부 start with 천
        for material, kind in MATERIAL_WORDS.items():
            if not word.startswith(material):
                continue
            rest = word[len(material) :]
            made_of = rest in hangul.MADE_OF and rest != ""
            if rest in hangul.ENDINGS and not made_of:
                continue
            if not made_of and any(s <= start < e for s, e in situation):
                continue
            found.append((start, start + len(word), kind))
    return found
