"""`GET /api/v1/info/news` and `GET /api/v1/info/categories` (http-api.md, Info).

The feed is newest first and paged by an opaque keyset cursor (`next_cursor`): paging stays
stable while articles arrive. A category other than `environment`, `energy`, `ai` or `all`,
a limit outside 1–50 or a cursor this feed did not hand out is a 4xx in the contract's
error format (422 `VALIDATION_ERROR` for the first two, 400 `INVALID_CURSOR`). Behind the
edge like every other route (401 without a session).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from functions.info.codec import news_body
from functions.info.model import ALL, LABELS, MAX_LIMIT, decode_cursor
from functions.info.ports import ArticleRepository
from functions.kit.identity import current_user
from functions.kit.openapi import errors

CategoryParam = Literal["all", "environment", "energy", "ai"]
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"


class NewsArticle(BaseModel):
    id: str
    title: str
    url: str
    snippet: str
    source: str = Field(description="The provider: naver, newsdata, rss, or sample (offline)")
    source_name: str = Field(description="The outlet")
    published_at: datetime
    thumbnail_url: str | None
    category: Literal["environment", "energy", "ai"]
    source_icon_url: str | None
    video_url: str | None
    keywords: list[str]
    ai_tag: str | None


class NewsMeta(BaseModel):
    total_cached: int = Field(description="Articles stored in this category")
    cache_expires_in: int = Field(description="Seconds this page's cached copy has left; 0: "
                                  "read from the store, not cached")  # fmt: skip


class NewsPage(BaseModel):
    articles: list[NewsArticle]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at "
                                    "the end")  # fmt: skip
    has_more: bool
    meta: NewsMeta


class NewsCategory(BaseModel):
    id: CategoryParam
    name: str


class NewsCategories(BaseModel):
    categories: list[NewsCategory]


def router(info_articles: ArticleRepository) -> APIRouter:
    """Mounted at `/api/v1/info` (the declaration's route_prefix)."""
    api = APIRouter(tags=["info"], dependencies=[Depends(current_user)])

    @api.get("/news", response_model=NewsPage, responses=errors(400, 401, 503))
    async def news(
        category: Annotated[CategoryParam, Query()] = "all",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        cursor: Annotated[str | None, Query(max_length=200, pattern=CURSOR_PATTERN)] = None,
    ) -> Response:
        after = decode_cursor(cursor) if cursor else None
        page = await info_articles.page(None if category == ALL else category, limit, after)
        return Response(news_body(page), media_type="application/json")

    @api.get("/categories", response_model=NewsCategories, responses=errors(401))
    async def categories() -> NewsCategories:
        listed = [{"id": key, "name": name} for key, name in LABELS.items()]
        return NewsCategories.model_validate({"categories": listed})

    return api
