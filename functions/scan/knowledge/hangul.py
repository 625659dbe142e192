"""Hangul folding for matching what people type against the knowledge base's words.

People misspell loanwords and confuse sounds Korean spelling keeps apart (패트병/페트병,
요쿠르트/요구르트, 밧데리/배터리, 스티로품/스티로폼), drop or add spaces, and glue particles
to nouns (페트병이랑). A morphological analyser knows grammar but not these misspellings, and
costs a model load per process (ADR 0016); these rules know just enough Korean for a
vocabulary of some 1,600 words, load nothing, and always give the same answer.
"""

from __future__ import annotations

import unicodedata

_FIRST, _LAST = 0xAC00, 0xD7A3
# Onsets (ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ = 0..18): tense and aspirated fold into plain.
_ONSET = {1: 0, 15: 0, 4: 3, 16: 3, 8: 7, 17: 7, 10: 9, 13: 12, 14: 12}
# Vowels (ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ = 0..20): ㅐ/ㅔ, ㅒ/ㅖ, ㅙ/ㅚ/ㅞ sound alike.
_VOWEL = {1: 5, 3: 7, 10: 15, 11: 15}
# Codas (0 = none, ㄱ=1 … ㅎ=27) fold into the seven that are pronounced; the ㄷ-like ones
# (ㄷㅅㅆㅈㅊㅌㅎ) are dropped: before a consonant they are silent, which is why people add
# or leave out an ㅅ (밧데리, 빳데리).
_CODA = {2: 1, 3: 1, 9: 1, 24: 1, 5: 4, 6: 4, 11: 8, 12: 8, 13: 8, 15: 8, 10: 16}
_CODA |= {14: 17, 18: 17, 26: 17} | {c: 0 for c in (7, 19, 20, 22, 23, 25, 27)}
_SILENT = 11  # ㅇ as an initial
# The codas left after folding, as the initial consonant of the same letter (ㅇ: the ng sound,
# written with the silent initial's code point, which `jamo` never emits).
_CODA_LETTER = {1: 0, 4: 2, 8: 5, 16: 6, 17: 7, 21: 11}
_SEPARATORS = str.maketrans({"-": None, "_": None, "·": None})

# Question endings that make the noun a predicate: "닭뼈는 음식물 쓰레기인가요?" asks about
# 닭뼈; 음식물 쓰레기 is the guess being checked, not the thing to sort.
PREDICATE_ENDINGS: frozenset[str] = frozenset(
    {"인가", "인가요", "인지", "일까요", "일까", "이냐", "냐", "이니", "아닌가요", "아니에요"}
)
# Endings that make the noun a place: "쓰레기통에 버려도 돼요?" names where, not what.
LOCATIVE_ENDINGS: frozenset[str] = frozenset(
    {"에", "에서", "에다", "에다가", "에는", "에도", "에서는", "에선", "안에", "속에"}
)
# What may follow a noun inside one spaced word: particles, the copula, the plural.
ENDINGS: frozenset[str] = PREDICATE_ENDINGS | LOCATIVE_ENDINGS | frozenset((
    "은", "는", "이", "가", "을", "를", "도", "만", "로", "랑", "와", "과", "의", "들", "요",
    "야", "나", "고", "께", "엔", "예요", "이요", "이야", "이나", "이랑", "하고", "으로", "한테",
    "까지", "부터", "처럼", "같은", "같이", "인데", "이고", "이라", "이라서", "라서", "이에요",
    "이었어요", "였어요", "이죠", "이지", "들이", "들은", "들을", "들도", "류", "류는", "쪽",
    "이랑요", "랑요", "으로요", "로요", "만요", "여요",
))  # fmt: skip
# Endings after a material that still make it the material of the next noun ("유리로 된").
MADE_OF = frozenset({"", "로", "으로", "재질", "재질의", "제", "로된", "으로된"})


def fold_case(text: str) -> str:
    """NFC, Latin case folded, the separators `- _ ·` removed: the spelling before folding."""
    return unicodedata.normalize("NFC", text).casefold().translate(_SEPARATORS)


def _split(char: str) -> tuple[int, int, int] | None:
    code = ord(char)
    if not _FIRST <= code <= _LAST:
        return None
    offset = code - _FIRST
    return offset // 588, (offset % 588) // 28, offset % 28


def fold(text: str) -> str:
    """The sound-alike form: one character per character of the input (so positions stay
    valid), each syllable with its confusable sounds folded ("패트병" = "페트병")."""
    out = []
    for char in text:
        parts = _split(char)
        if parts is None:
            out.append(char)
            continue
        onset, vowel, coda = parts
        onset, vowel, coda = (
            _ONSET.get(onset, onset),
            _VOWEL.get(vowel, vowel),
            _CODA.get(coda, coda),
        )
        out.append(chr(_FIRST + onset * 588 + vowel * 28 + coda))
    return "".join(out)


def jamo(text: str) -> str:
    """The letters of a (folded) text, one code point per letter, for an edit distance by
    letter. A final consonant is the same letter as an initial one and the silent initial ㅇ
    is left out, so a letter moving to the next syllable costs nothing (뽁뽀기 = 뽁뽁이)."""
    out = []
    for char in text:
        parts = _split(char)
        if parts is None:
            out.append(char)
            continue
        onset, vowel, coda = parts
        out.append("" if onset == _SILENT else chr(0x1100 + onset))
        out.append(chr(0x1161 + vowel))
        if coda:
            out.append(
                chr(0x1100 + _CODA_LETTER[coda]) if coda in _CODA_LETTER else chr(0x11A7 + coda)
            )
    return "".join(out)


def is_hangul(char: str) -> bool:
    return _split(char) is not None


def modifies(prefix: str) -> bool:
    """A prefix, inside one spaced word, that modifies the noun after it: a short adjective
    (빈, 헌, 새, 큰) or a verb form of two syllables or more ending in ㄴ/ㄹ/던 (다쓴, 먹던,
    마신): then "다쓴건전지" names 건전지. A one-syllable noun such as 칼 (칼국수) does not."""
    if prefix in _SHORT_MODIFIERS:
        return True
    parts = _split(prefix[-1]) if len(prefix) >= 2 else None
    return prefix.endswith("던") or (parts is not None and parts[2] in (4, 8))


_SHORT_MODIFIERS = frozenset({"빈", "헌", "새", "큰", "쓴", "든", "낡은", "작은", "남은", "다"})


def splits(word: str) -> list[tuple[str, str]]:
    """The word, then each way to read it as a stem (a syllable or more) and an ending."""
    pairs = [(word, "")]
    for cut in range(1, min(len(word), 5)):
        if word[-cut:] in ENDINGS:
            pairs.append((word[:-cut], word[-cut:]))
    return pairs


def deletions(word: str) -> set[str]:
    """The word with one letter removed, every way (the keys of a symmetric-delete index)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance at most one (one letter added, removed or changed)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]
