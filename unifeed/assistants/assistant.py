"""One creator's assistant: a question in, a grounded, cited, labelled reply out.

    guard -> retrieval -> answerability -> (not in my posts | answer -> check -> quote)

Every reply is labelled AI-generated. A reply cites only posts it was checked
against: the model's answer when every sentence of it is in the posts it
cites, else a quote of the best post. With no model given (the service's
default: the embedded model's answers never passed the check, docs/assistants.md)
every answer is a quote.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Literal

from unifeed.assistants.answerability import Answerability, answerability_of
from unifeed.assistants.answers import write_answer
from unifeed.assistants.claims import numbers, terms
from unifeed.assistants.config import AssistantConfig
from unifeed.assistants.faithfulness import check
from unifeed.assistants.guard import Guard
from unifeed.assistants.knowledge import Hit, Knowledge, Post
from unifeed.assistants.quotes import quote
from unifeed.llm import LanguageModel, LanguageModelError
from unifeed.text.embeddings import TextEncoder

__all__ = ["NOT_IN_POSTS", "Assistant", "Reply", "ReplyKind"]

log = logging.getLogger(__name__)

ReplyKind = Literal["answered", "quoted", "not_in_posts", "declined"]

RETRIEVED = 3  # posts the model sees
CLOSEST = 3  # posts a "not in my posts" reply points to

NOT_IN_POSTS = (
    "I haven't written about that in my posts, so I'd rather not guess. "
    "These posts of mine are the closest to it."
)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    kind: ReplyKind
    citations: tuple[str, ...] = ()  # post ids the answer is drawn from
    closest: tuple[str, ...] = ()  # for not_in_posts: posts worth a look
    faithful: bool = True  # the sent text passed the check against its citations
    detail: str = ""  # why (decline reason, fallback reason), for the creator's log
    generated: str | None = None  # the model's own answer, sent or not
    generated_faithful: bool | None = None
    seconds: float = 0.0
    ai_generated: bool = True  # always: the label every reply carries


class Assistant:
    def __init__(
        self,
        config: AssistantConfig,
        knowledge: Knowledge,
        encoder: TextEncoder,
        model: LanguageModel | None = None,
        *,
        guard: Guard | None = None,
        answerability: Answerability | None = None,
    ) -> None:
        self.config, self.knowledge, self.encoder, self.model = config, knowledge, encoder, model
        self.guard = guard or Guard(config, encoder)
        # Built once per loaded knowledge (its sentences embedded), not per question.
        self.answerability = answerability or answerability_of(knowledge, encoder)

    def ask(self, question: str, *, seed: int = 0) -> Reply:
        start = time.perf_counter()
        reply = self._ask(question.strip(), seed)
        return _timed(reply, time.perf_counter() - start)

    def _ask(self, question: str, seed: int) -> Reply:
        vector = self.encoder.encode([question])[0]  # (D,)
        hits = self.knowledge.search(vector, max(RETRIEVED, CLOSEST))
        declined = self.guard.screen(question, vector, hits[0].score if hits else 0.0)
        if declined is not None:
            return Reply(declined.text, "declined", detail=declined.reason + ": " + declined.detail)
        judged = self.answerability.judge(question, vector)
        if not hits or not judged.answerable:
            return Reply(
                NOT_IN_POSTS,
                "not_in_posts",
                closest=tuple(h.post.id for h in hits[:CLOSEST]),
                detail=judged.detail,
            )
        if self.model is None:
            return self._quoted(question, hits, "no language model configured", None, None)
        posts = [h.post for h in hits[:RETRIEVED]]
        try:
            written = write_answer(self.model, self.config, question, posts, seed=seed)
        except LanguageModelError as e:
            log.warning("assistant %r: no answer from the model: %s", self.config.name, e)
            return self._quoted(question, hits, f"model failed: {e}", None, None)
        text = self.guard.screen_answer(written.text)
        if text is None:
            return self._quoted(question, hits, "answer repeated the persona", written.text, False)
        # The answer is checked against every post the model was shown, and
        # cites the fewest of them that hold all its words, the ones the model
        # named first: a citation is where each word can be found.
        named = [p for p in posts if p.id in written.cited] + [
            p for p in posts if p.id not in written.cited
        ]
        if not substantive(text, question):
            why = "answer too short to check, or shares no word with the question"
            return self._quoted(question, hits, why, written.text, False)
        verdict = check(text, [p.text for p in posts])
        if not verdict.faithful:
            why = "; ".join(f"{s!r} lacks {list(m)}" for s, m in verdict.unsupported[:2])
            return self._quoted(question, hits, f"unfaithful: {why}", written.text, False)
        return Reply(
            text,
            "answered",
            citations=tuple(p.id for p in cover(text, named)),
            generated=written.text,
            generated_faithful=True,
        )

    def _quoted(
        self,
        question: str,
        hits: list[Hit],
        why: str,
        generated: str | None,
        generated_faithful: bool | None,
    ) -> Reply:
        q = quote(question, hits[0].post)
        verdict = check(q.text, [hits[0].post.text])
        return Reply(
            q.text,
            "quoted",
            citations=(q.post_id,),
            faithful=verdict.faithful,
            detail=why,
            generated=generated,
            generated_faithful=generated_faithful,
        )


def _timed(reply: Reply, seconds: float) -> Reply:
    return replace(reply, seconds=seconds)


def cover(answer: str, posts: list[Post]) -> list[Post]:
    """The fewest of `posts` (greedy, earlier first on ties) holding all the answer's terms."""
    need = terms(answer) | numbers(answer)
    chosen: list[Post] = []
    while need:
        gains = [len(need & (terms(p.text) | numbers(p.text))) for p in posts]
        best = max(range(len(posts)), key=lambda i: (gains[i], -i))
        if gains[best] == 0:
            break
        chosen.append(posts[best])
        need -= terms(posts[best].text) | numbers(posts[best].text)
    return chosen or posts[:1]


def substantive(answer: str, question: str, least: int = 3) -> bool:
    """Whether an answer carries enough to check: at least `least` content words or
    numbers, one of them the question's. "no" or "Cut to the cut" pass the check
    vacuously (no word the post lacks) while saying nothing true (docs/assistants.md)."""
    said = terms(answer) | numbers(answer)
    return len(said) >= least and bool(said & (terms(question) | numbers(question)))
