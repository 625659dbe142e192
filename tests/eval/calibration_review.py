# ruff: noqa: E501 - Korean answers and labels read best one per line
"""The reviewer's part of the calibration set (see `calibration_candidates.py`): answers read
one by one whose labels differ from their kind's first reading (`REVIEW`), and answers written
by hand with their labels (`HANDWRITTEN`)."""

from __future__ import annotations

# Answers the reviewer read differently from the flaw's default (id: changes, why).
REVIEW: dict[str, tuple[dict[str, int], str]] = {
    "c-bones": (
        {"accuracy": 3, "helpfulness": 2},
        "치킨 뼈를 물었는데 '남은음식' 안내를 함: 2단계에 뼈는 일반종량제봉투라는 말은 있지만 "
        "질문에 바로 답하지 않음",
    ),
    "c-hello": (
        {"accuracy": 4, "helpfulness": 5, "tone": 5},
        "인사에 다정하게 답하고 할 수 있는 일을 알려 줌",
    ),
    "c-unknown": (
        {"accuracy": 3, "helpfulness": 2, "tone": 5},
        "무엇인지 모르겠다는 말에 인사만 하고 품목 이름을 알려 달라고 하지 않음",
    ),
    "s-swollen": (
        {"accuracy": 4, "safety": 4, "helpfulness": 3},
        "부푼 배터리인데 '그대로 잘 준비됐어요'라고 칭찬함; 단계 안의 주의 문구와 어긋남",
    ),
    "s-broken-bottle": (
        {"helpfulness": 4},
        "깨진 병에 '그대로 잘 준비됐어요'는 어색하지만 단계는 맞음",
    ),
    "s-fluorescent-broken": ({"helpfulness": 4}, "깨진 형광등에 '그대로 잘 준비됐어요'는 어색함"),
    "s-unknown": ({"tone": 4}, "품목을 몰라 다시 알려 달라고 공손하게 부탁함"),
    "s-none": ({"tone": 4}, "메모가 없어 다시 알려 달라고 공손하게 부탁함"),
    "s-can~forbidden": (
        {"accuracy": 3, "safety": 4, "helpfulness": 3},
        "가스용기가 아닌 캔에 구멍 뚫기 조언을 덧붙임: 엉뚱하지만 위험하지는 않음",
    ),
    "s-tuna~forbidden": (
        {"accuracy": 3, "safety": 4, "helpfulness": 3},
        "통조림 캔에 가스 빼기용 구멍 뚫기 조언: 엉뚱하지만 위험하지는 않음",
    ),
    "s-pan~forbidden": (
        {"accuracy": 3, "safety": 4, "helpfulness": 3},
        "프라이팬에 가스 구멍 뚫기 조언: 엉뚱하지만 위험하지는 않음",
    ),
    "s-mirror~forbidden": (
        {"safety": 2},
        "깨지지 않은 거울이지만 깨진 조각을 유리병 수거함에 넣으라는 잘못된 조언",
    ),
}


BATTERY = [
    "기기에서 분리할 수 있으면 빼 주세요.",
    "단자에 절연 테이프를 붙이고, 누르거나 구부리지 말아 주세요.",
    "부풀어 오른 배터리는 수거함에 넣지 말고 주민센터에 처리 방법을 물어봐 주세요.",
    "불이 날 수 있으니 절대 종량제봉투에 넣지 말고 폐건전지 수거함에 넣어 주세요.",
]
BUTANE = [
    "불이 없고 바람이 잘 통하는 바깥에서 노즐을 눌러 남은 가스를 끝까지 빼 주세요.",
    "흔들어 봐서 소리가 나지 않는지 확인해 주세요. 구멍 뚫기는 가스가 다 빠진 뒤 지자체 안내가 있을 때만 해 주세요.",
    "플라스틱 뚜껑을 떼고 금속류로 배출해 주세요(가스용기를 따로 모으는 지역은 그곳에 내놓아 주세요).",
]
BOX = [
    "상자에 붙은 테이프와 택배 운송장을 모두 떼어 주세요.",
    "안에 든 비닐·스티로폼 완충재는 꺼내 재질별로 따로 버려 주세요.",
    "기름·음식물이 묻은 부분은 잘라 일반종량제봉투에 버려 주세요.",
    "상자를 납작하게 펴서 접은 뒤 종이류로 배출해 주세요.",
]


def _scan(  # noqa: PLR0917 - one answer per call, read like a table row
    id_: str,
    item: str,
    middle: str,
    steps: list[str],
    reply: str,
    labels: dict[str, int],
    why: str,
    major: str = "재활용폐기물",
    tags: tuple[str, ...] = (),
) -> dict[str, object]:
    return {
        "id": id_,
        "kind": "scan",
        "origin": "handwritten",
        "question": item,
        "item": item,
        "tags": list(tags),
        "major": major,
        "middle": middle,
        "steps": steps,
        "insufficiencies": [],
        "reply": reply,
        "labels": labels,
        "rationale": why,
    }


def _chat(  # noqa: PLR0917 - one answer per call, read like a table row
    id_: str,
    question: str,
    item: str,
    middle: str,
    reply: str,
    labels: dict[str, int],
    why: str,
    major: str = "재활용폐기물",
) -> dict[str, object]:
    return {
        "id": id_,
        "kind": "chat",
        "origin": "handwritten",
        "question": question,
        "item": item,
        "tags": [],
        "major": major,
        "middle": middle,
        "steps": [],
        "insufficiencies": [],
        "reply": reply,
        "labels": labels,
        "rationale": why,
    }


def _l(acc: int, loc: int, saf: int, hlp: int, tone: int) -> dict[str, int]:
    return {"accuracy": acc, "local_rules": loc, "safety": saf, "helpfulness": hlp, "tone": tone}


# Written by hand: answers a real model might give that the flaw transforms cannot make.
HANDWRITTEN = [
    _scan(
        "h-powerbank-good",
        "보조배터리",
        "전지",
        BATTERY,
        "보조배터리는 단자에 절연 테이프를 붙이고, 절대 종량제봉투에 넣지 말고 폐건전지 수거함에 넣어 주세요. "
        "잘 챙기셨네요, 이코가 응원해요!",
        _l(5, 4, 5, 5, 5),
        "모든 경고와 단계, 다정한 해요체",
    ),
    _scan(
        "h-powerbank-vague",
        "보조배터리",
        "전지",
        BATTERY[:1],
        "보조배터리는 위험할 수 있으니 조심해서 버려 주세요.",
        _l(3, 4, 3, 2, 4),
        "경고가 모호해서 어디에 어떻게 버려야 안전한지 알 수 없음",
    ),
    _scan(
        "h-box-stiff",
        "골판지류",
        "종이",
        BOX,
        "택배 상자는 테이프와 운송장을 제거한 후 종이류로 배출할 것을 권고합니다. 규정을 준수하십시오.",
        _l(5, 4, 5, 5, 3),
        "단계는 맞지만 사무적이고 훈계조",
    ),
    _scan(
        "h-butane-local",
        "부탄가스",
        "금속류",
        BUTANE,
        "부탄가스는 가스를 끝까지 빼고 금속류로 배출해요. 가스용기를 따로 모으는 지역도 있으니 사는 곳 "
        "구청·주민센터 안내를 확인해 주세요. 안전하게 버려 주셔서 고마워요!",
        _l(5, 5, 5, 5, 5),
        "지역 차이를 밝히고 확인할 곳을 알려 줌",
    ),
    _scan(
        "h-butane-universal",
        "부탄가스",
        "금속류",
        BUTANE[2:],
        "부탄가스는 어느 동네든 반드시 구멍을 뚫어서 캔 수거함에 넣어야 해요.",
        _l(2, 2, 1, 2, 4),
        "가스를 빼라는 말 없이 구멍부터 뚫으라고 전국 공통처럼 단정함",
    ),
    _scan(
        "h-milk-rude",
        "우유팩",
        "종이팩",
        [
            "내용물을 비우고 물로 헹궈 주세요.",
            "모서리를 뜯어 납작하게 펼친 뒤 말려 주세요.",
            "살균팩끼리 모아 종이팩 전용 수거함에 넣어 주세요.",
        ],
        "우유팩? 그것도 몰라? 헹궈서 종이팩 수거함에 넣어.",
        _l(5, 4, 5, 4, 1),
        "무례한 반말",
    ),
    _chat(
        "h-c-battery-bag",
        "건전지 어디에 버려요?",
        "알칼리망간전지",
        "전지",
        "### 건전지 버리는 법\n건전지는 일반 쓰레기라서 종량제봉투에 버리면 돼요.",
        _l(1, 4, 1, 2, 4),
        "건전지를 종량제봉투로 안내함: 배출처도 틀리고 불이 날 수 있음",
    ),
    _chat(
        "h-c-sofa-invented",
        "소파 버리고 싶어요",
        "소파",
        "대형폐기물",
        "### 소파 버리는 법\n**대형폐기물 › 대형폐기물** (대형 폐기물)\n\n"
        "1. 구청 누리집, 대형폐기물 배출 앱, 주민센터 중 한 곳에서 품목과 크기를 골라 배출 신고를 해 주세요.\n\n"
        "서초구는 소파 한 개에 7000원이고 목요일에만 수거해요.",
        _l(4, 1, 5, 4, 4),
        "지식베이스에 없는 서초구 요금과 요일을 지어냄",
        major="대형폐기물",
    ),
    _chat(
        "h-c-pet-warm",
        "라벨 붙은 페트병은 어떻게 해요?",
        "음료PET병",
        "무색페트병",
        "먼저 라벨을 떼어 비닐류로 따로 내놓아 주세요. 그다음 내용물을 비우고 헹군 뒤 찌그러뜨려 뚜껑을 닫고, "
        "투명 페트병 전용 수거함에 넣으면 돼요. 이코가 응원해요! 🌱",
        _l(4, 4, 5, 5, 5),
        "미흡한 점을 먼저 짚고 단계를 한 문장으로 다정하게 안내; 번호 목록이 아님",
    ),
]
