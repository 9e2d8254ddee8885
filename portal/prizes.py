"""Pure prize allocation: walk a ranking in order and hand out the tiers' prizes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Hashable, Iterable, Sequence, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    count: int
    amount: int
    position: int
    id: int | None = None


def slots(tiers: Sequence[Tier]) -> list[Tier]:
    """One entry per prize to hand out, best tier first."""
    return [tier for tier in sorted(tiers, key=lambda t: t.position) for _ in range(max(tier.count, 0))]


def allocate(candidates: Iterable[tuple[K, bool]], tiers: Sequence[Tier],
             barred: Collection[K] = ()) -> dict[K, Tier]:
    """candidates: (key, eligible) in ranking order. Each eligible key not barred gets
    the next prize until none is left; a key never gets two prizes. Stops reading the
    candidates once every prize is given, so a long ranking costs only its top."""
    remaining = slots(tiers)
    barred = frozenset(barred)
    awards: dict[K, Tier] = {}
    if not remaining:
        return awards
    for key, eligible in candidates:
        if not eligible or key in barred or key in awards:
            continue
        awards[key] = remaining[len(awards)]
        if len(awards) == len(remaining):
            break
    return awards
