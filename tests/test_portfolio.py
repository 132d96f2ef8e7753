"""SPEC §6 figures on hand-built books: NRR/GRR (churn, a missing month, a new account), the pipeline of
actionable accounts per tier, per-currency sums and base-currency conversion, the weighted forecast and
the CSM rows. Every expected value is worked out by hand in the test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from skills.assessment import AccountAssessment, assess
from skills.catalog import DEFAULT_CATALOG, Catalog
from skills.discovery.readiness_gate import ReadinessGate
from skills.playbook.readiness_score import ReadinessTier
from skills.playbook.timing import Blocker
from skills.portfolio import portfolio_summary
from skills.proposal.benchmarks import segment_peers
from skills.retention import ArrHistory, ArrMonth, net_retention
from skills.rules import Rules
from skills.snapshot import Source
from tests.factory import AS_OF, account, champion, event, interaction, outcome, write_csv, write_workspace
from tests.factory import snapshot as make_snapshot

USD_BASE = DEFAULT_CATALOG.model_copy(update={"base_currency": "USD", "fx": {"EUR": 1.1, "GBP": 1.25}})


def months(*rows: tuple[str, str, float]) -> ArrHistory:
    return ArrHistory(months=tuple(ArrMonth(account_id=a, month=m, arr=v) for a, m, v in rows))


# As of 2026-11-16: now = 2026-11, then = 2025-11.
BOOK_HISTORY = months(
    ("A", "2025-11", 100), ("A", "2026-11", 120),  # expanded
    ("B", "2025-11", 200), ("B", "2026-11", 150),  # contracted
    ("C", "2025-11", 100), ("C", "2026-06", 80),  # churned: no 2026-11 row, the missing month counts as 0
    ("D", "2025-10", 300), ("D", "2026-11", 500),  # no 2025-11 row: arr_then = 0, not in the cohort
    ("E", "2025-11", 0), ("E", "2026-11", 50),  # signed later: arr_then = 0, excluded
)  # fmt: skip
USD_BOOK = {k: "USD" for k in "ABCDE"}


def test_nrr_and_grr_over_accounts_with_arr_a_year_ago() -> None:
    r = net_retention(BOOK_HISTORY, AS_OF, USD_BOOK, DEFAULT_CATALOG)
    # cohort A, B, C: then 100 + 200 + 100 = 400; now 120 + 150 + 0 = 270; kept min: 100 + 150 + 0 = 250
    assert (r.month_now, r.month_then) == ("2026-11", "2025-11")
    assert (r.accounts, r.churned, r.currency) == (3, 1, "USD")
    assert (r.arr_then, r.arr_now, r.arr_kept) == (400, 270, 250)
    assert r.nrr == 0.675 and r.grr == 0.625 and r.reason is None


def test_without_arr_history_both_are_null_with_the_reason() -> None:
    r = net_retention(None, AS_OF, USD_BOOK, DEFAULT_CATALOG, "arr_history.csv not in workspace demo")
    assert r.nrr is None and r.grr is None
    assert r.reason is not None and "arr_history.csv not in workspace demo" in r.reason


def test_no_account_with_arr_a_year_ago_is_null_not_zero() -> None:
    r = net_retention(months(("A", "2026-11", 100)), AS_OF, USD_BOOK, DEFAULT_CATALOG)
    assert r.nrr is None and r.reason == "no account has ARR in 2025-11 in arr_history.csv"


def test_several_currencies_convert_to_base_or_stay_null() -> None:
    history = ArrHistory(months=(*BOOK_HISTORY.months, *months(("F", "2025-11", 100), ("F", "2026-11", 110)).months))
    currencies = {**USD_BOOK, "F": "EUR"}
    r = net_retention(history, AS_OF, currencies, USD_BASE)
    # F in USD: then 110, now 121, kept 110 → then 510, now 391, kept 360
    assert (r.arr_then, r.arr_now, r.arr_kept, r.currency) == (510, 391, 360, "USD")
    assert r.nrr == pytest.approx(391 / 510, abs=1e-4) and r.grr == pytest.approx(360 / 510, abs=1e-4)
    plain = net_retention(history, AS_OF, currencies, DEFAULT_CATALOG)
    assert plain.nrr is None and plain.reason is not None and "2 currencies (EUR, USD)" in plain.reason


# --- pipeline, forecast, CSM rows -------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> AccountAssessment:
    rules = Rules()
    return assess(make_snapshot(), segment_peers([]), rules)


def assessed(
    base: AccountAssessment,
    account_id: str,
    csm: str,
    tier: ReadinessTier,
    currency: str,
    value: float,
    arr: float,
    gate: bool = True,
    blocked: bool = False,
) -> AccountAssessment:
    update: dict[str, Any] = {
        "account_id": account_id,
        "csm_owner": csm,
        "tier": tier,
        "currency": currency,
        "proposed_expansion_value": value,
        "current_arr": arr,
        "gate": base.gate if gate else ReadinessGate(passed=False, reasons=("Per CRM: health 40/100",), checks=()),
        "blockers": (Blocker(id="open_critical_ticket", detail="P1 open", source=Source.support),) if blocked else (),
    }
    return base.model_copy(update=update)


@pytest.fixture(scope="module")
def book(base: AccountAssessment) -> list[AccountAssessment]:
    return [
        assessed(base, "A1", "Dana", "priority", "USD", 10000, 50000),
        assessed(base, "A2", "Dana", "priority", "EUR", 5000, 20000),
        assessed(base, "A3", "Dana", "ready", "USD", 8000, 30000, gate=False),
        assessed(base, "A4", "Lee", "ready", "USD", 6000, 40000),
        assessed(base, "A5", "Lee", "candidate", "GBP", 3000, 10000, blocked=True),
        assessed(base, "A6", "Lee", "priority", "USD", 12000, 60000, gate=False, blocked=True),
    ]


NO_RETENTION = net_retention(None, AS_OF, {}, DEFAULT_CATALOG)


def rates(table: dict[str, tuple[float, int]]) -> Any:
    return lambda tier: table.get(tier)


def test_pipeline_counts_only_actionable_accounts_per_tier_and_currency(book: list[AccountAssessment]) -> None:
    s = portfolio_summary(book, AS_OF, NO_RETENTION, USD_BASE)
    p = s.pipeline
    assert (s.accounts, s.actionable) == (6, 3)  # A3 and A6 fail the gate, A5 and A6 are blocked
    assert (p["priority"].accounts, p["priority"].value) == (2, {"EUR": 5000, "USD": 10000})
    assert p["priority"].value_base == 15500  # 10000 + 5000 × 1.1
    assert (p["ready"].accounts, p["ready"].value, p["ready"].value_base) == (1, {"USD": 6000}, 6000)
    assert (p["candidate"].accounts, p["candidate"].value, p["not_yet"].accounts) == (0, {}, 0)


def test_base_currency_only_when_fx_covers_every_currency(book: list[AccountAssessment]) -> None:
    no_gbp = DEFAULT_CATALOG.model_copy(update={"base_currency": "USD", "fx": {"EUR": 1.1}})
    s = portfolio_summary(book, AS_OF, NO_RETENTION, no_gbp)
    lee = next(c for c in s.csms if c.csm == "Lee")
    assert lee.arr == {"GBP": 10000, "USD": 100000} and lee.arr_base is None  # no GBP rate
    assert s.pipeline["priority"].value_base == 15500  # EUR and USD only: covered
    plain = portfolio_summary(book, AS_OF, NO_RETENTION, DEFAULT_CATALOG)
    assert plain.base_currency is None and plain.pipeline["priority"].value_base is None


def test_forecast_is_value_times_the_calibrated_tier_rate(book: list[AccountAssessment]) -> None:
    calibrated = rates({"priority": (0.5, 40), "ready": (0.25, 31)})
    s = portfolio_summary(book, AS_OF, NO_RETENTION, USD_BASE, calibrated)
    # priority: USD 10000 × 0.5, EUR 5000 × 0.5; ready: USD 6000 × 0.25
    assert s.forecast.value == {"EUR": 2500, "USD": 6500} and s.forecast.value_base == 9250
    assert s.pipeline["priority"].rate is not None and s.pipeline["priority"].rate.observations == 40
    dana, lee = s.csms
    assert dana.forecast.value == {"EUR": 2500, "USD": 5000} and lee.forecast.value == {"USD": 1500}


def test_forecast_is_null_unless_every_tier_with_value_is_calibrated(book: list[AccountAssessment]) -> None:
    uncalibrated = portfolio_summary(book, AS_OF, NO_RETENTION, USD_BASE)
    assert uncalibrated.forecast.value is None and "not calibrated" in (uncalibrated.forecast.reason or "")
    partly = portfolio_summary(book, AS_OF, NO_RETENTION, USD_BASE, rates({"priority": (0.5, 40)}))
    assert partly.forecast.value is None and (partly.forecast.reason or "").endswith("(ready)")
    assert partly.csms[0].forecast.value == {"EUR": 2500, "USD": 5000}  # Dana's pipeline is all priority


def test_a_row_per_csm(book: list[AccountAssessment]) -> None:
    dana, lee = portfolio_summary(book, AS_OF, NO_RETENTION, USD_BASE).csms
    assert (dana.csm, dana.accounts, dana.arr, dana.arr_base) == ("Dana", 3, {"EUR": 20000, "USD": 80000}, 102000)
    assert (dana.pipeline_accounts, dana.pipeline_value, dana.pipeline_value_base) == (
        2,
        {"EUR": 5000, "USD": 10000},
        15500,
    )
    assert (dana.needing_attention, dana.attention_accounts) == (1, ("A3",))
    assert (lee.accounts, lee.arr_base, lee.pipeline_value) == (3, 112500, {"USD": 6000})  # 100000 + 10000 × 1.25
    assert (lee.needing_attention, lee.attention_accounts) == (2, ("A5", "A6"))


# --- the command on a workspace ---------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output if "--json" in args else " ".join(result.output.split())


def workspace(root: Path, arr_rows: list[dict[str, Any]] | None, catalog: Catalog = USD_BASE) -> Path:
    """Two healthy accounts (USD and EUR) with a recent outcome and contact: both actionable."""
    accounts = [
        account(account_id="ACC-1", csm_owner="Dana", arr=40000),
        account(account_id="ACC-2", name="Beta", csm_owner="Lee", currency="EUR", arr=20000),
    ]
    records: dict[str, list[Any]] = {
        "contacts.csv": [champion(), champion().model_copy(update={"contact_id": "C-2", "account_id": "ACC-2"})],
        "interactions.csv": [interaction(5), interaction(5).model_copy(update={"account_id": "ACC-2"})],
        "outcomes.csv": [outcome(200), outcome(200).model_copy(update={"account_id": "ACC-2"})],
        "tickets.csv": [],
    }
    events = [event(days, user, account_id=a) for days in (200, 3) for user, a in (("u1", "ACC-1"), ("u2", "ACC-2"))]
    write_workspace(root, accounts, events, records, catalog=catalog.model_dump(mode="json"))
    if arr_rows is not None:
        columns = ["account_id", "month", "arr", "currency"]
        write_csv(root / "arr_history.csv", columns, arr_rows)
    return root


def test_portfolio_json_has_the_spec_shape(tmp_path: Path) -> None:
    rows = [
        {"account_id": "ACC-1", "month": "2025-11", "arr": 30000},
        {"account_id": "ACC-1", "month": "2026-11", "arr": 40000},
        {"account_id": "ACC-2", "month": "2025-11", "arr": 20000},
        {"account_id": "ACC-2", "month": "2026-11", "arr": 20000},
        {"account_id": "GONE", "month": "2025-11", "arr": 10000, "currency": "USD"},  # churned, not in accounts.csv
    ]
    code, out = run("portfolio", "--workspace", str(workspace(tmp_path, rows)), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert {"as_of", "base_currency", "nrr", "grr", "pipeline", "forecast", "csms"} <= set(data)
    assert data["as_of"] == AS_OF.isoformat() and data["base_currency"] == "USD"
    # in USD: then 30000 + 22000 + 10000 = 62000; now 40000 + 22000 + 0 = 62000; kept 30000 + 22000 = 52000
    assert data["nrr"] == 1.0 and data["grr"] == pytest.approx(52000 / 62000, abs=1e-4)
    assert data["retention"]["churned"] == 1
    # both accounts: professional_services at 15000 (quiet usage, renewal in 200 days), tier not_yet
    assert data["pipeline"]["not_yet"] == {
        "accounts": 2,
        "value": {"EUR": 15000, "USD": 15000},
        "value_base": 31500,
        "rate": None,
    }
    assert data["forecast"]["value"] is None and "not calibrated" in data["forecast"]["reason"]
    assert [(c["csm"], c["accounts"], c["arr"], c["pipeline_value"]) for c in data["csms"]] == [
        ("Dana", 1, {"USD": 40000}, {"USD": 15000}),
        ("Lee", 1, {"EUR": 20000}, {"EUR": 15000}),
    ]


def test_portfolio_without_arr_history_says_why(tmp_path: Path) -> None:
    code, out = run("portfolio", "--workspace", str(workspace(tmp_path, None)), "--json")
    data = json.loads(out)
    assert code == 0 and data["nrr"] is None and data["grr"] is None
    assert "arr_history.csv not in workspace" in data["retention"]["reason"]
    code, text = run("portfolio", "--workspace", str(tmp_path))
    assert code == 0 and "NRR / GRR: unknown" in text and "By CSM" in text


def test_bad_arr_history_names_file_line_and_column(tmp_path: Path) -> None:
    code, out = run(
        "portfolio",
        "--workspace",
        str(workspace(tmp_path / "month", [{"account_id": "ACC-1", "month": "2026-13", "arr": 1}])),
    )
    assert code == 2 and "arr_history.csv line 2 column 'month': not a month in YYYY-MM form (value '2026-13')" in out
    rows = [
        {"account_id": "ACC-1", "month": "2026-09", "arr": 1},
        {"account_id": "ACC-1", "month": "2026-10", "arr": 1},
        {"account_id": "ACC-1", "month": "2026-10", "arr": 2},
        {"account_id": "GONE", "month": "2026-10", "arr": 2},
    ]
    code, out = run("portfolio", "--workspace", str(workspace(tmp_path / "rows", rows)))
    assert code == 2
    checked_code, checked = run("sources", "check", "--workspace", str(tmp_path / "rows"))
    assert checked_code == 2 and "arr_history.csv line 4 column 'month'" in checked
    ranked_code, _ = run("rank", "--json", "--workspace", str(tmp_path / "rows"))
    assert ranked_code == 0  # the ranking does not read arr_history.csv, so its problems do not stop it
    assert "arr_history.csv line 4 column 'month'" in out and "second row for account ACC-1" in out
    assert "arr_history.csv line 5 column 'account_id'" in out and "give its currency" in out
