"""The operator's pages: what the service holds and serves, and why a feed is what it is.

The overview counts the store's rows and shows the model in service
(`unifeed.serving.model_status`), with buttons to retrain and to reload.
A user's page shows their history, the pages they were served with the
auction's record of each ad (bid, p(result), price, runner-up), and a live
preview: the page the feed would serve them now, as a dry run that logs
nothing and holds no budget (`FeedService.preview`). Advertisers get a 404
for every one of these pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unifeed.ads.campaigns import Campaign
from unifeed.ads.records.slots import SlotRecord, SlotRecords
from unifeed.api.deps import Services
from unifeed.serving.model_status import model_status
from unifeed.store.feed_log import FeedLog, ServedPage
from unifeed.store.store import ItemSummary
from unifeed.web.pages import (
    OperatorDep,
    PageError,
    form_of,
    redirect,
    render,
    services_of,
    with_cookie,
)

router = APIRouter(prefix="/app/operator")
TABLES = ("users", "items", "events", "campaigns")
HISTORY = 50  # the user's newest events shown
PAGES = 5  # the newest pages served to them
PREVIEW_N = 20  # items in the live preview
RECENT_USERS = 12
MAX_USER_ID = 200


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, visit: OperatorDep) -> Response:
    services = services_of(request)

    def gather() -> dict[str, Any]:
        now = services.feed.clock.now()
        return {
            "counts": {t: services.store.count(t) for t in TABLES},
            "model": model_status(services.feed, now),
            "retrain": services.retrainer.status(),
            "recent_users": FeedLog(services.store).recent_users(RECENT_USERS),
            "notice": _notice(request.query_params),
        }

    return render(request, visit, "operator.html", **await run_in_threadpool(gather))


def _notice(params: Any) -> str | None:
    return {
        ("retrain", "started"): "Retraining started. The new model serves once it is published.",
        ("retrain", "running"): "A retrain is already running; it goes on.",
        ("reload", "loaded"): "Loaded the newest published checkpoint.",
        ("reload", "unchanged"): "The newest published checkpoint is already in service.",
    }.get(next(iter(params.items()), ("", "")))


@router.post("/retrain")
async def retrain(request: Request, visit: OperatorDep) -> Response:
    await form_of(request, visit)
    started = await run_in_threadpool(services_of(request).retrainer.start)
    return redirect(request, visit, f"/app/operator?retrain={'started' if started else 'running'}")


@router.post("/reload")
async def reload(request: Request, visit: OperatorDep) -> Response:
    await form_of(request, visit)
    loaded = await run_in_threadpool(services_of(request).feed.reload, True)
    return redirect(request, visit, f"/app/operator?reload={'loaded' if loaded else 'unchanged'}")


@router.get("/users", response_class=HTMLResponse)
def find_user(request: Request, visit: OperatorDep) -> Response:
    """The search box's answer: that user's page."""
    user_id = request.query_params.get("user_id", "").strip()
    if not user_id or len(user_id) > MAX_USER_ID:
        return with_cookie(RedirectResponse("/app/operator", status_code=303), request, visit)
    to = f"/app/operator/users/{quote(user_id, safe='')}"
    return with_cookie(RedirectResponse(to, status_code=303), request, visit)


# ------------------------------------------------------------- a user
@dataclass(frozen=True)
class ServedSlotView:
    record: SlotRecord
    campaign: Campaign | None
    runner_up: Campaign | None


@dataclass(frozen=True)
class PageView:
    page: ServedPage
    items: list[tuple[ItemSummary | None, float, ServedSlotView | None]]


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user(request: Request, user_id: str, visit: OperatorDep) -> Response:
    services = services_of(request)
    if len(user_id) > MAX_USER_ID or "\x00" in user_id:
        raise PageError(404, "No such user", "User ids have at most 200 characters.")
    pk = services.store.user_pk(user_id)
    if pk is None:
        raise PageError(404, "No such user", f"No user {user_id!r} in the store.")
    return render(request, visit, "user.html", **user_view(services, user_id, pk))


def user_view(services: Services, user_id: str, pk: int) -> dict[str, Any]:
    store = services.store
    events = store.recent_events(pk, HISTORY)
    preview = services.feed.preview(user_id, PREVIEW_N)
    pages = FeedLog(store).recent_pages(user_id, PAGES)
    slots = SlotRecords(store).records([p.request_id for p in pages])
    preview_items = store.item_pks({w.item.item_id for w in preview.items})
    item_pks = [e.item_pk for e in events] + [pk for p in pages for pk, _ in p.items]
    items = store.items_of([*item_pks, *preview_items.values()])
    named = [(s.campaign_id, s.runner_up_campaign_id) for s in slots]
    named += [(w.ad.campaign_id, w.ad.runner_up_campaign_id) for w in preview.items if w.ad]
    campaigns = services.campaigns.by_ids({c for pair in named for c in pair if c is not None})
    by_slot = {(s.request_id, s.position): s for s in slots}
    page_views = []
    for p in pages:
        rows = []
        for pos, (item_pk, score) in enumerate(p.items):
            s = by_slot.get((p.request_id, pos))
            view = None
            if s is not None:
                runner = None
                if s.runner_up_campaign_id is not None:
                    runner = campaigns.get(s.runner_up_campaign_id)
                view = ServedSlotView(s, campaigns.get(s.campaign_id), runner)
            rows.append((items.get(item_pk), score, view))
        page_views.append(PageView(p, rows))
    return {
        "user_id": user_id,
        "attributes": store.user_attributes(pk),
        "events": [(e, items.get(e.item_pk)) for e in events],
        "preview": preview,
        "preview_items": [items.get(preview_items.get(w.item.item_id, -1)) for w in preview.items],
        "pages": page_views,
        "campaigns": campaigns,
        "now": datetime.now(UTC),
    }
