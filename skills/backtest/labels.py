"""The label of an (account, t) observation (SPEC §5): a won expansion deal closing in (t, t + horizon]."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from skills.snapshot import Deal


def expansion_won(deals: Iterable[Deal], t: date, horizon_days: int) -> bool:
    """True when a deal of type expansion, stage won, closes after `t` and at most `horizon_days` later."""
    end = t + timedelta(days=horizon_days)
    return any(
        d.type == "expansion" and d.stage == "won" and d.close_date is not None and t < d.close_date <= end
        for d in deals
    )
