"""`unifeed serve` and `unifeed train` without DATA: the feed service's commands."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from unifeed.cli.display import TrainProgress, console, run_progress
from unifeed.cli.support import reported_errors

DataDir = Annotated[
    Path | None,
    typer.Option(
        help="Service data folder (SQLite file, checkpoints).",
        show_default="$UNIFEED_DATA_DIR or ./unifeed-data",
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        help="SQLAlchemy URL, e.g. postgresql://user@host/db.",
        show_default="$UNIFEED_DATABASE_URL or SQLite in the data folder",
    ),
]


def service_settings(**given: Any) -> Any:
    """Settings from UNIFEED_* variables, overridden by the options that were given."""
    from unifeed.settings import Settings

    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ValueError(f"invalid settings: {problems}") from None


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    ranker: Annotated[
        str | None, typer.Option(help="model, popularity or random.", show_default="model")
    ] = None,
    encoder: Annotated[
        str | None,
        typer.Option(help="Item text encoder: minilm or hashing.", show_default="minilm"),
    ] = None,
) -> None:
    """Run the feed API (OpenAPI at /docs) and the dashboard (/app); it reloads
    new checkpoints by itself.

    The operator key comes from $UNIFEED_OPERATOR_KEY. Without one, and with
    no key in the database yet, a key is made, printed once, and stored hashed.
    """
    with reported_errors():
        from unifeed.api.server import serve as run
        from unifeed.store import Store
        from unifeed.web import create_app

        settings = service_settings(
            data_dir=data_dir, database_url=database_url, ranker=ranker, encoder=encoder
        )
        if settings.operator_key is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            store = Store(settings.resolved_database_url)
            store.migrate()
            if not store.has_api_keys():
                key = secrets.token_urlsafe(32)
                store.add_api_key("operator", key, role="operator")
                console.print(
                    f"operator API key (shown once, stored hashed): [bold]{key}[/bold]",
                    soft_wrap=True,
                )
            store.close()
        app = create_app(settings)
        console.print(f"serving on http://{host}:{port} (dashboard: /app, OpenAPI: /docs)")
    run(settings, host=host, port=port, app=app)


def train_store(
    data_dir: Path | None,
    database_url: str | None,
    overrides: dict[str, Any],
) -> None:
    """Train the production model on the service's store and publish it."""
    from unifeed.serving.training import StoreTrainConfig, train_from_store

    settings = service_settings(data_dir=data_dir, database_url=database_url)
    cfg = StoreTrainConfig(**overrides)
    with run_progress() as progress:
        observer = TrainProgress(progress, cfg.epochs, "train on the store")
        version = train_from_store(settings, cfg, observer=observer)
    console.print(
        f"published checkpoint {version} to {settings.checkpoint_root}; "
        "running servers pick it up within their reload interval",
        soft_wrap=True,
    )
