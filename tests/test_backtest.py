"""The backtest (SPEC §5): every figure worked out by hand on tiny books, and point-in-time replay
through the real workspace + usage SQL path (rows after t must not leak into the score at t)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from skills.backtest.calibration import calibrated_rate_text, tier_rate
from skills.backtest.labels import expansion_won
from skills.backtest.metrics import ratio, roc_auc, wilson_interval
from skills.backtest.observations import Observation
from skills.backtest.point_in_time import as_of_point, in_book
from skills.backtest.points import default_points
from skills.backtest.report import backtest_report
from skills.snapshot import Contact, Deal
from tests.factory import account, ago, event, interaction, outcome, snapshot, ticket, write_workspace

Z = 1.959963984540054


def deal(close: date | None, stage: str = "won", kind: str = "expansion", deal_id: str = "D-1") -> Deal:
    return Deal(deal_id=deal_id, account_id="ACC-1", amount=8000, stage=stage, type=kind, close_date=close)  # type: ignore[arg-type]


# --- metrics -------------------------------------------------------------------------------------


def test_wilson_interval_by_hand() -> None:
    # 2 of 10: p = 0.2, z² = 3.841459; centre = 0.2 + z²/20 = 0.392073;
    # spread = z·√(0.2·0.8/10 + z²/400) = 1.959964·√0.025603647 = 0.313618; divide by 1 + z²/10 = 1.384146
    low, high = wilson_interval(2, 10)
    assert low == pytest.approx((0.392073 - 0.313618) / 1.384146, abs=1e-5)  # 0.05668
    assert high == pytest.approx((0.392073 + 0.313618) / 1.384146, abs=1e-5)  # 0.50983
    # 0 of 5: the low bound is 0 and the high bound is (z²/5) / (1 + z²/5) = 0.768292 / 1.768292
    low, high = wilson_interval(0, 5)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.768292 / 1.768292, abs=1e-5)
    # 1 of 1: centre 1 + z²/2, spread z·√(z²/4) = z²/2, so low = 1 / (1 + z²) and high = 1
    low, high = wilson_interval(1, 1)
    assert low == pytest.approx(1 / (1 + Z * Z)) and high == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (None, None)


def test_auc_counts_ties_as_half_and_is_null_without_both_classes() -> None:
    # positives score 3 and 2, negatives 2 and 1: 3>2, 3>1, 2=2 (½), 2>1 → 3.5 of 4 pairs
    assert roc_auc([3, 2, 2, 1], [True, True, False, False]) == pytest.approx(0.875)
    assert roc_auc([5, 5, 5], [True, False, False]) == pytest.approx(0.5)  # all tied
    assert roc_auc([1, 2], [False, True]) == 1.0 and roc_auc([1, 2], [True, False]) == 0.0
    assert roc_auc([1, 2], [False, False]) is None and roc_auc([], []) is None
    assert ratio(1, 0) is None and ratio(0, 4) == 0.0


# --- labels, book and point-in-time ---------------------------------------------------------------

T = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("close", "stage", "kind", "expected"),
    [
        (T, "won", "expansion", False),  # at t: not after t
        (T + timedelta(days=1), "won", "expansion", True),
        (T + timedelta(days=180), "won", "expansion", True),  # exactly t + horizon counts
        (T + timedelta(days=181), "won", "expansion", False),
        (T - timedelta(days=30), "won", "expansion", False),  # a deal before t
        (T + timedelta(days=10), "lost", "expansion", False),
        (T + timedelta(days=10), "open", "expansion", False),
        (T + timedelta(days=10), "won", "renewal", False),
        (None, "won", "expansion", False),
    ],
)
def test_label_is_a_won_expansion_closing_in_the_horizon(
    close: date | None, stage: str, kind: str, expected: bool
) -> None:
    assert expansion_won([deal(close, stage, kind)], T, 180) is expected


def test_book_at_t_is_accounts_signed_on_or_before_t() -> None:
    assert in_book(account(contract_start=T), T)
    assert not in_book(account(contract_start=T + timedelta(days=1)), T)


def test_point_in_time_drops_every_row_dated_after_t() -> None:
    later = ago(-3)  # three days after the snapshot's as_of
    snap = snapshot(
        interactions=(interaction(5), interaction(-2, text="NPS", source="nps", nps=10)),
        outcomes=(outcome(200), outcome(-1)),
        tickets=(ticket(days=4), ticket("P1", days=-1)),
        deals=(deal(ago(30)), deal(later, deal_id="D-2"), deal(None, stage="open", deal_id="D-3")),
        contacts=(
            Contact(contact_id="C-1", account_id="ACC-1", role="champion", status="active", last_engaged_at=ago(3)),
            Contact(contact_id="C-2", account_id="ACC-1", role="user", status="active", last_engaged_at=later),
            Contact(contact_id="C-3", account_id="ACC-1", role="user", status="active", last_engaged_at=None),
        ),
    )
    past = as_of_point(snap)
    assert [i.interaction_id for i in past.interactions] == ["I-5-call"]
    assert [o.ts for o in past.outcomes] == [ago(200)]
    assert [k.opened_at for k in past.tickets] == [ago(4)]
    assert [d.deal_id for d in past.deals] == ["D-1"]  # the later and the undated deal cannot be placed before t
    assert [c.contact_id for c in past.contacts] == ["C-1", "C-3"]  # undated contact kept as exported


def test_default_points_are_month_ends_with_90_days_of_usage_up_to_as_of_minus_horizon() -> None:
    # first usage 2025-01-15: the first full 90-day window ends 2025-04-14, so the first month-end is April's;
    # as_of 2025-12-20 − 180 days = 2025-06-23, so the last is May's
    assert default_points(date(2025, 1, 15), date(2025, 12, 20), 180) == [date(2025, 4, 30), date(2025, 5, 31)]
    assert default_points(date(2025, 1, 15), date(2025, 6, 1), 180) == []


# --- the report ---------------------------------------------------------------------------------


def obs(account_id: str, score: int, tier: str, met: tuple[str, ...], label: bool, t: date = T) -> Observation:
    return Observation(account_id=account_id, at=t, score=score, tier=tier, met=met, label=label)  # type: ignore[arg-type]


BOOK = [
    obs("A", 40, "priority", ("capacity", "recent_outcome", "team_growth", "asked_unowned_features"), True),
    obs("B", 25, "ready", ("capacity", "promoter", "one_seat_many_users"), False),
    obs("C", 25, "ready", ("recent_outcome", "promoter", "company_growth"), True),
    obs("D", 0, "not_yet", (), False),
    obs("E", 12, "candidate", ("capacity",), False),
]


def test_report_figures_by_hand() -> None:
    report = backtest_report(BOOK, [T], 180)
    assert (report.observations, report.positives, report.base_rate) == (5, 2, 0.4)
    # positives 40 and 25 against negatives 25, 12, 0: 40 wins 3; 25 ties 25 (½) and beats 12 and 0 → 5.5 / 6
    assert report.auc == pytest.approx(5.5 / 6)
    priority, ready, candidate, not_yet = report.tiers
    assert (priority.tier, priority.n, priority.positives, priority.rate, priority.lift) == ("priority", 1, 1, 1.0, 2.5)
    assert priority.rate_low == pytest.approx(1 / (1 + Z * Z)) and priority.rate_high == pytest.approx(1.0)
    assert (ready.n, ready.positives, ready.rate, ready.lift) == (2, 1, 0.5, 1.25)
    # 1 of 2: centre 0.5 + z²/4, spread z·√(0.125 + z²/16), over 1 + z²/2
    centre, spread = 0.5 + Z * Z / 4, Z * math.sqrt(0.125 + Z * Z / 16)
    assert ready.rate_low == pytest.approx((centre - spread) / (1 + Z * Z / 2))
    assert ready.rate_high == pytest.approx((centre + spread) / (1 + Z * Z / 2))
    assert (candidate.n, candidate.rate, candidate.lift, not_yet.n, not_yet.rate) == (1, 0.0, 0.0, 1, 0.0)
    signals = {s.id: s for s in report.signals}
    capacity = signals["capacity"]  # met by A (won), B, E
    assert (capacity.n_met, capacity.positives_met, capacity.precision, capacity.recall) == (3, 1, 1 / 3, 0.5)
    assert capacity.lift == pytest.approx((1 / 3) / 0.4) and capacity.point_in_time is False
    recent = signals["recent_outcome"]  # A and C, both won
    assert (recent.precision, recent.recall, recent.lift, recent.point_in_time) == (1.0, 1.0, 2.5, True)
    never = signals["renewal_window"]
    assert (never.n_met, never.precision, never.recall, never.lift) == (0, None, 0.0, None)
    assert report.capture_top2 == 1.0  # A (priority) and C (ready) are the two positives
    cap = report.baselines.capacity  # scores 1,1,0,0,1 for A..E: positive A (1) vs B 1 (½), D 0, E 1 (½) → 2;
    # positive C (0) vs B 1 (0), D 0 (½), E 1 (0) → ½; 2.5 of 6
    assert cap.auc == pytest.approx(2.5 / 6)
    assert (cap.flagged, cap.positives_flagged, cap.capture) == (3, 1, 0.5)
    assert cap.lift == pytest.approx((1 / 3) / 0.4)
    rand = report.baselines.random
    assert rand.flagged == 3  # as many as the score's top two tiers (A, B, C)
    assert rand == backtest_report(list(reversed(BOOK)), [T], 180).baselines.random  # seeded, order-free


def test_ratios_with_empty_denominators_are_null() -> None:
    no_wins = backtest_report([obs("A", 40, "priority", ("capacity",), False)], [T], 180)
    assert no_wins.base_rate == 0.0 and no_wins.auc is None and no_wins.capture_top2 is None
    capacity = next(s for s in no_wins.signals if s.id == "capacity")
    assert (capacity.precision, capacity.recall, capacity.lift) == (0.0, None, None)  # lift = 0 / 0
    assert no_wins.tier("ready").rate is None and no_wins.tier("ready").rate_low is None
    empty = backtest_report([], [T], 180)
    assert (empty.observations, empty.base_rate, empty.auc, empty.baselines.random.flagged) == (0, None, None, 0)


def test_calibrated_rate_needs_30_observations() -> None:
    book = [obs(f"A{i}", 40, "priority", (), i < 9) for i in range(30)] + [obs("B", 25, "ready", (), True)]
    report = backtest_report(book, [T], 180)
    assert calibrated_rate_text(report, "priority") == "30% (backtest, 30 observations)"
    assert tier_rate(report, "priority") == pytest.approx(0.3)
    assert calibrated_rate_text(report, "ready") == "not calibrated" and tier_rate(report, "ready") is None
    assert calibrated_rate_text(None, "priority") == "not calibrated"


# --- the command on a workspace: the usage SQL and the files, point in time ------------------------

T1, T2 = ago(210), ago(200)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """ACC-1 at T1: 7 of 10 seats active, nothing else. Between T1 and T2 three more users start, an
    outcome and a promoter NPS arrive and a feature-gate hit happens: each flips a signal if it leaks
    into T1. ACC-2 signs between T1 and T2. Deals: one won before T1, one at exactly T1, one at T2 + 180."""
    days1 = 210
    events = [event(400, "u0")]  # Operations is an old department: no organic spread at T1 or T2
    events += [event(days1 + 5, f"u{n}") for n in range(1, 8)]
    events += [event(days1 - 2, f"late{n}") for n in range(1, 4)]
    events += [event(days1 - 2, "u1", name="feature_gate_hit", feature="sso")]
    return write_workspace(
        tmp_path / "ws",
        [account(seats_licensed=10), account(account_id="ACC-2", name="Beta", contract_start=ago(205))],
        events,
        {
            "outcomes.csv": [outcome(days1 - 1)],
            "interactions.csv": [interaction(days1 - 1, text="Loving it", source="nps", nps=9)],
            "deals.csv": [
                deal(ago(300), deal_id="D-1"),
                deal(T1, deal_id="D-2"),
                deal(T2 + timedelta(days=180), deal_id="D-3"),
            ],
        },
    )


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def stdout_of(*args: str) -> tuple[int, str]:
    """The exit code and stdout alone (propose notes the saved id on stderr)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_backtest_json_on_a_hand_built_book(book: Path) -> None:
    code, out = run("backtest", "--workspace", str(book), "--at", str(T1), "--at", str(T2), "--json", "--no-store")
    assert code == 0, out
    report = json.loads(out)
    assert set(report) == {
        "horizon_days", "points", "observations", "positives", "base_rate", "auc", "tiers", "signals",
        "capture_top2", "baselines",
    }  # fmt: skip
    # T1: ACC-1 only (ACC-2 not signed), score 0, label 0 (D-2 closes at T1, D-3 at T1 + 190).
    # T2: ACC-1 scores capacity 12 + recent_outcome 10 + asked_unowned_features 8 + promoter 7 = 37, label 1 (D-3
    # at exactly T2 + 180); ACC-2 scores 0, label 0.
    assert report["points"] == [str(T1), str(T2)] and report["horizon_days"] == 180
    assert (report["observations"], report["positives"]) == (3, 1)
    assert report["base_rate"] == pytest.approx(1 / 3) and report["auc"] == 1.0
    tiers = {t["tier"]: t for t in report["tiers"]}
    assert tiers["priority"] == {
        "tier": "priority", "n": 1, "positives": 1, "rate": 1.0,
        "rate_low": pytest.approx(1 / (1 + Z * Z)), "rate_high": pytest.approx(1.0), "lift": pytest.approx(3.0),
    }  # fmt: skip
    assert tiers["ready"] == {
        "tier": "ready",
        "n": 0,
        "positives": 0,
        "rate": None,
        "rate_low": None,
        "rate_high": None,
        "lift": None,
    }
    # 0 of 2: high = (z²/2) / (1 + z²/2)
    assert tiers["not_yet"]["n"] == 2 and tiers["not_yet"]["rate"] == 0.0 and tiers["not_yet"]["lift"] == 0.0
    assert tiers["not_yet"]["rate_high"] == pytest.approx((Z * Z / 2) / (1 + Z * Z / 2))
    signals = {s["id"]: s for s in report["signals"]}
    for met in ("capacity", "recent_outcome", "asked_unowned_features", "promoter"):
        assert (signals[met]["n_met"], signals[met]["positives_met"], signals[met]["precision"]) == (1, 1, 1.0)
        assert signals[met]["recall"] == 1.0 and signals[met]["lift"] == pytest.approx(3.0)
    assert signals["capacity"]["point_in_time"] is False and signals["promoter"]["point_in_time"] is True
    for never in ("team_growth", "renewal_window", "aligned_initiative", "one_seat_many_users", "company_growth"):
        assert signals[never] == {
            "id": never, "n_met": 0, "positives_met": 0, "precision": None, "recall": 0.0, "lift": None,
            "point_in_time": signals[never]["point_in_time"],
        }  # fmt: skip
    assert report["capture_top2"] == 1.0
    assert report["baselines"]["capacity"] == {
        "auc": 1.0,
        "flagged": 1,
        "positives_flagged": 1,
        "capture": 1.0,
        "lift": pytest.approx(3.0),
    }


def test_rows_after_t_do_not_leak(book: Path) -> None:
    code, out = run("backtest", "--workspace", str(book), "--at", str(T1), "--json", "--no-store")
    report = json.loads(out)
    assert code == 0 and report["observations"] == 1 and report["positives"] == 0
    assert report["auc"] is None  # one class only
    assert {t["tier"]: t["n"] for t in report["tiers"]}["not_yet"] == 1
    assert all(s["n_met"] == 0 for s in report["signals"])  # 7/10 seats, no outcome, no NPS, no gate hit at T1


def test_human_output_chart_and_suggested_weights(book: Path, tmp_path: Path) -> None:
    chart = tmp_path / "lift.svg"
    code, out = run(
        "backtest", "--workspace", str(book), "--at", str(T1), "--at", str(T2), "--no-store", "--chart", str(chart)
    )
    assert code == 0, out
    assert "3 observations, 1 won expansions" in out and "Conversion by tier" in out
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in chart.read_text(
        encoding="utf-8"
    )
    code, out = run(
        "backtest", "--workspace", str(book), "--at", str(T1), "--at", str(T2), "--no-store", "--suggest-weights"
    )
    assert code == 2 and "both won and not-won" in out  # the earlier point has no win: nothing to fit on


def test_bad_arguments_exit_2(book: Path, tmp_path: Path) -> None:
    code, out = run("backtest", "--workspace", str(book), "--at", "yesterday", "--no-store")
    assert code == 2 and "YYYY-MM-DD" in out
    code, out = run(
        "backtest", "--workspace", str(book), "--at", str(T1), "--no-store", "--chart", str(tmp_path / "x.gif")
    )
    assert code == 2 and ".svg or .png" in out


def test_default_points_need_history(book: Path) -> None:
    # usage starts ago(400) = 2025-10-12: its first full 90-day window ends 2026-01-09; as_of 2026-11-16
    # − 180 days = 2026-05-20: month-ends January to April
    code, out = run("backtest", "--workspace", str(book), "--json", "--no-store")
    assert code == 0, out
    assert json.loads(out)["points"] == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]


# --- stored results and calibrated confidence -------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_backtest_results_are_stored_by_fingerprint(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.test_store import postgres_schema

    if backend == "postgres":
        generator = postgres_schema()
        store = next(generator)
        request.addfinalizer(lambda: next(generator, None))
    else:
        from sqlalchemy import create_engine

        from server.store import ProposalStore

        store = ProposalStore(create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    report = backtest_report(BOOK, [T], 180)
    assert store.latest_backtest("f" * 64) is None
    store.save_backtest("f" * 64, backtest_report(BOOK[:2], [T], 180))
    store.save_backtest("f" * 64, report)
    store.save_backtest("e" * 64, backtest_report([], [T], 180))
    assert store.latest_backtest("f" * 64) == report  # the newest for exactly these inputs
    assert store.latest_backtest("0" * 64) is None


def test_calibration_follows_the_inputs(book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.calibration import Calibration, inputs_fingerprint
    from server.desk import Desk
    from server.settings import Settings
    from server.store import ProposalStore

    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(tmp_path / "store.sqlite3"))
    desk = Desk(Settings(workspace=book, store_path=tmp_path / "store.sqlite3"))
    store = ProposalStore.from_settings(desk.settings)
    assert Calibration.load(desk, store).text("priority") == "not calibrated"
    code, out = run("backtest", "--workspace", str(book), "--at", str(T1), "--at", str(T2), "--json")
    assert code == 0, out
    calibration = Calibration.load(desk, store)
    assert calibration.report is not None and calibration.report.observations == 3
    assert calibration.text("priority") == "not calibrated"  # 1 observation: below 30
    before = inputs_fingerprint(desk, 180)
    assert inputs_fingerprint(desk, 90) != before
    weights = desk.rules.weights.model_copy(update={"capacity": 20})
    reweighted = Desk(Settings(workspace=book, rules=desk.rules.model_copy(update={"weights": weights})))
    assert inputs_fingerprint(reweighted, 180) != before
    with (book / "deals.csv").open("a", encoding="utf-8") as handle:
        handle.write("D-9,ACC-1,,100,won,expansion,2026-05-01,\n")
    assert inputs_fingerprint(desk, 180) != before and Calibration.load(desk, store).report is None


# --- suggested weights -----------------------------------------------------------------------------


def test_scaled_weights_keep_the_total_and_drop_negative_signals() -> None:
    from skills.backtest.weights import scaled_weights

    # positive mass 2 + 1 + 1 = 4 of total 64: 32, 16, 16; the negative coefficient gets 0
    w = scaled_weights([2, 1, 1, 0, -1, 0, 0, 0, 0], 64)
    assert (w.capacity, w.recent_outcome, w.team_growth, w.promoter) == (32, 16, 16, 0)
    assert sum(w.model_dump().values()) == 64
    # 64 / 3 = 21.33 each: 63 whole points, the last one to the first of the tied remainders
    w = scaled_weights([1, 1, 1, 0, 0, 0, 0, 0, 0], 64)
    assert (w.capacity, w.recent_outcome, w.team_growth) == (22, 21, 21)
    with pytest.raises(ValueError, match="no signal"):
        scaled_weights([0, -1, 0, 0, 0, 0, 0, 0, 0], 64)


def test_suggest_weights_fits_earlier_points_and_tests_on_the_later_third() -> None:
    from skills.backtest.weights import suggest_weights, time_split
    from skills.rules import ReadinessWeights

    points = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert time_split(points) == (points[:2], points[2:])
    with pytest.raises(ValueError, match="two backtest points"):
        time_split(points[:1])
    # capacity met exactly when an expansion followed; promoter only when none did
    book = [
        obs(f"A{i}", 12 if won else 7, "candidate", ("capacity",) if won else ("promoter",), won, t)
        for t in points
        for i, won in enumerate((True, True, False, False, False))
    ]
    fit = suggest_weights(book, ReadinessWeights())
    assert fit.suggested.capacity == 64 and sum(fit.suggested.model_dump().values()) == 64
    assert fit.coefficients["capacity"] > 0 > fit.coefficients["promoter"] and fit.coefficients["renewal_window"] == 0
    assert (fit.train_observations, fit.held_out_observations) == (10, 5)
    assert fit.auc_current == 1.0 and fit.auc_suggested == 1.0  # 12 > 7 already ranks the held-out point right
    assert fit.toml.startswith("[rules.weights]\ncapacity = 64\n")


def test_a_stored_backtest_weights_the_portfolio_forecast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC §5–6: once a backtest matching the inputs is stored, the portfolio's forecast is Σ value × the
    tier's backtested rate; before it, the forecast is null ("not calibrated")."""
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(tmp_path / "store.sqlite3"))
    code, out = run("portfolio", "--json")
    assert code == 0, out
    assert json.loads(out)["forecast"]["value"] is None
    code, out = run("backtest", "--json")
    assert code == 0, out
    rates = {t["tier"]: t["rate"] for t in json.loads(out)["tiers"] if t["n"] >= 30}
    code, out = run("portfolio", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert {tier: row["rate"]["rate"] for tier, row in summary["pipeline"].items()} == {
        tier: rates[tier] for tier in summary["pipeline"]
    }
    for currency, value in summary["forecast"]["value"].items():
        expected = sum(row["value"].get(currency, 0) * row["rate"]["rate"] for row in summary["pipeline"].values())
        assert value == pytest.approx(expected, abs=0.01)


def test_a_stored_backtest_gives_the_proposal_its_calibrated_confidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC §5 Confidence: "N% (backtest, n observations)" for the proposal's tier once a backtest of
    exactly these inputs is stored; "not calibrated" before it."""
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(tmp_path / "store.sqlite3"))
    code, out = stdout_of("propose", "ACC-00001", "--json", "--no-save")
    assert code == 0, out
    before = json.loads(out)
    assert before["expansion_plan"]["confidence"] == "not calibrated"
    code, out = run("backtest", "--json")
    assert code == 0, out
    tier = next(t for t in json.loads(out)["tiers"] if t["tier"] == before["tier"])
    assert tier["n"] >= 30
    code, out = stdout_of("propose", "ACC-00001", "--json", "--no-save")
    assert code == 0, out
    expected = f"{round(tier['rate'] * 100)}% (backtest, {tier['n']} observations)"
    assert json.loads(out)["expansion_plan"]["confidence"] == expected
