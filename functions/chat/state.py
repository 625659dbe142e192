"""The graph's state. One thread per conversation (checkpoints keyed by its id): the per-run
fields are replaced by each run's input, the sub-agents' outcomes are kept for the current
run only, and the recent turns are the conversation's memory across runs."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from functions.chat.runner import Outcome

MAX_TURNS = 20  # history entries (user + assistant) before the older ones are summarised
HARD_CAP = 60  # never more, even when summarising failed (it is fail-open)
FOLDED = "_folded"  # a history update `[{"role": FOLDED, "content": "n"}]`: the n oldest
# entries went into the summary


def this_run(left: list[Outcome], right: list[Outcome]) -> list[Outcome]:
    """Outcomes of the run that reports now: an earlier run's drop out, and a node that
    reports again (a resumed run) replaces its own; an empty update changes nothing."""
    if not right:
        return left
    jobs = {o["job_id"] for o in right}
    nodes = {(o["job_id"], o["node"]) for o in right}
    kept = [o for o in left if o["job_id"] in jobs and (o["job_id"], o["node"]) not in nodes]
    return kept + right


def turns(left: list[dict[str, str]], right: list[dict[str, str]]) -> list[dict[str, str]]:
    """The conversation's recent entries: appended by each answer, folded by `summarize`."""
    if right and right[0].get("role") == FOLDED:
        return left[int(right[0]["content"]) :] + right[1:]
    return (left + right)[-HARD_CAP:]


class ChatState(TypedDict, total=False):
    job_id: str
    conversation_id: str
    user_id: str
    message: str
    model: str
    location: dict[str, float] | None
    image_key: str | None
    intents: list[str]
    vision: dict[str, Any] | None
    results: Annotated[list[Outcome], this_run]
    contexts: dict[str, Any]  # node -> context, after the aggregator's checks and fallbacks
    missing: list[str]  # required nodes with nothing to say, even after the fallbacks
    answer: str
    history: Annotated[list[dict[str, str]], turns]
    summary: str  # what the entries folded out of `history` said
