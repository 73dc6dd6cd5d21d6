"""One settings object for the service, read from UNIFEED_* environment variables.

It is validated when the server starts, so a typo in a setting stops start-up
with a message instead of surfacing on the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    random_seed: int | None = Field(
        default=None,
        ge=0,
        description="seed of the random ranker's draws; None: fresh entropy at every start. "
        "A replay (the simulator's arms) fixes it, so the same run serves the same feeds",
    )
    feed_max_n: int = Field(default=100, ge=1, le=1000)
    ads_report_lag_minutes: float = Field(
        default=15.0,
        gt=0,
        le=360,
        description="how late the app may report an ad's impression: served ads hold their "
        "price against the budget at least this long (docs/reliability.md)",
    )
    assistant_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        description="a creator assistant reloads its creator's posts this often: a removed or "
        "new post leaves or joins what it knows within this long (docs/assistants.md)",
    )
    assistant_model_answers: bool = Field(
        default=False,
        description="creator assistants answer with the language model's words (checked against "
        "the posts, a quote when the check fails) instead of a quote of the best post; off by "
        "default: no answer of the embedded SmolLM2-135M passed the check (docs/assistants.md)",
    )
    # Language model for generated creatives (docs/llm.md).
    llm: Literal["embedded", "openai", "none"] = "embedded"
    llm_base_url: str | None = Field(
        default=None, description="openai: the API root, e.g. http://127.0.0.1:11434/v1"
    )
    llm_model: str | None = Field(
        default=None, description="openai: the model name; embedded: a GGUF file (default SmolLM2)"
    )
    llm_api_key: SecretStr | None = Field(default=None, description="openai: bearer token")
    llm_timeout: float = Field(default=60.0, gt=0, description="openai: seconds per request")
    llm_threads: int = Field(default=1, ge=1, le=256, description="embedded: llama.cpp threads")

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

    @field_validator("llm_base_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("llm_base_url must be an http:// or https:// URL")
        return v

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        if self.llm == "openai" and not (self.llm_base_url and self.llm_model):
            raise ValueError("UNIFEED_LLM=openai needs UNIFEED_LLM_BASE_URL and UNIFEED_LLM_MODEL")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'unifeed.db').resolve()}"

    @property
    def checkpoint_root(self) -> Path:
        return self.data_dir / "checkpoints"
