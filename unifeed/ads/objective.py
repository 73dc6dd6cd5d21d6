"""Objectives: what a campaign buys, as a type that says how it is predicted, bid and counted.

An objective names the events that count as its result. Its kind says the
rest: a reach campaign buys people (a first paid impression), is worth the
same for every viewer and so paces by throttling; an on-platform result is
the click or follows it in the feed; an after-click result (a lead, an
install, a purchase) happens off the platform and is predicted per viewer
(`unifeed.ads.conversion`). Every kind is charged per impression, at the
price of its slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResultKind(StrEnum):
    reach = "reach"  # a person reached: the first paid impression
    on_platform = "on_platform"  # the click, or what the viewer does after it in the feed
    after_click = "after_click"  # something done off the platform after clicking


@dataclass(frozen=True)
class Objective:
    name: str  # as advertisers name it in the API
    result_actions: tuple[str, ...]  # the events that count as its result
    kind: ResultKind
    # Until a campaign has results of its own, a result is taken to be this
    # much rarer than a click on the same ad (a click is the first step to
    # any result), or as rare as its peers' clicks show.
    prior_results_per_click: float = 0.1
    has_values: bool = False  # its results carry a value (a ROAS goal needs them)
    charged_per: str = "impression"  # what a slot charges for

    @property
    def is_reach(self) -> bool:
        return self.kind is ResultKind.reach

    @property
    def after_click(self) -> bool:
        return self.kind is ResultKind.after_click

    @property
    def result_is_the_click(self) -> bool:
        return self.result_actions == ("click",)


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("awareness", ("impression",), ResultKind.reach),
        Objective("traffic", ("click",), ResultKind.on_platform, 1.0),
        Objective("engagement", ("like", "share", "long_view"), ResultKind.on_platform, 0.3),
        Objective("leads", ("lead",), ResultKind.after_click),
        Objective("app_promotion", ("install",), ResultKind.after_click),
        Objective("sales", ("purchase",), ResultKind.after_click, has_values=True),
    )
}
# Every event that is some objective's result.
RESULT_ACTIONS: frozenset[str] = frozenset(a for o in OBJECTIVES.values() for a in o.result_actions)
