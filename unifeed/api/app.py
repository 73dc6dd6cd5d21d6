"""The /v1 HTTP API: catalogue and event ingestion, the feed, health.

`create_app(settings)` builds the app; the database is migrated and the
current checkpoint loaded at start-up, so a bad setting fails there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from unifeed import __version__
from unifeed.ads.config import DeliveryConfig
from unifeed.api import campaign_routes
from unifeed.api.deps import AUTH_RESPONSES, OperatorDep, Services, ServicesDep
from unifeed.api.schemas import (
    EventBatch,
    EventBatchResult,
    FeedItemPublic,
    FeedPublic,
    Health,
    ItemBatch,
    Readiness,
    ReloadResult,
    UpsertResult,
    UserBatch,
)
from unifeed.clock import Clock
from unifeed.serving.feed import CursorError
from unifeed.settings import Settings
from unifeed.store import UnknownReference

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    delivery: DeliveryConfig | None = None,
) -> FastAPI:
    """The app. `clock` replaces the wall clock (a simulation runs on its own time);
    `delivery` replaces the ad delivery's defaults (benchmarks run baselines with it)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await run_in_threadpool(Services.start, settings, clock, delivery)
        try:
            yield
        finally:
            app.state.services.store.close()

    app = FastAPI(
        title="Unifeed",
        version=__version__,
        description="One learned model ranks every item of a feed.",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(UnknownReference, _unknown_reference)
    app.add_exception_handler(CursorError, _bad_cursor)
    _routes(app, settings)
    app.include_router(campaign_routes.router)
    return app


def _json_safe(value: object) -> object:
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, minus what JSON cannot carry (NaN, bytes) echoed back."""
    assert isinstance(exc, RequestValidationError)
    detail = []
    for err in exc.errors():
        item = {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
        if "input" in err:
            item["input"] = _json_safe(err["input"])
        if "ctx" in err:
            item["ctx"] = {k: _json_safe(v) for k, v in err["ctx"].items()}
        detail.append(item)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


async def _unknown_reference(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownReference)
    detail = [
        {"loc": ["body", *loc], "msg": msg, "type": "unknown_reference"}
        for loc, msg in exc.problems
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


async def _bad_cursor(_: Request, exc: Exception) -> JSONResponse:
    detail = [{"loc": ["query", "cursor"], "msg": str(exc), "type": "bad_cursor"}]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


def _routes(app: FastAPI, settings: Settings) -> None:
    @app.get("/v1/health", response_model=Health, tags=["status"])
    def health() -> Health:
        """The process is up."""
        return Health()

    @app.get(
        "/v1/ready",
        response_model=Readiness,
        tags=["status"],
        responses={503: {"model": Readiness, "description": "database unreachable"}},
    )
    def ready(services: ServicesDep) -> JSONResponse:
        """The database answers and the ranker is loaded."""
        db = services.store.ping()
        st = services.feed.status()
        body = Readiness(
            status="ready" if db else "unavailable",
            database=db,
            schema_version=services.store.schema_version() if db else None,
            ranker=str(st["ranker"]),
            model_version=st["model_version"],  # type: ignore[arg-type]
            model_error=st["model_error"],  # type: ignore[arg-type]
            items=int(st["items"]),  # type: ignore[call-overload]
            index=st["index"],  # type: ignore[arg-type]
        )
        return JSONResponse(body.model_dump(), status_code=200 if db else 503)

    @app.post(
        "/v1/users", response_model=UpsertResult, tags=["catalogue"], responses=AUTH_RESPONSES
    )
    def upsert_users(batch: UserBatch, services: ServicesDep, _: OperatorDep) -> UpsertResult:
        """Create or replace users (attributes left out become unknown)."""
        n = services.store.upsert_users([u.model_dump() for u in batch.users])
        return UpsertResult(upserted=n)

    @app.post(
        "/v1/items", response_model=UpsertResult, tags=["catalogue"], responses=AUTH_RESPONSES
    )
    def upsert_items(batch: ItemBatch, services: ServicesDep, _: OperatorDep) -> UpsertResult:
        """Create or replace items; each is servable at once, ranked from its text."""
        rows = [i.model_dump() for i in batch.items]
        vectors = services.embed([r["text"] for r in rows])
        for r, v in zip(rows, vectors, strict=True):
            r["embedding"] = v
            r["encoder"] = services.encoder.name if v is not None else None
        n = services.store.upsert_items(rows)
        services.feed.catalogue.invalidate()
        return UpsertResult(upserted=n)

    @app.post(
        "/v1/events",
        response_model=EventBatchResult,
        tags=["events"],
        responses={
            **AUTH_RESPONSES,
            422: {"description": "invalid events or unknown items; nothing was stored"},
        },
    )
    def add_events(batch: EventBatch, services: ServicesDep, _: OperatorDep) -> EventBatchResult:
        """Store a batch of events, all or none; re-sent event ids count as duplicates."""
        accepted, duplicates = services.store.add_events([e.model_dump() for e in batch.events])
        # New or re-sent alike: charges and attribution are idempotent, so a
        # batch re-sent after a crash finishes what the crash interrupted.
        services.billing.on_events([e.event_id for e in batch.events])
        return EventBatchResult(accepted=accepted, duplicates=duplicates)

    @app.get("/v1/feed", response_model=FeedPublic, tags=["feed"], responses=AUTH_RESPONSES)
    def feed(
        services: ServicesDep,
        _: OperatorDep,
        user_id: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$")],
        # A default, not Annotated: the bound comes from the settings, which a
        # string annotation (postponed evaluation) could not see.
        n: int = Query(20, ge=1, le=settings.feed_max_n),
        cursor: Annotated[
            str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")
        ] = None,
        include_seen: bool = False,
    ) -> FeedPublic:
        """The user's next n items, best first, without items they already acted on."""
        page = services.feed.feed(user_id, n, cursor, include_seen)
        return FeedPublic(
            request_id=page.request_id,
            user_id=page.user_id,
            ranker=page.ranker,  # type: ignore[arg-type]
            model_version=page.model_version,
            items=[
                FeedItemPublic(item_id=i.item_id, score=i.score, kind=i.kind, sponsored=i.sponsored)
                for i in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @app.post(
        "/v1/admin/reload", response_model=ReloadResult, tags=["admin"], responses=AUTH_RESPONSES
    )
    def reload(services: ServicesDep, _: OperatorDep) -> ReloadResult:
        """Load the newest published checkpoint now instead of at the next poll."""
        loaded = services.feed.reload(force=True)
        model = services.feed.model
        return ReloadResult(reloaded=loaded, model_version=None if model is None else model.version)


def services_of(app: FastAPI) -> Services:
    return app.state.services
