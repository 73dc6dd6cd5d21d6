"""Signing in with an API key (the operator's, an advertiser's or a creator's),
signing out, and where each visitor starts."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unifeed.settings import MAX_KEY_LENGTH
from unifeed.store.db import hash_key
from unifeed.web.pages import (
    AnyoneDep,
    Visit,
    VisitDep,
    form_of,
    holder_of,
    render,
    services_of,
    set_session,
    sign_in_redirect,
    with_cookie,
)
from unifeed.web.sessions import COOKIE, PATH, Session

router = APIRouter(prefix="/app")


def home_of(visit: Visit) -> str:
    if visit.creator is not None:
        return f"{PATH}/creators/{quote(visit.creator.external_id, safe='')}/assistant"
    if visit.who is None:
        return f"{PATH}/sign-in"
    return f"{PATH}/operator" if visit.operator else f"{PATH}/campaigns"


def safe_next(path: str | None, visit: Visit) -> str:
    """Where to go after signing in: a dashboard page of this server, or home."""
    if path and path.startswith(f"{PATH}/") and not path.startswith("//") and "\\" not in path:
        return path
    return home_of(visit)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, visit: VisitDep) -> Response:
    if not visit.signed:
        return with_cookie(sign_in_redirect(f"{PATH}/"), request, visit)
    return with_cookie(RedirectResponse(home_of(visit), status_code=303), request, visit)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, visit: VisitDep) -> Response:
    return render(
        request, visit, "sign_in.html", next=request.query_params.get("next", ""), error=None
    )


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, visit: VisitDep) -> Response:
    form = await form_of(request, visit)
    key, after = form.get("key"), form.get("next")
    error, who, creator = None, None, None
    if not key:
        error = "Enter your API key."
    elif len(key) > MAX_KEY_LENGTH:
        error = f"API keys have at most {MAX_KEY_LENGTH} characters."
    else:
        digest = hash_key(key)
        who, creator = await run_in_threadpool(holder_of, services_of(request), digest)
        if who is None and creator is None:
            error = "This key is not known here. Check it, or ask your operator for one."
    if error is not None:
        return render(request, visit, "sign_in.html", 401, next=after, error=error)
    # A new session (a new CSRF token too): nothing from before signing in carries over.
    session = Session.new(digest)
    signed = Visit(session, who, fresh=False, creator=creator)
    response = RedirectResponse(safe_next(after, signed), status_code=303)
    set_session(response, request, session)
    return with_cookie(response, request, signed)


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request, visit: AnyoneDep) -> Response:
    await form_of(request, visit)
    session = visit.session
    await run_in_threadpool(
        services_of(request).store.end_session, session.id_hash, session.expires_at
    )
    response = RedirectResponse(f"{PATH}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")
    return with_cookie(response, request, Visit(visit.session, None, fresh=False))
