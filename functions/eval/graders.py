"""Tier 1: code graders, pure functions of an answer and its grounding (what the knowledge
base says for the situation). Cheap and deterministic: they run on every answer in the tests,
in CI, and on every sampled production answer.

    shape      the contract's shape (scan result object; chat Markdown)
    bin        the destination the answer names is the one the KB gives
    steps      every step is one the KB has for this situation; most expected steps are there
    warnings   the warnings the situation requires (batteries, gas, broken glass …)
    forbidden  no advice the KB forbids (battery in the bag, glass shards in the bottle bin …)
    register   이코's polite register: 해요체/합니다체, no 반말 sentence
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from functions.eval import korean
from functions.eval.data import Requirements, requirements
from functions.eval.grounding import Grounding
from functions.eval.model import Answer, Check
from functions.scan.knowledge.taxonomy import MAJORS, RECYCLABLE_MIDDLES, is_valid

MAX_REPLY = {"scan": 600, "chat": 6000}  # characters: past this nobody reads it on a phone
STEP_COVERAGE = 0.5  # of the expected steps an answer must give
# Everyday names of the destinations, beyond the taxonomy's own (compared squeezed).
ALIASES: Mapping[str, tuple[str, ...]] = {
    "일반종량제폐기물": ("일반쓰레기", "종량제봉투", "일반봉투", "일반종량제봉투"),
    "음식물류폐기물": ("음식물쓰레기", "음식물수거함"),
    "불연성종량제폐기물": ("불연성봉투", "불연성마대", "마대"),
    "금속류": ("캔류", "고철류"),
    "플라스틱류": ("플라스틱수거함",),
    "비닐류": ("비닐수거함",),
    "종이": ("종이류", "폐지"),
    "유리병": ("유리병수거함",),
}
_GOES = r"\S{0,4}\s*(?:분리\s*)?(?:배출|버리|버려|넣|내놓)"


def check_shape(answer: Answer) -> Check:
    problems = _scan_shape(answer.raw) if answer.kind == "scan" else _chat_shape(answer.raw)
    if len(answer.reply) > MAX_REPLY[answer.kind]:
        problems.append(f"reply is {len(answer.reply)} characters (max {MAX_REPLY[answer.kind]})")
    return Check("shape", not problems, "; ".join(problems))


def _scan_shape(raw: Any) -> list[str]:
    if not isinstance(raw, Mapping) or raw.get("status") != "completed":
        return ["not a completed scan result"]
    problems: list[str] = []
    if "reward" not in raw:
        problems.append("reward missing (must be an explicit null)")
    pipeline = raw.get("pipeline_result") or {}
    found = (pipeline.get("classification_result") or {}).get("classification") or {}
    if not is_valid(str(found.get("major_category")), str(found.get("middle_category"))):
        problems.append(f"unknown category {found.get('middle_category')!r}")
    final = pipeline.get("final_answer") or {}
    steps = final.get("disposal_steps")
    if not isinstance(steps, Mapping) or not steps:
        return [*problems, "disposal_steps must be a non-empty object"]
    if list(steps) != [f"단계{n}" for n in range(1, len(steps) + 1)]:
        problems.append(f"step keys {list(steps)} are not 단계1..단계{len(steps)}")
    if not all(isinstance(s, str) and s.strip() for s in steps.values()):
        problems.append("an empty step")
    lacks = final.get("insufficiencies")
    if not isinstance(lacks, list) or not all(isinstance(x, str) for x in lacks):
        problems.append("insufficiencies must be a list of strings")
    reply = final.get("user_answer")
    if not isinstance(reply, str) or not reply.strip():
        problems.append("user_answer is empty")
    return problems


def _chat_shape(raw: Any) -> list[str]:
    if not isinstance(raw, str) or not raw.strip():
        return ["the answer is empty"]
    problems = []
    if raw.lstrip().startswith(("{", "[")):
        problems.append("the answer is raw JSON, not Markdown")
    if re.search(r"\{[a-z_]+\}", raw):
        problems.append("an unfilled template placeholder")
    return problems


def check_bin(answer: Answer, grounding: Grounding) -> Check:
    if grounding.document is None:
        return Check("bin", True, "no rule document: nothing to compare")
    expected = (grounding.major, grounding.middle)
    claimed = (answer.claimed_major, answer.claimed_middle)
    if answer.claimed_middle is not None and claimed != expected:
        return Check("bin", False, f"filed under {claimed[1]}, the KB says {expected[1]}")
    wrong = _other_destinations(answer.reply, grounding)
    if wrong:
        return Check("bin", False, f"sends it to {', '.join(wrong)}; the KB says {expected[1]}")
    return Check("bin", True)


def _other_destinations(reply: str, grounding: Grounding) -> list[str]:
    """Destinations the reply sends the item to that the KB does not: neither the expected
    one, nor one its document or tags send a part or a not-accepted item to."""
    mine = {korean.squeeze(n) for n in grounding.bin_names}
    mine |= {a for n in grounding.bin_names for a in ALIASES.get(n, ())}
    document = grounding.document
    elsewhere = {n.instead for n in document.not_accepted} if document else set()
    found = []
    for name in (*MAJORS, *RECYCLABLE_MIDDLES):
        words = {korean.squeeze(name), *ALIASES.get(name, ())}
        if words & mine or name in elsewhere or _sends_to(grounding.texts, words):
            continue
        if any(_sends_to(korean.squeeze(s), words) for s in korean.sentences(reply)):
            found.append(name)
    return found


def _sends_to(flat: str, words: set[str]) -> bool:
    """Whether squeezed text sends something to one of `words` ("종이로 배출", not negated)."""
    for word in words:
        for hit in re.finditer(re.escape(word) + r"['’]?(?:\(으\))?(?:으로|로|에)" + _GOES, flat):
            if not korean.negated(flat, hit.end()):
                return True
    return False


def check_steps(answer: Answer, grounding: Grounding) -> Check:
    if grounding.document is None:
        return Check("steps", True, "no rule document: nothing to compare")
    given = [korean.instruction(s) for s in answer.steps]
    if not given:
        return Check("steps", False, "no steps")
    foreign = [s for s, g in zip(answer.steps, given, strict=True)
               if g not in grounding.allowed_steps]  # fmt: skip
    expected = [korean.instruction(s) for s in grounding.expected_steps]
    covered = sum(s in given for s in expected) / len(expected) if expected else 1.0
    problems = [f"not in the rule document: {s!r}" for s in foreign]
    if covered < STEP_COVERAGE:
        problems.append(f"only {covered:.0%} of the expected steps")
    return Check("steps", not problems, "; ".join(problems))


def check_warnings(answer: Answer, grounding: Grounding, reqs: Requirements) -> Check:
    text = korean.squeeze(answer.text)
    missing = [
        w.label
        for w in reqs.warnings
        if grounding.applies(w.when) and not any(korean.squeeze(m) in text for m in w.mention)
    ]
    return Check("warnings", not missing, "; ".join(f"missing: {m}" for m in missing))


def check_forbidden(answer: Answer, grounding: Grounding, reqs: Requirements) -> Check:
    said = []
    for rule in reqs.forbidden:
        if not grounding.applies(rule.when):
            continue
        for sentence in korean.sentences(answer.text):
            hit = re.search(rule.pattern, sentence)
            if hit is None or korean.negated(sentence, hit.end()):
                continue
            if not any(korean.squeeze(u) in korean.squeeze(sentence) for u in rule.unless):
                said.append(f"{rule.label}: {sentence!r}")
    return Check("forbidden", not said, "; ".join(said))


def check_register(answer: Answer) -> Check:
    text = korean.prose(answer.text) if answer.kind == "chat" else answer.text
    levels = [(s, korean.level(s)) for s in korean.sentences(text)]
    rude = [s for s, lvl in levels if lvl == "impolite"]
    if rude:
        return Check("register", False, f"not polite: {rude[0]!r}")
    if not any(lvl == "polite" for _, lvl in levels):
        return Check("register", False, "no sentence in 해요체/합니다체")
    return Check("register", True)


def grade(answer: Answer, grounding: Grounding, reqs: Requirements | None = None) -> list[Check]:
    """Every tier-1 check, in a fixed order."""
    found = reqs or requirements()
    return [
        check_shape(answer),
        check_bin(answer, grounding),
        check_steps(answer, grounding),
        check_warnings(answer, grounding, found),
        check_forbidden(answer, grounding, found),
        check_register(answer),
    ]
