"""`unifeed demo`: the marketplace simulator against the real service, with a report.

Kept apart from `commands.py` because it draws its own progress (arms, days,
feeds) and summary; `commands.py` registers it on the app.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from unifeed.cli.display import console, print_error, run_progress
from unifeed.cli.support import reported_errors
from unifeed.sim import (
    ENGAGEMENT_DEFINITION,
    TARGET_RATIO,
    DayStats,
    SimConfig,
    summarize,
    write_report,
)
from unifeed.sim.demo import run_demo
from unifeed.sim.live import live_settings, run_live
from unifeed.sim.market import MarketConfig
from unifeed.sim.market_report import market_summary, timing
from unifeed.sim.report import LABELS
from unifeed.sim.run import OPERATOR_KEY
from unifeed.sim.world import build_world

DEFAULTS = SimConfig()
MARKET = MarketConfig()
STAGES = {
    "assistants": "followers ask the assistants",
    "writing ads": "the model writes the ads",
    "ads": "a day with ads",
}


class DemoEncoder(StrEnum):
    minilm = "minilm"
    hashing = "hashing"


class DemoProgress:
    """A `SimObserver` drawing one bar per arm (days) and one for the day's feeds."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.arm_task: dict[str, int] = {}
        self.feed_task = progress.add_task("feeds", total=None, info="", visible=False)

    def arm_start(self, arm: str, days: int) -> None:
        label = f"{LABELS.get(arm, arm)} arm"
        self.arm_task[arm] = self.progress.add_task(label, total=days, info="starting the service")

    def day_start(self, arm: str, day: int, n_users: int) -> None:
        self.progress.reset(
            self.feed_task, total=n_users, description=f"  day {day + 1} feeds", info="users"
        )
        self.progress.update(self.feed_task, visible=True)
        self.progress.update(self.arm_task[arm], info=f"day {day + 1}: serving feeds")

    def feeds_done(self, n: int) -> None:
        self.progress.update(self.feed_task, advance=n)

    def training(self, arm: str, day: int) -> None:
        self.progress.update(self.arm_task[arm], info=f"day {day + 1}: retraining the model")

    def day_end(self, arm: str, stats: DayStats) -> None:
        train = "" if stats.train_seconds is None else f", trained in {stats.train_seconds:.1f}s"
        self.progress.update(
            self.arm_task[arm],
            advance=1,
            info=f"day {stats.day + 1}: engagement {stats.engagement:.3f}{train}",
        )
        self.progress.update(self.feed_task, visible=False)


class MarketProgress:
    """The market phase's bar (called from its own thread; rich locks its updates)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: int | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task("market (ads, assistants)", total=None, info="")
        self.progress.update(self.task, completed=done, total=total, info=STAGES.get(stage, stage))


class LiveLog:
    """A `SimObserver` for the market kept running by `--serve`: a line per day."""

    def arm_start(self, arm: str, days: int) -> None:
        pass

    def day_start(self, arm: str, day: int, n_users: int) -> None:
        console.print(f"live day {day + 1}: {n_users} users open the app", markup=False)

    def feeds_done(self, n: int) -> None:
        pass

    def training(self, arm: str, day: int) -> None:
        pass

    def day_end(self, arm: str, stats: DayStats) -> None:
        console.print(
            f"live day {stats.day + 1}: {stats.feeds} feeds, engagement "
            f"{stats.engagement:.3f}, retrained in {stats.train_seconds or 0:.1f}s",
            markup=False,
        )


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo(
    days: Annotated[int, typer.Option(min=1, help="Simulated days.")] = DEFAULTS.days,
    users: Annotated[int, typer.Option(min=1, help="Simulated users.")] = DEFAULTS.n_users,
    items_per_day: Annotated[
        int, typer.Option(min=1, help="New posts per simulated day.")
    ] = DEFAULTS.items_per_day,
    seed: Annotated[int, typer.Option(help="Seed of the world and of its users' behaviour.")] = 0,
    out: Annotated[
        Path, typer.Option(help="Folder for the report and the three arms' stores.")
    ] = Path("runs/demo"),
    encoder: Annotated[
        DemoEncoder, typer.Option(help="The service's text encoder for item content.")
    ] = DemoEncoder.minilm,
    serve: Annotated[
        bool,
        typer.Option(
            help="After the report, keep the model arm's market running and serve it, "
            "with the dashboard, on 127.0.0.1:PORT until Ctrl-C."
        ),
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --serve.")] = 8000,
    day_seconds: Annotated[
        float, typer.Option(min=1.0, help="Wall-clock seconds per simulated day under --serve.")
    ] = 120.0,
    ads: Annotated[
        bool,
        typer.Option(
            help=f"After the model arm, {MARKET.advertisers} advertisers post campaigns with "
            "only an objective, a budget and a brief; the embedded model writes their ads "
            "and a day of feeds serves them."
        ),
    ] = True,
    assistants: Annotated[
        bool,
        typer.Option(
            help=f"After the model arm, {MARKET.creators} creators set up assistants and "
            f"{MARKET.questions} followers of each ask them a question."
        ),
    ] = True,
) -> None:
    """Simulate a marketplace on the real feed API: Unifeed vs popularity vs random.

    Builds a seeded world of users, creators and posts, then runs it three times,
    each time against a fresh service (its own store and server) ranking with
    the learned model (retrained every simulated day), by popularity, or at
    random. Simulated users fetch their feeds over HTTP and send back
    impressions, clicks, likes, long views and hides drawn from a hidden
    ground-truth model. Once the model arm is done, and beside the other two,
    a copy of its market gets advertisers who give only a brief (the embedded
    language model writes their ads, which then serve for a day) and creators
    whose assistants answer their followers' questions (--no-ads and
    --no-assistants leave either out). Ends with a summary and an HTML report
    in OUT. Exits with code 1 when Unifeed's last-day engagement per
    impression is not at least 1.5 times popularity's.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if serve and not _port_free(port):
        print_error(f"--serve: port {port} on 127.0.0.1 is in use; choose another with --port")
        raise typer.Exit(2)
    with reported_errors():
        config = SimConfig(seed=seed, n_users=users, days=days, items_per_day=items_per_day)
        console.print(
            f"world: {users:,} users, {config.n_creators} creators, {config.n_topics} topics, "
            f"{items_per_day} new posts a day for {days} days; text encoder {encoder.value}",
            markup=False,
            soft_wrap=True,
        )
        market = None
        if ads or assistants:
            market = MarketConfig(
                advertisers=MARKET.advertisers if ads else 0,
                creators=MARKET.creators if assistants else 0,
            )
        began = time.perf_counter()
        with run_progress() as progress:
            result, market_result = run_demo(
                config,
                out,
                market,
                encoder=encoder.value,
                observer=DemoProgress(progress),
                progress=MarketProgress(progress),
            )
        seconds = time.perf_counter() - began  # the arms and the market phase
        summary = summarize(result)
        report = write_report(result, out, market=market_result)
    console.print(_summary_table(summary))
    console.print(Text(ENGAGEMENT_DEFINITION, style="dim"))
    if market_result is not None:
        _print_market(market_summary(market_result))
    ratio, passed = summary["ratio"], summary["passed"]
    verdict = "PASS" if passed else "FAIL"
    console.print(
        f"[bold {'green' if passed else 'red'}]{verdict}[/]: last-day engagement, "
        f"Unifeed / popularity = {ratio:.2f} (target at least {TARGET_RATIO:.1f}); "
        f"{seconds:.0f}s in all",
        soft_wrap=True,
    )
    console.print(f"report: {report}", markup=False, soft_wrap=True)
    if serve:
        with reported_errors():
            _serve_live(config, out, encoder.value, port, day_seconds)
    if not passed:
        print_error(f"Unifeed did not reach {TARGET_RATIO:.1f}x popularity's engagement")
        raise typer.Exit(1)


def _serve_live(config: SimConfig, out: Path, encoder: str, port: int, day_seconds: float) -> None:
    """The model arm's market, served with the dashboard until Ctrl-C."""
    from unifeed.web import create_app

    settings = live_settings(out / "arms" / "model", encoder)  # type: ignore[arg-type]
    stop = threading.Event()

    def serving(url: str) -> None:
        console.print(
            f"dashboard: {url}/app/ (sign in with the operator key {OPERATOR_KEY}); "
            f"one simulated day every {day_seconds:.0f}s; Ctrl-C stops",
            markup=False,
            soft_wrap=True,
        )

    failure: list[BaseException] = []

    def market() -> None:
        try:
            run_live(
                build_world(config),
                settings,
                create_app(settings),
                port=port,
                stop=stop,
                seconds_per_day=day_seconds,
                on_serving=serving,
                observer=LiveLog(),
            )
        except BaseException as e:  # handed to the main thread, which reports it
            failure.append(e)
            stop.set()

    thread = threading.Thread(target=market, name="unifeed-demo-live", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        console.print("stopping: the day's events are sent, then the server stops", markup=False)
        stop.set()
        thread.join()
    if failure:
        raise failure[0]


def _summary_table(summary: dict) -> Table:
    table = Table(
        title=f"engagement per impression after {summary['days']} simulated days",
        title_justify="left",
    )
    table.add_column("ranker")
    for name in ("last day", "all days", "click rate\nlast day", "hide rate\nlast day"):
        table.add_column(name, justify="right")
    for name, arm in summary["arms"].items():
        table.add_row(
            Text(LABELS.get(name, name)),
            f"{arm['last_day_engagement']:.3f}",
            f"{arm['overall_engagement']:.3f}",
            f"{arm['last_day_click_rate']:.3f}",
            f"{arm['last_day_hide_rate']:.3f}",
        )
    return table


def _print_market(m: dict) -> None:
    """The market phase in brief; the report has the creatives and the conversations."""
    if m["campaigns"]:
        table = Table(
            title=f"ads Unifeed wrote from the brief alone, day {m['day']} "
            f"(budget €{m['budget_minor'] / 100:.2f} each)",
            title_justify="left",
        )
        for name in ("campaign", "written /\nasked", "serving", "spent", "impr.", "clicks"):
            table.add_column(name, justify="left" if name == "campaign" else "right")
        table.add_column("results", justify="right")
        for c in m["campaigns"]:
            g = c["generation"]
            table.add_row(
                Text(f"{c['product']} ({c['objective'].replace('_', ' ')})"),
                f"{g['written']} / {g['asked']}",
                str(c["serving"]),
                "-" if c["served_nothing_because"] else f"€{c['spend_minor'] / 100:.2f}",
                f"{c['impressions']:,}",
                str(c["clicks"]),
                str(c["results"]),
            )
        console.print(table)
        for c in m["campaigns"]:
            if c["served_nothing_because"]:
                console.print(
                    f"[red]{c['product']}: served nothing[/]: {c['served_nothing_because']}",
                    soft_wrap=True,
                    highlight=False,
                )
    a = m["assistants"]["all"]
    if a["questions"]:
        console.print(
            f"assistants: {a['questions']} questions, {a['answered']} answered by the model, "
            f"{a['quoted']} quoted, {a['not_in_posts']} not in the posts, {a['declined']} "
            f"declined; {a['as_labelled']} of {a['graded']} as the corpus labels them; "
            f"median {a['median_s']:.1f} s, max {a['max_s']:.1f} s",
            markup=False,
            soft_wrap=True,
        )
    console.print(timing(m), markup=False, soft_wrap=True, style="dim")
