"""Issue 15 through the CLI: paths, config, as_of and output that a careless or hostile user can
give — each a clear refusal with exit code 2 (or a correct result), never a traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.workspace import demo_workspace_path
from server.cli import main
from server.cli.common import emit_json
from server.desk import check_as_of
from tests.factory import AS_OF, account, champion, write_workspace


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store" / "p.sqlite3"
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(path))
    return path


# --- writes stay where the user said ------------------------------------------------------------


def test_propose_out_never_writes_outside_the_folder(tmp_path: Path, store: Path) -> None:
    evil = "../../x/pwned"
    root = write_workspace(
        tmp_path / "ws",
        [account(account_id=evil)],
        [],
        {"contacts.csv": [champion().model_copy(update={"account_id": evil})]},
    )
    out = tmp_path / "deep" / "missing" / "out"
    code, text = run("propose", evil, "--workspace", str(root), "--out", str(out), "--no-save")
    assert code == 0, text
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and "ws" not in p.parts)
    assert written and all(p.parts[:3] == ("deep", "missing", "out") for p in written), written
    assert not (tmp_path.parent / "x").exists() and not (tmp_path / "x").exists()


def test_store_path_under_a_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(tmp_path / "afile" / "p.sqlite3"))
    code, text = run("propose", "ACC-00001")
    assert code == 2 and "store_path" in text and "cannot be created" in text


# --- config nonsense ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('DATABASE_URL = "postgresql://u@h/db"', "is a secret; set it in the environment"),
        ('Http_Token = "abc"', "is a secret"),
        ("[rules.weights]\ncapacity = -5", "rules.weights.capacity"),
        ("[rules.signals]\ncapacity_utilisation = inf", "rules.signals.capacity_utilisation"),
        ("[rules.signals]\ncapacity_utilisation = nan", "finite"),
        ("[rules.gate]\nhealthy_min = 1e9", "rules.gate.healthy_min"),
    ],
)
def test_config_nonsense_is_refused(tmp_path: Path, toml: str, says: str) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(toml + "\n")
    code, text = run("rank", "--json", "--config", str(config))
    assert code == 2 and says in text, text


def test_config_file_encoding_errors_name_the_file(tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_bytes(b'\xef\xbb\xbf[drafter]\nmode = "template"\n')
    assert run("rank", "--limit", "1", "--config", str(config))[0] == 0
    config.write_bytes(b'[drafter]\nmodel = "caf\xe9"\n')
    code, text = run("rank", "--config", str(config))
    assert code == 2 and "desk.toml line 2" in text and "not UTF-8" in text


def test_unknown_environment_variable_names_the_closest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPANSION_DESK_WORKSPCE", "/tmp")
    code, text = run("rank", "--limit", "1")
    assert code == 2 and "EXPANSION_DESK_WORKSPCE (did you mean EXPANSION_DESK_WORKSPACE?)" in text


def test_known_nested_environment_variables_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPANSION_DESK_RULES__WEIGHTS__CAPACITY", "15")
    monkeypatch.setenv("EXPANSION_DESK_CONNECTORS__ZENDESK__ORGANIZATION_IDS__ACC_1", "5")
    import os

    from server.settings import unknown_env

    assert unknown_env(os.environ) == []


# --- as_of and limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "says"),
    [
        ("0001-01-01", "before the data begin"),
        ("1900-01-01", "before the data begin"),
        ("9999-12-31", "after the export day"),
        ("2099-01-01", "after the export day"),
        ("yesterday", "not a date"),
    ],
)
def test_as_of_outside_the_data_is_refused(day: str, says: str) -> None:
    code, text = run("score", "ACC-00001", "--json", "--as-of", day)
    assert code == 2 and says in text, text


def test_as_of_bounds_without_an_export_day() -> None:
    assert check_as_of(AS_OF, None, None, AS_OF) == AS_OF
    with pytest.raises(ValueError, match="a year past today"):
        check_as_of(AS_OF.replace(year=AS_OF.year + 2), None, None, AS_OF)


def test_negative_limit_is_refused() -> None:
    code, text = run("rank", "--limit", "-1", "--json")
    assert code == 2 and "'--limit': -1 is not in the range x>=1" in text


def test_the_desk_refuses_a_limit_below_one_whatever_the_front_end() -> None:
    from server.desk import Desk
    from server.settings import Settings

    with pytest.raises(ValueError, match="limit 0 must be at least 1"):
        Desk(Settings()).rank(limit=0)


# --- strict JSON --------------------------------------------------------------------------------


def test_emit_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        emit_json({"x": math.nan})


def test_rank_json_is_strict_json() -> None:
    code, text = run("rank", "--json", "--limit", "5")
    assert code == 0
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


# --- the demo only when nothing is configured ---------------------------------------------------


def test_configured_connector_without_workspace_never_reads_the_demo(tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_text('[connectors.sources]\ntickets = "zendesk"\n\n[connectors.zendesk]\nsubdomain = "acme"\n')
    code, text = run("score", "ACC-00001", "--json", "--config", str(config))
    assert code == 2 and "no workspace folder given" in text and "crm, usage, conversations, outcomes" in text
    assert "Acme" not in text


def test_demo_is_the_default_with_no_configuration() -> None:
    code, text = run("score", "ACC-00001", "--json")
    assert code == 0 and json.loads(text)["account_id"] == "ACC-00001"
    assert demo_workspace_path().is_dir()
