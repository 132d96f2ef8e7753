"""Credential sharing: a user seen on ≥ 2 devices inside one 5-minute window on ≥ 3 distinct days
of the last 30. Each such user is one extra person needing a seat.

Any two events of different devices within the window imply a consecutive pair (ordered by time)
of different devices within it, so comparing each event with the previous one is exact. The day of
a pair is the day of its later event.
"""

from __future__ import annotations

from skills.rules import UsageRules
from skills.snapshot import SharingUser, UsageFacts

CREDENTIAL_SHARING_SQL = """
WITH ordered AS (
    SELECT account_id, user_id, device_id, ts,
           LAG(device_id) OVER (PARTITION BY account_id, user_id ORDER BY ts) AS prev_device,
           LAG(ts) OVER (PARTITION BY account_id, user_id ORDER BY ts) AS prev_ts
    FROM {events}
    WHERE ts >= :sharing_scan_start AND ts < :end
      AND device_id IS NOT NULL AND device_id <> '' {account_filter}
)
SELECT account_id, user_id, COUNT(DISTINCT CAST(ts AS DATE)) AS days
FROM ordered
WHERE prev_device <> device_id AND ts - prev_ts <= :sharing_window AND ts >= :sharing_start
GROUP BY account_id, user_id
"""


def credential_sharing(usage: UsageFacts, rules: UsageRules) -> tuple[SharingUser, ...]:
    """Users whose shared-login days reach the threshold, most days first."""
    hits = [u for u in usage.sharing_users if u.days >= rules.sharing_min_days]
    return tuple(sorted(hits, key=lambda u: (-u.days, u.user_id)))
