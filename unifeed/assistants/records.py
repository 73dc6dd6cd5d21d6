"""Creators, their keys, assistants, conversations, drafts and removed posts, as stored.

Every read takes the creator's internal id, so a query for another creator's
message or draft finds nothing rather than something to hide. A creator's
published posts are the items whose `author` is the creator's id, of kind
"post", that the creator has not removed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Row, and_, select, update

from unifeed.actions import POSITIVE_ACTIONS
from unifeed.assistants.assistant import Reply
from unifeed.assistants.config import AssistantConfig, Link
from unifeed.assistants.knowledge import Knowledge, Post
from unifeed.store import schema, tenants
from unifeed.store.db import utcnow
from unifeed.store.store import Store

__all__ = ["AssistantRecords", "Creator", "DraftRecord", "MessageRecord"]


@dataclass(frozen=True, slots=True)
class Creator:
    id: int
    external_id: str
    name: str


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: str
    asker: str
    question: str
    answer: str
    kind: str
    citations: tuple[str, ...]
    closest: tuple[str, ...]
    faithful: bool
    detail: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DraftRecord:
    id: str
    topic: str
    text: str
    source_post_ids: tuple[str, ...]
    status: str  # draft | published
    item_id: str | None
    created_at: datetime
    published_at: datetime | None


def _message(r: Row[Any]) -> MessageRecord:
    return MessageRecord(
        r.public_id,
        r.asker,
        r.question,
        r.answer,
        r.kind,
        tuple(json.loads(r.citations)),
        tuple(json.loads(r.closest)),
        bool(r.faithful),
        r.detail,
        r.created_at,
    )


def _draft(r: Row[Any]) -> DraftRecord:
    return DraftRecord(
        r.public_id,
        r.topic,
        r.text,
        tuple(json.loads(r.source_post_ids)),
        r.status,
        r.item_external_id,
        r.created_at,
        r.published_at,
    )


class AssistantRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------- creators
    def create_creator(self, external_id: str, name: str) -> int:
        return tenants.create_tenant(self.store, schema.creators, external_id, name)

    def add_key(self, creator_id: int, key: str) -> None:
        tenants.add_key(self.store, schema.creator_keys.c.creator_id, creator_id, key)

    def creator_of_key_hash(self, key_hash: str) -> int | None:
        return tenants.owner_of_key_hash(self.store, schema.creator_keys.c.creator_id, key_hash)

    def creator(self, external_id: str) -> Creator | None:
        t = schema.creators
        q = select(t.c.id, t.c.external_id, t.c.name).where(t.c.external_id == external_id)
        with self.store.engine.connect() as conn:
            r = conn.execute(q).first()
        return None if r is None else Creator(*r)

    def creator_by_id(self, creator_id: int) -> Creator | None:
        """The creator with this internal id (whom a creator's key names)."""
        t = schema.creators
        q = select(t.c.id, t.c.external_id, t.c.name).where(t.c.id == creator_id)
        with self.store.engine.connect() as conn:
            r = conn.execute(q).first()
        return None if r is None else Creator(*r)

    # ----------------------------------------------------------- assistants
    def config(self, creator_id: int) -> AssistantConfig | None:
        t = schema.assistants
        with self.store.engine.connect() as conn:
            r = conn.execute(select(t).where(t.c.creator_id == creator_id)).first()
        if r is None:
            return None
        return AssistantConfig(
            name=r.name,
            persona=r.persona,
            avoid_topics=tuple(json.loads(r.avoid_topics)),
            links=tuple(Link(**link) for link in json.loads(r.links)),
            audience=r.audience,
            enabled=bool(r.enabled),
        )

    def save_config(self, creator_id: int, config: AssistantConfig) -> None:
        t, now = schema.assistants, utcnow()
        values = {
            "name": config.name,
            "persona": config.persona,
            "avoid_topics": json.dumps(list(config.avoid_topics)),
            "links": json.dumps([{"url": x.url, "title": x.title} for x in config.links]),
            "audience": config.audience,
            "enabled": config.enabled,
            "updated_at": now,
        }
        stmt = self.store.insert(t).values(creator_id=creator_id, created_at=now, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["creator_id"], set_=values)
        with self.store.write() as conn:
            conn.execute(stmt)

    def switch_off(self, creator_id: int) -> bool:
        t = schema.assistants
        with self.store.write() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.creator_id == creator_id)
                .values(enabled=False, updated_at=utcnow())
            )
        return bool(done.rowcount)

    # ----------------------------------------------------------------- posts
    def knowledge(self, creator: str, encoder: str) -> Knowledge:
        """The creator's published, not removed posts embedded by `encoder`, oldest first.

        Posts stored without an embedding (no text) or by another encoder are
        left out: their vectors could not be compared with the question's."""
        i, c, r = schema.items, schema.creators, schema.removed_posts
        removed = select(r.c.item_id).join(c, c.c.id == r.c.creator_id)
        removed = removed.where(c.c.external_id == creator)
        q = (
            select(i.c.external_id, i.c.text, i.c.created_at, i.c.embedding)
            .where(i.c.author == creator, i.c.kind == "post", i.c.encoder == encoder)
            .where(i.c.embedding.is_not(None), i.c.id.not_in(removed))
            .order_by(i.c.id)
        )
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).all()
        posts = [Post(x.external_id, x.text or "", x.created_at) for x in rows]
        if not rows:
            return Knowledge([], np.zeros((0, 0), dtype=np.float32))
        vectors = np.stack([np.frombuffer(x.embedding, dtype=np.float32) for x in rows])
        return Knowledge(posts, vectors)

    def remove_post(self, creator: Creator, item_external_id: str) -> bool:
        """Take the creator's post out of what their assistant knows; False: no such post."""
        i, r = schema.items, schema.removed_posts
        with self.store.write() as conn:
            pk = conn.execute(
                select(i.c.id).where(
                    i.c.external_id == item_external_id,
                    i.c.author == creator.external_id,
                    i.c.kind == "post",
                )
            ).scalar()
            if pk is None:
                return False
            stmt = self.store.insert(r).values(
                item_id=pk, creator_id=creator.id, removed_at=utcnow()
            )
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["item_id"]))
        return True

    def is_follower(self, creator: str, user: str) -> bool:
        """Whether the user acted positively on any of the creator's items (the
        store has no follow graph: engagement is what following means here)."""
        e, i, u = schema.events, schema.items, schema.users
        q = (
            select(e.c.id)
            .join(i, i.c.id == e.c.item_id)
            .join(u, u.c.id == e.c.user_id)
            .where(
                and_(
                    u.c.external_id == user,
                    i.c.author == creator,
                    e.c.action.in_(list(POSITIVE_ACTIONS)),
                )
            )
            .limit(1)
        )
        with self.store.engine.connect() as conn:
            return conn.execute(q).first() is not None

    # ------------------------------------------------------------- messages
    def add_message(
        self, creator_id: int, asker: str, question: str, reply: Reply
    ) -> MessageRecord:
        t = schema.assistant_messages
        row = {
            "public_id": uuid.uuid4().hex,
            "creator_id": creator_id,
            "asker": asker,
            "question": question,
            "answer": reply.text,
            "kind": reply.kind,
            "citations": json.dumps(list(reply.citations)),
            "closest": json.dumps(list(reply.closest)),
            "faithful": reply.faithful,
            "detail": reply.detail[:2000],
            "created_at": utcnow(),
        }
        with self.store.write() as conn:
            conn.execute(t.insert().values(**row))
        return MessageRecord(
            row["public_id"],
            asker,
            question,
            reply.text,
            reply.kind,
            reply.citations,
            reply.closest,
            reply.faithful,
            row["detail"],
            row["created_at"],
        )

    def messages(
        self, creator_id: int, asker: str | None = None, limit: int = 100
    ) -> list[MessageRecord]:
        """The creator's newest messages (with one asker, if named), oldest first."""
        t = schema.assistant_messages
        q = select(t).where(t.c.creator_id == creator_id)
        if asker is not None:
            q = q.where(t.c.asker == asker)
        q = q.order_by(t.c.id.desc()).limit(limit)
        with self.store.engine.connect() as conn:
            return [_message(r) for r in reversed(conn.execute(q).all())]

    # --------------------------------------------------------------- drafts
    def add_draft(
        self, creator_id: int, topic: str, text: str, sources: Sequence[str]
    ) -> DraftRecord:
        t = schema.post_drafts
        row = {
            "public_id": uuid.uuid4().hex,
            "creator_id": creator_id,
            "topic": topic,
            "text": text,
            "source_post_ids": json.dumps(list(sources)),
            "status": "draft",
            "created_at": utcnow(),
        }
        with self.store.write() as conn:
            conn.execute(t.insert().values(**row))
        return DraftRecord(
            row["public_id"], topic, text, tuple(sources), "draft", None, row["created_at"], None
        )

    def drafts(self, creator_id: int) -> list[DraftRecord]:
        t = schema.post_drafts
        q = select(t).where(t.c.creator_id == creator_id).order_by(t.c.id)
        with self.store.engine.connect() as conn:
            return [_draft(r) for r in conn.execute(q).all()]

    def draft(self, creator_id: int, draft_id: str) -> DraftRecord | None:
        t = schema.post_drafts
        q = select(t).where(t.c.creator_id == creator_id, t.c.public_id == draft_id)
        with self.store.engine.connect() as conn:
            r = conn.execute(q).first()
        return None if r is None else _draft(r)

    def publish(self, creator: Creator, draft: DraftRecord, item: dict[str, Any]) -> DraftRecord:
        """Write the draft's item and mark it published, in one transaction; publishing
        twice is refused by the status check (the second call changes nothing)."""
        t, now = schema.post_drafts, utcnow()
        with self.store.write() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.creator_id == creator.id, t.c.public_id == draft.id)
                .where(t.c.status == "draft")
                .values(status="published", item_external_id=item["id"], published_at=now)
            )
            if done.rowcount:
                self.store.upsert_items([item], conn)
        found = self.draft(creator.id, draft.id)
        assert found is not None
        return found
