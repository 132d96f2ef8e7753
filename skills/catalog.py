"""The product catalog: tiers, modules, services and commercial policy (SPEC §2 catalog.json)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

ExpansionType = Literal[
    "seat_growth",
    "tier_upgrade",
    "cross_sell",
    "geographic_expansion",
    "multi_year_renewal",
    "professional_services",
]
EXPANSION_TYPES: tuple[ExpansionType, ...] = get_args(ExpansionType)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ExpectedOutcome(_Strict):
    """What a module or tier typically delivers: hours (valued at `hourly_value`) or money (`unit` a currency code)."""

    metric: str
    value: float = Field(ge=0)
    per: Literal["year", "month"] = "year"
    unit: str = ""

    @property
    def yearly(self) -> float:
        return self.value * (12 if self.per == "month" else 1)


class Tier(_Strict):
    id: str
    per_seat_price: float = Field(ge=0, le=1e12)
    features: tuple[str, ...] = ()
    expected_outcome: ExpectedOutcome | None = None


class Module(_Strict):
    id: str
    name: str
    annual_price: float = Field(ge=0, le=1e12)
    keywords: tuple[str, ...] = ()
    expected_outcome: ExpectedOutcome | None = None


class Services(_Strict):
    multi_year_uplift: float = Field(default=0.05, ge=0, le=1)
    professional_services_price: float = Field(default=15000, ge=0)


class Catalog(_Strict):
    tiers: tuple[Tier, ...] = Field(min_length=1)
    modules: tuple[Module, ...] = ()
    services: Services = Services()
    seat_pack: int = Field(default=5, ge=1)
    target_utilisation: float = Field(default=0.75, gt=0, le=1)
    discount_authority: dict[ExpansionType, float] = Field(default_factory=dict)
    hourly_value: float = Field(default=60, ge=0, le=1e6)
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    quarter_end_blackout_days: int = Field(default=14, ge=0)
    base_currency: str | None = None
    fx: dict[str, float] = Field(default_factory=dict, description="currency → rate to base_currency")

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        for kind, ids in (("tier", [t.id for t in self.tiers]), ("module", [m.id for m in self.modules])):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} id(s): {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _fx_has_a_base(self) -> Catalog:
        if self.fx and self.base_currency is None:
            raise ValueError("fx needs base_currency: the currency its rates convert to")
        if any(rate <= 0 for rate in self.fx.values()):
            raise ValueError("fx rates must be positive")
        return self

    def to_base(self, amount: float, currency: str) -> float | None:
        """`amount` in base_currency; None without a base or a rate for `currency`."""
        if self.base_currency is None:
            return None
        if currency == self.base_currency:
            return amount
        rate = self.fx.get(currency)
        return None if rate is None else amount * rate

    def tier(self, tier_id: str) -> Tier | None:
        return next((t for t in self.tiers if t.id == tier_id), None)

    def next_tier(self, tier_id: str) -> Tier | None:
        """The tier above `tier_id` in catalog order; None at the top or for an unknown tier."""
        ids = [t.id for t in self.tiers]
        if tier_id not in ids or ids.index(tier_id) + 1 >= len(ids):
            return None
        return self.tiers[ids.index(tier_id) + 1]

    def higher_tier_features(self, tier_id: str) -> tuple[str, ...]:
        ids = [t.id for t in self.tiers]
        start = ids.index(tier_id) + 1 if tier_id in ids else 0
        return tuple(f for t in self.tiers[start:] for f in t.features)

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def convert(self, value: float, currency: str, to: str) -> float | None:
        """`value` in `currency` expressed in `to` through the fx table; None when a rate is missing."""
        source, target = currency.strip().upper(), to.strip().upper()
        if source == target:
            return value
        rates = {k.upper(): v for k, v in self.fx.items()}
        if self.base_currency:
            rates.setdefault(self.base_currency.upper(), 1.0)
        if source not in rates or target not in rates or rates[target] == 0:
            return None
        return value * rates[source] / rates[target]


def normalise_term(term: str) -> str:
    """Feature and keyword identity: case-insensitive, `_`/`-` read as spaces."""
    return " ".join(re.split(r"[\s_\-]+", term.strip().lower()))


@lru_cache(maxsize=1024)
def _term_pattern(term: str) -> re.Pattern[str]:
    words = normalise_term(term).split(" ")
    return re.compile(r"(?<![\w])" + r"[\s_\-]+".join(re.escape(w) for w in words) + r"(?![\w])", re.IGNORECASE)


_DOTTED_I = str.maketrans({"ı": "i", "İ": "i"})  # re's IGNORECASE equates both with i; casefold() does not


def fold_text(text: str) -> str:
    """`text` case-folded for `names_term`'s quick test: compute it once per text, test many terms."""
    return (text if text.isascii() else text.translate(_DOTTED_I)).casefold()


@lru_cache(maxsize=1024)
def term_anchor(term: str) -> str:
    """The term's first word, case-folded: text that lacks it cannot name the term."""
    return normalise_term(term).split(" ")[0].casefold()


def names_term(text: str, term: str, folded: str | None = None) -> bool:
    """Whole-word, case-insensitive match of a keyword or feature name inside free text.

    A text that does not even contain the term's first word (case-folded) cannot match: that test
    is a substring search, so most (text, term) pairs never reach the regular expression.
    """
    if term_anchor(term) not in (fold_text(text) if folded is None else folded):
        return False
    return _term_pattern(term).search(text) is not None


DEFAULT_CATALOG = Catalog(
    tiers=(
        Tier(id="starter", per_seat_price=400, features=("workflows",)),
        Tier(id="growth", per_seat_price=800, features=("automations", "api")),
        Tier(id="enterprise", per_seat_price=1200, features=("sso", "audit log")),
    ),
    modules=(
        Module(
            id="analytics",
            name="Advanced Reporting",
            annual_price=9000,
            keywords=("dashboards", "reporting"),
            expected_outcome=ExpectedOutcome(metric="hours_saved", value=120, per="year"),
        ),
    ),
    services=Services(multi_year_uplift=0.05, professional_services_price=15000),
    seat_pack=5,
    target_utilisation=0.75,
    discount_authority={"seat_growth": 0.10, "tier_upgrade": 0.05, "cross_sell": 0.05},
    hourly_value=60,
    fiscal_year_start_month=1,
    quarter_end_blackout_days=14,
)
