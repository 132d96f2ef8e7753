"""The review desk and the MCP Apps in a real browser (headless Chromium): what a CSM clicks and sees."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.desk import Desk
from server.mcp.apps import ACCOUNT_URI, PROPOSAL_URI
from server.mcp.server import build_server
from server.settings import Settings
from server.store import ProposalStore
from server.web.app import create_app
from tests.web.browser import chromium, require_chromium, served

TEN_OFF = "we can give you 10% off"
TEST_HOST = Path(__file__).with_name("mcp_test_host.html")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    require_chromium()
    with chromium() as d:
        yield d


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ProposalStore:
    return ProposalStore.from_settings(Settings(store_path=tmp_path_factory.mktemp("browser") / "p.sqlite3"))


@pytest.fixture(scope="module")
def desk() -> Desk:
    return Desk(Settings())


@pytest.fixture(scope="module")
def base_url(desk: Desk, store: ProposalStore) -> Iterator[str]:
    require_chromium()
    with served(create_app(desk, store)) as url:
        yield url


def wait_for(condition: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the page may be mid-navigation
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_csm_filters_the_book_opens_an_account_drafts_and_approves(
    driver: Any, base_url: str, store: ProposalStore
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    driver.get(base_url + "/")
    assert "Book" in driver.title
    Select(driver.find_element(By.NAME, "tier")).select_by_value("priority")
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_for(lambda: "tier=priority" in driver.current_url, what="the filtered book")
    tiers = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "table.book tbody .tier")]
    assert tiers and set(tiers) == {"priority"}

    driver.find_element(By.CSS_SELECTOR, "table.book tbody td a").click()
    wait_for(lambda: "/accounts/" in driver.current_url, what="the account page")
    for chart in ("chart-signals", "chart-usage", "chart-timeline"):
        svg = driver.find_element(By.CSS_SELECTOR, f"#{chart} svg")
        assert svg.is_displayed() and svg.size["width"] > 300, chart

    driver.find_element(By.ID, "draft-proposal").click()
    wait_for(lambda: "/proposals/prop-" in driver.current_url, what="the review page")
    proposal_id = driver.current_url.rsplit("/", 1)[1]
    opening = driver.find_element(By.ID, "cs-opening")
    original = opening.get_attribute("value")
    approve = driver.find_element(By.ID, "approve")
    save = driver.find_element(By.ID, "save-summary")

    opening.clear()
    opening.send_keys(TEN_OFF)
    refusal = wait_for(
        lambda: (
            "% off" in driver.find_element(By.ID, "violations-opening").text
            and driver.find_element(By.ID, "violations-opening").text
        ),
        what="the inline refusal",
    )
    assert "internal leak" in refusal
    assert not save.is_enabled() and not approve.is_enabled()
    assert store.get(proposal_id).proposal.customer_summary.opening == original

    driver.find_element(By.ID, "revert-summary").click()
    wait_for(lambda: approve.is_enabled(), what="the approve button after revert")
    assert opening.get_attribute("value") == original
    assert driver.find_element(By.ID, "violations-opening").text == ""

    driver.find_element(By.ID, "review-note").send_keys("Send after the QBR")
    approve.click()
    wait_for(lambda: driver.find_element(By.ID, "status").text == "approved", what="the approved status")
    stored = store.get(proposal_id)
    assert stored.record.status == "approved"
    assert stored.reviews[-1].note == "Send after the QBR"


@pytest.fixture(scope="module")
def mcp(desk: Desk, store: ProposalStore) -> Iterator[dict[str, Any]]:
    """The tool results an app-capable host receives, as JSON with the wire's camelCase names, the
    apps' HTML, and `call` for the server calls the apps make through the host."""
    from anyio.from_thread import start_blocking_portal
    from mcp import Client
    from mcp.client.extension import advertise

    ui = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(build_server(desk, store), extensions=[ui])) as client,
    ):

        def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
            result = portal.call(client.call_tool, name, args)
            return result.model_dump(mode="json", by_alias=True, exclude_none=True)

        yield {
            "score_account": call("score_account", {"account_id": "ACC-00001"}),
            "build_proposal": call("build_proposal", {"account_id": "ACC-00005", "drafter": "template"}),
            "call": call,
            "html": {
                uri: portal.call(client.read_resource, uri).contents[0].text for uri in (ACCOUNT_URI, PROPOSAL_URI)
            },
        }


def mount(driver: Any, html: str, result: dict[str, Any], theme: str = "light") -> None:
    driver.get(TEST_HOST.as_uri())
    driver.execute_script(
        "mountApp({html: arguments[0], toolResult: arguments[1], theme: arguments[2],"
        " callServerTool: window.queueServerCall})",
        html,
        result,
        theme,
    )


def test_the_account_app_renders_a_score_account_result_with_charts_and_follows_the_theme(
    driver: Any, mcp: dict[str, Any]
) -> None:
    from selenium.webdriver.common.by import By

    result = mcp["score_account"]
    mount(driver, mcp["html"][ACCOUNT_URI], result)
    frame = driver.find_element(By.CSS_SELECTOR, "#slot iframe")
    driver.switch_to.frame(frame)
    try:
        heading = wait_for(lambda: driver.find_element(By.TAG_NAME, "h1").text, what="the app's heading")
        assert result["structuredContent"]["name"] in heading
        assert len(driver.find_elements(By.CSS_SELECTOR, "figure svg")) == 3
        assert len(driver.find_elements(By.CSS_SELECTOR, "#signals tr")) == len(result["structuredContent"]["signals"])
        assert driver.execute_script("return document.documentElement.dataset.theme") == "light"
        light = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    finally:
        driver.switch_to.default_content()
    driver.execute_script("testHost.setTheme('dark')")
    driver.switch_to.frame(frame)
    try:
        wait_for(lambda: driver.execute_script("return document.documentElement.dataset.theme") == "dark", what="dark")
        dark = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert dark != light
    finally:
        driver.switch_to.default_content()
    sent = [m["msg"].get("method") for m in driver.execute_script("return window.__mcpLog") if m["dir"] == "app->host"]
    assert sent[:2] == ["ui/initialize", "ui/notifications/initialized"]


def test_the_proposal_app_approves_through_record_review(
    driver: Any, mcp: dict[str, Any], store: ProposalStore
) -> None:
    from selenium.webdriver.common.by import By

    result = mcp["build_proposal"]
    proposal_id = result["structuredContent"]["proposal_id"]
    mount(driver, mcp["html"][PROPOSAL_URI], result)
    frame = driver.find_element(By.CSS_SELECTOR, "#slot iframe")
    driver.switch_to.frame(frame)
    try:
        wait_for(lambda: driver.find_element(By.ID, "approve"), what="the approve button")
        summary = driver.find_element(By.ID, "customer-summary").text
        assert result["structuredContent"]["proposal"]["customer_summary"]["opening"] in summary
        driver.find_element(By.ID, "note").send_keys("Good to go")
        driver.find_element(By.ID, "approve").click()
    finally:
        driver.switch_to.default_content()
    call = wait_for(lambda: driver.execute_script("return window.__calls[0]"), what="the app's tools/call")
    assert call["name"] == "record_review"
    assert call["arguments"] == {"proposal_id": proposal_id, "action": "approve", "note": "Good to go"}
    answer = mcp["call"](call["name"], call["arguments"])
    driver.execute_script("answerServerCall(arguments[0], arguments[1])", call["id"], json.loads(json.dumps(answer)))
    driver.switch_to.frame(frame)
    try:
        wait_for(lambda: driver.find_element(By.ID, "proposal-status").text == "approved", what="approved in the app")
    finally:
        driver.switch_to.default_content()
    assert store.get(proposal_id).record.status == "approved"
    context = wait_for(lambda: driver.execute_script("return testHost.state.modelContext"), what="model context")
    assert proposal_id in context["content"][0]["text"]
