"""One arm's flight as it runs: its advertisers, its sessions and their events.

`FlightState` is what `unifeed.sim.flight` drives day by day (and what the
demo's market phase, `unifeed.sim.market`, drives for its one day): the
advertisers sign up through the API, every session fetches a feed and reacts
to each item shown, ads included, and the events queue until the app would
send them. How a person reacts to the n-th view of a given creative is the
same in every arm (creatives are known by the advertiser's own name for
them), so arms differ only in whom the ads reached.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from unifeed.sim.adtext import AdTextResponse
from unifeed.sim.advertisers import CURRENCY, AdResponses, Advertiser, ConversionModel
from unifeed.sim.clock import SimClock
from unifeed.sim.response import ResponseModel, organic_items
from unifeed.sim.run import _check, _chunks, _event, _events, _post
from unifeed.sim.world import START, World, session_seconds

if TYPE_CHECKING:
    from unifeed.sim.flight_config import FlightConfig


class FlightState:
    """The state of one arm's flight: campaigns, queued events, ad views per person."""

    def __init__(
        self,
        cfg: FlightConfig,
        world: World,
        advertisers: list[Advertiser],
        client: httpx.Client,
        clock: SimClock,
    ) -> None:
        self.cfg, self.world, self.client, self.clock = cfg, world, client, clock
        self.data_dir: Path | None = None  # the arm's store, for a hook to read
        self.advertisers = {a.id: a for a in advertisers}
        self.response = ResponseModel()
        text = (
            None
            if cfg.ad_text == "ignored"
            else AdTextResponse(world, text_blind=cfg.ad_text == "blind")
        )
        self.ads = AdResponses(world, self.response, ConversionModel(), text=text)
        self.code = {item_id: i for i, item_id in enumerate(world.item_ids)}
        self.campaigns: dict[str, str] = {}
        self.advertiser_clients: dict[str, httpx.Client] = {}
        self.owner: dict[str, Advertiser] = {}  # creative item id -> advertiser
        # Creative item id -> the advertiser's own name for it ("adv3:1"): the
        # service's ids differ from run to run and arm to arm, and people
        # must react to the same creative alike in every arm.
        self.creative_key: dict[str, str] = {}
        self.creative_text: dict[str, str] = {}  # creative item id -> its text
        self.views: dict[tuple[int, str], int] = {}  # (user, creative) -> views so far
        self.exposures: dict[tuple[int, str], int] = {}  # (user, advertiser) -> views so far
        self.seen: set[tuple[int, int]] = set()  # (user, item) organic items met
        self.queue: list[tuple[dt.datetime, int, dict[str, Any]]] = []  # heap by time
        self._n = 0
        self.feeds = self.ad_impressions = self.conversions = 0

    @property
    def window(self) -> tuple[str, str]:
        """The flight's start and end as the API takes them."""
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return self.cfg.flight_start.strftime(fmt), self.cfg.flight_end.strftime(fmt)

    def open_account(self, a: Advertiser, base_url: str) -> httpx.Client:
        """Sign `a` up with the service and keep a client that calls it with `a`'s key."""
        key = _post(self.client, "/v1/advertisers", {"id": a.id, "name": a.name})["api_key"]
        adv = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx.Timeout(120.0),
        )
        self.advertiser_clients[a.id] = adv
        return adv

    def sign_up(self, base_url: str) -> None:
        start, end = self.window
        for a in self.advertisers.values():
            adv = self.open_account(a, base_url)
            body = a.campaign_body(self.world, self.cfg.budget_minor, start, end)
            cid = _post(adv, "/v1/campaigns", body)["id"]
            self.campaigns[a.id] = cid
            self.add_creatives(a, a.texts)

    def add_creatives(self, a: Advertiser, texts: Sequence[str], prefix: str = "") -> list[str]:
        """Post ad texts to `a`'s campaign; each is named `{a.id}:{prefix}{k}` across arms.

        No texts, no creatives: the campaign then serves nothing."""
        if not texts:
            return []
        adv, cid = self.advertiser_clients[a.id], self.campaigns[a.id]
        made = _post(adv, f"/v1/campaigns/{cid}/creatives", {"texts": list(texts)})
        for k, (item_id, text) in enumerate(zip(made["item_ids"], texts, strict=True)):
            self.adopt(a, item_id, f"{a.id}:{prefix}{k}", text)
        return list(made["item_ids"])

    def adopt(self, a: Advertiser, item_id: str, key: str, text: str) -> None:
        """Know the creative item `item_id` of `a`'s campaign (one the service wrote,
        say): people read `text` and react to it alike wherever it is named `key`."""
        self.owner[item_id] = a
        self.creative_key[item_id] = key
        self.creative_text[item_id] = text

    def sessions(self, day: int) -> list[tuple[dt.datetime, int, bool]]:
        """(time, user, first of the user's day) for every session of the day, in time order."""
        rng = np.random.default_rng([self.world.config.seed, 7, day])
        day_start = START + dt.timedelta(days=day)
        out = []
        for u in self.world.active_users(day).tolist():
            n = 1 + int(rng.poisson(self.cfg.sessions_per_day - 1))
            seconds = session_seconds(rng, n)
            out += [
                (day_start + dt.timedelta(seconds=float(s)), u, j == 0)
                for j, s in enumerate(seconds)
            ]
        out.sort(key=lambda x: x[0])
        return out

    def run_day(
        self,
        day: int,
        sessions: list[tuple[dt.datetime, int, bool]],
        progress: Callable[[int, int], None],
    ) -> None:
        day_start = START + dt.timedelta(days=day)
        self.clock.move_to(day_start)
        fresh = self.world.items_of_day(day)
        for chunk in _chunks([self.world.item_payload(int(i)) for i in fresh], 1000):
            _post(self.client, "/v1/items", {"items": chunk})
        step = dt.timedelta(minutes=self.cfg.flush_minutes)
        next_flush = day_start + step
        for k, (when, u, first) in enumerate(sessions):
            while when >= next_flush:
                self.clock.move_to(next_flush)
                self.flush(next_flush)
                next_flush += step
            self.clock.move_to(when)
            self.session(u, day, when, first)
            if k % 50 == 0:
                progress(k, len(sessions))
        self.clock.move_to(day_start + dt.timedelta(days=1))
        self.flush(self.clock.now())
        progress(len(sessions), len(sessions))

    def session(self, u: int, day: int, when: dt.datetime, first: bool) -> None:
        world = self.world
        user_id = world.user_ids[u]
        r = self.client.get("/v1/feed", params={"user_id": user_id, "n": world.config.feed_size})
        _check(r)
        feed = r.json()
        self.feeds += 1
        rid = feed["request_id"]
        for pos, entry in enumerate(feed["items"]):
            seen_at = when + dt.timedelta(seconds=2 * pos)
            item_id = entry["item_id"]
            adv = self.owner.get(item_id)
            if adv is None:
                i = self.code.get(item_id)
                if i is None:
                    # A post the world did not write (the demo's creators with
                    # assistants write real text, not the world's topic words):
                    # people have no taste for it, so they see it and move on.
                    self.push(seen_at, _event(user_id, item_id, "impression", seen_at, rid))
                    continue
                self.seen.add((u, i))
                acts = self.response.respond(world, u, np.array([i]))[0]
                for e in _events(world, u, i, acts, seen_at, rid):
                    self.push(seen_at, e)
                continue
            self.ad_impressions += 1
            nth = self.views.get((u, item_id), 0)
            self.views[(u, item_id)] = nth + 1
            seen_before = self.exposures.get((u, adv.id), 0)
            self.exposures[(u, adv.id)] = seen_before + 1
            acts, conversion = self.ads.respond(
                u, adv, self.creative_key[item_id], nth, seen_before, self.creative_text[item_id]
            )
            self.push(seen_at, _ad_event(user_id, item_id, "impression", seen_at, rid))
            for a in acts:
                t = seen_at + dt.timedelta(seconds=3)
                self.push(t, _ad_event(user_id, item_id, a, t, rid))
            if conversion is not None:
                action, delay, value = conversion
                t = seen_at + dt.timedelta(seconds=delay)
                self.push(t, _ad_event(user_id, item_id, action, t, rid, value or None))
                self.conversions += 1
        if first:
            # What the user finds outside the feed today, as in the demo.
            for i in organic_items(world, u, day).tolist():
                if (u, i) in self.seen:
                    continue
                self.seen.add((u, i))
                acts = self.response.respond(world, u, np.array([i]))[0]
                for e in _events(world, u, i, acts, when, None):
                    e["event_id"] += f":found{day}"
                    self.push(when, e)

    def push(self, t: dt.datetime, event: dict[str, Any]) -> None:
        self._n += 1
        heapq.heappush(self.queue, (t, self._n, event))

    def flush(self, now: dt.datetime) -> None:
        """Send every queued event that has happened by `now`."""
        batch: list[dict[str, Any]] = []
        while self.queue and self.queue[0][0] <= now:
            batch.append(heapq.heappop(self.queue)[2])
        for chunk in _chunks(batch, 5000):
            _post(self.client, "/v1/events", {"events": chunk})


def _ad_event(
    user_id: str,
    item_id: str,
    action: str,
    when: dt.datetime,
    request_id: str,
    value: float | None = None,
) -> dict[str, Any]:
    # The same ad may be shown to the same person again: ids name the request.
    event = _event(user_id, item_id, action, when, request_id)
    event["event_id"] += f":{request_id}"
    if value is not None:
        event["value"], event["currency"] = value, CURRENCY
    return event


def _get(client: httpx.Client, path: str) -> dict[str, Any]:
    r = client.get(path)
    _check(r)
    return r.json()
