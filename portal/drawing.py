"""Drawing an attempt's questions and ordering their choices (the server's randomness)."""
from __future__ import annotations

import random
from typing import Sequence

_system_random = random.SystemRandom()


def draw_questions(pool: Sequence[int], count: int, rng: random.Random | None = None) -> list[int]:
    """`count` distinct question ids, uniformly at random, in a random order."""
    if count > len(set(pool)):
        raise ValueError(f"pool of {len(set(pool))} cannot give {count} distinct questions")
    return (rng or _system_random).sample(sorted(set(pool)), count)


def order_choices(choice_ids: Sequence[int], shuffle: bool, rng: random.Random | None = None) -> list[int]:
    ids = list(choice_ids)
    if shuffle:
        (rng or _system_random).shuffle(ids)
    return ids
