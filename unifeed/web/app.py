"""The dashboard mounted in the API's app: `unifeed serve` serves both.

Pages live under /app and their styles and script under /app/static, all
from this package: nothing is built on the user's side and nothing is
loaded from elsewhere. Errors on a dashboard page are pages too; the API
keeps its JSON errors.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from unifeed.ads.config import DeliveryConfig
from unifeed.api.app import create_app as create_api
from unifeed.clock import Clock
from unifeed.llm import LanguageModel
from unifeed.settings import Settings
from unifeed.web import (
    account_pages,
    campaign_pages,
    creative_pages,
    creator_pages,
    operator_pages,
)
from unifeed.web.pages import (
    HEADERS,
    STATIC,
    PageError,
    SignInRequired,
    environment,
    error_page,
    sign_in_redirect,
)
from unifeed.web.sessions import PATH, Signer, secret_of

# Every router of dashboard pages (tests/web walks each of their routes across tenants).
ROUTERS = (
    account_pages.router,
    campaign_pages.router,
    creative_pages.router,
    creator_pages.router,
    operator_pages.router,
)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    delivery: DeliveryConfig | None = None,
    language_model: LanguageModel | None = None,
) -> FastAPI:
    """The API with the dashboard (what `unifeed serve` runs); the arguments are the API's."""
    settings = settings or Settings()
    app = create_api(settings, clock, delivery, language_model)
    install(app, settings)
    return app


def install(app: FastAPI, settings: Settings) -> None:
    app.state.web_signer = Signer(secret_of(settings))
    app.state.web_templates = environment()
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.mount(f"{PATH}/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(f"{PATH}/", status_code=307)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return await error_page(request, exc.status, exc.title, exc.message)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        response = sign_in_redirect(exc.next_path)
        response.headers.update(HEADERS)
        return response

    api_http_error = app.exception_handlers[HTTPException]

    async def http_error(request: Request, exc: Exception) -> Any:
        """A dashboard path's HTTP error (an unknown page, a wrong method) as a page."""
        assert isinstance(exc, HTTPException)
        if not request.url.path.startswith(f"{PATH}/") or request.url.path.startswith(
            f"{PATH}/static/"
        ):
            return await api_http_error(request, exc)
        title = {404: "Page not found", 405: "Not allowed"}.get(exc.status_code, "Error")
        return await error_page(request, exc.status_code, title, str(exc.detail))

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(HTTPException, http_error)
