"""Settings: SPEC defaults, TOML file, environment precedence, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import SettingsError, load_settings


def test_spec_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.rules.weights.capacity == 12 and s.rules.tiers.priority == 35
    assert s.rules.signals.capacity_utilisation == 0.80 and s.rules.catalog.seat_pack == 5
    assert s.database_url is None and s.drafter.mode == "auto"


def test_file_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_text("[rules.weights]\ncapacity = 15\npromoter = 9\n\n[rules.tiers]\npriority = 40\n")
    monkeypatch.setenv("EXPANSION_DESK_RULES__WEIGHTS__CAPACITY", "20")
    s = load_settings(config)
    assert s.rules.weights.capacity == 20  # environment wins
    assert s.rules.weights.promoter == 9 and s.rules.tiers.priority == 40  # file
    assert s.rules.weights.team_growth == 8  # default


def test_config_from_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_text('[drafter]\nmodel = "claude-test"\n')
    monkeypatch.setenv("EXPANSION_DESK_CONFIG", str(config))
    assert load_settings().drafter.model == "claude-test"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.tiers]\npriority = 5\n", "priority > ready > candidate"),
        ("[rules.weights]\ncapcity = 3\n", "rules.weights.capcity"),
        ("[rules\n", "invalid TOML"),
        ('database_url = "postgresql://u:pw@h/db"\n', "EXPANSION_DESK_DATABASE_URL"),
    ],
)
def test_bad_config_is_named(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings(config)
    assert "pw@" not in str(info.value)


def test_secrets_from_environment_are_not_printed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXPANSION_DESK_HTTP_TOKEN", "s3cret-token")
    s = load_settings()
    assert s.http_token is not None and s.http_token.get_secret_value() == "s3cret-token"
    assert "s3cret-token" not in repr(s) and "s3cret-token" not in s.model_dump_json()


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")
