"""One settings object for the service, read from UNIFEED_* environment variables.

It is validated when the server starts, so a typo in a setting stops start-up
with a message instead of surfacing on the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_KEY_LENGTH = 256  # longer keys are refused before any lookup (issued keys: 43)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNIFEED_", extra="forbid")

    data_dir: Path = Field(default=Path("unifeed-data"), description="SQLite file, checkpoints")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; None: SQLite (WAL) in data_dir"
    )
    operator_key: str | None = Field(
        default=None, description="plain operator API key; only its hash is stored"
    )
    ranker: Literal["model", "popularity", "random"] = "model"
    encoder: Literal["minilm", "hashing"] = "minilm"
    reload_seconds: float = Field(default=2.0, gt=0, description="checkpoint/catalogue poll")
    faiss_threshold: int = Field(default=50_000, ge=1, description="items above: faiss index")
    feed_max_n: int = Field(default=100, ge=1, le=1000)
    ads_report_lag_minutes: float = Field(
        default=15.0,
        gt=0,
        le=360,
        description="how late the app may report an ad's impression: served ads hold their "
        "price against the budget at least this long (docs/reliability.md)",
    )

    session_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="signs the dashboard's session cookies; None: made once and kept in "
        "data_dir/session.secret (servers behind one address must share one)",
    )

    @field_validator("operator_key")
    @classmethod
    def _key_length(cls, v: str | None) -> str | None:
        if v is not None and not 16 <= len(v) <= MAX_KEY_LENGTH:
            raise ValueError(f"operator_key must have 16 to {MAX_KEY_LENGTH} characters")
        return v

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return v

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'unifeed.db').resolve()}"

    @property
    def checkpoint_root(self) -> Path:
        return self.data_dir / "checkpoints"
