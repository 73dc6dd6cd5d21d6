"""Creator assistants: a creator's published posts answer their followers (docs/assistants.md).

    assistant = Assistant(config, knowledge, encoder, model)
    reply = assistant.ask("How often do you feed your starter?")
    reply.text, reply.citations, reply.kind, reply.ai_generated

Modules, one concept each: `config` (what a creator sets up), `knowledge`
(the posts and their retrieval), `guard` (declined questions, answer
screening), `answers` (the model's answer), `faithfulness` (the check of an
answer against its citations), `quotes` (the extractive fallback), `claims`
(how text is read for both), `drafts` (posts in the creator's voice) and
`assistant` (the whole exchange).
"""

from unifeed.assistants.assistant import NOT_IN_POSTS, Assistant, Reply, ReplyKind
from unifeed.assistants.config import AUDIENCES, AssistantConfig, Audience, Link
from unifeed.assistants.drafts import DraftText, write_draft
from unifeed.assistants.faithfulness import Verdict, check
from unifeed.assistants.guard import Decline, Guard
from unifeed.assistants.knowledge import Hit, Knowledge, Library, Post

__all__ = [
    "AUDIENCES",
    "NOT_IN_POSTS",
    "Assistant",
    "AssistantConfig",
    "Audience",
    "Decline",
    "DraftText",
    "Guard",
    "Hit",
    "Knowledge",
    "Library",
    "Link",
    "Post",
    "Reply",
    "ReplyKind",
    "Verdict",
    "check",
    "write_draft",
]
