"""Dashboard sessions: a signed cookie that names the key's hash, and a CSRF token.

Signing in exchanges an API key for a cookie; the key itself is never
stored in it, only its hash, which is looked up on every request like a
key (so revoking the key ends its sessions within the key cache's 30 s).
The cookie is signed with HMAC-SHA256 under the server's secret, HTTP-only,
SameSite=Lax and, over HTTPS, Secure. Every visitor gets one, signed in or
not, because the sign-in form needs a CSRF token too: each form carries the
session's token, and a POST whose token is not the cookie's is refused.
Signing out records the session as ended (`Store.end_session`), so a copy of
its cookie no longer signs anyone in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from unifeed.settings import Settings

COOKIE = "unifeed_session"
PATH = "/app"
MAX_AGE_S = 12 * 3600  # a session lasts this long from sign-in, then asks for the key again
SECRET_FILE = "session.secret"
MAX_COOKIE = 1024  # characters; a longer cookie is not one this server signed


@dataclass(frozen=True)
class Session:
    csrf: str  # the token every form of this session carries
    key_hash: str | None  # the signed-in key's hash; None: not signed in
    issued: int  # unix seconds

    @classmethod
    def new(cls, key_hash: str | None = None, now: float | None = None) -> Session:
        """A fresh session (a new CSRF token: signing in never keeps the old one)."""
        return cls(secrets.token_urlsafe(24), key_hash, int(time.time() if now is None else now))

    def expired(self, now: float) -> bool:
        return not 0 <= now - self.issued < MAX_AGE_S

    @property
    def id_hash(self) -> str:
        """What names the session where it is recorded as ended (its token's hash)."""
        return hashlib.sha256(self.csrf.encode()).hexdigest()

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.issued + MAX_AGE_S, UTC)


class Signer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the session secret must have at least 32 bytes")
        self._secret = secret

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def dumps(self, s: Session) -> str:
        raw = json.dumps([s.csrf, s.key_hash, s.issued], separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(raw).rstrip(b"=")
        return f"{payload.decode()}.{self._mac(payload)}"

    def loads(self, token: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie this server signed and that has not expired, else None."""
        if not token or len(token) > MAX_COOKIE or token.count(".") != 1:
            return None
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            csrf, key_hash, issued = json.loads(raw)
            s = Session(str(csrf), None if key_hash is None else str(key_hash), int(issued))
        except (ValueError, TypeError):
            return None
        return None if s.expired(time.time() if now is None else now) else s


def csrf_ok(s: Session, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(s.csrf.encode(), sent.encode())


def secret_of(settings: Settings) -> bytes:
    """The configured secret, or the one kept in the data folder (made on first use).

    Several servers behind one address must be given the same secret
    (UNIFEED_SESSION_SECRET): each would otherwise make its own, and refuse
    the others' cookies."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    path = Path(settings.data_dir) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Created whole or not at all, readable by its owner only; a server
        # starting at the same moment reads the one that won.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            secret = path.read_bytes().strip()
            if secret:
                return secret
            time.sleep(0.02)  # the other server is writing it
        raise RuntimeError(f"{path} is empty: delete it, or set UNIFEED_SESSION_SECRET") from None
    secret = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret
