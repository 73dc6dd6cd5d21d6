"""Request and response bodies of creators, their assistants, conversations and drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, HttpUrl

from unifeed.api.schemas import Id, Plain, Strict, no_nul
from unifeed.assistants.config import AUDIENCES, AssistantConfig, Link
from unifeed.assistants.records import DraftRecord, MessageRecord

Audience = Literal[AUDIENCES]  # type: ignore[valid-type]
Question = Plain(2000)
Topic = Plain(300)


class CreatorCreate(Strict):
    id: Id = Field(description="the creator's id as items name it in `author`")
    name: Plain(200)  # type: ignore[valid-type]


class CreatorPublic(BaseModel):
    id: str
    name: str
    api_key: str | None = Field(description="shown once, at creation; stored hashed")


class LinkIn(Strict):
    url: HttpUrl
    title: Plain(200) = ""  # type: ignore[valid-type]


class AssistantSetup(Strict):
    """Everything a creator sets; PUT replaces the whole setup."""

    name: Plain(100)  # type: ignore[valid-type]
    persona: Annotated[str, Field(max_length=1000), AfterValidator(no_nul)] = ""
    avoid_topics: Annotated[list[Topic], Field(default_factory=list, max_length=20)]
    links: Annotated[list[LinkIn], Field(default_factory=list, max_length=20)]
    audience: Audience = "everyone"
    enabled: bool = True

    def config(self) -> AssistantConfig:
        return AssistantConfig(
            name=self.name,
            persona=self.persona,
            avoid_topics=tuple(self.avoid_topics),
            links=tuple(Link(str(x.url), x.title) for x in self.links),
            audience=self.audience,
            enabled=self.enabled,
        )


class LinkPublic(BaseModel):
    url: str
    title: str


class AssistantPublic(BaseModel):
    creator_id: str
    name: str
    persona: str
    avoid_topics: list[str]
    links: list[LinkPublic]
    audience: Audience
    enabled: bool

    @classmethod
    def of(cls, creator_id: str, c: AssistantConfig) -> AssistantPublic:
        return cls(
            creator_id=creator_id,
            name=c.name,
            persona=c.persona,
            avoid_topics=list(c.avoid_topics),
            links=[LinkPublic(url=x.url, title=x.title) for x in c.links],
            audience=c.audience,
            enabled=c.enabled,
        )


class MessageCreate(Strict):
    text: Question
    user_id: Id | None = Field(
        default=None,
        description="the follower asking (operator key); left out when the creator asks",
    )


class MessagePublic(BaseModel):
    id: str
    user_id: str | None = Field(description="the asker; null when it was the creator")
    question: str
    answer: str
    kind: Literal["answered", "quoted", "not_in_posts", "declined"]
    citations: list[str] = Field(description="ids of the posts the answer is drawn from")
    closest_posts: list[str] = Field(description="not_in_posts: the creator's closest posts")
    ai_generated: Literal[True] = Field(default=True, description="always true: label it so")
    created_at: datetime

    @classmethod
    def of(cls, m: MessageRecord) -> MessagePublic:
        return cls(
            id=m.id,
            user_id=None if m.asker == "creator" else m.asker,
            question=m.question,
            answer=m.answer,
            kind=m.kind,  # type: ignore[arg-type]
            citations=list(m.citations),
            closest_posts=list(m.closest),
            created_at=m.created_at,
        )


class LoggedMessage(MessagePublic):
    """A message as its creator reads it: with the check's verdict and why."""

    faithful: bool
    detail: str

    @classmethod
    def of(cls, m: MessageRecord) -> LoggedMessage:
        return cls(**MessagePublic.of(m).model_dump(), faithful=m.faithful, detail=m.detail)


class Conversation(BaseModel):
    user_id: str | None
    messages: list[LoggedMessage]


class Conversations(BaseModel):
    conversations: list[Conversation]


class DraftCreate(Strict):
    topic: Plain(300)  # type: ignore[valid-type]


class DraftPublic(BaseModel):
    id: str
    topic: str
    text: str
    source_post_ids: list[str]
    status: Literal["draft", "published"]
    item_id: str | None = Field(description="the published item's id")
    ai_generated: Literal[True] = True
    created_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, d: DraftRecord) -> DraftPublic:
        return cls(
            id=d.id,
            topic=d.topic,
            text=d.text,
            source_post_ids=list(d.source_post_ids),
            status=d.status,  # type: ignore[arg-type]
            item_id=d.item_id,
            created_at=d.created_at,
            published_at=d.published_at,
        )


class DraftList(BaseModel):
    drafts: list[DraftPublic]
