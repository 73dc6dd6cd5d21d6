"""The assistants a server runs: each creator's assistant built from what is stored.

`Assistants` is what the API calls. It keeps the creators' knowledge (a
`Library`, refreshed every `assistant_refresh_seconds`), one guard per
assistant configuration (its avoided topics embedded once), and the language
model, opened on the first question or draft, not at start-up, so a server
whose creators never use assistants never loads one. Asking is an event: the
asker gets an "ask" on every post the reply cites, which the unified model
then trains on like any other positive action.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from unifeed.assistants.assistant import Assistant, Reply
from unifeed.assistants.config import AssistantConfig
from unifeed.assistants.drafts import write_draft
from unifeed.assistants.guard import Guard
from unifeed.assistants.knowledge import Library
from unifeed.assistants.records import (
    AssistantRecords,
    Creator,
    DraftRecord,
    MessageRecord,
)
from unifeed.llm import BackendUnavailable, LanguageModel, open_model
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.store.db import utcnow
from unifeed.text.embeddings import TextEncoder

__all__ = ["ASK", "Assistants", "Refused"]

log = logging.getLogger(__name__)

ASK = "ask"  # the action an asker records on each cited post
CREATOR_ASKER = "creator"  # the asker name of a creator talking to their own assistant

Embed = Callable[[list[str | None]], list[bytes | None]]


class Refused(Exception):
    """The asker may not talk to this assistant (switched off, not in its audience), or
    there is nothing to draft from."""

    def __init__(self, reason: Literal["off", "audience", "no_posts"], message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class Assistants:
    def __init__(
        self,
        store: Store,
        encoder: TextEncoder,
        settings: Settings,
        embed: Embed,
        model: LanguageModel | None = None,
    ) -> None:
        self.store, self.encoder, self.settings, self.embed = store, encoder, settings, embed
        self.records = AssistantRecords(store)
        self.library = Library(
            lambda creator: self.records.knowledge(creator, encoder.name),
            settings.assistant_refresh_seconds,
        )
        self._model, self._model_opened = model, model is not None
        self._guards: dict[tuple[int, AssistantConfig], Guard] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- model
    def model(self) -> LanguageModel | None:
        """The configured language model, opened once; None when there is none."""
        with self._lock:
            if not self._model_opened:
                self._model_opened = True
                try:
                    self._model = open_model(self.settings)
                except BackendUnavailable as e:
                    log.warning("assistants answer with quotes only: %s", e)
            return self._model

    def _guard(self, creator: Creator, config: AssistantConfig) -> Guard:
        key = (creator.id, config)
        with self._lock:
            guard = self._guards.get(key)
        if guard is None:
            guard = Guard(config, self.encoder)
            with self._lock:
                for old in [k for k in self._guards if k[0] == creator.id]:
                    del self._guards[old]
                self._guards[key] = guard
        return guard

    # ------------------------------------------------------------------ asks
    def ask(
        self, creator: Creator, config: AssistantConfig, user: str | None, question: str
    ) -> MessageRecord:
        """Answer `question` from `user` (None: the creator); raises `Refused`."""
        if not config.enabled:
            raise Refused("off", "this assistant is switched off")
        if config.audience == "creator" and user is not None:
            raise Refused("audience", "this assistant talks only to its creator")
        if (
            config.audience == "followers"
            and user is not None
            and not self.records.is_follower(creator.external_id, user)
        ):
            raise Refused("audience", "this assistant talks only to the creator's followers")
        # Drafts always use the model; answers only when the operator asks for it.
        answers_by = self.model() if self.settings.assistant_model_answers else None
        assistant = Assistant(
            config,
            self.library.get(creator.external_id),
            self.encoder,
            answers_by,
            guard=self._guard(creator, config),
        )
        reply = assistant.ask(question)
        message = self.records.add_message(
            creator.id, CREATOR_ASKER if user is None else user, question, reply
        )
        if user is not None:
            self._record_ask(user, message.id, reply)
        return message

    def _record_ask(self, user: str, message_id: str, reply: Reply) -> None:
        now = utcnow()
        rows = [
            {
                "event_id": f"{ASK}-{message_id}-{k}",
                "user_id": user,
                "item_id": post,
                "action": ASK,
                "timestamp": now,
                "value": None,
                "currency": None,
                "request_id": None,
            }
            for k, post in enumerate(reply.citations)
        ]
        if rows:
            self.store.add_events(rows)

    # ---------------------------------------------------------------- drafts
    def draft(self, creator: Creator, config: AssistantConfig, topic: str) -> DraftRecord:
        """A new draft on `topic`; raises `Refused` without posts, `BackendUnavailable`
        without a model and `unifeed.llm.LanguageModelError` when the model gives no draft."""
        knowledge = self.library.get(creator.external_id)
        if not len(knowledge):
            raise Refused("no_posts", "the creator has no published posts to draft from")
        model = self.model()
        if model is None:
            raise BackendUnavailable("drafts need a language model (UNIFEED_LLM is none)")
        text = write_draft(model, config, topic, knowledge, self.encoder)
        return self.records.add_draft(creator.id, topic, text.text, text.source_post_ids)

    def publish(self, creator: Creator, draft: DraftRecord) -> DraftRecord:
        """The draft as an item of the creator's, servable and ranked from its content now."""
        item = {
            "id": f"draft-{draft.id}",
            "kind": "post",
            "author": creator.external_id,
            "text": draft.text,
            "tags": [],
        }
        (item["embedding"],) = self.embed([draft.text])
        item["encoder"] = self.encoder.name if item["embedding"] is not None else None
        published = self.records.publish(creator, draft, item)
        self.library.forget(creator.external_id)
        return published

    def remove_post(self, creator: Creator, item_id: str) -> bool:
        removed = self.records.remove_post(creator, item_id)
        self.library.forget(creator.external_id)
        return removed
