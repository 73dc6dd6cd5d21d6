"""A campaign's creatives under /v1/campaigns/{id}/creatives: add, list, approve, reject,
pause, edit, and generate in the background.

A creative of another advertiser's campaign answers 404, like the campaign;
a creative id of another campaign answers 404 too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from starlette.concurrency import run_in_threadpool

from unifeed.ads.campaigns import Campaign
from unifeed.ads.creatives import CampaignCreative, Status
from unifeed.ads.records.creatives import CreativeRecords
from unifeed.api import creatives
from unifeed.api.campaign_routes import NOT_FOUND, CampaignId, visible
from unifeed.api.creative_schemas import (
    CreativeEdit,
    CreativeListPublic,
    CreativePublic,
    CreativesCreate,
    CreativesPublic,
    GenerateRequest,
    GenerationPublic,
)
from unifeed.api.deps import AUTH_RESPONSES, Principal, PrincipalDep, Services, ServicesDep

router = APIRouter(
    prefix="/v1/campaigns/{campaign_id}/creatives",
    tags=["creatives"],
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)
CreativeId = Annotated[int, Path(ge=1, le=2**53, description="the creative's id in its campaign")]
NOT_APPROVABLE = {409: {"description": "review rejected the current version: edit it first"}}


def _creative(services: Services, c: Campaign, creative_id: int) -> CampaignCreative:
    found = CreativeRecords(services.store).get(c.id, creative_id)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"creative {creative_id} not found in campaign {c.public_id}"
        )
    return found


@router.post("", response_model=CreativesPublic, status_code=status.HTTP_201_CREATED)
def add_creatives(
    campaign_id: CampaignId, body: CreativesCreate, services: ServicesDep, who: PrincipalDep
) -> CreativesPublic:
    """Ads written by the advertiser. Each becomes a catalogue item of kind `ad`
    and is reviewed: approved when it passes (it serves), rejected with the
    reasons when it does not (it never serves)."""
    c = visible(services, who, campaign_id)
    added = creatives.add_typed(services, c, body)
    return CreativesPublic(
        item_ids=[x.current.item_id for x in added], creatives=[CreativePublic.of(x) for x in added]
    )


@router.get("", response_model=CreativeListPublic)
def list_creatives(
    campaign_id: CampaignId, services: ServicesDep, who: PrincipalDep
) -> CreativeListPublic:
    """Every variant with its status, versions, review reasons, origin and angle,
    and how the campaign's latest generation went."""
    c = visible(services, who, campaign_id)
    # The status first: a generation is marked done only after its variants
    # are stored, so a "done" read before the variants never misses them.
    generation = services.generations.status(c.id)
    found = CreativeRecords(services.store).of_campaign(c.id)
    return CreativeListPublic(
        creatives=[CreativePublic.of(x) for x in found], generation=generation
    )


@router.post(
    "/generate",
    response_model=GenerationPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "this server has no language model"}},
)
def generate_creatives(
    campaign_id: CampaignId,
    services: ServicesDep,
    who: PrincipalDep,
    body: GenerateRequest | None = None,
) -> GenerationPublic:
    """Write more variants from the brief, in the background: they join as drafts
    (approved, if the campaign approves automatically) once reviewed."""
    c = visible(services, who, campaign_id)
    try:
        return services.generations.queue(services, c, (body or GenerateRequest()).variants)
    except creatives.NoModel as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None


@router.get("/{creative_id}", response_model=CreativePublic)
def get_creative(
    campaign_id: CampaignId, creative_id: CreativeId, services: ServicesDep, who: PrincipalDep
) -> CreativePublic:
    c = visible(services, who, campaign_id)
    return CreativePublic.of(_creative(services, c, creative_id))


@router.patch("/{creative_id}", response_model=CreativePublic)
def edit_creative(
    campaign_id: CampaignId,
    creative_id: CreativeId,
    body: CreativeEdit,
    services: ServicesDep,
    who: PrincipalDep,
) -> CreativePublic:
    """A new version with these changes, reviewed again; the figures of earlier
    versions stay theirs in the report."""
    c = visible(services, who, campaign_id)
    found = creatives.edit(services, c, _creative(services, c, creative_id), body)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"creative {creative_id} not found")
    return CreativePublic.of(found)


def _set(
    services: Services, who: Principal, campaign_id: str, creative_id: int, to: Status
) -> CreativePublic:
    c = visible(services, who, campaign_id)
    try:
        found = creatives.set_status(services, c, _creative(services, c, creative_id), to)
    except creatives.CreativeConflict as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"creative {creative_id} not found")
    return CreativePublic.of(found)


@router.post("/{creative_id}/approve", response_model=CreativePublic, responses=NOT_APPROVABLE)
def approve_creative(
    campaign_id: CampaignId, creative_id: CreativeId, services: ServicesDep, who: PrincipalDep
) -> CreativePublic:
    """Let the variant serve (a draft, or a paused one). A version review
    rejected cannot be approved: edit it into one that passes."""
    return _set(services, who, campaign_id, creative_id, "approved")


@router.post("/{creative_id}/reject", response_model=CreativePublic)
def reject_creative(
    campaign_id: CampaignId, creative_id: CreativeId, services: ServicesDep, who: PrincipalDep
) -> CreativePublic:
    """Never serve this variant (an edit can make it a draft again)."""
    return _set(services, who, campaign_id, creative_id, "rejected")


@router.post("/{creative_id}/pause", response_model=CreativePublic)
def pause_creative(
    campaign_id: CampaignId, creative_id: CreativeId, services: ServicesDep, who: PrincipalDep
) -> CreativePublic:
    """Stop serving the variant for now; approving it again resumes it."""
    return _set(services, who, campaign_id, creative_id, "paused")


async def list_for_page(services: Services, c: Campaign) -> list[CampaignCreative]:
    """The campaign's variants, for the dashboard."""
    return await run_in_threadpool(CreativeRecords(services.store).of_campaign, c.id)
