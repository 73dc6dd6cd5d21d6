"""Dashboard sessions: the key becomes a signed cookie, every form needs the
session's CSRF token, signing out ends the session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import KEY
from tests.web.conftest import Visitor
from unifeed.settings import Settings
from unifeed.web.sessions import MAX_AGE_S, Session, Signer


def test_signing_in_exchanges_the_key_for_a_signed_http_only_cookie(web: TestClient) -> None:
    v = Visitor(web)
    r = v.get("/app/campaigns")
    assert r.status_code == 303 and r.headers["location"] == "/app/sign-in?next=/app/campaigns"
    form = v.get("/app/sign-in")
    assert form.status_code == 200 and 'type="password"' in form.text
    anonymous = v.cookie
    r = v.post("/app/sign-in", {"key": KEY, "next": "/app/campaigns"})
    assert r.status_code == 303 and r.headers["location"] == "/app/campaigns"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/app" in cookie
    assert KEY not in cookie  # only the key's hash, signed
    assert v.cookie != anonymous  # a new session (and token) on signing in
    page = v.get("/app/campaigns")
    assert page.status_code == 200 and "Signed in as" in page.text
    # Security headers: nothing may be loaded from elsewhere.
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_wrong_key_is_refused_with_a_message_and_no_session(web: TestClient) -> None:
    v = Visitor(web)
    v.get("/app/sign-in")
    r = v.post("/app/sign-in", {"key": "not-a-key-0123456789"})
    assert r.status_code == 401 and "not known here" in r.text
    assert 'aria-invalid="true"' in r.text
    assert v.get("/app/campaigns").status_code == 303
    assert v.post("/app/sign-in", {"key": ""}).status_code == 401
    assert "at most 256" in v.post("/app/sign-in", {"key": "k" * 300}).text


def test_a_forged_or_expired_cookie_signs_nobody_in(web: TestClient) -> None:
    v = Visitor(web).sign_in(KEY)
    good = v.cookie
    assert good is not None
    payload, mac = good.split(".")
    for forged in (f"{payload}.{mac[:-2]}xx", f"{payload[:-3]}abc.{mac}", "x" * 5000, "a.b.c"):
        v.cookie = forged
        assert v.get("/app/campaigns").status_code == 303, forged
    # Signed by another secret: refused.
    v.cookie = Signer(b"s" * 32).dumps(Session.new(None))
    assert v.get("/app/campaigns").status_code == 303
    signer = web.app.state.web_signer  # type: ignore[attr-defined]
    session = signer.loads(good)
    old = Session(session.csrf, session.key_hash, session.issued - MAX_AGE_S - 1)
    assert signer.loads(signer.dumps(old)) is None


def test_every_form_needs_the_sessions_csrf_token(web: TestClient) -> None:
    v = Visitor(web).sign_in(KEY)
    other = Visitor(web).sign_in(KEY)
    assert v.csrf != other.csrf
    for token in ("", "wrong", other.csrf):
        r = v.post("/app/operator/reload", {"csrf": token})
        assert r.status_code == 403 and "expired" in r.text, token
    r = v.post("/app/operator/reload")
    assert r.status_code == 303
    # Not a form at all: refused before anything runs.
    r = v.request("POST", "/app/operator/reload", json={"csrf": v.csrf})
    assert r.status_code == 415
    # The sign-in form needs a token too (no cookie: none to match).
    fresh = Visitor(web)
    assert fresh.post("/app/sign-in", {"key": KEY, "csrf": "guess"}).status_code == 403


def test_signing_out_ends_the_session_even_for_a_copied_cookie(web: TestClient) -> None:
    v = Visitor(web).sign_in(KEY)
    copy = v.cookie
    r = v.post("/app/sign-out")
    assert r.status_code == 303 and r.headers["location"] == "/app/sign-in"
    assert v.cookie is None
    thief = Visitor(web)
    thief.cookie = copy
    assert thief.get("/app/operator").status_code == 303


def test_a_revoked_key_ends_its_sessions(web: TestClient) -> None:
    key = web.post("/v1/advertisers", json={"id": "acme", "name": "Acme"}).json()["api_key"]
    v = Visitor(web).sign_in(key)
    assert v.get("/app/campaigns").status_code == 200
    services = web.app.state.services  # type: ignore[attr-defined]
    from sqlalchemy import delete

    from unifeed.store import schema

    with services.store.write() as conn:
        conn.execute(delete(schema.advertiser_keys))
    services.keys._hits.clear()  # the key cache would keep it for up to 30 s
    assert v.get("/app/campaigns").status_code == 303


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "/v1/feed", "/app\\x"]
)
def test_signing_in_never_sends_anyone_off_the_dashboard(web: TestClient, next_path: str) -> None:
    v = Visitor(web)
    v.get("/app/sign-in")
    r = v.post("/app/sign-in", {"key": KEY, "next": next_path})
    assert r.status_code == 303 and r.headers["location"] == "/app/operator"


def test_the_session_secret_is_kept_in_the_data_folder(web_settings, tmp_path) -> None:
    from unifeed.web.sessions import SECRET_FILE, secret_of

    first = secret_of(web_settings)
    assert secret_of(web_settings) == first  # the second server reads the first's
    path = web_settings.data_dir / SECRET_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    configured = Settings(data_dir=tmp_path / "other", session_secret="k" * 32)
    assert secret_of(configured) == b"k" * 32
    assert not (tmp_path / "other" / SECRET_FILE).exists()
