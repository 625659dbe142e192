"""Answers to grade: read from what the product serves (a scan result, a chat message), and
written for the golden sets by the product's own offline pipeline — or by a model through the
LLM port, with the same prompts the scan and chat answer stages use.

Golden scans have no photo, so vision is always the offline one (the KB retriever over the
note); what a provider changes is the written answer, which is what is being evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from eventing.events.scan import AnswerData, ClassificationData, RulingData
from functions.chat import offline as chat_offline
from functions.chat.knowledge import KnowledgeBaseLookup
from functions.chat.nodes.answer import SYSTEM as CHAT_SYSTEM
from functions.chat.nodes.answer import ChatAnswer
from functions.chat.nodes.answer import prompt as chat_prompt
from functions.eval.data import GoldenChat, GoldenScan
from functions.eval.model import Answer, Situation
from functions.kit.llm.port import LLM, LLMRequest
from functions.scan import offline as scan_offline
from functions.scan import prompts, stages
from functions.scan.knowledge.engine import RuleEngine, step_dict
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.model import completed_result

_CATEGORY = re.compile(r"\*\*([^*›]+?)\s*›\s*([^*]+?)\*\*")
_NUMBERED = re.compile(r"^\s*\d+\.\s+(.+?)\s*$", re.M)
_WARNING = re.compile(r"^\s*-\s*⚠️\s*(.+?)\s*$", re.M)


def from_scan_result(answer_id: str, question: str, result: Mapping[str, Any]) -> Answer:
    """A stored scan result (the contract's object) as an answer to grade."""
    pipeline = result.get("pipeline_result") or {}
    found = pipeline.get("classification_result") or {}
    category = found.get("classification") or {}
    final = pipeline.get("final_answer") or {}
    steps = final.get("disposal_steps") or {}
    minor = category.get("minor_category")
    return Answer(
        id=answer_id, kind="scan", question=question,
        situation=Situation(minor, tuple(found.get("situation_tags") or ()),
                            category.get("major_category"), category.get("middle_category")),
        steps=tuple(str(s) for s in steps.values()) if isinstance(steps, Mapping) else (),
        insufficiencies=tuple(final.get("insufficiencies") or ()),
        reply=str(final.get("user_answer") or ""),
        claimed_major=category.get("major_category"),
        claimed_middle=category.get("middle_category"), raw=result,
    )  # fmt: skip


def scan_answer(
    answer_id: str, question: str, situation: Situation, *, claimed: tuple[str, str],
    steps: tuple[str, ...], insufficiencies: tuple[str, ...], reply: str,
) -> Answer:  # fmt: skip
    """A scan answer from its parts, with the result object the client would get."""
    classification = ClassificationData(
        major_category=claimed[0], middle_category=claimed[1],
        minor_category=situation.item or claimed[1], situation_tags=list(situation.tags),
    )  # fmt: skip
    ruling = RulingData(
        rule_key=None, disposal_rules=None, disposal_steps=list(steps),
        insufficiencies=list(insufficiencies), major_category=claimed[0],
        middle_category=claimed[1],
    )  # fmt: skip
    data = AnswerData(disposal_steps=step_dict(steps), insufficiencies=list(insufficiencies),
                      user_answer=reply)  # fmt: skip
    raw = completed_result(answer_id, classification, ruling, data, None)
    return replace(from_scan_result(answer_id, question, raw), situation=situation)


def chat_answer(answer_id: str, question: str, situation: Situation, markdown: str) -> Answer:
    """A chat answer: its steps are the Markdown's numbered list, its category the bold
    `major › middle` line the answer node writes (None when it names none)."""
    category = _CATEGORY.search(markdown)
    return Answer(
        id=answer_id, kind="chat", question=question, situation=situation,
        steps=tuple(_NUMBERED.findall(markdown)),
        insufficiencies=tuple(_WARNING.findall(markdown)), reply=markdown,
        claimed_major=category.group(1).strip() if category else None,
        claimed_middle=category.group(2).strip() if category else None, raw=markdown,
    )  # fmt: skip


async def write_scan(
    kb: KnowledgeBase, engine: RuleEngine, case: GoldenScan, llm: LLM, model: str | None
) -> Answer:
    """The scan pipeline on a golden note: offline vision, the rule engine, the answer stage's
    request (answered offline, or by `model`), and the steps the stage keeps."""
    request: Any = None  # the offline vision never reads it
    seen = prompts.VisionOutput.model_validate(scan_offline.vision(kb, case.hint)(request))
    seen.situation_tags = list(dict.fromkeys([*seen.situation_tags, *case.tags]))
    found = stages.normalize(kb, seen)
    outcome = engine.apply(found.major_category, found.middle_category, found.minor_category,
                           found.situation_tags)  # fmt: skip
    document = outcome.document
    ruling = RulingData(
        rule_key=document.key if document else None,
        disposal_rules=document.as_contract() if document else None,
        disposal_steps=list(outcome.disposal_steps), insufficiencies=list(outcome.insufficiencies),
        major_category=outcome.major, middle_category=outcome.middle,
    )  # fmt: skip
    result = await llm.generate(LLMRequest(
        task="scan.answer", schema=prompts.AnswerOutput, system=prompts.ANSWER_SYSTEM,
        prompt=prompts.answer_prompt(found, ruling), model=model,
        offline=scan_offline.answer(found, ruling), job_id=f"eval-{case.id}",
    ))  # fmt: skip
    output = result.output_as(prompts.AnswerOutput)
    steps = ruling.disposal_steps if ruling.rule_key else output.disposal_steps
    situation = Situation(found.minor_category, tuple(found.situation_tags),
                          found.major_category, found.middle_category)  # fmt: skip
    return scan_answer(
        case.id, case.hint, situation, claimed=(outcome.major, outcome.middle),
        steps=tuple(steps or scan_offline.GENERIC_STEPS),
        insufficiencies=tuple(ruling.insufficiencies),
        reply=output.user_answer.strip() or scan_offline.UNCLASSIFIED_MESSAGE,
    )  # fmt: skip


async def write_chat(
    kb: KnowledgeBase, engine: RuleEngine, case: GoldenChat, llm: LLM, model: str | None
) -> Answer:
    """The chat answer node on a golden message with the waste_rag context only (the other
    sub-agents need live sources): answered offline, or by `model`."""
    context = await KnowledgeBaseLookup(kb, engine).lookup(case.message)
    contexts = {"waste_rag": context} if context else {}
    missing = [] if context else ["waste_rag"]
    written = chat_offline.compose(case.message, contexts, missing)
    state: Any = {"message": case.message, "contexts": contexts, "missing": missing,
                  "history": [], "summary": None}  # fmt: skip
    result = await llm.generate(LLMRequest(
        task="chat.answer", schema=ChatAnswer, system=CHAT_SYSTEM, prompt=chat_prompt(state),
        model=model, offline=lambda _: {"text": written}, job_id=f"eval-{case.id}",
    ))  # fmt: skip
    situation = chat_situation(kb, context)
    return chat_answer(case.id, case.message, situation, result.output_as(ChatAnswer).text)


def chat_situation(kb: KnowledgeBase, context: Mapping[str, Any] | None) -> Situation:
    if not context:
        return Situation(None)
    item = kb.resolve(str(context.get("item") or ""))
    return Situation(
        item.name if item else None, tuple(context.get("situation_tags") or ()),
        str(context.get("major")), str(context.get("middle")),
    )  # fmt: skip
