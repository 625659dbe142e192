"""The character domain's functions and providers, declared in one light module.

Handlers and adapters are named as "module:attribute" strings and imported only by the
process that runs them (an event function never imports FastAPI or asyncpg it does not use).
"""

from __future__ import annotations

from eventing.events.character import GRANT_REQUESTED, GRANTED
from functions.character import wiring
from functions.kit.container import Provider
from functions.kit.declare import Delivery, Function, Kind, Scaling, Trigger

SIGNED_UP = "kr.eco2.users.signed_up.v1"
CHARACTERS_PATH = "/api/v1/users/me/characters"

FUNCTIONS = (
    Function(
        name="character-grant",
        domain="character",
        handler="functions.character.handlers:grant",
        trigger=Trigger(type=GRANT_REQUESTED),
        replies=(GRANTED,),
        delivery=Delivery(retries=4, base_delay_s=0.5, timeout_s=10),
        scaling=Scaling(min_scale=0, max_scale=5, target_concurrency=50, container_concurrency=100),
        description="Gives a user a character once, however often or concurrently it is asked.",
    ),
    Function(
        name="character-welcome",
        domain="character",
        handler="functions.character.handlers:welcome",
        trigger=Trigger(type=SIGNED_UP),
        replies=(GRANTED,),
        delivery=Delivery(retries=4, base_delay_s=0.5, timeout_s=10),
        scaling=Scaling(min_scale=0, max_scale=3, target_concurrency=50, container_concurrency=100),
        description="Gives every new user the default character 이코.",
    ),
    Function(
        name="character-api",
        domain="character",
        kind=Kind.HTTP,
        handler="functions.character.api:router",
        route_prefix=CHARACTERS_PATH,
        scaling=Scaling(min_scale=0, max_scale=5, target_concurrency=50, container_concurrency=100),
        description="GET /api/v1/users/me/characters: the caller's characters, 이코 included.",
    ),
)

# Ownerships reference users (a foreign key; the embedded adapter asks the users repository):
# the users domain's migrations and adapters come along, its functions do not.
REQUIRES = ("functions.users.functions",)

PROVIDERS: dict[str, Provider] = {
    "character_catalog": wiring.character_catalog,
    "character_ownerships": wiring.character_ownerships,
}
