"""The dead-letter sink every generated Trigger points at.

Knative's dispatcher, once a trigger's retries run out, POSTs the event here with its
`knativeerror*` extensions; we keep it, with that cause, in the same dead-letter store the
`eco2 dead-letters` command lists and replays, so one place holds every dead letter; and we
publish the dead-letter notice, so the domain that owns the work can end it (a failed job).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from eventing.broker.notice import is_notice, notice_for
from eventing.broker.port import Broker
from eventing.codec import from_http_request

KNATIVE_EXTENSIONS = ("knativeerrordest", "knativeerrorcode", "knativeerrordata")


def _cause(values: dict[str, str]) -> tuple[str, str]:
    """The trigger (our triggers share their subscriber Service's name) and a readable cause."""
    dest = values.get("knativeerrordest", "")
    trigger = (urlsplit(dest).hostname or "unknown").split(".")[0]
    data = values.get("knativeerrordata", "")
    with contextlib.suppress(binascii.Error, ValueError):  # not base64: keep the raw text
        data = base64.b64decode(data, validate=True).decode(errors="replace")
    return trigger, f"HTTP {values.get('knativeerrorcode', '?')} from {dest}: {data}"[:2000]


def router(dead_letters: Broker) -> APIRouter:
    api = APIRouter(tags=["operations"])

    @api.post("", status_code=202)
    async def record(request: Request) -> Response:
        event = from_http_request(dict(request.headers), await request.body())
        values = {k: str(event[k]) for k in KNATIVE_EXTENSIONS if event.get(k) is not None}
        for name in values:
            del event[name]  # keep the original event as it was published
        trigger, error = _cause(values)
        await dead_letters.record_dead_letter(trigger, event, attempts=0, error=error)
        if not is_notice(event):  # tell the owner of the work, as the kit's dispatcher does
            kind = f"HTTP {values.get('knativeerrorcode', '?')}"  # what Knative knows of it
            await dead_letters.publish(notice_for(trigger, event, 0, error, kind))
        return Response(status_code=202)

    return api
