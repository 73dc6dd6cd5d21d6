"""What every dashboard page shares: who is visiting, forms, rendering, errors.

A visit is the session cookie checked and its key looked up: the operator's,
an advertiser's or a creator's. Pages that need someone signed in send
everyone else to the sign-in page; pages of another tenant, the operator's
pages for an advertiser, a creator's pages for anyone but that creator and the
advertisers' pages for a creator are a 404 exactly like a page that does not
exist. Every POST is a form whose CSRF token must be the
session's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from unifeed import __version__
from unifeed.api import limits
from unifeed.api.deps import Principal, Services
from unifeed.assistants.records import Creator
from unifeed.web import formats
from unifeed.web.sessions import COOKIE, MAX_AGE_S, PATH, Session, Signer, csrf_ok

STATIC = Path(__file__).parent / "static"
FORM_LIMIT = 64 * 2**10  # bytes of one form: a campaign with its brief is a few KiB
MAX_FIELDS = 200

# The page may load its own styles and script and nothing else, from nowhere else.
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Visit:
    session: Session
    who: Principal | None  # the operator or an advertiser; None for a creator
    fresh: bool  # the response must set the cookie
    name: str | None = None  # whom the header names: the advertiser's or creator's name
    creator: Creator | None = None  # signed in with a creator's key

    @property
    def operator(self) -> bool:
        return self.who is not None and self.who.role == "operator"

    @property
    def signed(self) -> bool:
        return self.who is not None or self.creator is not None


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PageError(Exception):
    """A page that answers with an error: its status, a title and what to do."""

    def __init__(self, status: int, title: str, message: str = "") -> None:
        self.status, self.title, self.message = status, title, message


def not_found() -> PageError:
    return PageError(404, "Page not found", "There is no such page, or it is not yours to see.")


# ------------------------------------------------------------------ visits
def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def signer_of(request: Request) -> Signer:
    return request.app.state.web_signer  # type: ignore[no-any-return]


def holder_of(services: Services, key_hash: str) -> tuple[Principal | None, Creator | None]:
    """Who holds the key with this hash: the operator or an advertiser, or a creator."""
    who = services.principal_of_hash(key_hash)
    if who is not None:
        return who, None
    creator_id = services.creator_of_hash(key_hash)
    if creator_id is None:
        return None, None
    return None, services.assistants.records.creator_by_id(creator_id)


def visit_of(request: Request) -> Visit:
    """Who is visiting, from the session cookie (a fresh anonymous session
    when there is none, it is not ours, or it expired)."""
    session = signer_of(request).loads(request.cookies.get(COOKIE))
    if session is None:
        return Visit(Session.new(), None, fresh=True)
    if session.key_hash is None:
        return Visit(session, None, fresh=False)
    services = services_of(request)
    who, creator = holder_of(services, session.key_hash)
    if (who is None and creator is None) or services.store.session_ended(session.id_hash):
        # Signed out, or its key was revoked: a new anonymous session.
        return Visit(Session.new(), None, fresh=True)
    if creator is not None:
        return Visit(session, None, fresh=False, name=creator.name, creator=creator)
    assert who is not None
    name = "operator"
    if who.advertiser_id is not None:
        found = services.campaigns.advertisers([who.advertiser_id]).get(who.advertiser_id)
        name = found.name if found else "advertiser"
    return Visit(session, who, fresh=False, name=name)


def _sign_in_first(request: Request) -> SignInRequired:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return SignInRequired(path if request.method == "GET" else PATH + "/")


def anyone_signed_in(request: Request, visit: Annotated[Visit, Depends(visit_of)]) -> Visit:
    if not visit.signed:
        raise _sign_in_first(request)
    return visit


def signed_in(request: Request, visit: Annotated[Visit, Depends(visit_of)]) -> Visit:
    """The operator or an advertiser (a creator cannot tell their pages exist)."""
    if visit.creator is not None:
        raise not_found()
    if visit.who is None:
        raise _sign_in_first(request)
    return visit


def creator_signed_in(request: Request, visit: Annotated[Visit, Depends(visit_of)]) -> Visit:
    """A creator (the operator and advertisers cannot tell creators' pages exist)."""
    if visit.who is not None:
        raise not_found()
    if visit.creator is None:
        raise _sign_in_first(request)
    return visit


def operator_only(visit: Annotated[Visit, Depends(signed_in)]) -> Visit:
    if not visit.operator:
        raise not_found()  # an advertiser cannot tell the operator's pages exist
    return visit


VisitDep = Annotated[Visit, Depends(visit_of)]
SignedInDep = Annotated[Visit, Depends(signed_in)]
OperatorDep = Annotated[Visit, Depends(operator_only)]
CreatorDep = Annotated[Visit, Depends(creator_signed_in)]
AnyoneDep = Annotated[Visit, Depends(anyone_signed_in)]


# ------------------------------------------------------------------- forms
class Form:
    """A submitted form's fields (each name's first value, stripped)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, [])]

    def values(self) -> dict[str, str]:
        """Each field's first value, to fill a form in again after an error."""
        return {k: v[0] for k, v in self.fields.items() if v}


async def form_of(request: Request, visit: Visit) -> Form:
    """The POSTed form, after its CSRF token is checked against the session's."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise PageError(415, "Unsupported form", "Send the form from the dashboard's page.")
    try:
        raw = await limits.read_body(request, FORM_LIMIT)
    except HTTPException:
        too_large = f"A form has at most {FORM_LIMIT:,} bytes."
        raise PageError(413, "Form too large", too_large) from None
    try:
        fields = parse_qs(
            raw.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            strict_parsing=False,
        )
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "Unreadable form", "The form was not valid UTF-8.") from None
    form = Form({k: [v.replace("\x00", "") for v in vs] for k, vs in fields.items()})
    if visit.fresh or not csrf_ok(visit.session, form.get("csrf") or None):
        raise PageError(
            403,
            "This form has expired",
            "The page was open too long, or your session changed. Go back, reload the page "
            "and send the form again.",
        )
    return form


# -------------------------------------------------------------- rendering
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("unifeed.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formats.FILTERS)
    env.globals["version"] = __version__
    return env


def with_cookie(response: Response, request: Request, visit: Visit) -> Response:
    for k, v in HEADERS.items():
        response.headers.setdefault(k, v)
    if visit.fresh:
        set_session(response, request, visit.session)
    return response


def set_session(response: Response, request: Request, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        signer_of(request).dumps(session),
        max_age=max(1, MAX_AGE_S - int(time.time() - session.issued)),
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def render(
    request: Request, visit: Visit, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    env: Environment = request.app.state.web_templates
    html = env.get_template(template).render(
        visit=visit, csrf=visit.session.csrf, path=request.url.path, **context
    )
    response = HTMLResponse(html, status_code=status)
    with_cookie(response, request, visit)
    return response


def redirect(request: Request, visit: Visit, to: str) -> Response:
    """After a form: see the page it changed (303, so a reload does not send it again)."""
    return with_cookie(RedirectResponse(to, status_code=303), request, visit)


def sign_in_redirect(next_path: str) -> Response:
    return RedirectResponse(f"{PATH}/sign-in?next={quote(next_path, safe='/')}", status_code=303)


async def error_page(request: Request, status: int, title: str, message: str) -> Response:
    visit = await run_in_threadpool(visit_of, request)
    return render(request, visit, "error.html", status, title=title, message=message)
