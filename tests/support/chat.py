"""Chat test kit: the agent on the in-memory bus and repository, with the embedded sources
(the location domain's memory sites with the shipped sample, its offline public-data
adapters) and fakes that count, fail, or wait for each other (to prove branches run in
parallel)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventing.bus.memory import InMemoryEventBus
from eventing.events.chat import ChatMessageSubmitted, Coordinates
from functions.chat import knowledge
from functions.chat.agent import ChatAgent
from functions.chat.graph import build
from functions.chat.knowledge import KnowledgeBaseLookup
from functions.chat.location_public import KmaWeatherNow, MoisWasteRulesByDistrict, SheetPrices
from functions.chat.location_sites import SiteCollectionPoints, SitePlaces
from functions.chat.memory.checkpoints import memory_saver
from functions.chat.memory_repository import MemoryConversationRepository
from functions.chat.model import Message
from functions.chat.nodes.deps import AgentDeps, Sources
from functions.chat.policies import POLICIES, Breakers, NodePolicy
from functions.chat.ports import Context
from functions.chat.runner import Runner
from functions.chat.tool_agents import ImageGeneration, ProviderWebSearch
from functions.images.blob_stores import MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.kit.llm.client import LLMClient
from functions.kit.llm.errors import LLMUnavailable
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import LLMRequest, LLMResult
from functions.kit.progress import Progress
from functions.location.loaders.importer import import_sample
from functions.location.memory_sites import MemorySiteRepository
from functions.location.model import Found, NearQuery, NewSite, Site
from functions.location.ports import UpsertReport
from functions.location.public.offline import OfflinePlaceSearch, OfflineWasteRules, OfflineWeather
from functions.location.public.prices import FilePrices
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.loader import load_knowledge

SEOUL = {"latitude": 37.5665, "longitude": 126.978}
_KB = load_knowledge()


async def no_sleep(seconds: float) -> None:
    del seconds


class FakeCharacters:
    async def describe(self, user_id: str, text: str) -> Context | None:
        del user_id
        mentioned = {
            "name": "페티",
            "type": "페트",
            "dialog": "투명하게!",
            "earned_by": "무색페트병",
        }
        return {"owned": ["이코"], "mentioned": mentioned if "페티" in text else None}


class Calls:
    """Wraps a source method: counts calls, may fail, may wait on a barrier first."""

    def __init__(
        self,
        answer: Callable[..., Any],
        *,
        fail: bool = False,
        barrier: asyncio.Barrier | None = None,
        hang: bool = False,
    ) -> None:
        self.answer, self.fail, self.barrier, self.hang = answer, fail, barrier, hang
        self.count = 0

    async def __call__(self, *args: Any) -> Context | None:
        self.count += 1
        if self.barrier is not None:
            await self.barrier.wait()  # returns only once every branch is waiting: parallel
        if self.hang:
            await asyncio.Event().wait()
        if self.fail:
            raise RuntimeError("source down")
        found: Context | None = await self.answer(*args)
        return found


class Wrapped:
    """A source whose one method is a `Calls`."""

    def __init__(self, method: str, calls: Calls) -> None:
        setattr(self, method, calls)


class SampleSites:
    """The embedded sites store with the shipped sample, loaded on first use (so the helpers
    that build sources stay synchronous)."""

    def __init__(self) -> None:
        self._repo = MemorySiteRepository()
        self._loaded = False

    async def _ready(self) -> MemorySiteRepository:
        if not self._loaded:
            self._loaded = True
            await import_sample(self._repo)
        return self._repo

    async def nearest(self, query: NearQuery) -> list[Found]:
        return await (await self._ready()).nearest(query)

    async def get(self, site_id: int) -> Site | None:
        return await (await self._ready()).get(site_id)

    async def text_search(self, text: str, limit: int) -> list[Site]:
        return await (await self._ready()).text_search(text, limit)

    async def upsert(self, sites: Sequence[NewSite]) -> tuple[UpsertReport, list[int]]:
        return await (await self._ready()).upsert(sites)

    async def count(self) -> int:
        return await (await self._ready()).count()


def sources(**overrides: Any) -> Sources:
    sites = SampleSites()
    base = Sources(
        knowledge=KnowledgeBaseLookup(_KB, RuleEngine(_KB)),
        characters=FakeCharacters(),
        places=SitePlaces(sites, OfflinePlaceSearch()),
        bulk_waste=MoisWasteRulesByDistrict(OfflineWasteRules(), sites, sample=True),
        prices=SheetPrices(FilePrices()),
        collection_points=SiteCollectionPoints(sites),
        weather=KmaWeatherNow(OfflineWeather()),
        web_search=ProviderWebSearch(offline_llm()),
        drawings=ImageGeneration(offline_llm(), memory_store(), "offline"),
    )
    return dataclasses.replace(base, **overrides)


def memory_store() -> LocalObjectStore:
    return LocalObjectStore(MemoryBlobStore(), "http://eco2.test", b"k" * 32)


def offline_llm() -> LLMClient:
    return LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                     default_model="offline")  # fmt: skip


class BrokenStreamLLM:
    """Classifies like the offline model; every streamed answer fails."""

    def __init__(self) -> None:
        self._inner = offline_llm()

    def check_model(self, model: str | None) -> str:
        return self._inner.check_model(model)

    async def generate(self, request: LLMRequest) -> LLMResult:
        return await self._inner.generate(request)

    async def stream(self, request: LLMRequest, field: str = "text") -> AsyncIterator[str]:
        yield "이코가 "
        raise LLMUnavailable("offline chat.answer: gone mid-answer")


def policies(**overrides: NodePolicy) -> dict[str, NodePolicy]:
    return {**POLICIES, **overrides}


@dataclasses.dataclass
class Rig:
    bus: InMemoryEventBus
    repo: MemoryConversationRepository
    agent: ChatAgent
    breakers: Breakers
    agent_deps: AgentDeps


def offline_item(text: str) -> str:
    return knowledge.offline_item(_KB, text)


def rig(
    srcs: Sources | None = None,
    llm: Any = None,
    breakers: Breakers | None = None,
    images: Any = None,
    token_window_s: float = 0.0,
) -> Rig:
    bus = InMemoryEventBus()
    found = breakers or Breakers()
    deps = AgentDeps(llm=llm or offline_llm(), bus=bus, runner=Runner(found, sleep=no_sleep),
                     sources=srcs or sources(), images=images,
                     offline_item=offline_item, token_window_s=token_window_s)  # fmt: skip
    ledger = deps.llm if hasattr(deps.llm, "settle") else None
    agent = ChatAgent(build(deps, memory_saver()), ledger=ledger)
    return Rig(bus, MemoryConversationRepository(), agent, found, deps)


async def submit(
    r: Rig,
    text: str,
    *,
    location: dict[str, float] | None = None,
    user: str | None = None,
    conversation_id: str | None = None,
    image_key: str | None = None,
) -> ChatMessageSubmitted:
    """What `POST /chat/{id}/messages` does, without HTTP: store, register, queued, event."""
    user = user or str(uuid.uuid4())
    if conversation_id is None:
        conversation_id = (await r.repo.create(user, None, datetime.now(UTC))).id
    job_id = str(uuid.uuid4())
    stored = await r.repo.add_user_message(conversation_id, user, Message(
        id=str(uuid.uuid4()), conversation_id=conversation_id, seq=0, role="user",
        content=text, created_at=datetime.now(UTC), job_id=job_id,
    ), 300)  # fmt: skip
    await r.bus.register_job(job_id, user, "chat")
    await Progress(r.bus, job_id).queued()
    return ChatMessageSubmitted(
        job_id=job_id, conversation_id=conversation_id, user_id=user,
        user_message_id=stored.id, message=text, model="offline",
        location=Coordinates(**location) if location else None, image_key=image_key,
    )  # fmt: skip


async def stream_of(bus: InMemoryEventBus, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    history = await bus.read_since(job_id, 0)
    return [(e.event, dict(e.data)) for e in history.events]


def stages(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    return [(name, data["status"]) for name, data in events if name != "token"]
