"""The one validated settings model: rules (thresholds, weights, catalog), connectors, drafter, storage, server.

Read from a TOML file (`--config`, `$EXPANSION_DESK_CONFIG`, or ./expansion-desk.toml) and from
`EXPANSION_DESK_*` environment variables (nested with `__`, e.g.
`EXPANSION_DESK_RULES__WEIGHTS__CAPACITY=15`); the environment wins. Secrets come only from the
environment and are never written to files or logs.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.config import ConnectorsConfig
from skills.rules import Rules

CONFIG_ENV = "EXPANSION_DESK_CONFIG"
DEFAULT_CONFIG = Path("expansion-desk.toml")
SECRET_FIELDS = ("database_url", "http_token")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DrafterSettings(_Section):
    mode: Literal["auto", "template", "claude"] = Field(
        default="auto", description="auto = Claude when ANTHROPIC_API_KEY is set, else the offline template drafter"
    )
    model: str = "claude-sonnet-5-5"
    max_tokens: int = Field(default=4096, ge=256)
    timeout_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=4, ge=1, le=10)
    max_retry_wait_s: float = Field(default=60.0, gt=0, description="total time budget for retries")


class ExtractionSettings(_Section):
    """Reading signals out of call transcripts and notes; the keyword rule is the offline default and fallback."""

    mode: Literal["auto", "off", "claude"] = Field(
        default="auto", description="auto = Claude when ANTHROPIC_API_KEY is set, else off (keyword rule only)"
    )
    model: str = "claude-sonnet-5-5"
    max_tokens: int = Field(default=2048, ge=256)
    timeout_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)
    max_retry_wait_s: float = Field(default=30.0, gt=0, description="total time budget for retries per text")


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    allowed_origins: tuple[str, ...] = ()


def default_store_path() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "expansion-desk" / "proposals.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPANSION_DESK_", env_nested_delimiter="__", extra="forbid")

    workspace: Path | None = Field(default=None, description="workspace folder; unset = the bundled demo")
    rules: Rules = Rules()
    connectors: ConnectorsConfig = ConnectorsConfig()
    drafter: DrafterSettings = DrafterSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    serve: ServeSettings = ServeSettings()
    store_path: Path = Field(default_factory=default_store_path)
    database_url: SecretStr | None = Field(default=None, description="PostgreSQL URL for the proposal store (env only)")
    http_token: SecretStr | None = Field(default=None, description="bearer token for `serve --http` (env only)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings


class SettingsError(ValueError):
    """A config file or variable that cannot be used; the message names it."""


def config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """File values, overridden by the environment, overridden by explicit keyword overrides."""
    path = config_path(config_file)
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: invalid TOML: {exc}") from exc
        leaked = [k for k in SECRET_FIELDS if k in values]
        if leaked:
            names = ", ".join(f"EXPANSION_DESK_{k.upper()}" for k in leaked)
            raise SettingsError(f"{path}: {', '.join(leaked)} is a secret; set it in the environment ({names})")
    try:
        settings = Settings(**values)
        return settings.model_copy(update=overrides) if overrides else settings
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"{path or 'environment'}: {problems}") from exc
