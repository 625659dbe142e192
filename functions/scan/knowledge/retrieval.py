"""Korean retrieval over the knowledge base: from what a user typed to ranked categories.

Shared by the scan offline provider (its vision from the user's note) and chat's `waste_rag`
sub-agent, so it lives with the knowledge and imports neither. How it reads a text (ADR 0016):

1. Words are split on spaces and punctuation; a word not in the knowledge base's vocabulary
   is repaired to the one vocabulary word a letter away in sound-folded jamo (`hangul`):
   "패트병" and "요쿠르트" fold to the known spelling, "스티로품" is one letter off.
2. Names and synonyms are found in the spacing-free text, but a short one (two syllables)
   only as a word of its own: it must start a word (or follow a modifier such as 빈, 다 쓴)
   and end it, a particle aside. So "바지락" does not contain 바지, and 바지를 does.
3. A material named outside the found name, that the item cannot be made of, sinks it:
   "비닐 쇼핑백" is not the paper 종이쇼핑백, "플라스틱 박스" not the cardboard 골판지.
   A name inside a situation phrase ("페트병 라벨 안 뗐어요") yields to one outside it.
4. BM25 (bm25s) over the items' words and syllable pairs and the rule documents ranks the
   rest, and finds the item when no name is in the text ("치킨 먹고 남은 뼈"). A BM25 match
   must name a document's head noun (the last word of a name; compounds end in their head,
   so 박스 names 리빙박스): a shared modifier such as 남은 is not a match.

Build a `Retriever` once per process (`retriever_for` keeps one per knowledge base).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from functions.scan.knowledge import hangul
from functions.scan.knowledge.lexicon import (
    Document,
    Lexicon,
    Phrase,
    bigrams,
    materials_at_word_starts,
    words_of,
)
from functions.scan.knowledge.model import Item, KnowledgeBase, match_key

Via = Literal["phrase", "repaired", "bm25"]
# Loanword spellings one letter is not enough for (folded form → the knowledge base's word).
VARIANTS: dict[str, str] = {
    hangul.fold(w): right
    for right, wrongs in {
        "배터리": ("밧데리", "바테리", "배타리", "빳데리"),
        "비닐": ("비니루", "비니루봉지"),
        "스티로폼": ("스치로폼", "스치로폴"),
        "페트병": ("펫트병", "펫병"),
    }.items()
    for w in wrongs
}


@dataclass(frozen=True)
class Candidate:
    """One answer: the category, the item when one was recognised (None: a rule document's
    category), its BM25 relevance, and the name or synonym found in the text, if any."""

    major: str
    middle: str
    item: Item | None
    score: float
    phrase: str | None
    via: Via


@dataclass(frozen=True)
class Retrieval:
    text: str
    repaired: str  # the text as read, misspellings replaced
    candidates: tuple[Candidate, ...]  # best first
    tags: tuple[str, ...]  # situation tags the text signals (`KnowledgeBase.tags_in_hint`)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class _Text:
    """A query read once: words, the spacing-free text and where each word starts and ends."""

    words: tuple[str, ...]
    repaired: frozenset[int]  # indexes of the words that were misspelled
    compact: str
    folded: str
    starts: tuple[int, ...]

    def word_at(self, position: int) -> int:
        return max(i for i, start in enumerate(self.starts) if start <= position)

    def end_of(self, word: int) -> int:
        return self.starts[word] + len(self.words[word])


@dataclass(frozen=True)
class _Found:
    phrase: Phrase
    start: int
    end: int
    exact: bool
    repaired: bool


class Retriever:
    """Text → ranked candidates and situation tags; see the module docstring."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import bm25s  # noqa: PLC0415 - numpy only in the processes that retrieve

        self._kb = kb
        self._lexicon = Lexicon(kb)
        self._bm25: Any = bm25s.BM25()
        self._bm25.index([d.terms for d in self._lexicon.documents], show_progress=False)
        self._tag_keys = tuple(
            (code, tuple(filter(None, map(match_key, tag.keywords))))
            for code, tag in kb.tags.items()
        )

    def search(self, text: str, limit: int = 5) -> Retrieval:
        read = self._read(text)
        spoken = " ".join(read.words)
        situation = self._situation_spans(read.compact)
        scores = self._scores(read)
        found = self._phrases(read)
        ranked = self._rank(read, found, situation, scores)
        return Retrieval(text, spoken, tuple(ranked[:limit]), self._kb.tags_in_hint(spoken))

    def best(self, text: str) -> Candidate | None:
        return self.search(text, limit=1).best

    # ── reading ──

    def _read(self, text: str) -> _Text:
        words, repaired = [], set()
        for index, word in enumerate(words_of(text)):
            fixed = self._repair(word)
            if fixed != word:
                repaired.add(index)
            words.append(fixed)
        starts, position = [], 0
        for word in words:
            starts.append(position)
            position += len(word)
        compact = "".join(words)
        return _Text(tuple(words), frozenset(repaired), compact, hangul.fold(compact), tuple(starts))

    def _repair(self, word: str) -> str:
        """The word, or its known spelling when it is one letter off a vocabulary word (a
        particle kept: "스티로품이" → "스티로폼이"). Ambiguous repairs are not made."""
        vocabulary = self._lexicon.vocabulary
        splits = _splits(word)
        if len(word) < 2 or any(hangul.fold(stem) in vocabulary for stem, _ in splits):
            return word
        for stem, ending in splits:
            folded = hangul.fold(stem)
            if folded in VARIANTS:
                return VARIANTS[folded] + ending
            near = self._lexicon.near(folded)
            if len(near) == 1:
                return self._lexicon.spelling[near.pop()] + ending
        return word

    # ── matching ──

    def _situation_spans(self, compact: str) -> list[tuple[int, int]]:
        """Where the situation phrases are ("라벨 안 뗐"): names inside them are not the item."""
        return [
            span for _, keys in self._tag_keys for key in keys for span in _occurrences(compact, key)
        ]

    def _phrases(self, read: _Text) -> dict[str, _Found]:
        """The best place each item is named, by its longest name or synonym found."""
        best: dict[str, _Found] = {}
        for phrase in self._lexicon.phrases:
            for start, end in _occurrences(read.folded, phrase.folded):
                if not self._bounded(read, phrase, start, end):
                    continue
                words = {read.word_at(p) for p in range(start, end)}
                exact = read.compact[start:end] == phrase.exact
                found = _Found(phrase, start, end, exact, bool(words & read.repaired))
                held = best.get(phrase.item.name)
                if held is None or _strength(found) > _strength(held):
                    best[phrase.item.name] = found
        return best

    def _bounded(self, read: _Text, phrase: Phrase, start: int, end: int) -> bool:
        """A short name must be a word of the text, not a piece of one (바지 in 바지락)."""
        if phrase.length >= 3:
            return True
        first, last = read.word_at(start), read.word_at(end - 1)
        before = read.compact[read.starts[first] : start]
        after = read.compact[end : read.end_of(last)]
        vocabulary = self._lexicon.vocabulary
        starts_ok = not before or hangul.fold(before) in vocabulary or hangul.has_adnominal_end(before)
        ends_ok = not after or after in hangul.ENDINGS or hangul.fold(after) in vocabulary
        return starts_ok and ends_ok

    def _scores(self, read: _Text) -> list[float]:
        terms = [t for w in read.words for s, _ in _splits(w) for t in _query_terms(s)]
        known = [t for t in dict.fromkeys(terms) if t in self._bm25.vocab_dict]
        if not known:
            return [0.0] * len(self._lexicon.documents)
        return [float(x) for x in self._bm25.get_scores(known)]

    # ── ranking ──

    def _rank(
        self,
        read: _Text,
        found: dict[str, _Found],
        situation: Sequence[tuple[int, int]],
        scores: Sequence[float],
    ) -> list[Candidate]:
        documents = self._lexicon.documents
        score_of = {d.item.name: s for d, s in zip(documents, scores, strict=True) if d.item}
        materials = _materials(read, situation)
        named, sunk = [], []
        for hit in found.values():
            outside = {kind for s, e, kind in materials if not (hit.start <= s and e <= hit.end)}
            item = hit.phrase.item
            buried = any(_inside_situation(hit, span) for span in situation)
            key = (buried, *_strength(hit, negate=True), hit.phrase.order)
            clash = _clash(self._lexicon.materials.get(item.name, frozenset()), outside)
            (sunk if clash else named).append((key, _candidate(hit, item, score_of[item.name])))
        heads = {s for w in read.words for s, _ in _splits(w)}
        everywhere = {kind for _, _, kind in materials}
        ranked = [c for _, c in sorted(named, key=lambda pair: pair[0])]
        ranked += _by_relevance(documents, scores, heads, everywhere, set(found))
        ranked += [c for _, c in sorted(sunk, key=lambda pair: pair[0])]
        return ranked


def _candidate(hit: _Found, item: Item, score: float) -> Candidate:
    via: Via = "repaired" if hit.repaired else "phrase"
    return Candidate(item.major, item.middle, item, score, hit.phrase.exact, via)


def _by_relevance(
    documents: Sequence[Document],
    scores: Sequence[float],
    heads: set[str],
    materials: set[str],
    named: set[str],
) -> list[Candidate]:
    """BM25's candidates that name a head noun of their document, not named already."""
    folded_heads = {hangul.fold(h) for h in heads}
    picked = []
    for document, score in zip(documents, scores, strict=True):
        if score <= 0 or (document.item and document.item.name in named):
            continue
        if not _names_head(document, folded_heads) or _clash(document.materials, materials):
            continue
        picked.append((-score, document.item is None, document))
    picked.sort(key=lambda entry: entry[:2])
    return [
        Candidate(d.major, d.middle, d.item, -neg, None, "bm25") for neg, _, d in picked
    ]


def _names_head(document: Document, words: set[str]) -> bool:
    for head in document.heads:
        for word in words:
            if head == word or (len(word) >= 2 and len(head) >= 2 and (head.endswith(word) or word.endswith(head))):
                return True
    return False


def _strength(hit: _Found, *, negate: bool = False) -> tuple[int, int, int]:
    """Longer names first, then exact spellings, then names not repaired."""
    values = (hit.phrase.length, int(hit.exact), int(not hit.repaired))
    return (-values[0], -values[1], -values[2]) if negate else values


def _inside_situation(hit: _Found, span: tuple[int, int]) -> bool:
    """The name overlaps a situation phrase that is not itself inside the name."""
    start, end = span
    overlaps = start < hit.end and hit.start < end
    return overlaps and not (hit.start <= start and end <= hit.end)


def _materials(read: _Text, situation: Sequence[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Materials named at the start of a word, outside situation phrases ("비닐 라벨")."""
    found = []
    for index, start in enumerate(read.starts):
        word = hangul.fold(read.words[index])
        for kind in materials_at_word_starts([word]):
            if not any(s <= start < e for s, e in situation):
                found.append((start, start + len(word), kind))
    return found


def _clash(made_of: frozenset[str], named: set[str]) -> bool:
    return bool(made_of and named and not made_of & named)


def _occurrences(haystack: str, needle: str) -> list[tuple[int, int]]:
    spans, at = [], haystack.find(needle)
    while needle and at >= 0:
        spans.append((at, at + len(needle)))
        at = haystack.find(needle, at + 1)
    return spans


def _splits(word: str) -> list[tuple[str, str]]:
    """The word, then each way to read it as a stem (a syllable or more) and an ending."""
    pairs = [(word, "")]
    for cut in range(1, min(len(word), 5)):
        stem, ending = word[:-cut], word[-cut:]
        if ending in hangul.ENDINGS:
            pairs.append((stem, ending))
    return pairs


def _query_terms(word: str) -> list[str]:
    folded = hangul.fold(word)
    return [folded, *bigrams(folded)]


_CACHE: weakref.WeakKeyDictionary[KnowledgeBase, Retriever] = weakref.WeakKeyDictionary()


def retriever_for(kb: KnowledgeBase) -> Retriever:
    """The retriever of this knowledge base, built on first use and kept as long as the
    knowledge base lives (one per process in practice)."""
    retriever = _CACHE.get(kb)
    if retriever is None:
        retriever = _CACHE[kb] = Retriever(kb)
    return retriever
