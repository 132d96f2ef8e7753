"""Who reaches the review desk: loopback without a token, a token everywhere else; Host checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from server.cli import main
from server.desk import Desk
from server.settings import Settings
from server.web.app import create_app
from server.web.security import allowed_hosts
from tests.web.helpers import csrf_of

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def desk() -> Desk:
    return Desk(Settings())


@pytest.fixture
def guarded(desk: Desk, tmp_path: Path) -> TestClient:
    from sqlalchemy import create_engine

    from server.store import ProposalStore

    store = ProposalStore(create_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}"))
    return TestClient(create_app(desk, store, token=TOKEN, allowed_hosts=["testserver"]))


def test_with_a_token_browsers_are_sent_to_sign_in_and_scripts_get_401(guarded: TestClient) -> None:
    page = guarded.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/"
    assert guarded.get("/", headers={"accept": "application/json"}).status_code == 401
    assert guarded.get("/", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/proposals", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_sign_in_sets_a_session_cookie_that_is_not_the_token(guarded: TestClient) -> None:
    login = guarded.get("/login?next=/proposals")
    token = csrf_of(login.text)
    wrong = guarded.post("/login?next=/proposals", data={"csrf_token": token, "token": "nope"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    right = guarded.post("/login?next=/proposals", data={"csrf_token": token, "token": TOKEN}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/proposals"
    cookie = guarded.cookies.get("ed_session")
    assert cookie and TOKEN not in cookie
    page = guarded.get("/proposals")
    assert page.status_code == 200 and TOKEN not in page.text


def test_login_never_redirects_off_the_desk(guarded: TestClient) -> None:
    token = csrf_of(guarded.get("/login").text)
    response = guarded.post(
        "/login?next=//evil.example/", data={"csrf_token": token, "token": TOKEN}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_foreign_host_headers_are_refused(desk: Desk) -> None:
    client = TestClient(create_app(desk, allowed_hosts=allowed_hosts("127.0.0.1")), base_url="http://evil.example")
    assert client.get("/").status_code == 400
    local = TestClient(create_app(desk, allowed_hosts=allowed_hosts("127.0.0.1")), base_url="http://127.0.0.1:8700")
    assert local.get("/login").status_code == 200


def test_cli_refuses_a_public_address_without_a_token() -> None:
    result = CliRunner().invoke(main, ["web", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "EXPANSION_DESK_HTTP_TOKEN" in result.output


def test_the_web_command_serves_with_a_token_and_never_logs_it(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    import httpx

    from tests.web.browser import free_port

    port = free_port()
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "EXPANSION_DESK_HTTP_TOKEN": TOKEN}
    child = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "web", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                anonymous = httpx.get(url + "/", headers={"accept": "application/json"}, timeout=30)
                break
            except httpx.TransportError:
                assert child.poll() is None, child.communicate()[1]
                assert time.monotonic() < deadline, "expansion-desk web did not start"
                time.sleep(0.2)
        assert anonymous.status_code == 401
        signed = httpx.get(url + "/proposals", headers={"authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert signed.status_code == 200 and "Review queue" in signed.text
    finally:
        child.terminate()
        out, err = child.communicate(timeout=20)
    assert "review desk at http://127.0.0.1:" in err and "token required" in err
    assert TOKEN not in out + err
    assert "GET /proposals" in out + err, "the access log is on"
