"""The proof pages of the review desk: what changed in the last 7 days on the book, /portfolio and
/backtest, each against the figures the CLI computes (`server.portfolio`, `server.calibration`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape
from sqlalchemy import create_engine
from starlette.testclient import TestClient

from server.calibration import Calibration, current_calibration
from server.charts import money
from server.cli.app import main
from server.desk import Desk
from server.portfolio import portfolio, what_changed
from server.settings import Settings
from server.store import ProposalStore
from server.web.app import create_app
from tests.factory import AS_OF, account, event, outcome, write_workspace
from tests.web.helpers import HOSTILE, desk_and_store, hostile_workspace


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Desk, ProposalStore]:
    return desk_and_store(tmp_path_factory.mktemp("proof"))


@pytest.fixture(scope="module")
def client(setup: tuple[Desk, ProposalStore]) -> Iterator[TestClient]:
    desk, store = setup
    with TestClient(create_app(desk, store, allowed_hosts=["testserver"])) as c:
        yield c


def section(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.DOTALL)
    assert found, pattern
    return found.group(0)


def changes_panel(page: str) -> str:
    return section(page, r'<details class="changes".*?</details>')


def test_changes_panel_shows_the_biggest_moves_of_the_last_7_days(
    client: TestClient, setup: tuple[Desk, ProposalStore]
) -> None:
    desk, _ = setup
    day = desk.as_of()
    found = what_changed(desk, day - timedelta(days=7), day)
    assert found.changes, "the demo book changes in its last week"
    panel = changes_panel(client.get("/").text)
    assert f"{day - timedelta(days=7)} → {day}" in panel
    assert f"{len(found.changes)} of {found.accounts_compared} accounts changed" in panel
    listed = re.findall(r'<a class="changed" href="/accounts/(ACC-\d+)', panel)
    assert listed == [c.account_id for c in found.changes[:10]]
    for c in found.changes[:10]:
        row = section(panel, rf'<tr>\s*<td><a class="changed" href="/accounts/{c.account_id}.*?</tr>')
        if c.score_delta:
            assert f"{c.score_from} → {c.score_to} ({c.score_delta:+d})" in row
        for s in c.signals_gained:
            assert f"+{s.points} {s.id.replace('_', ' ')}: {escape(s.evidence)}" in row
        for s in c.signals_lost:
            assert f"−{s.points} {s.id.replace('_', ' ')}: {escape(s.evidence)}" in row
        if c.tier_from != c.tier_to:
            assert f"{c.tier_from.replace('_', ' ')} → " in row


def test_changes_panel_names_an_account_whose_signal_flipped_inside_the_week(tmp_path: Path) -> None:
    """A customer outcome logged 3 days ago: `recent_outcome` is gained in the week, escaped name and all."""
    events = [event(d, f"u{n}", account_id=a) for a in ("ACC-1", "ACC-2") for d in (2, 9, 20) for n in range(3)]
    workspace = write_workspace(
        tmp_path / "ws",
        [account(name=HOSTILE), account(account_id="ACC-2", name="Beta Steady")],
        events,
        {"outcomes.csv": [outcome(3)]},
    )
    desk = Desk(Settings(workspace=workspace))
    store = ProposalStore(create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    with TestClient(create_app(desk, store, allowed_hosts=["testserver"])) as c:
        page = c.get("/").text
    panel = changes_panel(page)
    assert f"{AS_OF - timedelta(days=7)} → {AS_OF}" in panel
    assert re.findall(r'<a class="changed" href="/accounts/(ACC-\d+)', panel) == ["ACC-1"]
    assert escape(HOSTILE) in panel and HOSTILE not in page
    assert "recent outcome: " in panel and "340 hours saved" in panel
    assert "1 of 2 accounts changed" in panel


def test_portfolio_shows_the_figures_of_portfolio(client: TestClient, setup: tuple[Desk, ProposalStore]) -> None:
    desk, store = setup
    day = desk.as_of()
    summary = portfolio(desk, day, current_calibration(desk, store).rate_for_tier)
    page = client.get("/portfolio")
    assert page.status_code == 200
    text = page.text
    assert f"Portfolio <small>as of {day}</small>" in text
    assert summary.nrr is None and summary.retention.reason  # the demo has no fx table: say why
    assert '<strong id="nrr">unknown</strong>' in text and '<strong id="grr">unknown</strong>' in text
    assert escape(summary.retention.reason) in text and "catalog&#39;s" in text
    pipeline = section(text, r'<table class="pipeline">.*?</table>')
    for tier, p in summary.pipeline.items():
        row = section(pipeline, rf'<span class="tier tier-{tier}">.*?</tr>')
        assert f'<td class="num">{p.accounts}</td>' in row
        for currency, value in p.value.items():
            assert money(value, currency) in row
        assert "not calibrated" in row  # nothing backtested in this store
    csms = section(text, r'<table class="csms">.*?</table>')
    assert re.findall(r'<a href="/\?csm=[^"]+">([^<]+)</a>', csms) == [escape(r.csm) for r in summary.csms]
    for r in summary.csms:
        row = section(csms, rf">{re.escape(escape(r.csm))}</a>.*?</tr>")
        assert f"{r.pipeline_accounts} · " in row and f'<td class="num">{r.needing_attention}</td>' in row
        for currency, value in r.arr.items():
            assert money(value, currency) in row
    chart = section(text, r"<svg.*?</svg>")
    assert 'aria-label="Pipeline value by tier (per currency), as of' in chart
    assert "value a year (per currency)" in chart and "readiness tier" in chart
    for currency in ("EUR", "GBP", "USD"):
        assert f">{currency}<" in chart or f"{currency} " in chart


def test_backtest_page_says_how_to_run_one_when_none_is_stored(client: TestClient) -> None:
    page = client.get("/backtest")
    assert page.status_code == 200
    assert "No backtest is stored for the current inputs" in page.text
    assert "<code>expansion-desk backtest --workspace " in page.text
    assert "<svg" not in page.text


def test_backtest_page_shows_the_stored_backtest_and_the_portfolio_uses_its_rates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = hostile_workspace(tmp_path)
    store_path = tmp_path / "store.sqlite3"
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(store_path))
    result = CliRunner().invoke(main, ["backtest", "--workspace", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    desk = Desk(Settings(workspace=workspace, store_path=store_path))
    store = ProposalStore.from_settings(desk.settings)
    report = Calibration.load(desk, store).report
    assert report is not None and report.base_rate is not None and report.auc is not None
    with TestClient(create_app(desk, store, allowed_hosts=["testserver"])) as c:
        text = c.get("/backtest").text
        portfolio_page = c.get("/portfolio").text
    assert f"{report.observations} observations" in text
    assert f'<strong id="base-rate">{report.base_rate:.1%}</strong>' in text
    assert f'<strong id="auc">{report.auc:.2f}</strong>' in text
    assert f"<strong>{report.baselines.capacity.auc:.2f}</strong>" in text
    tiers = section(text, r'<table class="backtest-tiers">.*?</table>')
    for t in report.tiers:
        row = section(tiers, rf'<span class="tier tier-{t.tier}">.*?</tr>')
        assert f'<td class="num">{t.n}</td>' in row
        if t.rate_low is not None and t.rate_high is not None and t.lift is not None:
            assert f"{t.rate_low:.1%} – {t.rate_high:.1%}" in row and f"{t.lift:.2f}×" in row
    signals = section(text, r'<table class="backtest-signals">.*?</table>')
    for s in report.signals:
        row = section(signals, rf"<td>{s.id.replace('_', ' ')}</td>.*?</tr>")
        assert f'<td class="num">{s.n_met}</td>' in row
        if s.precision is not None and s.lift is not None:
            assert f"{s.precision:.1%}" in row and f"{s.lift:.2f}×" in row
    chart = section(text, r"<svg.*?</svg>")
    assert 'role="img"' in chart and "Lift by tier" in chart
    priority = report.tier("priority")
    assert priority.rate is not None and priority.n >= 30
    assert f"{priority.rate:.0%} (backtest, n={priority.n})" in portfolio_page
    assert "Weighted forecast" in portfolio_page and "No weighted forecast" not in portfolio_page


def test_nav_lists_the_portfolio_and_backtest_pages(client: TestClient) -> None:
    nav = section(client.get("/portfolio").text, r'<nav aria-label="Pages">.*?</nav>')
    assert '<a href="/portfolio" aria-current="page">Portfolio</a>' in nav
    assert '<a href="/backtest">Backtest</a>' in nav
