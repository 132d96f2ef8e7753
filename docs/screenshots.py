"""Take the screenshots in docs/ with headless Chromium (the same helpers as the browser tests).

    .venv/bin/python docs/screenshots.py

Serves the review desk on the bundled demo with a throw-away store, then saves docs/web-book.png,
docs/web-account.png, docs/web-review.png and docs/mcp-app-account.png / docs/mcp-app-proposal.png.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyio.from_thread import start_blocking_portal
from mcp import Client
from mcp.client.extension import advertise

from server.desk import Desk
from server.mcp.apps import ACCOUNT_URI, PROPOSAL_URI
from server.mcp.server import build_server
from server.settings import Settings
from server.store import ProposalStore
from server.web.app import create_app
from tests.web.browser import chromium, served

DOCS = Path(__file__).parent
HOST = Path(__file__).resolve().parents[1] / "tests" / "web" / "mcp_test_host.html"


def shoot(driver: Any, name: str, max_height: int = 2600) -> None:
    time.sleep(0.3)
    height = min(max_height, int(driver.execute_script("return document.documentElement.scrollHeight")))
    driver.set_window_size(1400, height)
    time.sleep(0.3)
    driver.save_screenshot(str(DOCS / name))
    print("wrote", DOCS / name)


def main() -> None:
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as tmp:
        desk = Desk(Settings())
        store = ProposalStore.from_settings(Settings(store_path=Path(tmp) / "p.sqlite3"))
        with served(create_app(desk, store)) as url, chromium() as driver:
            driver.get(url + "/?tier=priority")
            shoot(driver, "web-book.png", 1100)
            driver.set_window_size(1400, 1000)
            driver.get(url + "/accounts/ACC-00001")
            shoot(driver, "web-account.png")
            driver.set_window_size(1400, 1000)
            driver.find_element(By.ID, "draft-proposal").click()
            time.sleep(1)
            opening = driver.find_element(By.ID, "cs-opening")
            opening.clear()
            opening.send_keys("We can give you 10% off if you sign this quarter.")
            time.sleep(1.5)
            shoot(driver, "web-review.png", 1500)

            ui = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
            with (
                start_blocking_portal() as portal,
                portal.wrap_async_context_manager(Client(build_server(desk, store), extensions=[ui])) as client,
            ):
                for uri, tool, args, name in (
                    (ACCOUNT_URI, "score_account", {"account_id": "ACC-00001"}, "mcp-app-account.png"),
                    (
                        PROPOSAL_URI,
                        "build_proposal",
                        {"account_id": "ACC-00001", "drafter": "template"},
                        "mcp-app-proposal.png",
                    ),
                ):
                    html = portal.call(client.read_resource, uri).contents[0].text
                    result = portal.call(client.call_tool, tool, args)
                    driver.set_window_size(900, 1000)
                    driver.get(HOST.as_uri())
                    driver.execute_script(
                        "document.body.style.margin='0';"
                        "mountApp({html: arguments[0], toolResult: arguments[1], theme: arguments[2]});"
                        "document.querySelector('#slot iframe').style.height='2400px'",
                        html,
                        result.model_dump(mode="json", by_alias=True, exclude_none=True),
                        "dark" if tool == "score_account" else "light",
                    )
                    time.sleep(1.5)
                    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "#slot iframe"))
                    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
                    driver.switch_to.default_content()
                    driver.execute_script(f"document.querySelector('#slot iframe').style.height='{height}px'")
                    driver.set_window_size(900, min(height + 20, 2600))
                    time.sleep(0.5)
                    driver.save_screenshot(str(DOCS / name))
                    print("wrote", DOCS / name)


if __name__ == "__main__":
    main()
