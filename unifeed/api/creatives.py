"""A campaign's creatives: reviewed before they serve, versioned, generated in the background.

Every creative, typed or generated, and every edit of one, goes through
`unifeed.creative.review` against the campaign's brief and its other
variants before it is stored; one that breaks a rule is stored as rejected,
with the reasons, and never serves. Typed creatives that pass are approved
(the advertiser wrote them); generated ones are drafts until the advertiser
approves them, unless the campaign approves them automatically.

Generation runs on the `CreativeWriter`'s thread, never on a request: a
route queues it and returns, and the writer stores what it wrote when done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import replace
from typing import Protocol

from unifeed.ads.campaigns import Campaign
from unifeed.ads.creatives import CampaignCreative, NewCreative, NewVersion, Status
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.ads.records.creatives import CreativeRecords
from unifeed.api.creative_schemas import CreativeEdit, CreativesCreate, GenerationPublic
from unifeed.creative import Attempt, Brief, Creative, CreativeWriter, Generation, review
from unifeed.creative.brief import LANGUAGES
from unifeed.serving.feed import FeedService
from unifeed.store import Store
from unifeed.store.db import utcnow
from unifeed.text.embeddings import TextEncoder

log = logging.getLogger(__name__)

TEXT_BUTTON = "Learn more"  # the button of a text-only ad
PRODUCT_NAME_MAX = 80  # what the creative brief holds of the product's name
NO_MODEL = (
    "this server has no language model (UNIFEED_LLM=none), so it cannot write creatives: "
    "add them with POST /v1/campaigns/{id}/creatives, or start the server with "
    "UNIFEED_LLM=embedded or openai (docs/llm.md)"
)


# What each step may be taken from. A rejected variant comes back only
# through an edit (a new version, reviewed again), never by approval alone.
ALLOWED_FROM: dict[Status, tuple[Status, ...]] = {
    "approved": ("draft", "paused"),
    "paused": ("approved",),
    "rejected": ("draft", "approved", "paused"),
    "draft": (),
}


class CreativeConflict(Exception):
    """The creative cannot take this step (approving one review rejected)."""


class Services(Protocol):
    """What this module uses of the API's services (`unifeed.api.deps.Services`)."""

    store: Store
    feed: FeedService
    encoder: TextEncoder
    campaigns: CampaignRecords

    def embed(self, texts: list[str | None]) -> list[bytes | None]: ...


def brief_of(c: Campaign) -> Brief:
    """The campaign's brief as generation and review read it."""
    b = c.brief
    name = b.product if len(b.product) <= PRODUCT_NAME_MAX else b.product[:PRODUCT_NAME_MAX]
    language = b.language if b.language in LANGUAGES else "en"
    return Brief(
        product_name=name.strip() or "product",
        product=b.product[:200],
        description=b.description or b.product,
        landing_url=b.landing_url,
        language=language,  # type: ignore[arg-type]
        tone=(b.tone or "")[:100],
        objective=c.objective.name,  # type: ignore[arg-type]
    )


def _as_creative(v: NewVersion, brief: Brief, origin: str = "typed") -> Creative:
    """The version as review reads it: a text-only ad is headed by the product's name."""
    return Creative(
        headline=v.headline if v.headline is not None else brief.product_name,
        primary_text=v.primary_text,
        call_to_action=v.call_to_action,
        landing_url=v.landing_url or str(brief.landing_url),
        origin=origin,  # type: ignore[arg-type]
    )


def _earlier(
    existing: Sequence[CampaignCreative], brief: Brief, but: int | None = None
) -> list[Creative]:
    """The campaign's variants a new one must not copy: those not rejected."""
    out = []
    for c in existing:
        if c.status == "rejected" or c.id == but:
            continue
        v = c.current
        out.append(
            _as_creative(
                NewVersion(
                    v.headline, v.primary_text, v.call_to_action, v.landing_url, (), None, None
                ),
                brief,
            )
        )
    return out


def reviewed(
    services: Services, c: Campaign, drafts: list[NewVersion], earlier: list[Creative]
) -> list[NewVersion]:
    """The drafts with review's verdict and their embeddings; each is checked
    against the campaign's variants and the drafts before it."""
    brief = brief_of(c)
    seen = list(earlier)
    out = []
    for d in drafts:
        creative = _as_creative(d, brief)
        verdict = review(creative, brief, seen)
        if verdict.approved:
            seen.append(creative)
        out.append(replace(d, review=tuple((str(r.rule), r.reason) for r in verdict.rejections)))
    vectors = services.embed([d.text for d in out])
    name = services.encoder.name
    return [
        replace(d, embedding=v, encoder=name if v is not None else None)
        for d, v in zip(out, vectors, strict=True)
    ]


def _changed(services: Services) -> None:
    services.feed.catalogue.invalidate()
    services.feed.ads.campaigns_changed()


def add_typed(services: Services, c: Campaign, body: CreativesCreate) -> list[CampaignCreative]:
    """The advertiser's own ads: approved when review passes them, else rejected."""
    records = CreativeRecords(services.store)
    if body.texts is not None:
        drafts = [NewVersion(None, t, TEXT_BUTTON, None, (), None, None) for t in body.texts]
    else:
        drafts = [
            NewVersion(
                x.headline,
                x.primary_text,
                x.call_to_action,
                None if x.landing_url is None else str(x.landing_url),
                (),
                None,
                None,
            )
            for x in body.creatives or ()
        ]
    brief = brief_of(c)
    checked = reviewed(services, c, drafts, _earlier(records.of_campaign(c.id), brief))
    added = records.add(
        c,
        [NewCreative(d, "rejected" if d.review else "approved", origin="typed") for d in checked],
    )
    _changed(services)
    return added


def edit(
    services: Services, c: Campaign, creative: CampaignCreative, change: CreativeEdit
) -> CampaignCreative | None:
    """A new version with the change, reviewed again. It keeps the variant's
    approval (approved or paused) when review passes it; a draft or a
    rejected variant becomes a draft to approve; review rejecting it rejects it."""
    cur = creative.current
    given = change.model_fields_set
    draft = NewVersion(
        change.headline if "headline" in given else cur.headline,
        change.primary_text if change.primary_text is not None else cur.primary_text,
        change.call_to_action if change.call_to_action is not None else cur.call_to_action,
        str(change.landing_url) if change.landing_url is not None else cur.landing_url,
        (),
        None,
        None,
    )
    records = CreativeRecords(services.store)
    brief = brief_of(c)
    others = _earlier(records.of_campaign(c.id), brief, but=creative.id)
    (checked,) = reviewed(services, c, [draft], others)
    status: Status
    if checked.review:
        status = "rejected"
    elif creative.status in ("approved", "paused"):
        status = creative.status
    else:
        status = "draft"
    out = records.add_version(c, creative.id, checked, status)
    _changed(services)
    return out


def set_status(
    services: Services, c: Campaign, creative: CampaignCreative, status: Status
) -> CampaignCreative | None:
    """Approve, reject or pause a variant; only one whose current version passed
    review may be approved (a rejected creative never serves)."""
    allowed = ALLOWED_FROM[status]
    if creative.status not in allowed:
        raise CreativeConflict(
            f"creative {creative.id} is {creative.status}: only a creative that is "
            f"{' or '.join(allowed)} can be {status}"
            + ("; edit a rejected one to make it a draft again" if status == "approved" else "")
        )
    if status == "approved" and not creative.current.passed_review:
        reasons = "; ".join(f"{r}: {why}" for r, why in creative.current.review or ())
        raise CreativeConflict(
            f"creative {creative.id} cannot be approved: review rejected version "
            f"{creative.version} ({reasons}); edit it to make a new version"
        )
    out = CreativeRecords(services.store).set_status(c.id, creative.id, status)
    _changed(services)
    return out


# ------------------------------------------------------------- generation
class Generations:
    """Queues campaigns' generations on the writer and stores what it writes.

    The latest generation of each campaign is remembered in this process
    (what the list route shows); what it wrote is in the store."""

    def __init__(self, writer: CreativeWriter | None) -> None:
        self.writer = writer
        self._jobs: dict[int, GenerationPublic] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop writing: queued generations are dropped, one under way finishes."""
        if self.writer is not None:
            self.writer.close(wait=False)

    def status(self, campaign_id: int) -> GenerationPublic:
        with self._lock:
            got = self._jobs.get(campaign_id)
        if got is not None:
            return got
        if self.writer is None:
            return GenerationPublic(status="off", detail=NO_MODEL)
        return GenerationPublic(status="off", detail="no generation asked for in this process")

    def queue(self, services: Services, c: Campaign, variants: int) -> GenerationPublic:
        """Queue `variants` variants of the campaign; raises `NoModel` without a writer."""
        if self.writer is None:
            raise NoModel(NO_MODEL)
        existing = CreativeRecords(services.store).of_campaign(c.id)
        brief = brief_of(c)
        job = GenerationPublic(
            status="queued",
            detail=f"writing {variants} variants in the background with {self.writer.model_name}",
            variants=variants,
            requested_at=utcnow(),
        )
        with self._lock:
            self._jobs[c.id] = job
        # Seeded by what the campaign has: the same request on the same
        # campaign writes the same variants, a regeneration new ones.
        future = self.writer.submit(
            brief,
            variants=variants,
            seed=sum(len(x.versions) for x in existing),
            earlier=_earlier(existing, brief),
            then=lambda g: self._store(services, c, job, g),
        )
        future.add_done_callback(lambda f: self._failed(c, job, f))
        return job

    def _store(self, services: Services, c: Campaign, job: GenerationPublic, g: Generation) -> None:
        """On the writer's thread: store the approved variants as drafts (or approved)."""
        written, rejected = self._write(services, c, g)
        done = job.model_copy(
            update={
                "status": "done",
                "detail": f"{written} of {job.variants} variants written"
                + ("" if written else ": none passed parsing and review")
                + (f"; {rejected} rejected by review, listed with the reasons" if rejected else ""),
                "written": written,
                "rejected": rejected,
                "attempts": len(g.attempts),
                "parse_pass_rate": g.parse_pass_rate,
                "review_pass_rate": g.review_pass_rate,
                "finished_at": utcnow(),
            }
        )
        self._settle(c, job, done)

    def _failed(self, c: Campaign, job: GenerationPublic, f: Future[Generation]) -> None:
        """When generation or storing raised: the status says why (no other work here,
        as this may run on the thread that queued it)."""
        if f.cancelled() or f.exception() is None:
            return
        e = f.exception()
        log.error("generation for campaign %s failed: %r", c.public_id, e)
        done = job.model_copy(
            update={
                "status": "failed",
                "detail": f"{type(e).__name__}: {e}",
                "finished_at": utcnow(),
            }
        )
        self._settle(c, job, done)

    def _settle(self, c: Campaign, job: GenerationPublic, done: GenerationPublic) -> None:
        with self._lock:
            if self._jobs.get(c.id) is job:
                self._jobs[c.id] = done

    def _write(self, services: Services, c: Campaign, g: Generation) -> tuple[int, int]:
        """Store the approved variants, and each failed slot's last reviewed answer
        as a rejected variant with review's reasons (the advertiser sees why, and
        may edit it into a draft); returns (written, rejected)."""
        records = CreativeRecords(services.store)
        kept = g.approved + [a.creative for a in _failed_slots(g) if a.creative is not None]
        drafts = [
            NewVersion(x.headline, x.primary_text, x.call_to_action, None, (), None, None)
            for x in kept
        ]
        if not drafts:
            return 0, 0
        brief = brief_of(c)
        # Reviewed again against the campaign as it is now: variants added
        # while the writer worked may have made one a near-duplicate.
        checked = reviewed(services, c, drafts, _earlier(records.of_campaign(c.id), brief))
        live = services.campaigns.by_id(c.id)
        approve = live.auto_approve_creatives
        records.add(
            live,
            [
                NewCreative(
                    d,
                    "rejected" if d.review else ("approved" if approve else "draft"),
                    origin="generated",
                    angle=None if x.angle is None else str(x.angle),
                    model=x.model,
                )
                for d, x in zip(checked, kept, strict=True)
            ],
        )
        _changed(services)
        rejected = sum(1 for d in checked if d.review)
        return len(checked) - rejected, rejected


def _failed_slots(g: Generation) -> list[Attempt]:
    """The last answer review rejected in each slot that got no approved variant."""
    done = {a.slot for a in g.attempts if a.outcome == "approved"}
    last: dict[int, Attempt] = {}
    for a in g.attempts:
        if a.outcome == "rejected" and a.slot not in done:
            last[a.slot] = a
    return [last[k] for k in sorted(last)]


class NoModel(Exception):
    """Generation was asked for, and the server has no language model."""
