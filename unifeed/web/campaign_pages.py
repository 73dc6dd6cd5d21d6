"""An advertiser's pages: the campaigns list, the launch form, a campaign's page.

Every figure comes from the campaign's report (`unifeed.ads.report`), made
by the same heavy work as the API's `/v1/campaigns/{id}/report`; launching,
pausing and the creatives' steps (`creative_pages`) call the API's own
functions. So the dashboard
and the API cannot disagree, and an advertiser sees here exactly what their
key sees there: their own campaigns, and a 404 for anyone else's.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from unifeed.ads.audience_groups import AGE_BANDS, age_band
from unifeed.ads.campaigns import Campaign
from unifeed.api import campaign_routes, creative_routes
from unifeed.api.campaign_schemas import MAX_GENERATED
from unifeed.api.deps import Principal, Services
from unifeed.web import campaign_form, charts, formats
from unifeed.web.pages import (
    PageError,
    SignedInDep,
    Visit,
    form_of,
    not_found,
    redirect,
    render,
    services_of,
)

router = APIRouter(prefix="/app/campaigns")
CAMPAIGN_ID = re.compile(r"^[0-9a-f]{1,64}$")
LIST_MAX = 200  # campaigns listed with their figures; more are listed by name only
CREATIVE_FIELDS = 3  # empty ad-text boxes the campaign page offers at once
DIMENSIONS = (("age", "Age", 8), ("gender", "Gender", 4), ("country", "Country", 8))
DIMENSIONS += (("interest", "Interest", 8),)
AGE_ORDER = ["under 13", *(age_band(lo) for lo, _ in AGE_BANDS), "unknown"]

# The words advertisers know for where a campaign stands (the report's status
# first, then, for one that is delivering, whether it is still learning).
STATUS_TEXT = {
    "scheduled": "Scheduled: it starts at its start time.",
    "learning": "Learning: delivery still leans on what similar campaigns did.",
    "active": "Active: delivering on its own results.",
    "limited by goal": "Limited by goal: bidding to hold the goal, it wins few auctions.",
    "budget spent": "Budget spent: it has spent its whole budget.",
    "ended": "Ended: its schedule is over.",
    "paused": "Paused: it shows no ads until you resume it.",
    "no ads": "No ads: it delivers once one of its ads is approved.",
}
# The report's words for a campaign in its flight, delivering or trying to.
IN_FLIGHT = ("on track", "behind", "limited by goal")


def status_of(report: dict[str, Any], c: Campaign) -> tuple[str, str | None]:
    """(status, detail) as the dashboard says it. A campaign in its flight with
    no approved ad delivers nothing, whatever its pacing says: "no ads", not
    "learning" or "limited by goal"."""
    d = report["delivery"]
    status = str(d["status"])
    if status in IN_FLIGHT and not c.creative_item_ids:
        return "no ads", None
    if status in ("on track", "behind"):
        detail = "Spending behind its pacing target." if status == "behind" else None
        return ("learning" if d.get("learning") else "active"), detail
    if status == "limited by goal":
        return status, goal_missed(report, c) or d.get("detail")
    return status, d.get("detail")


def goal_missed(r: dict[str, Any], c: Campaign) -> str | None:
    """How the results so far miss the campaign's goal, in its currency (the
    report's own detail counts minor units, which read here as whole euros)."""
    cur, spend, results = r["currency"], r["spend_minor"], r["results"]
    if c.bid_strategy == "cost_per_result" and c.cost_goal_minor:
        goal = formats.money(c.cost_goal_minor, cur, True)
        if results:
            cost = formats.money(spend / results, cur, True)
            return f"Results so far cost {cost} each, against a goal of {goal}."
        spent = formats.money(spend, cur, True)
        return f"No result yet for {spent} spent, against a goal of {goal} per result."
    if c.bid_strategy == "roas" and c.roas_goal and spend:
        roas = r["value_minor"] / spend
        return f"A return of {roas:.2f} per 1 spent, against a goal of {c.roas_goal:g}."
    return None


def visible(services: Services, who: Principal, campaign_id: str) -> Campaign:
    """The campaign, if the visitor may see it; a 404 page otherwise."""
    if not CAMPAIGN_ID.match(campaign_id):
        raise not_found()
    c = services.campaigns.get(campaign_id, who.scope)
    if c is None:
        raise not_found()
    return c


async def _report(request: Request, visit: Visit, c: Campaign) -> dict[str, Any]:
    assert visit.who is not None
    try:
        return await campaign_routes.report(  # type: ignore[no-any-return]
            request, services_of(request), visit.who, c, picture=False
        )
    except HTTPException as e:
        raise PageError(e.status_code, "Busy", str(e.detail)) from None


# ------------------------------------------------------------------ list
@router.get("", response_class=HTMLResponse)
async def campaigns(request: Request, visit: SignedInDep) -> Response:
    assert visit.who is not None
    services = services_of(request)
    found = await run_in_threadpool(services.campaigns.list, visit.who.scope)
    found = found[::-1]  # newest first
    try:
        figures = await campaign_routes.reports(request, services, visit.who, found[:LIST_MAX])
    except HTTPException as e:
        raise PageError(e.status_code, "Busy", str(e.detail)) from None
    owners = {}
    if visit.operator:
        owners = await run_in_threadpool(
            services.campaigns.advertisers, {c.advertiser_id for c in found}
        )
    rows = [
        {"campaign": c, "report": r, "status": status_of(r, c)[0]}
        for c, r in zip(found, figures, strict=False)
    ]
    rest = found[len(rows) :]
    return render(request, visit, "campaigns.html", rows=rows, rest=rest, owners=owners)


# ---------------------------------------------------------------- launch
async def _advertisers(request: Request, visit: Visit) -> list[Any]:
    if not visit.operator:
        return []
    found = await run_in_threadpool(services_of(request).campaigns.advertisers)
    return list(found.values())


def _writes(request: Request) -> bool:
    """Whether this server can write ads from a brief (it has a language model)."""
    return services_of(request).generations.writer is not None


@router.get("/new", response_class=HTMLResponse)
async def launch_form(request: Request, visit: SignedInDep) -> Response:
    form = campaign_form.CampaignForm.blank(formats.now_rounded(), _writes(request))
    return render(
        request,
        visit,
        "launch.html",
        form=form,
        advertisers=await _advertisers(request, visit),
        writes=_writes(request),
        max_generated=MAX_GENERATED,
    )


@router.post("", response_class=HTMLResponse)
async def launch(request: Request, visit: SignedInDep) -> Response:
    assert visit.who is not None
    services = services_of(request)
    form = await form_of(request, visit)
    body, shown = campaign_form.parse(form, visit.operator)
    if body is not None:
        try:
            c = await run_in_threadpool(campaign_routes.launch, services, visit.who, body)
        except RequestValidationError as e:
            campaign_form.add_errors(shown.errors, e.errors(), body.bid_strategy.type)
        except HTTPException as e:
            if e.status_code == 409:  # ads to write, and no model to write them
                shown.errors["generate"] = "This server cannot write ads: enter 0."
            else:
                shown.errors["advertiser"] = str(e.detail).removeprefix("advertiser_id: ")
        else:
            return redirect(request, visit, f"/app/campaigns/{c.public_id}?launched=1")
    return render(
        request,
        visit,
        "launch.html",
        422,
        form=shown,
        advertisers=await _advertisers(request, visit),
        writes=_writes(request),
        max_generated=MAX_GENERATED,
    )


# --------------------------------------------------------- campaign page
@router.get("/{campaign_id}", response_class=HTMLResponse)
async def campaign(request: Request, campaign_id: str, visit: SignedInDep) -> Response:
    return await show_campaign(request, visit, campaign_id)


async def show_campaign(
    request: Request,
    visit: Visit,
    campaign_id: str,
    status: int = 200,
    creative_errors: list[str] | None = None,
    texts: list[str] | None = None,
    editing: tuple[int, dict[str, str]] | None = None,
) -> Response:
    """The campaign's page; after a refused step, with what went wrong: `creative_errors`,
    the typed `texts` back in their boxes, or the edit form of one ad (`editing`) open."""
    assert visit.who is not None
    services = services_of(request)
    c = await run_in_threadpool(visible, services, visit.who, campaign_id)
    report = await _report(request, visit, c)
    generation = services.generations.status(c.id)  # before the variants: see list_creatives
    variants = await creative_routes.list_for_page(services, c)
    # Each variant's current version's figures and label, from the report.
    figures = {
        (row["creative_id"], row["version"]): row
        for row in (report.get("creatives") or {}).get("variants", [])
    }
    creatives = [(v, figures.get((v.id, v.version))) for v in variants]
    label, detail = status_of(report, c)
    # After a refused submission its texts come back, with one more empty box.
    boxes = [*texts, ""] if texts else [""] * CREATIVE_FIELDS
    return render(
        request,
        visit,
        "campaign.html",
        status,
        c=c,
        r=report,
        label=label,
        status_text=STATUS_TEXT.get(label, label),
        status_detail=detail,
        creatives=creatives,
        creative_errors=creative_errors or [],
        boxes=boxes,
        charts=campaign_charts(c, report),
        launched=request.query_params.get("launched") == "1",
        generation=generation,
        writes=services.generations.writer is not None,
        max_generated=MAX_GENERATED,
        editing=editing,
    )


def campaign_charts(c: Campaign, r: dict[str, Any]) -> dict[str, Any]:
    cur = r["currency"]
    # Both curves are cumulative from the flight's start, where they are 0.
    times = [c.start_at, *(datetime.fromisoformat(p["hour"]) for p in r["pacing"])]
    spend: list[tuple[str, str, list[float]]] = [
        ("spend", "s1", [0.0, *(float(p["spend_minor"]) for p in r["pacing"])]),
        ("pacing target", "target", [0.0, *(float(p["target_minor"]) for p in r["pacing"])]),
    ]
    if c.budget_kind == "lifetime":
        spend.append(("budget", "budget", [float(c.budget_minor)] * len(times)))
    spent = formats.money(r["spend_minor"], cur)
    target = formats.money(r["pacing"][-1]["target_minor"] if r["pacing"] else 0, cur)
    out: dict[str, Any] = {
        "spend": charts.line_chart(
            "chart-spend",
            "Spend against the pacing target",
            f"{spent} spent so far; the pacing target asked for {target} by now.",
            times,
            spend,
            lambda v: formats.money(v, cur),
        ),
        "results": charts.line_chart(
            "chart-results",
            "Results over time",
            f"{r['results']} results so far ({', '.join(r['result_actions'])}), counted "
            "up to each hour.",
            times,
            [("results", "s2", [0.0, *(float(p["results"]) for p in r["results_over_time"])])],
            formats.count,
        ),
        "audience": [],
    }
    for dim, title, most in DIMENSIONS:
        shares = (r.get("audience") or {}).get(dim)
        if not shares:
            continue
        values = list(shares["impressions"])[:most] or list(shares["population"])[:most]
        if dim == "age":
            values.sort(key=lambda v: AGE_ORDER.index(v) if v in AGE_ORDER else len(AGE_ORDER))
        seen = values[0] if shares["impressions"] else None
        summary = (
            f"Most impressions went to {dim} {seen} ({formats.percent(shares['impressions'][seen])}"
            f", against {formats.percent(shares['population'].get(seen, 0.0))} of everyone)."
            if seen is not None
            else "No impressions yet: the bars show the whole platform."
        )
        out["audience"].append(
            charts.bar_chart(
                f"chart-{dim}",
                title,
                summary,
                values,
                [
                    ("who saw it", "s1", shares["impressions"]),
                    ("who responded", "s2", shares["results"]),
                    ("everyone", "pop", shares["population"]),
                ],
            )
        )
    return out


# ----------------------------------------------------------- its actions
@router.post("/{campaign_id}/pause")
async def pause(request: Request, campaign_id: str, visit: SignedInDep) -> Response:
    return await _set_status(request, visit, campaign_id, "paused")


@router.post("/{campaign_id}/resume")
async def resume(request: Request, campaign_id: str, visit: SignedInDep) -> Response:
    return await _set_status(request, visit, campaign_id, "active")


async def _set_status(request: Request, visit: Visit, campaign_id: str, status: str) -> Response:
    assert visit.who is not None
    await form_of(request, visit)
    services = services_of(request)
    c = await run_in_threadpool(visible, services, visit.who, campaign_id)
    await run_in_threadpool(campaign_routes.set_status, services, visit.who, c.public_id, status)
    return redirect(request, visit, f"/app/campaigns/{c.public_id}")
