"""Enrichment evidence (seed 003): company growth, hiring and champion moves, cited by the provider's name.

Pure functions of the snapshot's dated `EnrichmentRecord`s (an `enrichment.csv` export from ZoomInfo or
Clay, or People Data Labs). Records dated after `as_of` are not yet known and are ignored. A figure the
provider did not give is unknown, never zero; growth needs two dated figures (or one and the CRM's
figure at signing).
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Literal

from skills.catalog import names_term
from skills.days import window_start
from skills.evidence import Result, day, quote
from skills.rules import Rules
from skills.snapshot import Account, AccountSnapshot, EnrichmentRecord, Source

COMPANY_SUFFIXES = frozenset(
    {"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited", "gmbh", "ag", "sa",
     "plc", "bv", "srl", "pty", "holdings", "group"}
)  # fmt: skip


class EnrichmentFinding(Result):
    """One enrichment fact for a signal: met (True/False), its evidence and the provider to cite."""

    met: bool
    evidence: str
    source: Source


class ChampionMove(Result):
    """The champion's latest move per the provider: promoted at the account, or left for another company."""

    kind: Literal["promoted", "left"]
    contact_id: str
    day: date
    title: str
    previous_title: str
    company: str
    source: Source

    @property
    def detail(self) -> str:
        if self.kind == "left":
            was = f" (was {quote(self.previous_title, 60)})" if self.previous_title else ""
            return f"the champion{was} works at {quote(self.company, 60)} since {day(self.day)}"
        return f"the champion was promoted from {quote(self.previous_title, 60)} to {quote(self.title, 60)} on {day(self.day)}"


def known_records(snapshot: AccountSnapshot) -> list[EnrichmentRecord]:
    """Records dated on or before `as_of`, oldest first."""
    found = [r for r in snapshot.enrichment if r.as_of <= snapshot.as_of]
    return sorted(found, key=lambda r: (r.as_of, r.provider.value))


def _company_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return " ".join(w for w in words if w not in COMPANY_SUFFIXES)


def same_company(company: str, account: Account) -> bool:
    """Whether a provider's company name is the account: its name or its domain's stem, suffixes ignored."""
    name = company.strip().lower()
    if re.fullmatch(r"(www\.)?[a-z0-9-]+(\.[a-z]{2,})+", name):  # a website, as providers sometimes give
        name = name.removeprefix("www.").split(".")[0]
    key = _company_key(name)
    if not key:
        return True  # no company given: nothing says the person moved
    stem = account.domain.lower().removeprefix("www.").split(".")[0] if account.domain else ""
    return key in {_company_key(account.name), _company_key(stem)} or key.replace(" ", "") == stem


def title_level(title: str, rules: Rules) -> int | None:
    """Seniority of a job title on the configured ladder (highest rung named), or None when it names none."""
    text = re.sub(r"\bvice[\s-]+president\b", "vp", title, flags=re.IGNORECASE)
    found = [
        level for level, words in enumerate(rules.enrichment.title_levels) if any(names_term(text, w) for w in words)
    ]
    return max(found) if found else None


def _growth_text(what: str, first: float, last: float, since: str, on: date, fmt: str) -> str:
    verb = "grew" if last > first else "did not grow"
    return f"{what} {verb} from {format(first, fmt)} {since} to {format(last, fmt)} on {day(on)}"


def _figure_growth(
    records: list[EnrichmentRecord], what: str, value: str, at_signing: float | None, fmt: str
) -> EnrichmentFinding | None:
    dated = [r for r in records if getattr(r, value) is not None]
    if not dated:
        return None
    last = dated[-1]
    if len(dated) >= 2 and dated[0].as_of < last.as_of:
        first, since = float(getattr(dated[0], value)), f"on {day(dated[0].as_of)}"
    elif at_signing is not None:
        first, since = at_signing, "at signing (CRM)"
    else:
        return None
    now = float(getattr(last, value))
    return EnrichmentFinding(
        met=now > first, evidence=_growth_text(what, first, now, since, last.as_of, fmt), source=last.provider
    )


def company_growth(snapshot: AccountSnapshot, rules: Rules) -> EnrichmentFinding | None:
    """Employees or revenue grew between the provider's dated figures (or since signing), or the company is
    hiring at least `hiring_min_open_roles`; None when the provider gave nothing to compare."""
    records, account = known_records(snapshot), snapshot.account
    findings = [
        _figure_growth(records, "employees", "employees", account.employees_at_signing, ",.0f"),
        _figure_growth(records, "revenue", "revenue", account.revenue_at_signing, ",.0f"),
    ]
    roles = hiring(snapshot)
    if roles is not None:
        count, on, source = roles
        findings.append(
            EnrichmentFinding(
                met=count >= rules.enrichment.hiring_min_open_roles,
                evidence=f"{count} open roles on {day(on)}",
                source=source,
            )
        )
    known = [f for f in findings if f is not None]
    return next((f for f in known if f.met), known[0] if known else None)


def hiring(snapshot: AccountSnapshot) -> tuple[int, date, Source] | None:
    """The latest open-roles count: (roles, day, provider), or None when no provider reported one."""
    dated = [r for r in known_records(snapshot) if r.hiring_open_roles is not None]
    if not dated:
        return None
    last = dated[-1]
    return int(last.hiring_open_roles or 0), last.as_of, last.provider


def _champion_ids(snapshot: AccountSnapshot) -> set[str]:
    """Whose records count: the CRM's champions, and "" (an export's champion columns)."""
    return {"", *(c.contact_id for c in snapshot.contacts if c.role == "champion")}


def champion_moves(snapshot: AccountSnapshot, rules: Rules) -> tuple[ChampionMove, ...]:
    """Per champion, the latest move the provider shows: left (now at another company) or promoted
    (a later title higher on the ladder at the account). A sideways title change is not a promotion."""
    ids = _champion_ids(snapshot)
    history: dict[str, list[EnrichmentRecord]] = {}
    for r in known_records(snapshot):
        if r.contact_id in ids and (r.champion_title or r.champion_company):
            history.setdefault(r.contact_id, []).append(r)
    moves = []
    for contact_id, records in sorted(history.items()):
        move = _move(contact_id, records, snapshot.account, rules)
        if move is not None:
            moves.append(move)
    return tuple(sorted(moves, key=lambda m: (m.day, m.contact_id), reverse=True))


def _move(contact_id: str, records: list[EnrichmentRecord], account: Account, rules: Rules) -> ChampionMove | None:
    latest = records[-1]
    here = [r for r in records if same_company(r.champion_company, account)]
    if not same_company(latest.champion_company, account):
        since = latest
        for r in reversed(records):
            if same_company(r.champion_company, account):
                break
            since = r
        return ChampionMove(
            kind="left", contact_id=contact_id, day=since.as_of, title=latest.champion_title,
            previous_title=here[-1].champion_title if here else "", company=latest.champion_company,
            source=latest.provider,
        )  # fmt: skip
    for earlier, later in reversed(list(pairwise(here))):
        if earlier.champion_title.strip().lower() == later.champion_title.strip().lower():
            continue
        before, after = title_level(earlier.champion_title, rules), title_level(later.champion_title, rules)
        if before is not None and after is not None and after > before:
            return ChampionMove(
                kind="promoted", contact_id=contact_id, day=later.as_of, title=later.champion_title,
                previous_title=earlier.champion_title, company=later.champion_company, source=later.provider,
            )  # fmt: skip
        return None  # the latest title change was not a move up
    return None


def champion_left(snapshot: AccountSnapshot, rules: Rules) -> ChampionMove | None:
    return next((m for m in champion_moves(snapshot, rules) if m.kind == "left"), None)


def champion_promoted(snapshot: AccountSnapshot, rules: Rules, window_days: int) -> ChampionMove | None:
    """The latest promotion dated in the last `window_days` days."""
    start = window_start(snapshot.as_of, window_days)
    return next(
        (m for m in champion_moves(snapshot, rules) if m.kind == "promoted" and start <= m.day <= snapshot.as_of),
        None,
    )
