"""The thirteen kinds of demo account, and account 1 pinned by hand (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Growth = Literal["grow", "flat", "shrink"]
Renewal = Literal["outside", "edge", "long", "any", "boundary"]


@dataclass(frozen=True)
class Archetype:
    """The shape of one kind of account; tuples are variants rotated by occurrence."""

    name: str
    segments: tuple[str, ...] = ("smb", "mid_market", "smb", "enterprise", "mid_market")
    tiers: tuple[str, ...] = ("starter", "growth", "enterprise")
    util: tuple[float, float] = (0.4, 0.7)
    health: tuple[tuple[int, int], ...] = ((72, 90),)
    trends: tuple[str, ...] = ("flat", "up")
    employees: tuple[Growth, ...] = ("flat",)
    revenue: tuple[Growth, ...] = ("grow",)
    renewal: Renewal = "outside"
    outcome: tuple[str, ...] = ("recent",)  # recent | old | none | boundary
    nps: tuple[str, ...] = ("passive",)  # promoter | passive | detractor | old_detractor | old_promoter | flip | ...
    champion: tuple[str, ...] = ("engaged",)  # engaged | stale | left | boundary
    recent_contact: tuple[bool, ...] = (True,)
    topic: str = "none"  # none | module | tier_feature | team | old_module
    sharers: int = 0
    new_dept: bool = False
    geo: bool = False
    gate_hits: tuple[int, int] = (0, 0)
    blocker: bool = False
    usage: bool = True


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "seat_crunch",
        util=(0.86, 1.0),
        health=((75, 95),),
        employees=("grow",),
        renewal="any",
        nps=("promoter",),
        topic="team",
        sharers=2,
        new_dept=True,
    ),
    Archetype(
        "tier_upgrade",
        tiers=("starter", "growth"),
        util=(0.45, 0.75),
        employees=("grow", "flat"),
        nps=("old_promoter",),
        topic="tier_feature",
        gate_hits=(3, 8),
    ),
    Archetype(
        "cross_sell",
        util=(0.4, 0.7),
        employees=("flat", "shrink"),
        revenue=("grow", "flat"),
        nps=("flip",),
        topic="module",
    ),
    Archetype("geo_expansion", util=(0.4, 0.7), geo=True),
    Archetype("multi_year", util=(0.4, 0.7), revenue=("flat", "shrink"), renewal="edge", outcome=("recent", "old")),
    Archetype(
        "adoption_help",
        util=(0.2, 0.5),
        health=((55, 80),),
        trends=("flat",),
        employees=("shrink", "flat"),
        revenue=("flat", "shrink"),
        renewal="long",
        outcome=("none", "old"),
        nps=("none", "passive"),
        topic="old_module",
    ),
    Archetype(
        "one_seat_team",
        segments=("smb",),
        tiers=("starter",),
        util=(2.0, 5.0),
        revenue=("grow",),
        outcome=("none", "recent"),
        nps=("promoter", "passive"),
    ),
    Archetype(
        "at_risk",
        util=(0.15, 0.45),
        health=((25, 49), (50, 69)),
        trends=("down",),
        employees=("shrink",),
        revenue=("shrink",),
        renewal="any",
        outcome=("none", "old"),
        nps=("detractor", "old_detractor"),
        champion=("left",),
        recent_contact=(True, False),
        blocker=True,
    ),
    Archetype(
        "stale_champion",
        util=(0.55, 0.78),
        health=((72, 88),),
        trends=("flat",),
        outcome=("none", "old"),
        nps=("none",),
        champion=("stale",),
        recent_contact=(False,),
        renewal="any",
    ),
    Archetype("blocked_growth", util=(0.8, 0.9), health=((70, 82),), trends=("flat",), sharers=1, blocker=True),
    Archetype(
        "boundary",
        segments=("mid_market",),
        tiers=("starter", "growth"),
        util=(0.79, 0.80),
        health=((70, 70),),
        trends=("flat",),
        revenue=("flat",),
        renewal="boundary",
        outcome=("boundary",),
        nps=("boundary",),
        champion=("boundary",),
        gate_hits=(2, 2),
    ),
    Archetype("recovering", util=(0.5, 0.7), health=((50, 69),), trends=("up",), revenue=("flat",), new_dept=True),
    Archetype(
        "dormant",
        util=(0.0, 0.0),
        health=((15, 40),),
        trends=("down",),
        employees=("shrink",),
        revenue=("flat",),
        renewal="any",
        outcome=("none",),
        nps=("old_detractor",),
        champion=("left", "stale"),
        recent_contact=(False,),
        usage=False,
    ),
)
RENEWAL_EDGES = (59, 60, 120, 121, 90, 150, 175, 30)
ACME: dict[str, Any] = {  # account 1, the walkthrough account: a clear priority seat_growth case
    "segment": "mid_market",
    "region": "NA",
    "currency": "USD",
    "tier": "growth",
    "products": ["analytics"],
    "seats": 40,
    "active": 37,
    "health": 86,
    "trend": "up",
    "integrations": 5,
    "employees": (320, 410),
    "revenue": (48_000_000, 61_500_000),
}
