"""Credential sharing: a user seen on ≥ 2 devices inside one 5-minute window on ≥ 3 distinct days
of the last 30. Each such user is one extra person needing a seat.

Any two events of different devices within the window imply a consecutive pair (ordered by time)
of different devices within it, so comparing each event with the previous one is exact. The day of
a pair is the day of its later event. Only users seen on two or more devices in the scanned window
can have such a pair, so only their events are put in order: sorting every event of the window cost
more than all the other usage statements together (13.7 of 56 CPU-s at 100,000 accounts; 5.6 now).
"""

from __future__ import annotations

from skills.rules import UsageRules
from skills.snapshot import SharingUser, UsageFacts

CREDENTIAL_SHARING_SQL = """
WITH scanned AS (
    SELECT account_id, user_id, device_id, ts
    FROM {events}
    WHERE ts >= :sharing_scan_start AND ts < :end
      AND device_id IS NOT NULL AND device_id <> '' {account_filter}
),
several_devices AS (
    SELECT account_id, user_id FROM scanned GROUP BY account_id, user_id HAVING MIN(device_id) <> MAX(device_id)
),
ordered AS (
    SELECT s.account_id, s.user_id, s.device_id, s.ts,
           LAG(s.device_id) OVER (PARTITION BY s.account_id, s.user_id ORDER BY s.ts) AS prev_device,
           LAG(s.ts) OVER (PARTITION BY s.account_id, s.user_id ORDER BY s.ts) AS prev_ts
    FROM scanned s JOIN several_devices m ON s.account_id = m.account_id AND s.user_id = m.user_id
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
