"""The words of the knowledge base, indexed for `retrieval`: every item name and synonym as a
phrase, the vocabulary for spelling repair, the materials an item is made of, and the terms of
the BM25 documents (items, and the rule documents' targets and refusals).

Built once per process from a `KnowledgeBase` (a few milliseconds), never at import.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from functions.scan.knowledge import hangul
from functions.scan.knowledge.model import Item, KnowledgeBase
from functions.scan.knowledge.taxonomy import RECYCLABLE, category_of

# What a thing is made of, in the words people use; a material named in the text that the
# item cannot be made of sinks the item ("비닐 쇼핑백" is not the paper 종이쇼핑백).
MATERIAL_WORDS: dict[str, str] = {
    "종이": "종이", "비닐": "비닐", "플라스틱": "플라스틱", "페트": "플라스틱",
    "pet": "플라스틱", "유리": "유리", "스티로폼": "스티로폼", "철": "금속", "쇠": "금속",
    "스텐": "금속", "스테인리스": "금속", "알루미늄": "금속", "금속": "금속", "양철": "금속",
    "천": "천", "도자기": "도자기", "사기": "도자기", "세라믹": "도자기", "나무": "나무",
    "원목": "나무", "고무": "고무", "실리콘": "실리콘",
}  # fmt: skip
MIDDLE_MATERIAL: dict[str, str] = {
    "종이": "종이", "종이팩": "종이", "무색페트병": "플라스틱", "플라스틱류": "플라스틱",
    "비닐류": "비닐", "발포합성수지": "스티로폼", "유리병": "유리", "금속류": "금속",
    "의류및원단": "천",
}  # fmt: skip
# Loanword spellings more than a letter away from the knowledge base's word.
VARIANTS: dict[str, str] = {
    hangul.fold(wrong): right
    for right, wrongs in {
        "배터리": ("밧데리", "바테리", "배타리", "빳데리"),
        "비닐": ("비니루", "비니르"),
        "스티로폼": ("스치로폼", "스치로폴", "스티로풀"),
    }.items()
    for wrong in wrongs
}
# Words about the photo or the chore, never the thing itself: not a head noun on their own.
META = frozenset(hangul.fold(w) for w in ("사진", "쓰레기", "물건", "분리수거", "재활용", "거"))


_WORD = re.compile(r"\w+")
_LIST = re.compile(r"[·,/()]")  # "세제·샴푸·화장품 용기": three things, each with its own head


def words_of(text: str) -> list[str]:
    """The spaced words of a text, case and separators folded (`·` splits, like a space)."""
    return [hangul.fold_case(w) for w in _WORD.findall(text.replace("_", " "))]


def bigrams(word: str) -> list[str]:
    """Syllable pairs of a word: partial matches ("요구르트" inside "요구르트병")."""
    return [word[i : i + 2] for i in range(len(word) - 1)]


def materials_at_word_starts(words: Iterable[str]) -> set[str]:
    """The materials named at the start of a (case-folded, not sound-folded: 천 is not 전)
    word: "플라스틱박스" names 플라스틱."""
    return {kind for word in words for m, kind in MATERIAL_WORDS.items() if word.startswith(m)}


@dataclass(frozen=True)
class Phrase:
    """One name or synonym of an item, as it is looked for in a text."""

    item: Item
    order: int  # the item's place in items.yaml: ties go to the earlier item
    folded: str  # compact and sound-folded: what is searched for
    exact: str  # compact, case-folded: tells an exact spelling from a sound-alike one

    @property
    def length(self) -> int:
        return len(self.folded)


@dataclass(frozen=True)
class Document:
    """A BM25 document: an item's words, or a rule document's lines for one category."""

    major: str
    middle: str
    item: Item | None
    words: tuple[str, ...]  # folded words (and the compact forms of its phrases)
    heads: frozenset[str]  # folded last words of its phrases: what a text must name
    materials: frozenset[str]

    @property
    def terms(self) -> list[str]:
        """What BM25 counts: each word and its syllable pairs."""
        return [term for word in self.words for term in (word, *bigrams(word))]


class Lexicon:
    """The indexes `Retriever` searches; see the module docstring."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.phrases: tuple[Phrase, ...] = tuple(self._phrases(kb))
        self.documents: tuple[Document, ...] = (*self._item_documents(kb), *_rule_documents(kb))
        self.vocabulary: frozenset[str] = frozenset(
            w for d in self.documents for w in d.words if len(w) >= 2 and hangul.is_hangul(w[0])
        )
        # Each folded word's spelling in the data (the first seen), to repair a text with.
        self.spelling: dict[str, str] = {}
        # Which items each folded word belongs to: a repair between two words of one item
        # (우유깍: 우유갑 or 우유곽, both 우유팩) is not ambiguous.
        self.items_of: dict[str, set[str]] = defaultdict(set)
        for item in kb.items:
            for text in (item.name, *item.synonyms):
                for word in words_of(text):
                    self.spelling.setdefault(hangul.fold(word), word)
                    self.items_of[hangul.fold(word)].add(item.name)
        self._near: dict[str, set[str]] = defaultdict(set)
        for word in self.vocabulary:
            if len(word) >= 3 and word in self.spelling:
                letters = hangul.jamo(word)
                for key in (letters, *hangul.deletions(letters)):
                    self._near[key].add(word)
        self.materials = {d.item.name: d.materials for d in self.documents if d.item}
        self.heads: frozenset[str] = frozenset(h for d in self.documents for h in d.heads)

    def near(self, word: str) -> set[str]:
        """Vocabulary words one letter (jamo) away from a folded word of three syllables or
        more: the candidates for a misspelling ("스티로품" → "스티로폼")."""
        if len(word) < 3:
            return set()
        letters = hangul.jamo(word)
        pool: set[str] = set()
        for key in (letters, *hangul.deletions(letters)):
            pool |= self._near.get(key, set())
        return {w for w in pool if hangul.within_one_edit(hangul.jamo(w), letters)}

    @staticmethod
    def _phrases(kb: KnowledgeBase) -> Iterator[Phrase]:
        for order, item in enumerate(kb.items):
            for text in dict.fromkeys((item.name, *item.synonyms)):
                exact = "".join(words_of(text))
                if exact:
                    yield Phrase(item, order, hangul.fold(exact), exact)

    @staticmethod
    def _item_documents(kb: KnowledgeBase) -> Iterator[Document]:
        for item in kb.items:
            spelled = [words_of(t) for t in (item.name, *item.synonyms)]
            words = [hangul.fold(w) for ws in spelled for w in ws]
            compact = [hangul.fold("".join(ws)) for ws in spelled if len(ws) > 1]
            heads = {_head(ws[-1]) for ws in spelled if ws} | set(compact)
            # The name says what an item is made of (유리컵, 나무젓가락); synonyms may name
            # variants (플라스틱 의자 among the chairs), so only the name and a recyclable's
            # middle bind it.
            materials = materials_at_word_starts(spelled[0])
            if item.major == RECYCLABLE and item.middle in MIDDLE_MATERIAL:
                materials.add(MIDDLE_MATERIAL[item.middle])
            yield Document(
                item.major, item.middle, item, (*words, *compact),
                frozenset(heads), frozenset(materials),
            )  # fmt: skip


def _head(word: str) -> str:
    """As `reading.head`: folded, but a one-syllable word keeps its spelling (방 is not 빵)."""
    return word if len(word) < 2 else hangul.fold(word)


def _rule_documents(kb: KnowledgeBase) -> Iterator[Document]:
    """A rule document's category name, display name and targets stand for its category
    ("대형폐기물 신고는?" asks about bulky waste); each refused item ("배출불가") stands for the
    category it must go to instead."""
    for rule in kb.rules.values():
        lines = [rule.middle, rule.display_name, *rule.targets]
        lines += [t for group in rule.subgroups.values() for t in group.targets]
        yield _lines_document(rule.major, rule.middle, lines)
        for refused in rule.not_accepted:
            yield _lines_document(*category_of(refused.instead), [refused.item])


def _lines_document(major: str, middle: str, lines: list[str]) -> Document:
    segments = [words_of(s) for line in lines for s in _LIST.split(line)]
    compact = [hangul.fold("".join(ws)) for ws in segments if len(ws) > 1]
    words = (*(hangul.fold(w) for ws in segments for w in ws), *compact)
    heads = {_head(ws[-1]) for ws in segments if ws} | set(compact)
    material = MIDDLE_MATERIAL.get(middle) if major == RECYCLABLE else None
    materials = frozenset({material} if material else set())
    return Document(major, middle, None, words, frozenset(heads), materials)
