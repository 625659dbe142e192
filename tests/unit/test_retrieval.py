"""The Korean retriever (`knowledge.retrieval`): misspellings, spacing and particles
tolerated, no false hits from short names or ruled-out materials, and a clear result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from functions.scan.knowledge import hangul
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import Item, KnowledgeBase
from functions.scan.knowledge.retrieval import Retriever, retriever_for
from functions.scan.knowledge.taxonomy import RECYCLABLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return retriever_for(load_knowledge())


def _best(retriever: Retriever, text: str) -> tuple[str | None, str | None]:
    best = retriever.best(text)
    if best is None:
        return None, None
    return best.middle, best.item.name if best.item else None


@pytest.mark.parametrize(
    ("text", "middle", "not_item"),
    [
        ("바지락 껍데기", "일반종량제폐기물", "헌옷"),  # 바지 is not inside 바지락
        ("비닐 쇼핑백", "비닐류", "종이쇼핑백"),  # the paper bag cannot be 비닐
        ("플라스틱 박스", "플라스틱류", "골판지류"),  # nor the cardboard box 플라스틱
    ],
)
def test_the_false_hits_of_the_substring_lookup_are_gone(
    retriever: Retriever, text: str, middle: str, not_item: str
) -> None:
    found, item = _best(retriever, text)
    assert found == middle and item != not_item


@pytest.mark.parametrize(
    ("text", "middle", "repaired"),
    [
        ("패트병 버리는 법", "무색페트병", "패트병 버리는 법"),  # sound-alike: no repair needed
        ("밧데리 어디에 버려요", "전지", "배터리 어디에 버려요"),
        ("요쿠르트병", "플라스틱류", "요쿠르트병"),
        ("스티로품 박스", "발포합성수지", "스티로폼 박스"),  # one letter off
        ("우유깍", "종이팩", "우유갑"),  # a letter off two words of the same item
    ],
)
def test_common_misspellings_are_read(
    retriever: Retriever, text: str, middle: str, repaired: str
) -> None:
    found = retriever.search(text)
    assert found.best is not None and found.best.middle == middle
    assert found.repaired == repaired


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("우 유 팩", "우유팩"),
        ("다쓴건전지", "알칼리망간전지"),  # a modifier glued to the noun
        ("페트병이랑 캔", "음료PET병"),  # a particle glued to it
        ("바지를 버려요", "헌옷"),
        ("택배박스테이프붙은거", "골판지류"),  # the tape is the situation, not the item
        ("닭뼈는 음식물 쓰레기인가요?", "동물뼈"),  # the topic, not the guess
        ("비닐 우산", "우산"),  # the head noun comes last
        ("세탁소에서 받아 온 옷걸이", "철사옷걸이"),  # a more specific item
    ],
)
def test_spacing_particles_and_word_order(retriever: Retriever, text: str, item: str) -> None:
    assert _best(retriever, text)[1] == item


def test_bm25_finds_the_item_when_no_name_is_in_the_text(retriever: Retriever) -> None:
    found = retriever.search("치킨 먹고 남은 뼈")
    assert found.best is not None and found.best.via == "bm25"
    assert found.best.item is not None and found.best.item.name == "동물뼈"


@pytest.mark.parametrize(
    "text", ["", "이거 뭐예요?", "남은 거 어떻게 해요", "asdf", "사진 찍었어요"]
)
def test_no_item_in_the_text_is_no_candidate(retriever: Retriever, text: str) -> None:
    assert retriever.search(text).candidates == ()


_EVERYDAY = """
어떻게 버려요 버리는 되나요 있어요 없어요 했어요 주세요 알려줘 궁금해요 이거 저거 거기 어디에
언제 그런데 오늘 내일 우리집 아파트 동네 주민센터 구청 수거함 분리배출 방법 처리 정리 청소 선물
가게 마트 편의점 회사 학교 엄마 친구 고양이 강아지 고마워요 괜찮아요 사용한 깨끗한 더러운
오래된 버렸어요 모았어요 씻었어요 봉투에 상자에 베란다 화장실 부엌 방에서 일주일 토요일 요일이
시간 많이 조금 전부 반쯤 가득
"""
EVERYDAY = _EVERYDAY.split()


def test_everyday_words_are_neither_repaired_nor_taken_for_items(retriever: Retriever) -> None:
    """Spelling repair and compound heads stay within the vocabulary: 있어요 is not
    드라이어, 거기 is not 찌꺼기, 방 is not 빵, 상자에 (a place) is not a box."""
    assert [w for w in EVERYDAY if retriever.search(w).repaired != w] == []
    assert [w for w in EVERYDAY if retriever.search(w).candidates] == []


@pytest.mark.parametrize("word", ["생수병", "택배 상자", "참치캔"])
def test_situation_phrases_around_an_item_leave_it_the_item(
    retriever: Retriever, word: str
) -> None:
    """Every tag's first keywords and fixes, before and after the item: the item stays
    (words such as 라벨, 비닐, 철심 inside them name parts, not the thing)."""
    kb = load_knowledge()
    want = kb.resolve(word)
    phrases = [p for t in kb.tags.values() for p in (*t.keywords[:3], *t.cleared_by[:3])]
    wrong = []
    for phrase in phrases:
        if retriever.best(phrase) is not None:
            continue  # the phrase names an item of its own (냉장고, 소주병)
        for text in (f"{phrase} {word}", f"{word} {phrase}"):
            best = retriever.best(text)
            if best is None or best.item != want:
                wrong.append(text)
    assert want is not None and wrong == []


def test_a_category_name_finds_its_rule_document(retriever: Retriever) -> None:
    best = retriever.best("대형폐기물 신고 어떻게 해?")
    assert best is not None and best.item is None and best.middle == "대형폐기물"


def test_a_result_is_ranked_limited_and_carries_the_tags(retriever: Retriever) -> None:
    found = retriever.search("라벨 안 뗀 패트병", limit=3)
    assert 1 <= len(found.candidates) <= 3
    best = found.best
    assert best is not None and best.item is not None and best.phrase == "페트병"
    assert (best.major, best.middle, best.via) == (RECYCLABLE, "무색페트병", "phrase")
    assert found.tags == ("라벨_부착",)
    assert retriever.search("밧데리 든 장난감").tags == ("배터리_포함",)  # read once repaired


def test_a_rule_document_can_answer_without_an_item(retriever: Retriever) -> None:
    found = retriever.search("플라스틱 박스")
    assert any(c.item is None and c.middle == "플라스틱류" for c in found.candidates)


def test_one_retriever_per_knowledge_base() -> None:
    kb = KnowledgeBase([Item(name="우유팩", major=RECYCLABLE, middle="종이팩")], [], [])
    assert retriever_for(kb) is retriever_for(kb)
    assert retriever_for(kb) is not retriever_for(load_knowledge())


def test_importing_the_retriever_loads_no_index_library() -> None:
    """numpy and bm25s are paid for when a retriever is built, not by every scan process."""
    code = (
        "import sys, functions.scan.offline, functions.scan.knowledge.retrieval; "
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('numpy', 'bm25s')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_hangul_folding() -> None:
    assert hangul.fold("패트병") == hangul.fold("페트병")
    assert hangul.fold("요쿠르트") == hangul.fold("요구르트")
    assert len(hangul.fold("밧데리 PET")) == len("밧데리 PET")  # positions stay valid
    assert hangul.jamo(hangul.fold("뽁뽀기")) == hangul.jamo(hangul.fold("뽁뽁이"))
    assert hangul.within_one_edit("abc", "abd") and hangul.within_one_edit("abc", "abxc")
    assert not hangul.within_one_edit("abc", "bca")
    assert hangul.modifies("다쓴") and hangul.modifies("빈") and not hangul.modifies("칼")
