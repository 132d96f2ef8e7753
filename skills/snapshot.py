"""The one shape every connector returns: a typed snapshot of an account at an `as_of` day.

Usage arrives pre-aggregated (`UsageFacts`) because the aggregation runs as SQL where the events
live (DuckDB over workspace files, or the warehouse); calculators never see raw events.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache, cached_property
from typing import Annotated, Any, Literal, Self, TypeVar, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from skills.conversations.signal import ExtractedSignal

T = TypeVar("T")
Segment = Literal["smb", "mid_market", "enterprise"]
HealthTrend = Literal["up", "flat", "down"]

# Plausible bounds: a value outside them is a data error (a typo, a unit slip, an overflow), never
# a number to score with. Every float is finite (pydantic's allow_inf_nan=False on the records).
MAX_MONEY = 1e12
MAX_COUNT = 10_000_000
MAX_INTEGRATIONS = 10_000
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)


def utc_naive(value: datetime) -> datetime:
    """The one timestamp convention: UTC. An offset (Z, +02:00) is converted to UTC; a timestamp
    without one is read as UTC already. Stored without tzinfo so every comparison is like with like."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _date_part(value: Any) -> Any:
    """Exports often carry midnight timestamps where a date is meant; keep the calendar day (in UTC)."""
    if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        try:
            return utc_naive(datetime.fromisoformat(value)).date()
        except ValueError:
            return value[:10]
    if isinstance(value, datetime):
        return utc_naive(value).date()
    return value


def _plausible_day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be a day between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def _plausible_time(value: datetime) -> datetime:
    value = utc_naive(value)
    _plausible_day(value.date())
    return value


Day = Annotated[date, BeforeValidator(_date_part), AfterValidator(_plausible_day)]
UtcTime = Annotated[datetime, AfterValidator(_plausible_time)]


class Source(StrEnum):
    """Where a piece of evidence came from; rendered as the citation prefix ("Per CRM:")."""

    crm = "crm"
    usage = "usage"
    support = "support"
    conversations = "conversations"
    outcomes = "outcomes"
    catalog = "catalog"
    gong = "gong"
    # enrichment: the data kind (for missing evidence), then each provider cited by its own name
    enrichment = "enrichment"
    zoominfo = "zoominfo"
    clay = "clay"
    linkedin = "linkedin"
    apollo = "apollo"
    people_data_labs = "people_data_labs"

    @property
    def citation(self) -> str:
        return _citations()[self.value]


ENRICHMENT_PROVIDERS: dict[str, Source] = {
    "enrichment": Source.enrichment,
    "ZoomInfo": Source.zoominfo,
    "Clay": Source.clay,
    "LinkedIn": Source.linkedin,
    "Apollo": Source.apollo,
    "People Data Labs": Source.people_data_labs,
}
"""Provider name (as cited: "Per ZoomInfo:") -> its evidence source; a generic export cites "Per enrichment:"."""


@cache
def _citations() -> dict[str, str]:
    """Each source's citation prefix, built once (every evidence line a draft check reads cites one)."""
    return {
        "crm": "Per CRM:",
        "usage": "Per usage:",
        "support": "Per support:",
        "conversations": "Per conversations:",
        "outcomes": "Per outcomes:",
        "catalog": "Per catalog:",
        "gong": "Per Gong:",
        **{source.value: f"Per {name}:" for name, source in ENRICHMENT_PROVIDERS.items()},
    }


def enrichment_provider(value: Any) -> Any:
    """A provider given by name ("zoominfo", "People Data Labs") or id; unknown names are errors listing the known."""
    if isinstance(value, Source) or not isinstance(value, str):
        return value
    key = "".join(value.lower().split()).replace("_", "")
    for name, source in ENRICHMENT_PROVIDERS.items():
        if key in ("".join(name.lower().split()), source.value.replace("_", "")):
            return source
    raise ValueError(f"unknown enrichment provider {value!r}; known: {', '.join(ENRICHMENT_PROVIDERS)}")


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)


class Account(Record):
    account_id: str
    name: str
    domain: str = ""
    industry: str = ""
    segment: Segment
    region: str
    csm_owner: str
    plan_tier: str
    products: tuple[str, ...] = ()
    currency: str = "USD"
    arr: float = Field(ge=0, le=MAX_MONEY)
    seats_licensed: int = Field(ge=0, le=MAX_COUNT)
    price_per_seat: float = Field(ge=0, le=MAX_MONEY)
    contract_start: Day
    renewal_date: Day
    employees_at_signing: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    employees_now: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    revenue_at_signing: float | None = Field(default=None, ge=0, le=MAX_MONEY)
    revenue_now: float | None = Field(default=None, ge=0, le=MAX_MONEY)
    health_score: float = Field(ge=0, le=100)
    health_trend: HealthTrend
    integrations_count: int = Field(default=0, ge=0, le=MAX_INTEGRATIONS)

    @model_validator(mode="after")
    def _renewal_after_start(self) -> Account:
        if self.renewal_date < self.contract_start:
            raise ValueError(
                f"renewal_date {self.renewal_date} is before contract_start {self.contract_start}",
            )
        return self

    @property
    def headcount_grew(self) -> bool | None:
        """employees_now > employees_at_signing; None when either count is missing."""
        if self.employees_now is None or self.employees_at_signing is None:
            return None
        return self.employees_now > self.employees_at_signing


class Contact(Record):
    contact_id: str
    account_id: str
    first_name: str = ""
    title: str = ""
    role: Literal["champion", "economic_buyer", "power_user", "user"]
    department: str = ""
    status: Literal["active", "left"]
    last_engaged_at: Day | None = None
    email: str = Field(default="", description="work email; lets an enrichment provider find the person")


class Deal(Record):
    deal_id: str
    account_id: str
    name: str = ""
    amount: float = Field(default=0, ge=-MAX_MONEY, le=MAX_MONEY)
    stage: Literal["won", "open", "lost"]
    type: Literal["new", "expansion", "renewal"]
    close_date: Day | None = None
    products: tuple[str, ...] = ()


class Ticket(Record):
    ticket_id: str
    account_id: str
    priority: Literal["P1", "P2", "P3", "P4"]
    status: Literal["open", "pending", "solved", "closed"]
    opened_at: Day
    subject: str = ""


class Interaction(Record):
    interaction_id: str
    account_id: str
    ts: UtcTime
    source: Literal["call", "email", "qbr", "chat", "nps"]
    text: str = ""
    nps_score: int | None = Field(default=None, ge=0, le=10)
    title: str = ""
    url: str = ""
    provider: str = Field(default="", description='the recording tool ("gong"); empty for CSV rows')

    @property
    def cited_as(self) -> Source:
        """The citation its evidence carries: the provider when it is one we name ("Per Gong:")."""
        return Source.gong if self.provider == "gong" else Source.conversations


class Outcome(Record):
    account_id: str
    ts: Day
    metric: str
    value: float = Field(ge=-MAX_MONEY, le=MAX_MONEY)
    unit: str = ""
    description: str = ""

    @property
    def text(self) -> str:
        """The customer's own words when recorded, else "metric value unit"."""
        return self.description or f"{self.metric} {self.value:g} {self.unit}".strip()


class DepartmentSpread(Record):
    department: str
    first_seen: date
    users: int


class SharingUser(Record):
    user_id: str
    days: int = Field(description="distinct days in the window with ≥ 2 devices inside one 5-minute window")


class RegionUsage(Record):
    region: str
    users_90d: int


class CapacityPoint(Record):
    day: date
    active_users_30d: int


class UsageFacts(Record):
    """Aggregates of the usage events at `as_of` (events after `as_of` are ignored)."""

    as_of: date
    active_users_30d: int
    active_users_90d: int
    workflow_completions_90d: int
    newest_event: date | None = Field(default=None, description="day of the newest event in the signal window")
    new_departments: tuple[DepartmentSpread, ...] = ()
    sharing_users: tuple[SharingUser, ...] = ()
    gate_hits_90d: dict[str, int] = Field(default_factory=dict)
    regions_90d: tuple[RegionUsage, ...] = ()
    weekly_active_users: tuple[int, ...] = Field(
        default=(), description="30-day active users at as_of, as_of − 7 days, … (weekly checkpoints, newest first)"
    )

    @property
    def capacity_history(self) -> tuple[CapacityPoint, ...]:
        return tuple(
            CapacityPoint(day=self.as_of - timedelta(days=7 * k), active_users_30d=n)
            for k, n in enumerate(self.weekly_active_users)
        )


class EnrichmentRecord(Record):
    """What an enrichment provider said about the account (and its champion) on `as_of`.

    From an `enrichment.csv` export (ZoomInfo, Clay, ...) or a provider's API (People Data Labs).
    Blank figures are unknown, never zero. `champion_title` / `champion_company` say where the account's
    champion works (`contact_id` names the CRM contact when the provider matched one; "" = the export's
    champion row). Several dated records make a history: growth and champion moves come from comparing them.
    """

    account_id: str
    as_of: Day
    provider: Annotated[Source, BeforeValidator(enrichment_provider)] = Source.enrichment
    employees: int | None = Field(default=None, ge=0)
    revenue: float | None = Field(default=None, ge=0)
    hiring_open_roles: int | None = Field(default=None, ge=0)
    champion_title: str = ""
    champion_company: str = ""
    contact_id: str = ""


class MissingEvidence(Record):
    """A data kind the snapshot could not get, and why; calculators that need it report unknown."""

    kind: Source
    reason: str


class AccountSnapshot(Record):
    as_of: date
    account: Account
    contacts: tuple[Contact, ...] = ()
    deals: tuple[Deal, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    usage: UsageFacts | None = None
    extracted_signals: tuple[ExtractedSignal, ...] = Field(
        default=(), description="grounded signals read from the interactions' text (empty offline)"
    )
    enrichment: tuple[EnrichmentRecord, ...] = ()
    missing: tuple[MissingEvidence, ...] = ()
    sources: dict[str, str] = Field(default_factory=dict, description="data kind -> connector name that supplied it")

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @cached_property
    def _missing_kinds(self) -> frozenset[Source]:
        return frozenset(m.kind for m in self.missing)

    def lacks(self, kind: Source) -> bool:
        return kind in self._missing_kinds

    def derived(self, key: Hashable, compute: Callable[[], T], *inputs: object) -> T:
        """`compute()` once per snapshot, `key` and `inputs` (objects such as a catalog, told apart by
        identity and kept alive here, so no other object takes their id): an assessment's calculators
        ask for the same recent interactions and keyword mentions up to five times an account."""
        memo: dict[Hashable, tuple[tuple[object, ...], object]] | None = self.__dict__.get(_DERIVED)
        if memo is None:
            memo = self.__dict__[_DERIVED] = {}
        full = (key, *map(id, inputs)) if inputs else key
        found = memo.get(full)
        if found is None:
            found = memo[full] = (inputs, compute())
        return cast(T, found[1])

    def __copy__(self) -> Self:
        """A copy (`model_copy`: another day, other records) derives its values afresh."""
        copied = super().__copy__()
        _forget_derived(copied)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        copied = super().__deepcopy__(memo)
        _forget_derived(copied)
        return copied


_DERIVED = "_derived"


def _forget_derived(snapshot: AccountSnapshot) -> None:
    for name in ("_missing_kinds", _DERIVED):
        snapshot.__dict__.pop(name, None)
