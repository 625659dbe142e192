"""The scan domain's functions and providers, declared in one light module.

vision → rule → answer → reward are separate functions chained by their reply events. The
LLM stages wait on the model most of the time, so they take many events at once (concurrency
is I/O, not CPU); the rule stage is pure CPU and cheap.
"""

from __future__ import annotations

from eventing.events.character import GRANT_REQUESTED
from eventing.events.mesh import DEAD_LETTERED, ORIGIN_TYPE
from eventing.events.scan import (
    ANSWERED,
    CLASSIFIED,
    COMPLETED,
    REQUESTED,
    RULED,
    TYPE_PREFIX,
)
from eventing.filters import prefix
from functions.kit.container import Provider
from functions.kit.declare import Delivery, Function, Kind, Scaling, Schedule, Trigger, scheduled
from functions.scan import wiring

# Longer than one LLM call can take with its retries and fallback (2 providers x 3 attempts x
# ECO2_LLM_TIMEOUT_S 30 s + backoff): the client gives up before the broker does.
LLM_DELIVERY = Delivery(retries=4, base_delay_s=1.0, timeout_s=240)
FAST_DELIVERY = Delivery(retries=4, base_delay_s=0.5, timeout_s=15)
LLM_SCALING = Scaling(min_scale=0, max_scale=20, target_concurrency=400, container_concurrency=1000)
FAST_SCALING = Scaling(min_scale=0, max_scale=10, target_concurrency=100, container_concurrency=200)

API_SCALING = Scaling(min_scale=1, max_scale=10, target_concurrency=100, container_concurrency=200)
FAILURE_SCALING = Scaling(
    min_scale=0, max_scale=2, target_concurrency=50, container_concurrency=100
)

FUNCTIONS = (
    Function(
        name="scan-api",
        domain="scan",
        kind=Kind.HTTP,
        handler="functions.scan.api:router",
        route_prefix="/api/v1/scan",
        scaling=API_SCALING,
        description="POST /scan, GET /scan/{id}/result, GET /scan/categories.",
    ),
    Function(
        name="scan-vision",
        domain="scan",
        handler="functions.scan.stages:vision",
        trigger=Trigger(type=REQUESTED),
        replies=(CLASSIFIED,),
        delivery=LLM_DELIVERY,
        scaling=LLM_SCALING,
        description="Names the item and its situation tags from the photo (LLM vision).",
    ),
    Function(
        name="scan-rule",
        domain="scan",
        handler="functions.scan.stages:rule",
        trigger=Trigger(type=CLASSIFIED),
        replies=(RULED,),
        delivery=FAST_DELIVERY,
        scaling=FAST_SCALING,
        description="Matches the Korean disposal rule document, adjusted for the situation.",
    ),
    Function(
        name="scan-answer",
        domain="scan",
        handler="functions.scan.stages:answer",
        trigger=Trigger(type=RULED),
        replies=(ANSWERED,),
        delivery=LLM_DELIVERY,
        scaling=LLM_SCALING,
        description="Writes the steps, the insufficiencies and 이코's reply (LLM).",
    ),
    Function(
        name="scan-reward",
        domain="scan",
        handler="functions.scan.finish:reward",
        trigger=Trigger(type=ANSWERED),
        replies=(COMPLETED, GRANT_REQUESTED),
        delivery=FAST_DELIVERY,
        scaling=FAST_SCALING,
        description="Decides the reward, stores the result, emits done, asks for the grant.",
    ),
    Function(
        name="scan-sweep",
        domain="scan",
        handler="functions.scan.sweep:sweep",
        trigger=scheduled("scan-sweep"),
        schedule=Schedule(minutes=1),
        delivery=Delivery(retries=2, base_delay_s=1.0, timeout_s=50),
        scaling=FAILURE_SCALING,
        description="Re-publishes scan jobs still queued after a while (a failed publish).",
    ),
    Function(
        name="scan-failed",
        domain="scan",
        handler="functions.scan.finish:failed",
        trigger=Trigger(type=DEAD_LETTERED, filters=(prefix(ORIGIN_TYPE, TYPE_PREFIX),)),
        delivery=FAST_DELIVERY,
        scaling=FAILURE_SCALING,
        description="Ends a scan job whose stage gave up: failed result, then a failed done.",
    ),
)

# Stages report on the kit's event bus, read images from the images domain's store, ask the
# LLM port, and the reward picks from the character catalog: those adapters (and their
# migrations) come along, their functions do not.
REQUIRES = (
    "functions.kit.functions",
    "functions.images.functions",
    "functions.kit.llm.functions",
    "functions.character.functions",
)

PROVIDERS: dict[str, Provider] = {
    "scan_jobs": wiring.scan_jobs,
    "scan_knowledge": wiring.scan_knowledge,
    "rule_engine": wiring.rule_engine,
}
