"""An account's 26 weeks of usage come from point-in-time snapshots, contiguous and newest first."""

from __future__ import annotations

from datetime import timedelta

from server.account_charts import HISTORY_WEEKS, weekly_history
from server.desk import Desk
from server.settings import Settings


def test_history_spans_26_contiguous_weeks_and_agrees_with_each_snapshot() -> None:
    desk = Desk(Settings())
    snapshot = desk.snapshot("ACC-00001")
    assert snapshot.usage is not None
    history = weekly_history(desk, snapshot)
    assert len(history) == HISTORY_WEEKS
    assert [p.day for p in history] == [snapshot.as_of - timedelta(days=7 * k) for k in range(HISTORY_WEEKS)]
    own = snapshot.usage.capacity_history
    assert history[: len(own)] == own
    for point in history[len(own) :: 5]:
        at_that_day = desk.snapshot("ACC-00001", point.day)
        assert at_that_day.usage is not None
        assert at_that_day.usage.active_users_30d == point.active_users_30d
