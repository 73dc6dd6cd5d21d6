"""The store on SQLite and PostgreSQL: migrations, upserts, idempotent events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from unifeed.store import Store, UnknownReference
from unifeed.store.feed_log import FeedLog
from unifeed.store.migrate import available

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def event(eid: str, user: str = "u1", item: str = "i1", action: str = "click", minute: int = 0):
    return {
        "event_id": eid,
        "user_id": user,
        "item_id": item,
        "action": action,
        "timestamp": T0 + timedelta(minutes=minute),
    }


def items(*ids: str) -> list[dict]:
    return [{"id": i, "kind": "post", "text": f"text of {i}"} for i in ids]


def test_migrations_are_numbered_and_apply_once(database_url: str) -> None:
    versions = [m.version for m in available()]
    assert versions == list(range(1, len(versions) + 1))
    s = Store(database_url)
    assert s.migrate() == versions
    assert s.migrate() == []
    assert s.schema_version() == versions[-1]
    s.close()


def test_reach_key_migration_upgrades_a_database_made_before_it(store: Store) -> None:
    """m0003 adds attributions.reach_key to a database that m0002 made without it."""
    from sqlalchemy import delete, inspect, text

    from unifeed.store import schema

    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ux_attributions_reach"))
        conn.execute(text("ALTER TABLE attributions DROP COLUMN reach_key"))
        conn.execute(
            delete(schema.schema_migrations).where(schema.schema_migrations.c.version == 3)
        )
    assert store.migrate() == [3]
    found = inspect(store.engine)
    assert "reach_key" in {c["name"] for c in found.get_columns("attributions")}
    assert any(i["unique"] for i in found.get_indexes("attributions"))


def test_later_ads_migrations_upgrade_a_database_made_before_them(store: Store) -> None:
    """m0004 adds campaign_pacing, m0005 ad_slots.exposures, m0006 the feed
    requests' time index, m0007 ad_slots.clicked_before, m0008 ad_slots.query
    and m0009 events.currency, the ledger's slot index and the ad slots'
    campaign index, m0010 campaigns.creatives_issued, m0011 the index of
    events that name a page, m0012 the ad slots' runner-up, m0013
    ended_sessions and m0014 creatives' variants and versions, to an older database."""
    from sqlalchemy import delete, inspect, text

    from unifeed.store import schema

    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE campaign_pacing"))
        conn.execute(text("ALTER TABLE ad_slots DROP COLUMN exposures"))
        conn.execute(text("ALTER TABLE ad_slots DROP COLUMN clicked_before"))
        conn.execute(text("ALTER TABLE ad_slots DROP COLUMN query"))
        conn.execute(text("DROP INDEX ix_feed_requests_time"))
        conn.execute(text("ALTER TABLE events DROP COLUMN currency"))
        conn.execute(text("DROP INDEX ix_ledger_slot"))
        conn.execute(text("DROP INDEX ix_ad_slots_campaign"))
        conn.execute(text("ALTER TABLE campaigns DROP COLUMN creatives_issued"))
        conn.execute(text("DROP INDEX ix_events_with_request"))
        conn.execute(text("DROP TABLE ended_sessions"))
        conn.execute(text("DROP TABLE creative_versions"))
        conn.execute(text("DROP TABLE creative_variants"))
        conn.execute(text("ALTER TABLE campaigns DROP COLUMN auto_approve_creatives"))
        for column in ("runner_up_campaign_id", "runner_up_value", "displaced_value"):
            conn.execute(text(f"ALTER TABLE ad_slots DROP COLUMN {column}"))
        conn.execute(
            delete(schema.schema_migrations).where(schema.schema_migrations.c.version >= 4)
        )
    # Later migrations (m0015 creates tables with checkfirst) apply again too.
    assert store.migrate() == [m.version for m in available() if m.version >= 4]
    found = inspect(store.engine)
    tables = {"campaign_pacing", "ended_sessions", "creative_variants", "creative_versions"}
    assert tables <= set(found.get_table_names())
    assert "auto_approve_creatives" in {c["name"] for c in found.get_columns("campaigns")}
    slot_columns = {c["name"] for c in found.get_columns("ad_slots")}
    assert {"exposures", "clicked_before", "query", "runner_up_value"} <= slot_columns
    assert "ix_feed_requests_time" in {i["name"] for i in found.get_indexes("feed_requests")}
    assert "currency" in {c["name"] for c in found.get_columns("events")}
    assert "ix_ledger_slot" in {i["name"] for i in found.get_indexes("ledger")}
    assert "ix_ad_slots_campaign" in {i["name"] for i in found.get_indexes("ad_slots")}
    assert "creatives_issued" in {c["name"] for c in found.get_columns("campaigns")}
    assert "ix_events_with_request" in {i["name"] for i in found.get_indexes("events")}


def test_upsert_replaces_and_counts_each_id_once(store: Store) -> None:
    assert store.upsert_users([{"id": "u1", "age": 30}, {"id": "u1", "age": 31}]) == 1
    assert store.upsert_users([{"id": "u1", "country": "DE"}, {"id": "u2"}]) == 2
    assert store.count("users") == 2
    assert store.upsert_items(items("a", "b")) == 2
    store.upsert_items([{"id": "a", "kind": "video", "text": "new"}])
    cat = store.catalogue()
    assert list(cat.external_id) == ["a", "b"]
    assert list(cat.kind) == ["video", "post"]


def test_events_are_idempotent_by_event_id(store: Store) -> None:
    store.upsert_items(items("i1", "i2"))
    batch = [event("e1"), event("e2", item="i2"), event("e1")]  # e1 twice in one batch
    assert store.add_events(batch) == (2, 1)
    assert store.add_events(batch) == (0, 3)
    assert store.count("events") == 2
    assert store.count("users") == 1  # created by its first event


def test_unknown_item_rejects_the_whole_batch(store: Store) -> None:
    store.upsert_items(items("i1"))
    with pytest.raises(UnknownReference, match=r"events\[1\]\.item_id: unknown item 'zz'"):
        store.add_events([event("e1"), event("e2", item="zz")])
    assert store.count("events") == 0
    assert store.count("users") == 0  # nothing of the batch was written


def test_history_is_newest_events_oldest_first(store: Store) -> None:
    store.upsert_items(items("a", "b", "c", "d"))
    store.add_events(
        [
            event("1", item="a", minute=1),
            event("2", item="b", minute=3),
            event("3", item="c", minute=2, action="impression"),
            event("4", item="d", minute=4, action="like"),
        ]
    )
    user = store.activity("u1")
    assert user is not None
    cat = store.catalogue()
    ext = dict(zip(cat.pk.tolist(), cat.external_id, strict=True))
    hist = user.history(["click", "like"], limit=2)
    assert [(ext[i], a) for i, a in hist] == [("b", "click"), ("d", "like")]
    seen = {ext[i]: n for i, n in user.seen().items()}
    assert seen == {"a": 0, "b": 0, "c": 1, "d": 0}  # impressions per item seen
    assert store.activity("nobody") is None


def test_event_table_for_training_is_sorted_by_user_then_time(store: Store) -> None:
    store.upsert_items(items("a", "b"))
    store.add_events(
        [event("1", "u2", "a", minute=5), event("2", "u1", "b", minute=9), event("3", "u2", "b")]
    )
    t = store.event_table(["click"])
    assert len(t.user) == 3
    assert np.all(np.diff(t.user) >= 0)
    u2 = t.timestamp[t.user == t.user[-1]]
    assert np.all(np.diff(u2) >= 0)


def test_api_keys_are_stored_hashed(store: Store, database_url: str) -> None:
    key = "a-very-secret-operator-key"
    assert store.add_api_key("op", key)
    assert not store.add_api_key("op", key)
    assert store.role_of(key) == "operator"
    assert store.role_of("wrong-key-wrong-key") is None
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT key_hash FROM api_keys").scalars().all()
    assert key not in stored and len(stored[0]) == 64


def test_feed_chain_collects_every_page(store: Store) -> None:
    store.upsert_items(items("a", "b", "c"))
    pks = store.catalogue().pk.tolist()
    common = {"user_external_id": "u1", "ranker": "random", "model_version": None}
    FeedLog(store).record(
        request_id="r1", root_request_id="r1", page=0, item_pks=pks[:2], scores=[2, 1], **common
    )
    FeedLog(store).record(
        request_id="r2", root_request_id="r1", page=1, item_pks=pks[2:], scores=[0.5], **common
    )
    assert FeedLog(store).chain("r1") == (2, set(pks))
    assert FeedLog(store).request("r2")["root_request_id"] == "r1"


def test_catalogue_since_returns_only_recent_writes(store: Store) -> None:
    store.upsert_items(items("a"))
    _, first = store.catalogue_version()
    assert first is not None
    store.upsert_items(items("b"))
    recent = store.catalogue(since=first + timedelta(microseconds=1))
    assert list(recent.external_id) == ["b"]


def test_outcomes_join_what_was_shown_with_what_was_done(store: Store) -> None:
    store.upsert_items(items("a", "b", "c"))
    pks = store.catalogue().pk.tolist()
    log = FeedLog(store)
    common = {"root_request_id": "r1", "page": 0, "user_external_id": "u1", "model_version": "v1"}
    log.record(request_id="r1", ranker="model", item_pks=pks, scores=[3.0, 2.0, 1.0], **common)
    store.add_events(
        [
            {**event("e1", item="a"), "request_id": "r1"},
            {**event("e2", item="b")},  # clicked, but not from this page
            {**event("e3", item="c", action="hide"), "request_id": "r1"},
        ]
    )
    scores, labels = log.outcomes(("click",))
    assert sorted(zip(scores, labels, strict=True)) == [(1.0, 0), (2.0, 0), (3.0, 1)]
    assert log.outcomes(("click",), model_version="other") == ([], [])


def test_creatives_made_before_versions_keep_serving(store: Store) -> None:
    """m0014 turns each creative of an older database into an approved typed
    variant at version 1 with no review recorded, so what served still serves."""
    from sqlalchemy import delete, text

    from tests.ads.market import a_campaign
    from unifeed.ads.records.campaigns import CampaignRecords
    from unifeed.ads.records.creatives import CreativeRecords
    from unifeed.store import schema
    from unifeed.store.db import utcnow

    records = CampaignRecords(store)
    adv = records.create_advertiser("old", "Old Co")
    spec = a_campaign(T0).spec
    c = records.create(adv, spec)
    store.upsert_items([{"id": "ad-old-0", "kind": "ad", "text": "old pasta ad"}])
    pk = store.item_pks({"ad-old-0"})["ad-old-0"]
    with store.engine.begin() as conn:
        conn.execute(
            schema.creatives.insert().values(campaign_id=c.id, item_id=pk, created_at=utcnow())
        )
        conn.execute(text("DROP TABLE creative_versions"))
        conn.execute(text("DROP TABLE creative_variants"))
        conn.execute(text("ALTER TABLE campaigns DROP COLUMN auto_approve_creatives"))
        conn.execute(
            delete(schema.schema_migrations).where(schema.schema_migrations.c.version == 14)
        )
    assert store.migrate() == [14]
    (v,) = CreativeRecords(store).of_campaign(c.id)
    assert (v.status, v.origin, v.version, v.serves) == ("approved", "typed", 1, True)
    assert v.current.review is None and v.current.primary_text == "old pasta ad"
    again = records.by_id(c.id)
    assert again.creative_item_ids == [pk] and again.auto_approve_creatives is False
