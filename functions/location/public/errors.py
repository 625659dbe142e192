"""Errors of the public-data clients: one base, each a row of the kit's error table.

Adapters translate httpx errors and each provider's own error codes into these, so a caller
(the map's search, a chat sub-agent) tells "try again later" from "the provider refused us"
without knowing which provider it was.
"""

from __future__ import annotations

from functions.kit.errors import NotFoundError, UnavailableError
from functions.location.model import LocationError


class PublicDataError(LocationError):
    """Base: something a public-data provider did or did not answer."""

    def __init__(self, provider: str, detail: str, provider_code: str | None = None) -> None:
        super().__init__(f"{provider}: {detail}")
        self.provider = provider
        self.provider_code = provider_code


class ProviderUnavailableError(PublicDataError, UnavailableError):
    """Down, overloaded (429/5xx) or unreachable: retried, and counted by the breaker."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderTimeoutError(ProviderUnavailableError):
    code = "PROVIDER_TIMEOUT"
    status = 504


class CircuitOpenError(ProviderUnavailableError):
    """The breaker is open: not even tried (fail fast, the caller falls back at once)."""

    code = "PROVIDER_CIRCUIT_OPEN"


class ProviderRejectedError(PublicDataError, UnavailableError):
    """The provider refused the request (key, quota, parameters): retrying will not help."""

    code = "PROVIDER_REJECTED"


class MalformedResponseError(PublicDataError, UnavailableError):
    """An answer that is not in the provider's documented format."""

    code = "PROVIDER_MALFORMED"


class NoDataError(PublicDataError, NotFoundError):
    """The provider has nothing for this request (KMA's 03 NO_DATA: not published yet)."""

    code = "PROVIDER_NO_DATA"
