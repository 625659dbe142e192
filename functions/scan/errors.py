"""The scan domain's errors (the kit's table maps them to HTTP status and retry/dead-letter)."""

from __future__ import annotations

from functions.kit.errors import NotFoundError


class ScanJobNotFound(NotFoundError):
    """Unknown or someone else's job: the same 404 either way."""

    code = "SCAN_JOB_NOT_FOUND"
