"""Every threshold and weight of SPEC §3, with the SPEC defaults, in one validated model.

Calculators take `Rules` as an argument; `server.settings.Settings` loads it from a TOML file and
the environment so a CS ops team can tune it without touching code.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from skills.catalog import DEFAULT_CATALOG, Catalog


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Points = Annotated[int, Field(ge=0, le=100)]
Fraction = Annotated[float, Field(gt=0, le=10)]
Health = Annotated[float, Field(ge=0, le=100)]


class ReadinessWeights(_Strict):
    """Points per signal of the Expansion Readiness Score (seed 002); each 0–100."""

    capacity: Points = 12
    recent_outcome: Points = 10
    team_growth: Points = 8
    asked_unowned_features: Points = 8
    promoter: Points = 7
    renewal_window: Points = 5
    aligned_initiative: Points = 5
    one_seat_many_users: Points = 5
    company_growth: Points = 4


class TierCutoffs(_Strict):
    """Lowest score of each readiness tier; below `candidate` is not_yet."""

    priority: int = 35
    ready: int = 20
    candidate: int = 10

    @model_validator(mode="after")
    def _ordered(self) -> TierCutoffs:
        if not self.priority > self.ready > self.candidate:
            raise ValueError("tier cutoffs must satisfy priority > ready > candidate")
        return self


class UsageRules(_Strict):
    active_window_days: int = Field(default=30, ge=1)
    signal_window_days: int = Field(default=90, ge=1, description="gate hits, regions, workflows, spread")
    sharing_min_devices: int = Field(default=2, ge=2)
    sharing_window_minutes: int = Field(default=5, ge=1)
    sharing_min_days: int = Field(default=3, ge=1)
    sharing_lookback_days: int = Field(default=30, ge=1)
    capacity_checkpoints: int = Field(default=13, ge=1, description="weekly points of capacity history")


class SignalRules(_Strict):
    capacity_utilisation: Fraction = 0.80
    recent_outcome_days: int = Field(default=90, ge=1)
    interaction_window_days: int = Field(default=90, ge=1)
    nps_window_days: int = Field(default=60, ge=1)
    promoter_min_nps: int = Field(default=8, ge=0, le=10)
    renewal_window_min_days: int = 60
    renewal_window_max_days: int = 120


class GateRules(_Strict):
    """Readiness gate (seed 001)."""

    healthy_min: Health = 70
    recovering_min: Health = 50
    champion_engaged_days: int = Field(default=60, ge=1)


class TimingRules(_Strict):
    no_recent_contact_days: int = Field(default=60, ge=1)
    critical_priorities: tuple[str, ...] = ("P1", "P2")
    capacity_trigger_utilisation: Fraction = 0.85
    trigger_window_days: int = Field(default=90, ge=1)
    renewal_trigger_days: int = Field(default=90, ge=1)


class TypeRules(_Strict):
    tier_upgrade_min_gate_hits: int = Field(default=3, ge=1)
    multi_year_renewal_max_days: int = Field(default=180, ge=0)
    multi_year_renewal_min_health: Health = 70


class ValueRules(_Strict):
    roi_lookback_days: int = Field(default=365, ge=1)
    time_units: tuple[str, ...] = ("hours", "hour", "h")
    switching_integrations: int = 3
    switching_active_users: int = 25
    switching_tenure_months: int = 12
    top_quartile_percentile: Health = 75
    above_median_percentile: Health = 50
    benchmark_min_peers: int = Field(default=5, ge=1, description="fewer accounts in a segment say nothing")


class CalendarRules(_Strict):
    phases: tuple[tuple[int, int], ...] = ((1, 7), (8, 21), (22, 45), (46, 75), (76, 90))
    pre_renewal_horizon_months: int = 6
    pre_renewal_weeks: tuple[int, ...] = (12, 8, 4, 2)


class EnrichmentRules(_Strict):
    """Enrichment evidence (seed 003): hiring as growth, and the title ladder that tells a promotion."""

    hiring_min_open_roles: int = Field(default=5, ge=1, description="open roles that count as company growth")
    title_levels: tuple[tuple[str, ...], ...] = Field(
        default=(
            ("intern", "trainee"),
            ("associate", "analyst", "specialist", "coordinator", "representative", "administrator"),
            ("senior", "lead", "principal"),
            ("manager",),
            ("head", "director"),
            ("vp", "vice president", "svp", "evp"),
            ("chief", "ceo", "cfo", "coo", "cto", "cio", "cmo", "cro", "founder", "owner"),
        ),
        description="title words by seniority, lowest first; a move up this ladder at the same company is a promotion",
    )


class FreshnessRules(_Strict):
    """Days after which a source's newest row is stale: its signals are marked stale (the score is unchanged)."""

    crm: int = Field(default=90, ge=1)
    usage: int = Field(default=7, ge=1)
    support: int = Field(default=30, ge=1)
    conversations: int = Field(default=90, ge=1)
    outcomes: int = Field(default=180, ge=1)


INTERNAL_LEXICON: tuple[str, ...] = (
    "discount*",
    "% off",
    "percent off",
    "price break",
    "go lower",
    "lower the price",
    "rebate*",
    "free seat*",
    "free month*",
    "special offer",
    "this quarter only",
    "best price",
    "without approval",
    "authority",
    "switching cost*",
    "leverage",
    "negotiat*",
    "concession*",
    "walk-away",
    "walk away",
    "floor price",
    "pricing standard",
    "hold the price",
    "lock-in",
    "locked in",
    "health score",
    "readiness score",
    "churn*",
    "risk factor*",
)


class DraftRules(_Strict):
    """SPEC §4 "no internal content": wording that never appears in customer-facing text.

    A term matches case-insensitively on word boundaries; a trailing `*` matches any ending ("discount*"
    also finds "discounted"). `extra_lexicon` extends the default list without repeating it.
    """

    internal_lexicon: tuple[str, ...] = INTERNAL_LEXICON
    extra_lexicon: tuple[str, ...] = ()

    @property
    def lexicon(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.internal_lexicon, *self.extra_lexicon)))


class Rules(_Strict):
    weights: ReadinessWeights = ReadinessWeights()
    tiers: TierCutoffs = TierCutoffs()
    usage: UsageRules = UsageRules()
    signals: SignalRules = SignalRules()
    gate: GateRules = GateRules()
    timing: TimingRules = TimingRules()
    types: TypeRules = TypeRules()
    value: ValueRules = ValueRules()
    calendar: CalendarRules = CalendarRules()
    enrichment: EnrichmentRules = EnrichmentRules()
    freshness: FreshnessRules = FreshnessRules()
    drafting: DraftRules = DraftRules()
    catalog: Catalog = DEFAULT_CATALOG

    def with_catalog(self, catalog: Catalog) -> Rules:
        return self.model_copy(update={"catalog": catalog})
