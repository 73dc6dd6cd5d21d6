"""The demo report's market sections: ads Unifeed wrote, and creators' assistants.

`market_summary` gives the figures (for summary.json and the command line);
`render_market` the HTML the report page embeds after the arms' sections.
Campaigns that served nothing say why, in words, where the figures would be.
"""

from __future__ import annotations

import html
import statistics
from typing import Any

from unifeed.sim.followers import Exchange, load_creators
from unifeed.sim.market_result import CampaignOutcome, MarketResult

WON_DIMENSIONS = ("age", "gender", "interest")
REPLY_KINDS = ("answered", "quoted", "not_in_posts", "declined")


def _euros(minor: float | None) -> str:
    return "-" if minor is None else f"€{minor / 100:,.2f}"


def _rate(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _won_with(row: dict[str, Any]) -> dict[str, str | None]:
    return {d: (row.get("won_with") or {}).get(d, {}).get("group") for d in WON_DIMENSIONS}


def creative_rows(c: CampaignOutcome) -> list[dict[str, Any]]:
    """Every creative's current version with its day's figures (none when the day did not run)."""
    figures = {
        (r["creative_id"], r["version"]): r
        for r in ((c.report or {}).get("creatives") or {}).get("variants", [])
    }
    rows = []
    for x in c.creatives:
        v = x["current"]
        f = figures.get((x["id"], x["version"]), {})
        rows.append(
            {
                "id": x["id"],
                "status": x["status"],
                "serves": x["serves"],
                "origin": x["origin"],
                "angle": x["angle"],
                "headline": v["headline"],
                "primary_text": v["primary_text"],
                "call_to_action": v["call_to_action"],
                "review": [f"{r['rule']}: {r['reason']}" for r in v["review"]["reasons"]],
                "approved_by_advertiser": x["id"] in c.approved_by_advertiser,
                "impressions": f.get("impressions", 0),
                "reach": f.get("reach", 0),
                "clicks": f.get("clicks", 0),
                "results": f.get("results", 0),
                "spend_minor": f.get("spend_minor", 0),
                "label": f.get("label"),
                "won_with": _won_with(f),
            }
        )
    return rows


def campaign_summary(c: CampaignOutcome) -> dict[str, Any]:
    g, r = c.generation, c.report or {}
    return {
        "advertiser": c.advertiser.name,
        "product": c.brief["product"],
        "brief": c.brief["description"],
        "topic": c.topic,
        "objective": c.advertiser.objective,
        "campaign": c.campaign,
        "approval": c.approval,
        "generation": {
            "status": g["status"],
            "detail": g["detail"],
            "asked": g["variants"],
            "written": g["written"],
            "attempts": g["attempts"],
            "parse_pass_rate": g["parse_pass_rate"],
            "review_pass_rate": g["review_pass_rate"],
            "wall_seconds": c.generation_wall_s,
        },
        "serving": len(c.serving),
        "served_nothing_because": c.served_nothing_because,
        "budget_minor": r.get("budget_minor"),
        "spend_minor": r.get("spend_minor", 0),
        "impressions": r.get("impressions", 0),
        "reach": r.get("reach", 0),
        "clicks": r.get("clicks", 0),
        "ctr": r.get("ctr"),
        "results": r.get("results", 0),
        "result_actions": r.get("result_actions", []),
        "cost_per_result_minor": r.get("cost_per_result_minor"),
        "creatives": creative_rows(c),
    }


def assistant_figures(exchanges: list[Exchange]) -> dict[str, Any]:
    """Counts by reply kind, replies as the questions' labels call for, and latency."""
    secs = sorted(e.seconds for e in exchanges)
    graded = [e.as_labelled for e in exchanges if e.as_labelled is not None]
    return {
        "questions": len(exchanges),
        **{k: sum(e.kind == k for e in exchanges) for k in REPLY_KINDS},
        "as_labelled": sum(graded),
        "graded": len(graded),
        "labelled_ai": sum(e.ai_generated for e in exchanges),
        "median_s": statistics.median(secs) if secs else None,
        "max_s": secs[-1] if secs else None,
    }


def market_summary(m: MarketResult) -> dict[str, Any]:
    by_assistant: dict[str, list[Exchange]] = {}
    for e in m.exchanges:
        by_assistant.setdefault(e.assistant, []).append(e)
    return {
        "day": m.day + 1,
        "seconds": m.seconds,
        "began_s": m.began_s,
        "stage_seconds": dict(m.stages),
        "writer_model": m.writer_model,
        "day_ran": m.day_ran,
        "budget_minor": m.budget_minor,
        "feeds": m.feeds,
        "ad_impressions": m.ad_impressions,
        "campaigns": [campaign_summary(c) for c in m.campaigns],
        "assistants": {
            "all": assistant_figures(m.exchanges),
            "by_assistant": {a: assistant_figures(es) for a, es in by_assistant.items()},
        },
        "conversations": [
            {
                "assistant": e.assistant,
                "creator": e.creator,
                "asker": e.asker,
                "question": e.question.text,
                "question_kind": e.question.kind,
                "reply_kind": e.kind,
                "answer": e.answer,
                "citations": list(e.citations),
                "closest_posts": list(e.closest),
                "supporting_posts": list(e.question.supporting),
                "as_labelled": e.as_labelled,
                "seconds": e.seconds,
            }
            for e in m.exchanges
        ],
    }


def timing(s: dict[str, Any]) -> str:
    """When the market phase ran and how long each stage took, in one sentence."""
    st = s["stage_seconds"]
    names = {"start": "start", "assistants": "assistants", "writing": "waiting for the ads"}
    names["day"] = "the day of ads"
    parts = ", ".join(f"{names.get(k, k)} {v:.0f} s" for k, v in st.items())
    return (
        f"The market phase began {s['began_s']:.0f} s into the run, after the model arm, "
        f"beside the other arms, and took {s['seconds']:.0f} s ({parts})."
    )


# ------------------------------------------------------------------ HTML
def render_market(m: MarketResult | None) -> str:
    if m is None:
        return ""
    s = market_summary(m)
    parts = [f"<p>{html.escape(timing(s))}</p>"]
    if m.campaigns:
        parts.append(_ads(m, s))
    if m.exchanges:
        parts.append(_assistants(s))
    return "\n".join(parts)


def _ads(m: MarketResult, s: dict[str, Any]) -> str:
    e = html.escape
    intro = (
        f"<h2>Ads Unifeed wrote</h2><p>After the comparison, on a copy of the model arm's "
        f"store, {len(m.campaigns)} advertisers each posted a campaign with an objective, a "
        f"budget, a schedule (simulated day {s['day']}) and a brief, and nothing else: no ad "
        f"text, no audience. The service's language model ({e(m.writer_model or 'embedded')}) "
        f"wrote the variants from the brief in the background, and review checked each; the "
        f"first advertiser lets what review passes serve at once, the others approved the "
        f"drafts themselves. Then {m.feeds:,} feeds were served through the day to people "
        f"who read the ads' text (the simulator's own reading: angles, topic words, quality) "
        f"and chose among each campaign's variants per viewer. A campaign whose brief gave "
        f"no approved variant serves nothing, and says so below.</p>"
    )
    if not m.day_ran:
        intro += (
            '<p class="fail">No campaign had a variant to serve, so the day of ads did not run.</p>'
        )
    rows = []
    for c in s["campaigns"]:
        g = c["generation"]
        why = c["served_nothing_because"]
        head = (
            f"<h3>{e(c['product'])}: {e(c['objective'].replace('_', ' '))} "
            f"(approval: {'automatic' if c['approval'] == 'automatic' else 'by the advertiser'})"
            f"</h3><p>Brief: {e(c['brief'])}</p>"
            f"<p>Written: {g['written']} of {g['asked']} variants asked, in {g['attempts']} "
            f"attempts (parsed {_rate(g['parse_pass_rate'])}, passed review "
            f"{_rate(g['review_pass_rate'])}), {g['wall_seconds']:.0f} s after the campaign "
            f"was posted.{'' if g['status'] == 'done' else ' ' + e(g['detail']) + '.'}</p>"
        )
        if why:
            head += f'<p class="fail"><strong>Served nothing</strong>: {e(why)}.</p>'
        else:
            head += (
                f"<p>Spent {_euros(c['spend_minor'])} of {_euros(c['budget_minor'])}; "
                f"{c['impressions']:,} impressions to {c['reach']:,} people, {c['clicks']} "
                f"clicks (CTR {_rate(c['ctr'])}), {c['results']} results "
                f"({e(', '.join(c['result_actions']))}), cost per result "
                f"{_euros(c['cost_per_result_minor'])}.</p>"
            )
        if c["creatives"]:
            head += _creative_table(c["creatives"])
        rows.append(head)
    return intro + "".join(rows)


def _creative_table(rows: list[dict[str, Any]]) -> str:
    e = html.escape
    head = (
        "<tr><th>variant</th><th>status</th><th>angle</th><th>headline / text</th>"
        "<th>impressions</th><th>clicks</th><th>results</th><th>spend</th><th>label</th>"
        "<th>won with (age, gender, interest)</th></tr>"
    )
    body = []
    for r in rows:
        status = r["status"] + (" (by the advertiser)" if r["approved_by_advertiser"] else "")
        text = f"<strong>{e(r['headline'] or '')}</strong><br>{e(r['primary_text'])}"
        if r["review"]:
            text += "<br><em>review: " + e("; ".join(r["review"])) + "</em>"
        won = ", ".join(v or "-" for v in r["won_with"].values()) if r["impressions"] else "-"
        body.append(
            f"<tr><td>{r['id']}</td><td>{e(status)}</td><td>{e(r['angle'] or '-')}</td>"
            f'<td style="text-align:left">{text}</td><td>{r["impressions"]:,}</td>'
            f"<td>{r['clicks']}</td><td>{r['results']}</td><td>{_euros(r['spend_minor'])}</td>"
            f"<td>{e(r['label'] or '-')}</td><td>{e(won)}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _assistants(s: dict[str, Any]) -> str:
    e = html.escape
    a = s["assistants"]
    posts = {pid: text for c in load_creators() for pid, text in c.posts}
    head = (
        "<tr><th>assistant</th><th>questions</th><th>answered by the model</th><th>quoted</th>"
        "<th>not in the posts</th><th>declined</th><th>as labelled</th>"
        "<th>median s</th><th>max s</th></tr>"
    )

    def row(name: str, f: dict[str, Any]) -> str:
        return (
            f"<tr><td>{e(name)}</td><td>{f['questions']}</td><td>{f['answered']}</td>"
            f"<td>{f['quoted']}</td><td>{f['not_in_posts']}</td><td>{f['declined']}</td>"
            f"<td>{f['as_labelled']} of {f['graded']}</td><td>{f['median_s']:.1f}</td>"
            f"<td>{f['max_s']:.1f}</td></tr>"
        )

    table = "".join(row(n, f) for n, f in a["by_assistant"].items()) + row("all", a["all"])
    convs = []
    for c in s["conversations"]:
        cites = "".join(
            f"<li><code>{e(p)}</code>: {e(_clip(posts.get(p, ''), 160))}</li>"
            for p in c["citations"]
        )
        closest = ", ".join(c["closest_posts"])
        verdict = {True: "as labelled", False: "not as labelled", None: "an attack"}[
            c["as_labelled"]
        ]
        convs.append(
            f'<div class="conv"><p><strong>{e(c["asker"])}</strong> asks '
            f"<strong>{e(c['assistant'])}</strong> ({e(c['question_kind'])} question): "
            f"{e(c['question'])}</p><p>Reply ({e(c['reply_kind'])}, {c['seconds']:.1f} s, "
            f"labelled AI-generated; {verdict}): {e(c['answer'])}</p>"
            + (f"<p>Citations:</p><ul>{cites}</ul>" if cites else "")
            + (f"<p>Closest posts: {e(closest)}</p>" if closest else "")
            + (
                f"<p>Posts that support an answer (the simulator's label): "
                f"{e(', '.join(c['supporting_posts']))}</p>"
                if c["supporting_posts"]
                else ""
            )
            + "</div>"
        )
    return (
        "<h2>Creators' assistants</h2><p>Creators from the project's hand-written corpus "
        "(tests/assistants/corpus, shipped with the simulator) posted their posts, set up "
        "their assistants with their own keys, and simulated followers (people of the world "
        "who care most for the creator's topic, who first liked one of the creator's posts) "
        "asked one question each through the API. Each question carries the corpus's "
        "label, which the service never sees: answerable (as labelled when a supporting "
        "post is cited), unanswerable from the posts or on an avoided topic (as labelled "
        "when declined), or an attack (read the reply). Seconds are each request's wall "
        "time, on a machine also running the other arms.</p>"
        f"<table>{head}{table}</table><h3>Conversations</h3>{''.join(convs)}"
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
