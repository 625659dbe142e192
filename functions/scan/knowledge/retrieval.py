"""Korean retrieval over the knowledge base: from what a user typed to ranked categories.

Shared by the scan offline provider (its vision from the user's note) and chat's `waste_rag`
sub-agent, so it lives with the knowledge and imports neither. How it reads a text (ADR 0016):

1. Words are split on spaces and punctuation; a word not in the knowledge base's vocabulary
   is repaired to the vocabulary word a letter away in sound-folded jamo (`hangul`): "패트병"
   and "요쿠르트" fold to the known spelling, "스티로품" is one letter off.
2. Names and synonyms are found in the spacing-free text, but a short one (two syllables)
   only as a word of its own: it must start a word (or follow a modifier such as 빈, 다쓴)
   and end it, a particle aside. So "바지락" does not contain 바지, and 바지를 does.
3. Longer names win, and of two as long the later one (Korean puts the head last: "비닐
   우산" is an umbrella). A name inside a situation phrase ("페트병 라벨 안 뗐어요") yields
   to one outside it, and so does a name asked about as a guess ("…음식물 쓰레기인가요?")
   or named as a place ("쓰레기통에"). A name whose item cannot be made of a material the
   text names sinks to the end: "비닐 쇼핑백" is not the paper 종이쇼핑백, "플라스틱 박스"
   not the cardboard 골판지.
4. BM25 (bm25s) over the items' words and syllable pairs and the rule documents ranks the
   rest, and finds the item when no name is in the text ("치킨 먹고 남은 뼈"). A BM25 match
   must name a head noun of its document (the last word of a name; compounds end in their
   head, so 박스 names 리빙박스): a shared modifier such as 남은 is not a match. An item that
   contains the name found and more of the text's words refines it ("세탁소에서 받은
   옷걸이" is the wire 철사옷걸이, not any 옷걸이).

Build a `Retriever` once per process (`retriever_for` keeps one per knowledge base).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from functions.scan.knowledge import hangul, reading
from functions.scan.knowledge.lexicon import META, VARIANTS, Document, Lexicon, Phrase, bigrams
from functions.scan.knowledge.model import Item, KnowledgeBase, match_key

Via = Literal["phrase", "repaired", "bm25"]
_ASIDE = hangul.PREDICATE_ENDINGS | hangul.LOCATIVE_ENDINGS


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
    repaired: str  # the text as read: case folded, misspellings replaced
    candidates: tuple[Candidate, ...]  # best first
    tags: tuple[str, ...]  # situation tags the text signals (`KnowledgeBase.tags_in_hint`)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class _Found:
    phrase: Phrase
    start: int
    end: int
    exact: bool
    repaired: bool
    aside: bool  # asked about as a guess, or named as a place: "…쓰레기인가요?", "…통에"

    def strength(self) -> tuple[int, int, int]:
        """Longer names first, then exact spellings, then names not repaired."""
        return (self.phrase.length, int(self.exact), int(not self.repaired))


class Retriever:
    """Text → ranked candidates and situation tags; see the module docstring."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import bm25s  # noqa: PLC0415 - numpy is loaded only by the processes that retrieve

        self._kb = kb
        self._lexicon = Lexicon(kb)
        self._bm25: Any = bm25s.BM25()
        self._bm25.index([d.terms for d in self._lexicon.documents], show_progress=False)
        self._keywords = tuple(
            key for tag in kb.tags.values() for key in map(match_key, tag.keywords) if key
        )
        self._cleared = tuple(
            key for tag in kb.tags.values() for key in map(match_key, tag.cleared_by) if key
        )

    def search(self, text: str, limit: int = 5) -> Retrieval:
        read = reading.read(text, self._repair)
        situation = reading.situation_spans(read, self._keywords)
        fixed = reading.situation_spans(read, self._cleared)
        ranked = self._rank(read, situation, fixed, self._scores(read))
        return Retrieval(
            text, read.spoken, tuple(ranked[:limit]), self._kb.tags_in_hint(read.spoken)
        )

    def best(self, text: str) -> Candidate | None:
        return self.search(text, limit=1).best

    def _repair(self, word: str) -> str:
        """The word, or its known spelling when it is a letter off vocabulary words of one item
        (a particle kept: "스티로품이" → "스티로폼이"). Ambiguous repairs are not made."""
        lexicon = self._lexicon
        splits = hangul.splits(word)
        if len(word) < 2 or any(hangul.fold(stem) in lexicon.vocabulary for stem, _ in splits):
            return word
        for stem, ending in splits:
            folded = hangul.fold(stem)
            if folded in VARIANTS:
                return VARIANTS[folded] + ending
            near = sorted(lexicon.near(folded))
            owners = {name for w in near for name in lexicon.items_of.get(w, ())}
            if near and (len(near) == 1 or len(owners) == 1):
                return lexicon.spelling[near[0]] + ending
        return word

    def _phrases(self, read: reading.Text) -> dict[str, _Found]:
        """The best place each item is named, by its longest name or synonym found."""
        best: dict[str, _Found] = {}
        for phrase in self._lexicon.phrases:
            for start, end in reading.occurrences(read.folded, phrase.folded):
                before, after = read.around(start, end)
                if phrase.length < 3 and not self._bounded(before, after):
                    continue
                words = {read.word_at(p) for p in range(start, end)}
                found = _Found(
                    phrase, start, end, read.compact[start:end] == phrase.exact,
                    bool(words & read.repaired), after in _ASIDE,
                )  # fmt: skip
                held = best.get(phrase.item.name)
                if held is None or found.strength() > held.strength():
                    best[phrase.item.name] = found
        return best

    def _bounded(self, before: str, after: str) -> bool:
        """A short name must be a word of the text, not a piece of one (바지 in 바지락)."""
        vocabulary = self._lexicon.vocabulary
        starts = not before or hangul.fold(before) in vocabulary or hangul.modifies(before)
        ends = not after or after in hangul.ENDINGS or hangul.fold(after) in vocabulary
        return starts and ends

    def _scores(self, read: reading.Text) -> list[float]:
        folded = (hangul.fold(stem) for stem in read.stems())
        terms = [t for word in folded for t in (word, *bigrams(word))]
        known = [t for t in dict.fromkeys(terms) if t in self._bm25.vocab_dict]
        if not known:
            return [0.0] * len(self._lexicon.documents)
        return [float(x) for x in self._bm25.get_scores(known)]

    def _names_head(self, document: Document, words: set[str], known: set[str]) -> bool:
        """A word of the text is a head of the document, or a known word that ends one
        (박스 → 리빙박스; 이어, from 있어요, is not known and does not end 드라이어)."""
        if not words.isdisjoint(document.heads):
            return True
        long_heads = [h for h in document.heads if len(h) >= 2]
        return any(h.endswith(w) or w.endswith(h) for w in known for h in long_heads)

    def _last_head(self, read: reading.Text) -> str | None:
        """The text's last word that is some document's head noun: Korean ends a noun phrase
        in its head, so this is what the text is about."""
        for word in reversed(read.words):
            for stem, _ in hangul.splits(word):
                if reading.head(stem) in self._lexicon.heads:
                    return reading.head(stem)
        return None

    def _named(
        self,
        read: reading.Text,
        situation: Sequence[reading.Span],
        materials: Sequence[tuple[int, int, str]],
    ) -> tuple[list[_Found], list[_Found]]:
        """The items named in the text, best first, split into those no material rules out
        and those one does."""
        keyed: list[tuple[tuple[int, ...], bool, _Found]] = []
        for hit in self._phrases(read).values():
            outside = {kind for s, e, kind in materials if not (hit.start <= s and e <= hit.end)}
            buried = any(_inside_situation(hit, span) for span in situation)
            # Korean noun phrases end in their head: of two names as long, the later one
            # ("비닐 우산" is an umbrella), then the earlier item.
            strength = (-x for x in hit.strength())
            order = (int(buried), int(hit.aside), *strength, -hit.start, hit.phrase.order)
            made_of = self._lexicon.materials.get(hit.phrase.item.name, frozenset())
            keyed.append((order, _clash(made_of, outside), hit))
        keyed.sort(key=lambda entry: entry[0])
        return [h for _, c, h in keyed if not c], [h for _, c, h in keyed if c]

    def _rank(
        self,
        read: reading.Text,
        situation: Sequence[reading.Span],
        fixed: Sequence[reading.Span],
        scores: Sequence[float],
    ) -> list[Candidate]:
        """Named items (refined first), then BM25's, then the named ones a material rules out."""
        documents = self._lexicon.documents
        materials = reading.materials(read, (*situation, *fixed))
        named, sunk = self._named(read, situation, materials)
        heads = read.nouns() - META
        known = {w for w in heads if len(w) >= 2 and w in self._lexicon.vocabulary}
        everywhere = {kind for _, _, kind in materials}
        relevant = [
            (s, d) for d, s in zip(documents, scores, strict=True)
            if s > 0 and self._names_head(d, heads, known) and not _clash(d.materials, everywhere)
        ]  # fmt: skip
        relevant.sort(key=lambda pair: (-pair[0], pair[1].item is None))
        score_of = {d.item.name: s for d, s in zip(documents, scores, strict=True) if d.item}
        ranked = [_candidate(hit, score_of) for hit in named]
        if named:
            # Words of situation phrases, said or fixed ("물로 헹궜어요"), describe no item.
            plain = {hangul.fold(s) for s in read.stems(outside=(*situation, *fixed))}
            last = self._last_head(read)
            ranked[:0] = _refinements(named[0], relevant, plain, documents, last)
        ranked += [_relevant(d, s) for s, d in relevant]
        ranked += [_candidate(hit, score_of) for hit in sunk]
        return _unique(ranked)


def _candidate(hit: _Found, score_of: dict[str, float]) -> Candidate:
    item = hit.phrase.item
    via: Via = "repaired" if hit.repaired else "phrase"
    return Candidate(item.major, item.middle, item, score_of[item.name], hit.phrase.exact, via)


def _relevant(document: Document, score: float) -> Candidate:
    return Candidate(document.major, document.middle, document.item, score, None, "bm25")


def _refinements(
    hit: _Found,
    relevant: Sequence[tuple[float, Document]],
    stems: set[str],
    documents: Sequence[Document],
    last: str | None,
) -> list[Candidate]:
    """Another item that has the found name among its words, has the text's last noun as a
    head, and shares more words with the text than the found item: the text describes that
    one ("세탁소에서 받아 온 옷걸이"; not "라벨 뗀 페트병", whose noun is 페트병, not 라벨)."""
    mine = next(d for d in documents if d.item is hit.phrase.item)
    shared = len(stems & set(mine.words))
    for score, document in relevant:
        if not document.item or last not in document.heads:
            continue
        if hit.phrase.folded in document.words and len(stems & set(document.words)) > shared:
            return [_relevant(document, score)]
    return []


def _inside_situation(hit: _Found, span: reading.Span) -> bool:
    """The name overlaps a situation phrase that is not itself inside the name."""
    start, end = span
    overlaps = start < hit.end and hit.start < end
    return overlaps and not (hit.start <= start and end <= hit.end)


def _clash(made_of: frozenset[str], named: set[str]) -> bool:
    """The item is made of known materials and none of the ones the text names."""
    return bool(made_of and named and not made_of & named)


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[tuple[str, str, str | None]] = set()
    kept = []
    for candidate in candidates:
        key = (candidate.major, candidate.middle, candidate.item.name if candidate.item else None)
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


_CACHE: weakref.WeakKeyDictionary[KnowledgeBase, Retriever] = weakref.WeakKeyDictionary()


def retriever_for(kb: KnowledgeBase) -> Retriever:
    """The retriever of this knowledge base, built on first use and kept as long as the
    knowledge base lives (one per process in practice)."""
    retriever = _CACHE.get(kb)
    if retriever is None:
        retriever = _CACHE[kb] = Retriever(kb)
    return retriever
