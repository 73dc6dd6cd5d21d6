"""Creators and their assistants under /v1/creators/{creator_id}.

The operator key may call every route (the app's server asks on its users'
behalf); a creator's key only the routes under its own id. Another creator's
assistant, messages and drafts answer 404, exactly like a creator that does
not exist, so a key cannot even learn which creator ids are taken.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError

from unifeed.api.assistant_schemas import (
    AssistantPublic,
    AssistantSetup,
    Conversation,
    Conversations,
    CreatorCreate,
    CreatorPublic,
    DraftCreate,
    DraftList,
    DraftPublic,
    LoggedMessage,
    MessageCreate,
    MessagePublic,
)
from unifeed.api.deps import AUTH_RESPONSES, OperatorDep, ServicesDep, require_principal
from unifeed.assistants.config import AssistantConfig
from unifeed.assistants.records import Creator
from unifeed.assistants.service import Refused
from unifeed.llm import BackendUnavailable, LanguageModelError
from unifeed.settings import MAX_KEY_LENGTH

router = APIRouter(prefix="/v1", tags=["assistants"], responses=AUTH_RESPONSES)
CreatorId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00/]+$")]
PublicId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
ItemId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
NOT_FOUND = {404: {"description": "no such creator (or assistant, draft) for this key"}}

_bearer = HTTPBearer(auto_error=False, description="the operator's or a creator's API key")


@dataclass(frozen=True)
class Caller:
    """The operator (any creator, on a user's behalf) or one creator (by internal id)."""

    role: Literal["operator", "creator"]
    creator_id: int | None = None


def require_caller(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if (
        credentials is not None
        and credentials.scheme.lower() == "bearer"
        and len(credentials.credentials) <= MAX_KEY_LENGTH
    ):
        creator = services.creator_of_key(credentials.credentials)
        if creator is not None:
            return Caller("creator", creator)
    who = require_principal(services, credentials)  # 401s for missing and unknown keys
    if who.role != "operator":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "this endpoint needs the operator's or a creator's key"
        )
    return Caller("operator")


CallerDep = Annotated[Caller, Depends(require_caller)]


def visible(services: ServicesDep, caller: Caller, creator_id: str) -> Creator:
    creator = services.assistants.records.creator(creator_id)
    if creator is None or (caller.role == "creator" and caller.creator_id != creator.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"creator {creator_id} not found")
    return creator


def configured(services: ServicesDep, creator: Creator) -> AssistantConfig:
    config = services.assistants.records.config(creator.id)
    if config is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"creator {creator.external_id} has no assistant"
        )
    return config


@router.post(
    "/creators",
    response_model=CreatorPublic,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "creator id taken"}},
)
def create_creator(body: CreatorCreate, services: ServicesDep, _: OperatorDep) -> CreatorPublic:
    """Register a creator (the `author` of their items) and issue their API key (shown once)."""
    records = services.assistants.records
    try:
        creator = records.create_creator(body.id, body.name)
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, f"creator {body.id!r} exists") from None
    key = secrets.token_urlsafe(32)
    records.add_key(creator, key)
    return CreatorPublic(id=body.id, name=body.name, api_key=key)


@router.put("/creators/{creator_id}/assistant", response_model=AssistantPublic, responses=NOT_FOUND)
def set_up_assistant(
    creator_id: CreatorId, body: AssistantSetup, services: ServicesDep, caller: CallerDep
) -> AssistantPublic:
    """Enable or reconfigure the creator's assistant (the whole setup, replaced)."""
    creator = visible(services, caller, creator_id)
    config = body.config()
    services.assistants.records.save_config(creator.id, config)
    return AssistantPublic.of(creator.external_id, config)


@router.get("/creators/{creator_id}/assistant", response_model=AssistantPublic, responses=NOT_FOUND)
def read_assistant(
    creator_id: CreatorId, services: ServicesDep, caller: CallerDep
) -> AssistantPublic:
    creator = visible(services, caller, creator_id)
    return AssistantPublic.of(creator.external_id, configured(services, creator))


@router.delete(
    "/creators/{creator_id}/assistant", response_model=AssistantPublic, responses=NOT_FOUND
)
def switch_off(creator_id: CreatorId, services: ServicesDep, caller: CallerDep) -> AssistantPublic:
    """Switch the assistant off: it answers nobody until set up again (its log stays)."""
    creator = visible(services, caller, creator_id)
    configured(services, creator)
    services.assistants.records.switch_off(creator.id)
    return AssistantPublic.of(creator.external_id, configured(services, creator))


@router.post(
    "/creators/{creator_id}/assistant/messages",
    response_model=MessagePublic,
    responses={
        **NOT_FOUND,
        403: {"description": "the asker is not in the assistant's audience"},
        409: {"description": "the assistant is switched off"},
        422: {"description": "invalid message, or user_id given by a creator's key"},
    },
)
def ask(
    creator_id: CreatorId, body: MessageCreate, services: ServicesDep, caller: CallerDep
) -> MessagePublic:
    """A question to the assistant: the answer is grounded in the creator's posts, cites
    them, and is labelled AI-generated. The operator asks for a follower (`user_id`);
    the asker's "ask" event on each cited post teaches the ranking model."""
    creator = visible(services, caller, creator_id)
    if caller.role == "operator" and body.user_id is None:
        raise HTTPException(422, "user_id is required with the operator key: who is asking?")
    if caller.role == "creator" and body.user_id is not None:
        raise HTTPException(422, "a creator asks as themself: leave user_id out")
    config = configured(services, creator)
    try:
        message = services.assistants.ask(creator, config, body.user_id, body.text)
    except Refused as e:
        code = status.HTTP_409_CONFLICT if e.reason == "off" else status.HTTP_403_FORBIDDEN
        raise HTTPException(code, e.message) from None
    return MessagePublic.of(message)


@router.get(
    "/creators/{creator_id}/assistant/conversations",
    response_model=Conversations,
    responses=NOT_FOUND,
)
def conversations(
    creator_id: CreatorId,
    services: ServicesDep,
    caller: CallerDep,
    user_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Conversations:
    """The assistant's newest messages with their citations, grouped by asker."""
    creator = visible(services, caller, creator_id)
    asker = None if user_id is None else user_id
    by_asker: dict[str, list[LoggedMessage]] = {}
    for m in services.assistants.records.messages(creator.id, asker, limit):
        by_asker.setdefault(m.asker, []).append(LoggedMessage.of(m))
    return Conversations(
        conversations=[
            Conversation(user_id=None if a == "creator" else a, messages=ms)
            for a, ms in by_asker.items()
        ]
    )


@router.delete("/creators/{creator_id}/posts/{item_id}", status_code=204, responses=NOT_FOUND)
def remove_post(
    creator_id: CreatorId, item_id: ItemId, services: ServicesDep, caller: CallerDep
) -> Response:
    """Take one of the creator's posts out of what the assistant answers from."""
    creator = visible(services, caller, creator_id)
    if not services.assistants.remove_post(creator, item_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"post {item_id} not found")
    return Response(status_code=204)


@router.post(
    "/creators/{creator_id}/drafts",
    response_model=DraftPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **NOT_FOUND,
        409: {"description": "the creator has no published posts"},
        502: {"description": "the language model gave no usable draft; retry"},
        503: {"description": "no language model is configured"},
    },
)
def create_draft(
    creator_id: CreatorId, body: DraftCreate, services: ServicesDep, caller: CallerDep
) -> DraftPublic:
    """Draft a post about `topic` in the creator's voice, from their posts. Nobody sees
    a draft until it is published."""
    creator = visible(services, caller, creator_id)
    config = configured(services, creator)
    try:
        draft = services.assistants.draft(creator, config, body.topic)
    except Refused as e:
        raise HTTPException(status.HTTP_409_CONFLICT, e.message) from None
    except BackendUnavailable as e:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(e)) from None
    except LanguageModelError as e:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"no draft: {e}") from None
    return DraftPublic.of(draft)


@router.get("/creators/{creator_id}/drafts", response_model=DraftList, responses=NOT_FOUND)
def list_drafts(creator_id: CreatorId, services: ServicesDep, caller: CallerDep) -> DraftList:
    creator = visible(services, caller, creator_id)
    return DraftList(
        drafts=[DraftPublic.of(d) for d in services.assistants.records.drafts(creator.id)]
    )


@router.post(
    "/creators/{creator_id}/drafts/{draft_id}/publish",
    response_model=DraftPublic,
    responses={**NOT_FOUND, 409: {"description": "already published"}},
)
def publish_draft(
    creator_id: CreatorId, draft_id: PublicId, services: ServicesDep, caller: CallerDep
) -> DraftPublic:
    """Publish a draft: it becomes one of the creator's posts, served and ranked from its
    content at once, and known to the assistant."""
    creator = visible(services, caller, creator_id)
    draft = services.assistants.records.draft(creator.id, draft_id)
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"draft {draft_id} not found")
    if draft.status == "published":
        raise HTTPException(status.HTTP_409_CONFLICT, f"draft {draft_id} is already published")
    published = services.assistants.publish(creator, draft)
    services.feed.catalogue.invalidate()
    return DraftPublic.of(published)
