"""The backtest's fast replay (snapshots built once, the score's usage aggregated per point) gives
exactly what scoring full snapshots at each point gives, on the bundled demo's history."""

from __future__ import annotations

from datetime import date

from server.cli.backtest import observe_points
from server.desk import Desk
from server.settings import Settings
from skills.backtest.observations import observe_book
from skills.backtest.point_in_time import as_of_point, in_book
from skills.playbook.readiness_score import readiness_score
from skills.usage.summary import summarise_usage

POINTS = [date(2025, 9, 30), date(2026, 2, 28)]


def test_fast_replay_matches_full_snapshots_and_the_score() -> None:
    desk = Desk(Settings())
    fast = observe_points(desk, POINTS, 180, quiet=True)
    full = [o for t in POINTS for o in observe_book(desk.source.snapshots(t), desk.rules, 180)]
    assert fast == full and len(fast) > 250
    assert {o.at for o in fast} == set(POINTS) and any(o.label for o in fast)
    book = {(s.account_id, t): s for t in POINTS for s in desk.source.snapshots(t) if in_book(s.account, t)}
    for o in fast:
        past = as_of_point(book[(o.account_id, o.at)])
        score = readiness_score(past, summarise_usage(past, desk.rules), desk.rules)
        assert (o.score, o.tier, o.met) == (score.score, score.tier, tuple(s.id for s in score.signals if s.met))
