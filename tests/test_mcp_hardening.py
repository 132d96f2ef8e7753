"""Issue 15, item 9: the MCP tools refuse what they cannot honour — oversized queries, unknown
arguments, days outside the data, windows they do not compute — and accept ids as people type them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_types import PromptReference

from server.desk import Desk
from server.mcp.auth import RedactQueryStrings, token_in_query
from server.mcp.server import build_server
from server.settings import Settings
from server.store import ProposalStore
from tests.mcp_session import Session, connected


@pytest.fixture(scope="module")
def desk() -> Desk:
    return Desk(Settings())


@pytest.fixture(scope="module")
def mcp(desk: Desk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    store = ProposalStore.from_settings(Settings(store_path=tmp_path_factory.mktemp("s") / "p.sqlite3"))
    with connected(build_server(desk, store)) as session:
        yield session


def error_text(mcp: Session, tool: str, arguments: dict[str, object]) -> str:
    result = mcp.call_tool(tool, arguments)
    assert result.is_error, result
    return " ".join(c.text for c in result.content if hasattr(c, "text"))


def test_find_account_query_length_is_bounded(mcp: Session) -> None:
    assert "at most 200 characters" in error_text(mcp, "find_account", {"query": "a" * 200_000})


def test_unknown_arguments_are_refused(mcp: Session) -> None:
    text = error_text(mcp, "score_account", {"account_id": "ACC-00001", "asof": "2020-01-01"})
    assert "asof" in text and "Extra inputs are not permitted" in text
    tools = {t.name: t for t in mcp.list_tools().tools}
    assert all(t.input_schema.get("additionalProperties") is False for t in tools.values())


def test_record_review_is_annotated_destructive(mcp: Session) -> None:
    tools = {t.name: t for t in mcp.list_tools().tools}
    review = tools["record_review"].annotations
    assert review is not None and review.destructive_hint is True and review.read_only_hint is False


@pytest.mark.parametrize(("as_of", "says"), [("0001-01-01", "before the data begin"), ("9999-12-31", "after the")])
def test_as_of_is_bounded(mcp: Session, as_of: str, says: str) -> None:
    assert says in error_text(mcp, "score_account", {"account_id": "ACC-00001", "as_of": as_of})


def test_as_of_must_look_like_a_day(mcp: Session) -> None:
    assert "at most 12 characters" in error_text(mcp, "score_account", {"account_id": "ACC-00001", "as_of": "x" * 50})
    assert "pattern" in error_text(mcp, "score_account", {"account_id": "ACC-00001", "as_of": "next week"})


@pytest.mark.parametrize("typed", ["acc-00001", " ACC-00001 ", "Acc-00001\n"])
def test_account_ids_are_normalised(mcp: Session, desk: Desk, typed: str) -> None:
    result = mcp.call_tool("score_account", {"account_id": typed})
    assert not result.is_error and result.structured_content["account_id"] == "ACC-00001"
    assert result.structured_content["score"] == desk.assess("ACC-00001").score


def test_pull_usage_advertises_exactly_the_window_it_accepts(mcp: Session, desk: Desk) -> None:
    window = desk.rules.usage.signal_window_days
    schema = {t.name: t for t in mcp.list_tools().tools}["pull_usage"].input_schema["properties"]["window_days"]
    bounds = next(option for option in schema["anyOf"] if option.get("type") == "integer")
    assert bounds["minimum"] == bounds["maximum"] == window
    assert not mcp.call_tool("pull_usage", {"account_id": "ACC-00001", "window_days": window}).is_error
    assert mcp.call_tool("pull_usage", {"account_id": "ACC-00001", "window_days": 30}).is_error


def test_prompt_account_argument_completes_from_the_book(mcp: Session, desk: Desk) -> None:
    ref = PromptReference(type="ref/prompt", name="build_expansion_proposal")
    by_id = mcp.complete(ref, {"name": "account", "value": "acc-000"}).completion
    assert by_id.values and all(v.startswith("ACC-000") for v in by_id.values) and by_id.has_more
    name = desk.source.accounts()[0].name
    by_name = mcp.complete(ref, {"name": "account", "value": name[:4].lower()}).completion
    assert name in by_name.values


def test_token_in_query_string_is_detected_and_redacted() -> None:
    assert token_in_query(b"access_token=abc") and token_in_query(b"x=1&Token=abc")
    assert not token_in_query(b"session=1")
    import logging

    record = logging.LogRecord(
        "uvicorn.access",
        20,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "POST", "/mcp?access_token=SECRET", "1.1", 400),
        None,
    )
    RedactQueryStrings().filter(record)
    assert "SECRET" not in record.getMessage() and "/mcp?[redacted]" in record.getMessage()


def test_tools_keep_working_with_normal_arguments(mcp: Session, tmp_path: Path) -> None:
    result = mcp.call_tool("find_account", {"query": "ACC-00001"})
    assert not result.is_error and result.structured_content["matches"][0]["account_id"] == "ACC-00001"
