"""The eval domain's functions and providers: the online grader (docs/eval.md, ADR 0022).

Two event functions share one grader: a completed scan and a stored chat answer are
different events. They wait on the judge model (5 calls per graded answer) but grade only a
small sample under a daily budget, so they stay small.
"""

from __future__ import annotations

from eventing.events.chat import ANSWERED as CHAT_ANSWERED
from eventing.events.eval import GRADED
from eventing.events.scan import COMPLETED as SCAN_COMPLETED
from functions.eval import wiring
from functions.kit.container import Provider
from functions.kit.declare import Delivery, Function, Scaling, Trigger

# Longer than five judge calls with their retries; a failed grading is retried twice, then
# dropped to the dead letters (it never touches the user's answer).
GRADE_DELIVERY = Delivery(retries=2, base_delay_s=2.0, timeout_s=300)
GRADE_SCALING = Scaling(min_scale=0, max_scale=2, target_concurrency=20, container_concurrency=50)

FUNCTIONS = (
    Function(
        name="eval-grade-scan",
        domain="eval",
        handler="functions.eval.online:grade_scan",
        trigger=Trigger(type=SCAN_COMPLETED),
        replies=(GRADED,),
        delivery=GRADE_DELIVERY,
        scaling=GRADE_SCALING,
        description="Grades a sample of completed scans (tier-1 checks + LLM judge) in budget.",
    ),
    Function(
        name="eval-grade-chat",
        domain="eval",
        handler="functions.eval.online:grade_chat",
        trigger=Trigger(type=CHAT_ANSWERED),
        replies=(GRADED,),
        delivery=GRADE_DELIVERY,
        scaling=GRADE_SCALING,
        description="Grades a sample of 이코's chat answers (tier-1 checks + LLM judge) in budget.",
    ),
)

# The grader reads scan results and chat messages, the scan knowledge base, and asks the LLM
# port: those adapters come along, their functions do not.
REQUIRES = (
    "functions.kit.functions",
    "functions.kit.llm.functions",
    "functions.scan.functions",
    "functions.chat.functions",
)

PROVIDERS: dict[str, Provider] = {"eval_budget": wiring.eval_budget}
