"""Advertisers and campaigns under /v1: an advertiser's key sees only its own.

A campaign of another advertiser answers 404, exactly like one that does not
exist, so a key cannot even learn which campaign ids are taken.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from unifeed.ads.campaigns import Campaign
from unifeed.api import heavy, limits
from unifeed.api.campaign_schemas import (
    AdvertiserCreate,
    AdvertiserPublic,
    CampaignCreate,
    CampaignPublic,
)
from unifeed.api.creatives import NO_MODEL
from unifeed.api.deps import (
    AUTH_RESPONSES,
    OperatorDep,
    Principal,
    PrincipalDep,
    Services,
    ServicesDep,
)

router = APIRouter(prefix="/v1", tags=["ads"], responses=AUTH_RESPONSES)
CampaignId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
NOT_FOUND = {404: {"description": "no such campaign for this key"}}


def visible(services: Services, who: Principal, campaign_id: str) -> Campaign:
    c = services.campaigns.get(campaign_id, who.scope)
    if c is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id} not found")
    return c


@router.post(
    "/advertisers",
    response_model=AdvertiserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "advertiser id taken"}},
)
def create_advertiser(
    body: AdvertiserCreate, services: ServicesDep, _: OperatorDep
) -> AdvertiserPublic:
    """Register an advertiser and issue its API key (shown only in this answer)."""
    try:
        adv = services.campaigns.create_advertiser(body.id, body.name)
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, f"advertiser {body.id!r} exists") from None
    key = secrets.token_urlsafe(32)
    services.campaigns.add_key(adv, key)
    return AdvertiserPublic(id=body.id, name=body.name, api_key=key)


@router.post(
    "/campaigns",
    response_model=CampaignPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "generate_creatives asked of a server without a language model"}
    },
)
def create_campaign(
    body: CampaignCreate, services: ServicesDep, who: PrincipalDep
) -> CampaignPublic:
    """Objective, budget, schedule and brief in; the system does the rest.

    With `generate_creatives`, the variants are written in the background
    (GET /v1/campaigns/{id}/creatives shows how far it got)."""
    return CampaignPublic.of(launch(services, who, body))


def launch(services: Services, who: Principal, body: CampaignCreate) -> Campaign:
    """Create the campaign `body` describes for the caller (the API's and the
    dashboard's one way in): a 422 (HTTPException or RequestValidationError)
    names what is wrong."""
    if who.role == "advertiser":
        if body.advertiser_id is not None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "advertiser_id: only the operator key names an advertiser; yours is implied",
            )
        advertiser = who.advertiser_id
    else:
        if body.advertiser_id is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "advertiser_id: the operator key must say whose campaign this is",
            )
        advertiser = services.campaigns.advertiser_id(body.advertiser_id)
        if advertiser is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"advertiser_id: unknown advertiser {body.advertiser_id!r}",
            )
    assert advertiser is not None
    if problem := body.schedule.outside_horizon(services.feed.clock.now()):
        name, why = problem
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "schedule", name),
                    "msg": f"schedule.{name} {why}",
                    "type": "schedule_horizon",
                    "input": getattr(body.schedule, name).isoformat(),
                }
            ]
        )
    if body.generate_creatives and services.generations.writer is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"generate_creatives: {NO_MODEL}")
    created = services.campaigns.create(advertiser, body.spec())
    services.feed.ads.campaigns_changed()
    if body.generate_creatives:
        services.generations.queue(services, created, body.generate_creatives)
    return created


@router.get("/campaigns", response_model=list[CampaignPublic])
def list_campaigns(services: ServicesDep, who: PrincipalDep) -> list[CampaignPublic]:
    """The caller's campaigns (the operator's key: everyone's)."""
    return [CampaignPublic.of(c) for c in services.campaigns.list(who.scope)]


@router.get("/campaigns/{campaign_id}", response_model=CampaignPublic, responses=NOT_FOUND)
def get_campaign(
    campaign_id: CampaignId, services: ServicesDep, who: PrincipalDep
) -> CampaignPublic:
    return CampaignPublic.of(visible(services, who, campaign_id))


def set_status(services: Services, who: Principal, campaign_id: str, status: str) -> Campaign:
    """Pause ("paused") or resume ("active") a campaign the caller may see."""
    visible(services, who, campaign_id)
    c = services.campaigns.set_status(campaign_id, who.scope, status)
    assert c is not None  # visible() just found it, and campaigns are never deleted
    services.feed.ads.campaigns_changed()
    return c


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignPublic, responses=NOT_FOUND)
def pause_campaign(
    campaign_id: CampaignId, services: ServicesDep, who: PrincipalDep
) -> CampaignPublic:
    return CampaignPublic.of(set_status(services, who, campaign_id, "paused"))


@router.post("/campaigns/{campaign_id}/resume", response_model=CampaignPublic, responses=NOT_FOUND)
def resume_campaign(
    campaign_id: CampaignId, services: ServicesDep, who: PrincipalDep
) -> CampaignPublic:
    return CampaignPublic.of(set_status(services, who, campaign_id, "active"))


BUSY = {429: {"description": "this key has heavy requests under way; retry"}}


@router.get("/campaigns/{campaign_id}/report", responses={**NOT_FOUND, **BUSY})
async def campaign_report(
    campaign_id: CampaignId, request: Request, services: ServicesDep, who: PrincipalDep
) -> dict[str, Any]:
    """Spend, impressions, reach, results, cost per result, ROAS, pacing, audience found.

    Pacing is by hour, or by coarser steps (`pacing_step_hours`) for a
    flight too long for MAX_POINTS hourly points."""
    c = await run_in_threadpool(visible, services, who, campaign_id)
    return await report(request, services, who, c, picture=False)


@router.get(
    "/campaigns/{campaign_id}/report.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **NOT_FOUND, **BUSY},
)
async def campaign_report_chart(
    campaign_id: CampaignId, request: Request, services: ServicesDep, who: PrincipalDep
) -> Response:
    """The report as a picture: spend against its target by hour, and the
    shares of impressions and results against the population by age,
    gender and interest."""
    c = await run_in_threadpool(visible, services, who, campaign_id)
    picture = await report(request, services, who, c, picture=True)
    return Response(picture, media_type="image/png")


async def report(
    request: Request, services: Services, who: Principal, c: Campaign, picture: bool
) -> Any:
    """The report of a campaign the caller may see, or its picture. Heavy
    work (api/limits.py): computed, and drawn, in the worker process; a 429
    when the caller has too much under way."""
    async with limits.admitted(request, who), limits.lane(request):
        return await services.heavy.run(
            heavy.campaign_report, c, services.feed.clock.now(), picture
        )


async def reports(
    request: Request, services: Services, who: Principal, campaigns: list[Campaign]
) -> list[dict[str, Any]]:
    """The figures of several campaigns, without the audience breakdown, in
    one piece of heavy work (a list of campaigns)."""
    if not campaigns:
        return []
    async with limits.admitted(request, who), limits.lane(request):
        return await services.heavy.run(  # type: ignore[no-any-return]
            heavy.campaign_reports, campaigns, services.feed.clock.now()
        )
