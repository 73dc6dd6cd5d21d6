"""The /v1 HTTP API: catalogue and event ingestion, the feed, health.

`create_app(settings)` builds the app; the database is migrated and the
current checkpoint loaded at start-up, so a bad setting fails there.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from unifeed import __version__
from unifeed.ads.config import DeliveryConfig
from unifeed.api import assistant_routes, campaign_routes, creative_routes, errors, heavy, limits
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
    RetrainPublic,
    UpsertResult,
    UserBatch,
)
from unifeed.clock import Clock
from unifeed.llm import LanguageModel
from unifeed.settings import Settings
from unifeed.store import UnknownReference

log = logging.getLogger(__name__)

# 5,000 events with every id at its longest are about 4 MiB of JSON.
EVENTS_BODY_LIMIT = 16 * 2**20
LIGHT_BODY = 64 * 2**10  # a batch up to this size (~300 short events) is stored in the server
# The interpreter hands its lock between threads this often when one is busy
# (Python's default: 5 ms). A feed makes a dozen database calls, and after
# each it waits up to this long for a thread doing heavy work to let go.
SWITCH_INTERVAL_S = 0.0005


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    delivery: DeliveryConfig | None = None,
    language_model: LanguageModel | None = None,
) -> FastAPI:
    """The app. `clock` replaces the wall clock (a simulation runs on its own time);
    `delivery` replaces the ad delivery's defaults (benchmarks run baselines with it);
    `language_model` replaces the one the settings name (tests pass a fake)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await run_in_threadpool(
            Services.start, settings, clock, delivery, language_model
        )
        app.state.limits = limits.Limits()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            yield
        finally:
            app.state.services.heavy.close()
            app.state.services.generations.close()
            app.state.services.retrainer.close()
            app.state.services.store.close()

    app = FastAPI(
        title="Unifeed",
        version=__version__,
        description="One learned model ranks every item of a feed.",
        lifespan=lifespan,
    )
    for kind, handler in errors.HANDLERS.items():
        app.add_exception_handler(kind, handler)
    _routes(app, settings)
    app.include_router(campaign_routes.router)
    app.include_router(creative_routes.router)
    app.include_router(assistant_routes.router)
    _with_schemas(app, (EventBatch,))
    return app


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
            413: {"description": f"body over {EVENTS_BODY_LIMIT // 2**20} MiB"},
            429: {"description": "this key has heavy requests under way; retry"},
            422: {"description": "invalid events or unknown items; nothing was stored"},
        },
        openapi_extra=json_body(EventBatch),
    )
    async def add_events(
        request: Request, services: ServicesDep, who: OperatorDep
    ) -> EventBatchResult:
        """Store a batch of events, all or none; re-sent event ids count as duplicates.

        On SQLite a batch of more than 1,000 events is stored in parts of
        1,000, each all or none, so that feeds are not kept waiting behind
        it: after a failure, re-sending the batch completes it.

        A large batch waits its turn with the other heavy requests (reports),
        and at most two per key are admitted at once: more are a 429 to retry."""
        # Parsing and validating events costs CPU: a small batch's in a worker
        # thread, never on the event loop every request needs.
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) <= LIGHT_BODY:
            raw = await limits.read_body(request, LIGHT_BODY)
            async with request.app.state.limits.small:  # many at once would crowd out feeds
                got = await run_in_threadpool(heavy.ingest, services.store, services.billing, raw)
        else:
            async with limits.admitted(request, who):
                raw = await limits.read_body(request, EVENTS_BODY_LIMIT)
                async with limits.lane(request):
                    got = await services.heavy.ingest(services.store, raw)
        kind, out = got
        if kind == "invalid":
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in out])
        if kind == "unknown":
            raise UnknownReference(out)
        return EventBatchResult(accepted=out[0], duplicates=out[1])

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

    @app.post(
        "/v1/admin/retrain",
        response_model=RetrainPublic,
        status_code=202,
        tags=["admin"],
        responses=AUTH_RESPONSES,
    )
    def retrain(services: ServicesDep, _: OperatorDep) -> RetrainPublic:
        """Train on the store in a process of its own and publish the checkpoint;
        servers load it at their next poll. `started` is false when a retrain
        was already running (it goes on)."""
        started = services.retrainer.start()
        return RetrainPublic(started=started, **asdict(services.retrainer.status()))

    @app.get(
        "/v1/admin/retrain", response_model=RetrainPublic, tags=["admin"], responses=AUTH_RESPONSES
    )
    def retrain_status(services: ServicesDep, _: OperatorDep) -> RetrainPublic:
        """Whether a retrain is running, and how the last one ended."""
        return RetrainPublic(started=False, **asdict(services.retrainer.status()))


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads and validates `model` itself."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def _with_schemas(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Add the models of `json_body` routes to the spec's components."""
    spec = app.openapi

    def openapi() -> dict[str, Any]:
        out = spec()
        found = out.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            js = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in js.pop("$defs", {}).items():
                found.setdefault(name, sub)
            found.setdefault(model.__name__, js)
        return out

    app.openapi = openapi  # type: ignore[method-assign]


def services_of(app: FastAPI) -> Services:
    return app.state.services
