"""The one validated settings model: rules (thresholds, weights, catalog), connectors, drafter, storage, server.

Read from a TOML file (`--config`, `$EXPANSION_DESK_CONFIG`, or ./expansion-desk.toml) and from
`EXPANSION_DESK_*` environment variables (nested with `__`, e.g.
`EXPANSION_DESK_RULES__WEIGHTS__CAPACITY=15`); the environment wins. Secrets come only from the
environment and are never written to files or logs.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.config import ConnectorsConfig
from connectors.errors import DataError
from connectors.text_files import read_text
from skills.rules import Rules

ENV_PREFIX = "EXPANSION_DESK_"
CONFIG_ENV = "EXPANSION_DESK_CONFIG"
DEFAULT_CONFIG = Path("expansion-desk.toml")
SECRET_FIELDS = ("database_url", "http_token")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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

    def enabled(self) -> bool:
        """claude, or auto with ANTHROPIC_API_KEY set."""
        return self.mode == "claude" or (self.mode == "auto" and bool(os.environ.get("ANTHROPIC_API_KEY")))


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    allowed_origins: tuple[str, ...] = ()


def default_store_path() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "expansion-desk" / "proposals.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", allow_inf_nan=False
    )

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


def _env_paths(model: type[BaseModel], prefix: str, depth: int = 0) -> Iterator[tuple[str, bool]]:
    """Every variable name a model's fields answer to, and whether deeper keys are free (a dict)."""
    for name, info in model.model_fields.items():
        full = f"{prefix}{name.upper()}"
        kinds = [info.annotation, *typing.get_args(info.annotation)]
        nested = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)
        is_map = any(typing.get_origin(k) is dict or k is dict for k in kinds)
        yield full, is_map
        if nested is not None and depth < 4:
            yield from _env_paths(nested, f"{full}__", depth + 1)


def unknown_env(environ: Mapping[str, str], connectors: ConnectorsConfig | None = None) -> list[str]:
    """EXPANSION_DESK_* variables that set nothing (a typo silently ignored would be a wrong run),
    each with the closest valid name. Credential variables a connector names are valid too."""
    paths = dict(_env_paths(Settings, ENV_PREFIX))
    known = {CONFIG_ENV, *paths}
    config = connectors or ConnectorsConfig()
    for section in (config.hubspot, config.salesforce, config.zendesk, config.warehouse):
        known |= {str(v) for k, v in (section.model_dump() if section else {}).items() if k.endswith("_env") and v}
    known |= {"EXPANSION_DESK_WAREHOUSE_URL"}
    found = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        if any(is_map and upper.startswith(f"{path}__") for path, is_map in paths.items()):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.6)
        found.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return found


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """File values, overridden by the environment, overridden by explicit keyword overrides."""
    path = config_path(config_file)
    values: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise SettingsError(f"config file not found: {path}")
        try:
            values = tomllib.loads(read_text(path, str(path)))
        except DataError as exc:
            raise SettingsError(str(exc.issues[0]) if exc.issues else str(exc)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: invalid TOML: {exc}") from exc
        leaked = [k for k in values if k.lower() in SECRET_FIELDS]
        if leaked:
            names = ", ".join(f"EXPANSION_DESK_{k.upper()}" for k in leaked)
            raise SettingsError(f"{path}: {', '.join(leaked)} is a secret; set it in the environment ({names})")
        if clash := sorted(k for k in values if k != k.lower() and k.lower() in Settings.model_fields):
            raise SettingsError(f"{path}: keys are lower case: write {', '.join(k.lower() for k in clash)}")
    try:
        settings = Settings(**values)
        settings = settings.model_copy(update=overrides) if overrides else settings
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"{path or 'environment'}: {problems}") from exc
    if unknown := unknown_env(os.environ, settings.connectors):
        raise SettingsError(f"unknown environment variable(s): {'; '.join(unknown)}")
    return settings
