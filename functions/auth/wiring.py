"""Providers of the auth domain's adapters, by mode; only the chosen mode's clients load."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from functions.auth.keys import KeyRing, keyring_from_settings
from functions.auth.ports import OAuthClient, RevocationStore, SessionStore, StateStore
from functions.kit.container import Container
from functions.kit.settings import Settings

if TYPE_CHECKING:
    import httpx

# ruff: noqa: PLC0415 - adapters are imported where they are chosen (cold start)


async def auth_keyring(container: Container) -> KeyRing:
    return keyring_from_settings(container.settings)


async def _redis(container: Container) -> tuple[Any, str]:
    return await container.redis(), container.settings.redis_prefix


async def auth_state_store(container: Container) -> StateStore:
    if container.settings.mode == "embedded":
        from functions.auth.memory_stores import MemoryStateStore

        return MemoryStateStore()
    from functions.auth.redis_state import RedisStateStore

    return RedisStateStore(*await _redis(container))


async def auth_session_store(container: Container) -> SessionStore:
    if container.settings.mode == "embedded":
        from functions.auth.memory_stores import MemorySessionStore

        return MemorySessionStore()
    from functions.auth.redis_sessions import RedisSessionStore

    return RedisSessionStore(*await _redis(container))


async def auth_revocation_store(container: Container) -> RevocationStore:
    if container.settings.mode == "embedded":
        from functions.auth.memory_stores import MemoryRevocationStore

        return MemoryRevocationStore()
    from functions.auth.redis_revocations import RedisRevocationStore

    return RedisRevocationStore(*await _redis(container))


async def auth_oauth_clients(container: Container) -> dict[str, OAuthClient]:
    """A client per configured provider. With dev login on, a provider without a client id
    is simulated by the dev flow, so the PWA's Google/Kakao/Naver buttons work offline."""
    import httpx

    from functions.auth.dev_provider import DevClient
    from functions.auth.httpx_providers import GoogleClient, KakaoClient, NaverClient

    settings = container.settings
    http = httpx.AsyncClient(timeout=settings.oauth_timeout_s, follow_redirects=False)
    container.on_close(http.aclose)
    real: dict[str, tuple[Callable[[Settings, httpx.AsyncClient], OAuthClient], str]] = {
        "google": (GoogleClient, settings.google_client_id),
        "kakao": (KakaoClient, settings.kakao_client_id),
        "naver": (NaverClient, settings.naver_client_id),
    }
    clients: dict[str, OAuthClient] = {}
    for name, (kind, client_id) in real.items():
        if client_id:
            clients[name] = kind(settings, http)
        elif settings.dev_login_enabled:
            clients[name] = DevClient(name, settings.auth_dev_user)
    if settings.dev_login_enabled:
        clients["dev"] = DevClient("dev", settings.auth_dev_user)
    return clients
