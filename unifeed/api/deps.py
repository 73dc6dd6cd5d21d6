"""What every request needs: the services, and the API key check."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

import numpy as np
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from unifeed.ads.billing import Billing
from unifeed.ads.config import DeliveryConfig
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.api.creatives import Generations
from unifeed.api.heavy import HeavyWork
from unifeed.assistants.service import Assistants
from unifeed.clock import Clock
from unifeed.creative import CreativeWriter
from unifeed.llm import LanguageModel
from unifeed.serving.feed import FeedService
from unifeed.serving.retrain import Retrainer
from unifeed.settings import MAX_KEY_LENGTH, Settings
from unifeed.store import Store
from unifeed.store.db import hash_key
from unifeed.text.embeddings import HashingEncoder, MiniLMEncoder, TextEncoder

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 30.0  # a revoked key stops working within this long
KEY_CACHE_SIZE = 4096  # valid keys remembered at most (least recently used leave first)

# What the key check can answer, for the OpenAPI spec of every guarded route.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, unknown or over-long API key"},
    403: {"description": "this key may not use this endpoint"},
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the operator (sees everything) or one advertiser."""

    role: Literal["operator", "advertiser"]
    advertiser_id: int | None = None

    @property
    def scope(self) -> int | None:
        """The advertiser whose rows a query may see; None: all of them."""
        return self.advertiser_id if self.role == "advertiser" else None


Who = TypeVar("Who")


class KeyCache(Generic[Who]):
    """Who each recently seen valid key is, by the key's hash.

    Only keys that were found are kept, and at most `size` of them: a client
    trying wrong keys costs a lookup each time and no memory, so it cannot
    grow the server, and no plain key is held in memory."""

    def __init__(self, size: int = KEY_CACHE_SIZE, seconds: float = KEY_CACHE_SECONDS) -> None:
        self.size, self.seconds = size, seconds
        self._hits: OrderedDict[str, tuple[Who, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Who | None:
        with self._lock:
            hit = self._hits.get(digest)
            if hit is None or time.monotonic() - hit[1] >= self.seconds:
                return None
            self._hits.move_to_end(digest)
            return hit[0]

    def put(self, digest: str, who: Who) -> None:
        with self._lock:
            self._hits[digest] = (who, time.monotonic())
            self._hits.move_to_end(digest)
            while len(self._hits) > self.size:
                self._hits.popitem(last=False)

    def __len__(self) -> int:
        return len(self._hits)


@dataclass
class Services:
    settings: Settings
    store: Store
    feed: FeedService
    encoder: TextEncoder
    campaigns: CampaignRecords
    billing: Billing
    keys: KeyCache[Principal]
    heavy: HeavyWork
    retrainer: Retrainer
    generations: Generations  # creatives written in the background, if a model is configured
    _encode_lock: threading.Lock
    # Creator keys are looked up apart from the others: `principal_of` never
    # knows one, so a creator's key opens no route but the assistant routes.
    creator_keys: KeyCache[int]
    assistants: Assistants

    @classmethod
    def start(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        delivery: DeliveryConfig | None = None,
        language_model: LanguageModel | None = None,
    ) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.resolved_database_url)
        applied = store.migrate()
        if applied:
            log.info("database migrated to version %d", max(applied))
        if settings.operator_key:
            store.add_api_key("operator", settings.operator_key, role="operator")
        encoder: TextEncoder = MiniLMEncoder() if settings.encoder == "minilm" else HashingEncoder()
        # A missing or unreachable language model stops start-up here, with
        # the reason, rather than failing a campaign's generation later.
        writer = CreativeWriter.deferred(settings)
        feed = FeedService(store, settings, clock, delivery)
        feed.reload(force=True)
        services = cls(
            settings,
            store,
            feed,
            encoder,
            CampaignRecords(store),
            Billing(store),
            KeyCache(),
            HeavyWork(settings.resolved_database_url),
            Retrainer(settings),
            Generations(writer),
            threading.Lock(),
            KeyCache(),
            None,  # type: ignore[arg-type]  # set below: it embeds with the services
        )
        services.assistants = Assistants(store, encoder, settings, services.embed, language_model)
        return services

    def principal_of(self, key: str) -> Principal | None:
        return self.principal_of_hash(hash_key(key))

    def principal_of_hash(self, digest: str) -> Principal | None:
        """Who holds the key with this hash (a dashboard session keeps only the hash)."""
        who = self.keys.get(digest)
        if who is not None:
            return who
        if self.store.role_of_hash(digest) == "operator":
            who = Principal("operator")
        else:
            advertiser = self.campaigns.advertiser_of_key_hash(digest)
            if advertiser is not None:
                who = Principal("advertiser", advertiser)
        if who is not None:
            self.keys.put(digest, who)
        return who

    def creator_of_key(self, key: str) -> int | None:
        """The creator whose key this is (internal id), or None."""
        return self.creator_of_hash(hash_key(key))

    def creator_of_hash(self, digest: str) -> int | None:
        """The creator whose key has this hash (a dashboard session keeps only the hash)."""
        creator = self.creator_keys.get(digest)
        if creator is None:
            creator = self.assistants.records.creator_of_key_hash(digest)
            if creator is not None:
                self.creator_keys.put(digest, creator)
        return creator

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
    if len(credentials.credentials) > MAX_KEY_LENGTH:
        # Refused before hashing or a lookup: no key this long was ever issued.
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"API key too long: keys have at most {MAX_KEY_LENGTH} characters",
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
