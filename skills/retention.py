"""Net and gross revenue retention (SPEC §6) from month-end ARR as finance exports it (`arr_history.csv`).

At `as_of`: now = the month of as_of, then = 12 months earlier; over the accounts with arr_then > 0,
NRR = Σ arr_now / Σ arr_then and GRR = Σ min(arr_now, arr_then) / Σ arr_then. A month with no row
counts as 0 (a churned account has no ARR). Without the file both are null with the reason: they
are never estimated from deals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from pydantic import Field, field_validator

from skills.catalog import Catalog
from skills.days import add_months
from skills.evidence import Result
from skills.snapshot import Record

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ArrMonth(Record):
    """One row of arr_history.csv; `currency` (optional column) for accounts not in accounts.csv."""

    account_id: str
    month: str = Field(description="YYYY-MM")
    arr: float = Field(ge=0)
    currency: str | None = None

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not MONTH.fullmatch(value):
            raise ValueError("not a month in YYYY-MM form")
        return value


class ArrHistory(Result):
    months: tuple[ArrMonth, ...]

    def arr_by_account(self, month: str) -> dict[str, float]:
        return {row.account_id: row.arr for row in self.months if row.month == month}

    def currencies(self) -> dict[str, str]:
        return {row.account_id: row.currency for row in self.months if row.currency}


class Retention(Result):
    nrr: float | None
    grr: float | None
    month_now: str
    month_then: str
    accounts: int = Field(description="accounts with ARR 12 months ago (the denominator's accounts)")
    churned: int = Field(description="of those, accounts with no ARR now")
    currency: str | None = Field(description="the currency the sums are in (base_currency when converted)")
    arr_then: float | None
    arr_now: float | None
    arr_kept: float | None = Field(description="Σ min(arr_now, arr_then)")
    reason: str | None = Field(description="why nrr and grr are null")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _unknown(month_now: str, month_then: str, reason: str, accounts: int = 0, churned: int = 0) -> Retention:
    return Retention(
        nrr=None,
        grr=None,
        month_now=month_now,
        month_then=month_then,
        accounts=accounts,
        churned=churned,
        currency=None,
        arr_then=None,
        arr_now=None,
        arr_kept=None,
        reason=reason,
    )


def net_retention(
    history: ArrHistory | None,
    as_of: date,
    currency_of: Mapping[str, str],
    catalog: Catalog,
    missing_reason: str = "arr_history.csv not in the workspace",
) -> Retention:
    """NRR and GRR at `as_of`. Sums are per currency; with several currencies they are converted to
    the catalog's base_currency, or the ratios are null when its fx table does not cover them all."""
    month_now, month_then = month_of(as_of), month_of(add_months(as_of.replace(day=1), -12))
    if history is None:
        return _unknown(month_now, month_then, f"{missing_reason}: NRR and GRR need month-end ARR history")
    then, now = history.arr_by_account(month_then), history.arr_by_account(month_now)
    cohort = sorted(a for a, arr in then.items() if arr > 0)
    if not cohort:
        return _unknown(month_now, month_then, f"no account has ARR in {month_then} in arr_history.csv")
    churned = sum(1 for a in cohort if now.get(a, 0.0) == 0)
    currencies = {**currency_of, **history.currencies()}
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # then, now, kept
    for account_id in cohort:
        if account_id not in currencies:
            raise ValueError(f"arr_history.csv: account {account_id} has no currency (not in accounts.csv)")
        arr_then, arr_now = then[account_id], now.get(account_id, 0.0)
        s = sums[currencies[account_id]]
        s[0], s[1], s[2] = s[0] + arr_then, s[1] + arr_now, s[2] + min(arr_now, arr_then)
    if len(sums) == 1:
        currency, (total_then, total_now, kept) = next(iter(sums.items()))
    else:
        converted = [[catalog.to_base(v, c) for v in values] for c, values in sums.items()]
        uncovered = sorted(c for c, values in zip(sums, converted, strict=True) if values[0] is None)
        if uncovered or catalog.base_currency is None:
            return _unknown(
                month_now,
                month_then,
                f"ARR in {len(sums)} currencies ({', '.join(sorted(sums))}) and the catalog's fx table "
                f"does not convert {', '.join(uncovered) or 'them'} to a base_currency",
                len(cohort),
                churned,
            )
        currency = catalog.base_currency
        total_then, total_now, kept = (sum(v[i] or 0.0 for v in converted) for i in range(3))
    return Retention(
        nrr=round(total_now / total_then, 4),
        grr=round(kept / total_then, 4),
        month_now=month_now,
        month_then=month_then,
        accounts=len(cohort),
        churned=churned,
        currency=currency,
        arr_then=round(total_then, 2),
        arr_now=round(total_now, 2),
        arr_kept=round(kept, 2),
        reason=None,
    )
