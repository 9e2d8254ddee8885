"""What the embeddable banner shows and who may frame it: sizes, themes, the figures of
the current round (briefly cached) and the origins it may talk to."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from portal import clock
from portal.contest_file import ORIGIN_RE, origin_allowed
from portal.contests import RoundStatus, round_status
from portal.models import Contest
from portal.stats import round_counts

# size key -> (width, height) in CSS pixels; 0 means "as wide as the host allows".
SIZES: dict[str, tuple[int, int]] = {
    "728x90": (728, 90),
    "300x250": (300, 250),
    "320x100": (320, 100),
    "responsive": (0, 160),
}
SIZE_LABELS = {
    "728x90": "728 × 90 (ngang, đầu trang)",
    "300x250": "300 × 250 (khối vuông, cột bên)",
    "320x100": "320 × 100 (ngang nhỏ, điện thoại)",
    "responsive": "Tự co giãn theo chiều rộng",
}
THEMES = {"blue": "Xanh dương", "red": "Đỏ cờ", "light": "Nền sáng"}
DEFAULT_SIZE, DEFAULT_THEME = "300x250", "blue"

# The banner's HTTP max-age plus this server-side reuse must stay within one minute: the
# issue promises figures "at most a minute old".
FIGURES_TTL = timedelta(seconds=25)
HTTP_MAX_AGE = 30

# An origin as browsers send it: scheme, host, optional port; nothing else.
EXACT_ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def choose(value: str | None, allowed, default: str) -> str:
    return value if value in allowed else default


@dataclass(frozen=True)
class BannerFigures:
    status: RoundStatus
    participants: int | None  # None while the shown round has not opened


def banner_figures(contest: Contest) -> BannerFigures:
    """The current round and its participants. The count is reused for FIGURES_TTL so that
    thousands of banner views cost one query; no invalidation is needed because staleness
    is bounded by the TTL, which is all the banner promises."""
    status = round_status(contest)
    if status.round is None or status.state == "upcoming":
        return BannerFigures(status, None)
    cache = current_app.extensions.setdefault("banner_figures", {})
    now = clock.now()
    cached = cache.get(status.round.id)
    if cached is not None and timedelta(0) <= now - cached[0] < FIGURES_TTL:
        return BannerFigures(status, cached[1])
    participants = round_counts(status.round)["participants"]
    cache[status.round.id] = (now, participants)
    return BannerFigures(status, participants)


def frame_ancestors(patterns: list[str]) -> str:
    """CSP frame-ancestors for the banner: the portal itself (the admin preview) and the
    contest's allowed origins. Anything that is not a clean origin pattern is left out, so
    a bad database value can never inject into the header."""
    # fullmatch: ORIGIN_RE ends in "$", which also matches before a trailing newline.
    clean = [p for p in patterns if isinstance(p, str) and ORIGIN_RE.fullmatch(p)]
    return " ".join(["'self'", *clean])


def parent_origin(raw: str | None, patterns: list[str], own_origin: str) -> str | None:
    """The embedding page's origin if the banner may post its height to it, else None."""
    origin = (raw or "").strip()
    if not EXACT_ORIGIN_RE.fullmatch(origin):
        return None
    if origin == own_origin or origin_allowed(origin, patterns):
        return origin
    return None


def deadline_iso(instant: datetime | None) -> str | None:
    """An instant in the form Date.parse() reads in every browser (UTC, with Z)."""
    if instant is None:
        return None
    return clock.ensure_aware(instant).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
