"""How one stream entry is stored (flat string fields) and how it becomes the contract's SSE data.

Both adapters store exactly these fields — the in-memory one in a deque, the Redis one in the
per-job stream, the shard stream and the state hash — and both decode them with
`event_from_fields`, so the SSE shapes cannot drift between adapters:

| field | meaning |
|---|---|
| `seq`  | the job's sequence number (shared by progress and tokens; the SSE `id:`) |
| `kind` | `scan` or `chat` (recorded at `register_job`; picks the data shape) |
| `ev`   | the SSE event name: a stage (`queued`, …, `done`) or `token` |
| `st`, `pr`, `ts` | progress only: status, percentage, ISO-8601 UTC timestamp |
| `msg`, `res` | progress only, optional: message, result (JSON) |
| `c`, `n` | token only: content delta, node; a rewrite (`ev` = `token_recovery`): the whole text |
| `tp` | progress only, optional: the W3C traceparent of the append (eventing/tracing.py) |

Shapes (../shared/contract/http-api.md): scan progress `{job_id, stage, status, seq, ts,
progress, result?}`; chat progress `{job_id, stage, status, seq, progress, message?, result?}`
(the chat `done` carries `result` and `message`); token `{content, seq, node}`; a rewrite
`{stage: "token_recovery", status: "snapshot", accumulated, last_seq, completed: false}`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from eventing.bus.port import TERMINAL_STAGE, JobState, StreamEvent
from eventing.errors import ConflictError, NotFoundError
from eventing.tracing import current_traceparent, span

TOKEN_EVENT = "token"
REWRITE_EVENT = "token_recovery"  # in a stream: the text shown so far is replaced
TRACE_FIELD = "tp"
# SSE event names that are not stages (the gateway's own events and tokens).
RESERVED_EVENTS = frozenset({TOKEN_EVENT, REWRITE_EVENT, "keepalive", "error"})
STATUSES = ("started", "completed", "failed")
KINDS = ("scan", "chat")
Fields = Mapping[str, str]


class JobNotRegistered(NotFoundError, LookupError):
    """A publish for a job nobody registered (or whose keys expired)."""


class JobOwnerConflict(ConflictError, ValueError):
    """`register_job` for a job already registered to someone else (first owner wins)."""


def dedupe_member(stage: str, status: str) -> str:
    """The idempotency key of a progress event inside its job. `done` is terminal: whichever
    of completed/failed comes first is the only one (a job never ends twice)."""
    return TERMINAL_STAGE if stage == TERMINAL_STAGE else f"{stage}\x1f{status}"


def now_ts() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def progress_fields(
    stage: str,
    status: str,
    *,
    progress: int | None,
    message: str | None,
    result: Mapping[str, Any] | None,
) -> dict[str, str]:
    """The progress fields known before the append (`seq`, `kind`, a missing `pr` are filled
    in atomically by the adapter)."""
    if not stage or stage in RESERVED_EVENTS:
        raise ValueError(f"invalid stage name {stage!r} (empty, or an SSE event of its own)")
    if status not in STATUSES:
        raise ValueError(f"invalid status {status!r} (one of {', '.join(STATUSES)})")
    fields = {"ev": stage, "st": status, "ts": now_ts()}
    if stage == TERMINAL_STAGE:
        progress = 100
    if progress is not None:
        fields["pr"] = str(max(0, min(100, int(progress))))
    if message is not None:
        fields["msg"] = message
    if result is not None:
        fields["res"] = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    return fields


@contextlib.contextmanager
def appending(job_id: str, stage: str, status: str, fields: dict[str, str]) -> Iterator[None]:
    """The bus-append span of a progress event (when tracing is on), its traceparent kept
    in the entry so whoever sends the event on (the SSE gateway) joins the trace."""
    with span(f"bus append {stage}", {"eco2.job_id": job_id, "eco2.status": status}):
        traceparent = current_traceparent()
        if traceparent:
            fields[TRACE_FIELD] = traceparent
        yield


def token_fields(content: str, node: str, *, rewrite: bool = False) -> dict[str, str]:
    return {"ev": REWRITE_EVENT if rewrite else TOKEN_EVENT, "c": content, "n": node}


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def decode(raw: Mapping[Any, Any]) -> dict[str, str]:
    """Redis replies (bytes) as str fields."""
    return {_text(k): _text(v) for k, v in raw.items()}


def event_from_fields(job_id: str, fields: Fields) -> StreamEvent:
    seq = int(fields["seq"])
    name = fields["ev"]
    data: dict[str, Any]
    if name == TOKEN_EVENT:
        data = {"content": fields["c"], "seq": seq, "node": fields["n"]}
        return StreamEvent(job_id=job_id, seq=seq, event=name, data=data)
    if name == REWRITE_EVENT:
        data = {"stage": name, "status": "snapshot", "accumulated": fields["c"],
                "last_seq": seq, "completed": False}  # fmt: skip
        return StreamEvent(job_id=job_id, seq=seq, event=name, data=data)
    data = {"job_id": job_id, "stage": name, "status": fields["st"], "seq": seq}
    if fields.get("kind") == "scan":
        data["ts"] = fields["ts"]
        data["progress"] = int(fields.get("pr", "0"))
    else:
        data["progress"] = int(fields.get("pr", "0"))
        if "msg" in fields:
            data["message"] = fields["msg"]
    if "res" in fields:
        data["result"] = json.loads(fields["res"])
    return StreamEvent(job_id, seq, name, data, fields.get(TRACE_FIELD))


def state_from_fields(job_id: str, fields: Fields) -> JobState:
    event = event_from_fields(job_id, fields)
    return JobState(
        job_id=job_id,
        stage=event.event,
        status=fields["st"],
        seq=event.seq,
        progress=int(fields.get("pr", "0")),
        data=event.data,
    )


def is_trimmed(after_seq: int, first_seq: int | None, last_seq: int) -> bool:
    """Retention dropped something the caller has not seen: the oldest kept event is past the
    next one it needs, or nothing is kept although the job went further than `after_seq`."""
    if first_seq is None:
        return last_seq > after_seq
    return first_seq > after_seq + 1
