"""The steps an advertiser takes on a campaign's ads, from its page's buttons.

Adding, approving, pausing, rejecting, editing (a new version, reviewed
again) and writing ads from the brief: each calls the same functions as the
API's creative routes (`unifeed.api.creatives`), so a step the API refuses
is refused here, and comes back on the campaign's page with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from unifeed.ads.campaigns import Campaign
from unifeed.ads.creatives import CampaignCreative, Status
from unifeed.ads.records.creatives import CreativeRecords
from unifeed.api import creatives
from unifeed.api.campaign_schemas import MAX_GENERATED
from unifeed.api.creative_schemas import CreativeEdit, CreativesCreate, GenerateRequest
from unifeed.api.deps import Services
from unifeed.web.campaign_pages import show_campaign, visible
from unifeed.web.pages import SignedInDep, Visit, form_of, not_found, redirect, services_of

router = APIRouter(prefix="/app/campaigns/{campaign_id}/creatives")
WRITE_MORE = 3  # ads the "write more" form asks for by default


def _problems(e: ValidationError, what: str) -> list[str]:
    out = []
    for err in e.errors(include_url=False):
        where = ".".join(str(x) for x in err.get("loc", ()) if not isinstance(x, int))
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(f"{what}{' ' + where.replace('_', ' ') if where else ''}: {msg.lower()}")
    return out


def _back(request: Request, visit: Visit, c: Campaign) -> Response:
    return redirect(request, visit, f"/app/campaigns/{c.public_id}#creatives")


async def _find(
    request: Request, visit: Visit, campaign_id: str, creative_id: str
) -> tuple[Services, Campaign, CampaignCreative]:
    """The visitor's campaign and its creative, or a 404 page."""
    assert visit.who is not None
    services = services_of(request)
    c = await run_in_threadpool(visible, services, visit.who, campaign_id)
    if not creative_id.isdigit() or len(creative_id) > 15:
        raise not_found()
    found = await run_in_threadpool(CreativeRecords(services.store).get, c.id, int(creative_id))
    if found is None:
        raise not_found()
    return services, c, found


@router.post("", response_class=HTMLResponse)
async def add_creatives(request: Request, campaign_id: str, visit: SignedInDep) -> Response:
    """Ad texts typed by the advertiser, reviewed beside the written ones."""
    assert visit.who is not None
    form = await form_of(request, visit)
    services = services_of(request)
    c = await run_in_threadpool(visible, services, visit.who, campaign_id)
    texts = [t for t in form.all("text") if t]
    try:
        body = CreativesCreate(texts=texts)
    except ValidationError as e:
        problems = [
            "Write at least one ad."
            if err["type"] == "too_short" and not texts
            else f"Ad {int(err['loc'][1]) + 1 if len(err['loc']) > 1 else ''}: "
            + str(err["msg"]).lower()
            for err in e.errors(include_url=False)
        ]
        return await show_campaign(request, visit, c.public_id, 422, problems, texts)
    await run_in_threadpool(creatives.add_typed, services, c, body)
    return _back(request, visit, c)


@router.post("/generate", response_class=HTMLResponse)
async def write_more(request: Request, campaign_id: str, visit: SignedInDep) -> Response:
    """More ads written from the brief, in the background (the API's generate route)."""
    assert visit.who is not None
    form = await form_of(request, visit)
    services = services_of(request)
    c = await run_in_threadpool(visible, services, visit.who, campaign_id)
    try:
        body = GenerateRequest(variants=int(form.get("variants") or WRITE_MORE))
    except (ValueError, ValidationError):
        problem = f"Ask for 1 to {MAX_GENERATED} ads."
        return await show_campaign(request, visit, c.public_id, 422, [problem])
    try:
        await run_in_threadpool(services.generations.queue, services, c, body.variants)
    except creatives.NoModel:
        problem = "This server has no language model, so it cannot write ads: add your own."
        return await show_campaign(request, visit, c.public_id, 409, [problem])
    return _back(request, visit, c)


# ------------------------------------------------------ a creative's steps
@router.post("/{creative_id}/approve")
async def approve_creative(
    request: Request, campaign_id: str, creative_id: str, visit: SignedInDep
) -> Response:
    return await _creative_status(request, visit, campaign_id, creative_id, "approved")


@router.post("/{creative_id}/reject")
async def reject_creative(
    request: Request, campaign_id: str, creative_id: str, visit: SignedInDep
) -> Response:
    return await _creative_status(request, visit, campaign_id, creative_id, "rejected")


@router.post("/{creative_id}/pause")
async def pause_creative(
    request: Request, campaign_id: str, creative_id: str, visit: SignedInDep
) -> Response:
    return await _creative_status(request, visit, campaign_id, creative_id, "paused")


async def _creative_status(
    request: Request, visit: Visit, campaign_id: str, creative_id: str, status: Status
) -> Response:
    """The same step as the API's; a step the creative cannot take (approving
    one review rejected) comes back on the page with the reason."""
    await form_of(request, visit)
    services, c, found = await _find(request, visit, campaign_id, creative_id)
    try:
        await run_in_threadpool(creatives.set_status, services, c, found, status)
    except creatives.CreativeConflict as e:
        return await show_campaign(request, visit, c.public_id, 409, [str(e)])
    return _back(request, visit, c)


@router.post("/{creative_id}/edit", response_class=HTMLResponse)
async def edit_creative(
    request: Request, campaign_id: str, creative_id: str, visit: SignedInDep
) -> Response:
    """A new version with the fields that changed, reviewed again (the API's PATCH)."""
    form = await form_of(request, visit)
    services, c, found = await _find(request, visit, campaign_id, creative_id)
    cur = found.current
    typed = {k: form.get(k) for k in ("headline", "primary_text", "call_to_action")}
    change: dict[str, Any] = {}
    if (typed["headline"] or None) != cur.headline:
        change["headline"] = typed["headline"] or None  # empty: headed by the product's name
    for name in ("primary_text", "call_to_action"):
        if typed[name] != getattr(cur, name):
            change[name] = typed[name]
    problems: list[str] = []
    if not change:
        problems = ["Nothing was changed: edit the ad's text, headline or button."]
    else:
        try:
            body = CreativeEdit.model_validate(change)
        except ValidationError as e:
            problems = _problems(e, "Edit")
    if problems:
        editing = (found.id, typed)
        return await show_campaign(request, visit, c.public_id, 422, problems, editing=editing)
    await run_in_threadpool(creatives.edit, services, c, found, body)
    return _back(request, visit, c)


@router.post("/{creative_id}/regenerate", response_class=HTMLResponse)
async def regenerate_creative(
    request: Request, campaign_id: str, creative_id: str, visit: SignedInDep
) -> Response:
    """A new ad written from the brief in place of one that does not serve: one
    more variant is queued (the API's generate route) and a draft is rejected
    (the API's reject); one review rejected stays as it is."""
    await form_of(request, visit)
    services, c, found = await _find(request, visit, campaign_id, creative_id)
    if found.status not in ("draft", "rejected"):
        problem = f"Ad {found.id} is {found.status}: pause or reject it, or edit it instead."
        return await show_campaign(request, visit, c.public_id, 409, [problem])
    try:
        await run_in_threadpool(services.generations.queue, services, c, 1)
    except creatives.NoModel:
        problem = "This server has no language model, so it cannot write ads: edit this one."
        return await show_campaign(request, visit, c.public_id, 409, [problem])
    if found.status == "draft":
        await run_in_threadpool(creatives.set_status, services, c, found, "rejected")
    return _back(request, visit, c)
