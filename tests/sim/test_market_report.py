"""The demo report's market sections, from hand-made outcomes (no server, no model)."""

from __future__ import annotations

from typing import Any

from unifeed.sim.advertisers import Advertiser
from unifeed.sim.followers import DemoQuestion, Exchange
from unifeed.sim.market_report import market_summary, render_market
from unifeed.sim.market_result import CampaignOutcome, MarketResult


def _advertiser(k: int) -> Advertiser:
    return Advertiser(f"brief{k}", "Lumen", 0, "leads", {"type": "highest_volume"}, (), 0, "x")


def _generation(written: int, attempts: int, status: str = "done") -> dict[str, Any]:
    return {
        "status": status,
        "detail": f"{written} of 2 variants written",
        "variants": 2,
        "written": written,
        "attempts": attempts,
        "parse_pass_rate": 0.5 if written else 0.0,
        "review_pass_rate": 1.0 if written else 0.0,
    }


def _creative(cid: int, serves: bool, reasons: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": cid,
        "status": "approved" if serves else "rejected",
        "serves": serves,
        "origin": "generated",
        "angle": "benefit",
        "model": "SmolLM2",
        "version": 1,
        "current": {
            "version": 1,
            "item_id": f"ad{cid}",
            "headline": f"Lumen lens {cid}",
            "primary_text": "Sharp portraits with the Lumen prime lens.",
            "call_to_action": "Learn more",
            "review": {"passed": not reasons, "reasons": reasons},
        },
    }


def _outcome(k: int, creatives: list[dict[str, Any]], report: dict | None) -> CampaignOutcome:
    brief = {"product": "Lumen prime lens", "description": "A fast 35 mm lens."}
    return CampaignOutcome(
        _advertiser(k),
        "photography",
        brief,
        f"camp{k}",
        "automatic" if k == 0 else "advertiser",
        _generation(len([c for c in creatives if c["serves"]]), 6),
        12.0,
        [c["id"] for c in creatives if c["serves"]] if k else [],
        creatives,
        report,
    )


REPORT = {
    "budget_minor": 500,
    "spend_minor": 420,
    "impressions": 40,
    "reach": 30,
    "clicks": 9,
    "ctr": 0.225,
    "results": 3,
    "result_actions": ["lead"],
    "cost_per_result_minor": 140.0,
    "creatives": {
        "variants": [
            {
                "creative_id": 1,
                "version": 1,
                "impressions": 40,
                "reach": 30,
                "clicks": 9,
                "results": 3,
                "spend_minor": 420,
                "label": "learning",
                "won_with": {"age": {"group": "25-34"}, "gender": {"group": "female"}},
            }
        ]
    },
}


def _market() -> MarketResult:
    reasons = [{"rule": "unsupported_claim", "reason": "'50%' is not in the brief"}]
    q = DemoQuestion("q1", "answerable", "How do I?", supporting=("wj-01",))
    e = Exchange(
        "windowsill-jungle",
        "Jungle Helper",
        "user7",
        q,
        "quoted",
        "From my post",
        ("wj-01",),
        (),
        True,
        2.5,
    )
    return MarketResult(
        day=8,
        campaigns=[
            _outcome(0, [], None),
            _outcome(1, [_creative(1, True, []), _creative(2, False, reasons)], REPORT),
        ],
        exchanges=[e],
        writer_model="SmolLM2",
        feeds=100,
        ad_impressions=40,
        day_ran=True,
    )


def test_a_campaign_with_nothing_approved_says_so_and_why() -> None:
    s = market_summary(_market())
    nothing, served = s["campaigns"]
    assert nothing["serving"] == 0 and nothing["spend_minor"] == 0
    assert "no variant passed parsing and review: 6 attempts" in nothing["served_nothing_because"]
    assert served["served_nothing_because"] is None and served["serving"] == 1
    page = render_market(_market())
    assert page.count("Served nothing") == 1
    assert "no variant passed parsing and review" in page


def test_creatives_show_their_figures_review_and_whom_they_won_with() -> None:
    s = market_summary(_market())
    rows = s["campaigns"][1]["creatives"]
    won, rejected = rows
    assert won["impressions"] == 40 and won["results"] == 3 and won["approved_by_advertiser"]
    assert won["won_with"] == {"age": "25-34", "gender": "female", "interest": None}
    assert rejected["impressions"] == 0 and rejected["review"] == [
        "unsupported_claim: '50%' is not in the brief"
    ]
    page = render_market(_market())
    assert "25-34, female, -" in page and "unsupported_claim" in page
    assert "€4.20 of €5.00" in page


def test_assistant_figures_and_conversations_with_citations() -> None:
    s = market_summary(_market())
    a = s["assistants"]["all"]
    assert (a["questions"], a["quoted"], a["as_labelled"], a["graded"]) == (1, 1, 1, 1)
    assert s["assistants"]["by_assistant"]["Jungle Helper"]["median_s"] == 2.5
    page = render_market(_market())
    # The cited post's own text (from the shipped corpus) is quoted under the reply.
    assert "<code>wj-01</code>: Monstera propagation 101!" in page
    assert render_market(None) == ""


def test_the_stages_timing_reads_as_one_sentence() -> None:
    m = _market()
    m.began_s, m.seconds = 70.0, 120.0
    m.stages = {"start": 5.0, "assistants": 20.0, "writing": 60.0, "day": 35.0}
    line = market_summary(m)
    from unifeed.sim.market_report import timing

    assert timing(line) == (
        "The market phase began 70 s into the run, after the model arm, beside the other "
        "arms, and took 120 s (start 5 s, assistants 20 s, waiting for the ads 60 s, "
        "the day of ads 35 s)."
    )


def test_the_command_line_names_what_served_nothing_and_why() -> None:
    from unifeed.cli.demo import _print_market
    from unifeed.cli.display import console

    m = _market()
    m.budget_minor = 500
    with console.capture() as cap:
        _print_market(market_summary(m))
    out = " ".join(cap.get().split())
    assert "budget €5.00 each" in out and "€4.20" in out
    assert "Lumen prime lens: served nothing: no variant passed parsing and review" in out
    assert "1 questions, 0 answered by the model, 1 quoted" in out
