"""What every request needs: the services, and the API key check."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from unifeed.ads.billing import Billing
from unifeed.ads.campaigns import Campaigns
from unifeed.ads.config import DeliveryConfig
from unifeed.clock import Clock
from unifeed.serving.feed import FeedService
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.text.embeddings import HashingEncoder, MiniLMEncoder, TextEncoder

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 30.0

# What the key check can answer, for the OpenAPI spec of every guarded route.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown API key"},
    403: {"description": "this key may not use this endpoint"},
}  # a revoked key stops working within this long


@dataclass(frozen=True)
class Principal:
    """Who is calling: the operator (sees everything) or one advertiser."""

    role: Literal["operator", "advertiser"]
    advertiser_id: int | None = None

    @property
    def scope(self) -> int | None:
        """The advertiser whose rows a query may see; None: all of them."""
        return self.advertiser_id if self.role == "advertiser" else None


@dataclass
class Services:
    settings: Settings
    store: Store
    feed: FeedService
    encoder: TextEncoder
    campaigns: Campaigns
    billing: Billing
    _keys: dict[str, tuple[Principal | None, float]]
    _encode_lock: threading.Lock

    @classmethod
    def start(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        delivery: DeliveryConfig | None = None,
    ) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.resolved_database_url)
        applied = store.migrate()
        if applied:
            log.info("database migrated to version %d", max(applied))
        if settings.operator_key:
            store.add_api_key("operator", settings.operator_key, role="operator")
        encoder: TextEncoder = MiniLMEncoder() if settings.encoder == "minilm" else HashingEncoder()
        feed = FeedService(store, settings, clock, delivery)
        feed.reload(force=True)
        return cls(
            settings, store, feed, encoder, Campaigns(store), Billing(store), {}, threading.Lock()
        )

    def principal_of(self, key: str) -> Principal | None:
        hit = self._keys.get(key)
        if hit is not None and time.monotonic() - hit[1] < KEY_CACHE_SECONDS:
            return hit[0]
        who: Principal | None = None
        if self.store.role_of(key) == "operator":
            who = Principal("operator")
        else:
            advertiser = self.campaigns.advertiser_of_key(key)
            if advertiser is not None:
                who = Principal("advertiser", advertiser)
        self._keys[key] = (who, time.monotonic())
        return who

    def embed(self, texts: list[str | None]) -> list[bytes | None]:
        """float32 bytes of each text's embedding; None where there is no text."""
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        out: list[bytes | None] = [None] * len(texts)
        if todo:
            # One encode at a time: a model call already uses every core.
            with self._encode_lock:
                vecs = self.encoder.encode([str(texts[i]).strip() for i in todo])
            for i, v in zip(todo, np.asarray(vecs, dtype=np.float32), strict=True):
                out[i] = v.tobytes()
        return out


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="an operator API key")


def require_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    who = services.principal_of(credentials.credentials)
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return who


PrincipalDep = Annotated[Principal, Depends(require_principal)]


def require_operator(who: PrincipalDep) -> Principal:
    if who.role != "operator":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this endpoint needs the operator key")
    return who


OperatorDep = Annotated[Principal, Depends(require_operator)]
