"""A creator's pages: their assistant's setup, its conversations, and drafted posts.

A creator signs in with the key `POST /v1/creators` issued them. Every
page calls the assistant routes' own functions (`unifeed.api.assistant_routes`)
as that creator, so the dashboard and the API cannot disagree: the same
setup is accepted, the same question answered, and another creator's pages
are a 404 exactly like the API's. The operator's and advertisers' sessions
meet a 404 here too (`creator_signed_in`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from unifeed.api import assistant_routes
from unifeed.api.assistant_routes import Caller
from unifeed.api.assistant_schemas import DraftCreate, LoggedMessage, MessageCreate
from unifeed.api.deps import Services
from unifeed.assistants.config import AssistantConfig
from unifeed.assistants.records import Creator
from unifeed.web import assistant_form
from unifeed.web.pages import (
    CreatorDep,
    PageError,
    Visit,
    form_of,
    not_found,
    redirect,
    render,
    services_of,
)

router = APIRouter(prefix="/app/creators/{creator_id}")
MAX_ID = 200  # characters of a creator's id, as the API's path allows
MESSAGES = 100  # newest messages shown
EXCERPT = 220  # characters of a cited post shown beside an answer

# What each kind of reply means, for the creator reading the log.
KIND_TEXT = {
    "answered": "Answered from your posts",
    "quoted": "Quoted from a post",
    "not_in_posts": "Not in your posts",
    "declined": "Declined",
}


def _caller(visit: Visit) -> Caller:
    assert visit.creator is not None
    return Caller("creator", visit.creator.id)


def mine(services: Services, visit: Visit, creator_id: str) -> Creator:
    """The creator whose pages these are, if it is the visitor; a 404 page otherwise."""
    if not creator_id or len(creator_id) > MAX_ID or "\x00" in creator_id:
        raise not_found()
    try:
        return assistant_routes.visible(services, _caller(visit), creator_id)
    except HTTPException:
        raise not_found() from None


def home(creator: Creator) -> str:
    return f"/app/creators/{quote(creator.external_id, safe='')}"


@dataclass(frozen=True)
class Cited:
    """A post an answer or a draft points to, with the start of its text."""

    id: str
    excerpt: str | None  # None: the post is no longer in what the assistant knows


def _cited(services: Services, creator: Creator, ids: list[str]) -> list[Cited]:
    by_id = services.assistants.library.get(creator.external_id).by_id
    out = []
    for i in ids:
        post = by_id.get(i)
        text = None if post is None else post.text
        if text is not None and len(text) > EXCERPT:
            text = text[: EXCERPT - 1].rstrip() + "…"
        out.append(Cited(i, text))
    return out


# ------------------------------------------------------------- assistant
@router.get("", response_class=HTMLResponse)
def start(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    creator = mine(services_of(request), visit, creator_id)
    return redirect(request, visit, f"{home(creator)}/assistant")


@router.get("/assistant", response_class=HTMLResponse)
async def assistant(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    config = await run_in_threadpool(services.assistants.records.config, creator.id)
    return _assistant_page(
        request, visit, creator, config, assistant_form.AssistantForm.of(config, creator.name)
    )


def _assistant_page(
    request: Request,
    visit: Visit,
    creator: Creator,
    config: AssistantConfig | None,
    form: assistant_form.AssistantForm,
    status: int = 200,
    ask_error: str | None = None,
    question: str = "",
) -> Response:
    notice = {"saved": "Saved: your assistant answers with this setup now.", "off": None}
    return render(
        request,
        visit,
        "creator_assistant.html",
        status,
        creator=creator,
        home=home(creator),
        config=config,
        form=form,
        ask_error=ask_error,
        question=question,
        notice=notice.get(request.query_params.get("done", "")),
        switched_off=request.query_params.get("done") == "off",
    )


@router.post("/assistant", response_class=HTMLResponse)
async def set_up(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    """Save the whole setup and switch the assistant on (the API's PUT)."""
    form = await form_of(request, visit)
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    body, shown = assistant_form.parse(form)
    if body is None:
        config = await run_in_threadpool(services.assistants.records.config, creator.id)
        return _assistant_page(request, visit, creator, config, shown, 422)
    await run_in_threadpool(
        assistant_routes.set_up_assistant, creator.external_id, body, services, _caller(visit)
    )
    return redirect(request, visit, f"{home(creator)}/assistant?done=saved")


@router.post("/assistant/off", response_class=HTMLResponse)
async def switch_off(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    await form_of(request, visit)
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    try:
        await run_in_threadpool(
            assistant_routes.switch_off, creator.external_id, services, _caller(visit)
        )
    except HTTPException as e:  # no assistant to switch off
        raise PageError(409, "Nothing to switch off", str(e.detail)) from None
    return redirect(request, visit, f"{home(creator)}/assistant?done=off")


@router.post("/assistant/ask", response_class=HTMLResponse)
async def ask(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    """A test question, asked as the creator: the answer is logged like any other."""
    form = await form_of(request, visit)
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    question = form.get("question")
    error, status = None, 422
    try:
        body = MessageCreate(text=question)
    except ValidationError:
        error = "Type a question of up to 2,000 characters."
    else:
        try:
            message = await run_in_threadpool(
                assistant_routes.ask, creator.external_id, body, services, _caller(visit)
            )
        except HTTPException as e:  # switched off, or not set up
            error, status = f"{str(e.detail)[:1].upper()}{str(e.detail)[1:]}.", e.status_code
        else:
            return redirect(
                request, visit, f"{home(creator)}/conversations?asked={message.id}#m-{message.id}"
            )
    config = await run_in_threadpool(services.assistants.records.config, creator.id)
    shown = assistant_form.AssistantForm.of(config, creator.name)
    return _assistant_page(request, visit, creator, config, shown, status, error, question)


# --------------------------------------------------------- conversations
@router.get("/conversations", response_class=HTMLResponse)
async def conversations(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    found = await run_in_threadpool(
        assistant_routes.conversations,
        creator.external_id,
        services,
        _caller(visit),
        None,
        MESSAGES,
    )

    def shown(m: LoggedMessage) -> dict[str, Any]:
        return {
            "m": m,
            "kind": KIND_TEXT.get(m.kind, m.kind),
            "citations": _cited(services, creator, m.citations),
            "closest": _cited(services, creator, m.closest_posts),
        }

    threads = await run_in_threadpool(
        lambda: [(c.user_id, [shown(m) for m in c.messages]) for c in found.conversations]
    )
    return render(
        request,
        visit,
        "creator_conversations.html",
        creator=creator,
        home=home(creator),
        threads=threads,
        asked=request.query_params.get("asked"),
        most=MESSAGES,
    )


# ---------------------------------------------------------------- drafts
@router.get("/drafts", response_class=HTMLResponse)
async def drafts(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    return await _drafts_page(request, visit, services, creator)


async def _drafts_page(
    request: Request,
    visit: Visit,
    services: Services,
    creator: Creator,
    status: int = 200,
    error: str | None = None,
    topic: str = "",
) -> Response:
    found = await run_in_threadpool(
        assistant_routes.list_drafts, creator.external_id, services, _caller(visit)
    )
    rows = await run_in_threadpool(
        lambda: [(d, _cited(services, creator, d.source_post_ids)) for d in found.drafts[::-1]]
    )
    return render(
        request,
        visit,
        "creator_drafts.html",
        status,
        creator=creator,
        home=home(creator),
        drafts=rows,
        error=error,
        topic=topic,
        made=request.query_params.get("made"),
    )


@router.post("/drafts", response_class=HTMLResponse)
async def draft(request: Request, creator_id: str, visit: CreatorDep) -> Response:
    """Draft a post about a topic, in the creator's voice (the model runs now)."""
    form = await form_of(request, visit)
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    topic = form.get("topic")
    try:
        body = DraftCreate(topic=topic)
    except ValidationError:
        error = "Say what the post is about, in up to 300 characters."
    else:
        try:
            made = await run_in_threadpool(
                assistant_routes.create_draft, creator.external_id, body, services, _caller(visit)
            )
        except HTTPException as e:
            error = {
                404: "Set up your assistant first: drafts are written in its voice.",
                409: "You have no published posts to draft from yet.",
                503: "This server has no language model, so it cannot write drafts.",
            }.get(e.status_code, f"No draft this time ({e.detail}); try again.")
        else:
            return redirect(request, visit, f"{home(creator)}/drafts?made={made.id}#d-{made.id}")
    return await _drafts_page(request, visit, services, creator, 422, error, topic)


@router.post("/drafts/{draft_id}/publish", response_class=HTMLResponse)
async def publish(request: Request, creator_id: str, draft_id: str, visit: CreatorDep) -> Response:
    await form_of(request, visit)
    services = services_of(request)
    creator = await run_in_threadpool(mine, services, visit, creator_id)
    if not draft_id or len(draft_id) > 64 or any(ch not in "0123456789abcdef" for ch in draft_id):
        raise not_found()
    try:
        await run_in_threadpool(
            assistant_routes.publish_draft, creator.external_id, draft_id, services, _caller(visit)
        )
    except HTTPException as e:
        if e.status_code == 404:
            raise not_found() from None
        return await _drafts_page(request, visit, services, creator, 409, "Already published.")
    return redirect(request, visit, f"{home(creator)}/drafts#d-{draft_id}")
