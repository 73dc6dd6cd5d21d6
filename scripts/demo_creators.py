"""Write unifeed/sim/creators.json, the demo's creators with assistants, from the corpus.

    python scripts/demo_creators.py

The demo ships its creators inside the package (a pip-installed `unifeed
demo` has no tests/ folder), so this copies what it needs from the
hand-written assistant corpus (tests/assistants/corpus): each creator's
set-up and posts, and a few labelled questions of every kind, the first of
each kind in the corpus's order. The labels (supporting posts, the avoided
topic) are the simulator's; the service never reads them.
tests/sim/test_followers.py fails when the shipped file and this drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "assistants" / "corpus"
OUT = ROOT / "unifeed" / "sim" / "creators.json"

# The held-out creators first (bench/assistants.py tuned its thresholds on the other two).
CREATORS = ("windowsill-jungle", "plain-money", "crumb-and-crust", "spoke-and-chain")
# The simulated world's topic whose fans are each creator's likeliest followers.
TOPIC = {
    "windowsill-jungle": "gardening",
    "plain-money": "finance",
    "crumb-and-crust": "cooking",
    "spoke-and-chain": "fitness",
}
PER_KIND = {"answerable": 3, "unanswerable": 2, "avoided": 2, "attack": 2}
QUESTION_FIELDS = ("id", "kind", "question", "supporting_post_ids", "avoided_topic", "attack_type")


def render() -> str:
    questions = [
        json.loads(line)
        for line in (CORPUS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    creators: list[dict[str, Any]] = []
    for cid in CREATORS:
        c = json.loads((CORPUS / "creators" / f"{cid}.json").read_text(encoding="utf-8"))
        picked: list[dict[str, Any]] = []
        for kind, n in PER_KIND.items():
            same = [q for q in questions if q["creator_id"] == cid and q["kind"] == kind][:n]
            picked += [{k: q[k] for k in QUESTION_FIELDS if k in q} for q in same]
        creators.append(
            {
                "id": c["id"],
                "name": c["name"],
                "topic": TOPIC[cid],
                "assistant": {
                    "name": c["assistant_name"],
                    "persona": c["persona"],
                    "avoid_topics": c["avoid_topics"],
                    "links": c["links"],
                    "audience": c["audience"],
                },
                "posts": [{"id": p["id"], "text": p["text"]} for p in c["posts"]],
                "questions": picked,
            }
        )
    about = (
        "The demo's creators with assistants: a copy of part of tests/assistants/corpus "
        "(hand-written for Unifeed), made by scripts/demo_creators.py; do not edit by hand."
    )
    return json.dumps({"_about": about, "creators": creators}, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
