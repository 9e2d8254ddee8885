"""Embedding sites: the snippet a webmaster pastes, the list of origins allowed to frame
the banner, and what each site brought in (visits, registrations, attempts)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import escape

from portal.attribution import visits_by_site
from portal.contest_file import ORIGIN_RE
from portal.extensions import db
from portal.models import Attempt, Contest, Contestant, Round

MAX_ORIGINS = 200


def snippet_html(base_url: str, size: str, theme: str, src: str | None, title: str) -> str:
    """The HTML a webmaster pastes: the loader tag and a link for browsers without script."""
    base = base_url.rstrip("/")
    attrs = {"src": f"{base}/embed.js", "data-size": size, "data-theme": theme}
    if src:
        attrs["data-src"] = src
    attrs["data-title"] = title
    script = "<script async " + " ".join(f'{name}="{escape(value)}"' for name, value in attrs.items()) + "></script>"
    link = f"{base}/" + (f"?src={src}" if src else "")
    fallback = (f'<noscript><a href="{escape(link)}" target="_blank" rel="noopener">'
                f"Tham gia {escape(title)}</a></noscript>")
    return f"{script}\n{fallback}"


def parse_origins(text: str) -> tuple[list[str], list[str]]:
    """One origin per line, as moderators paste them: returns (origins, problems). A
    trailing slash and capitals are forgiven; a path, a query or a bare '*' is not."""
    origins: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        raw = line.strip()
        if not raw:
            continue
        value = raw.lower().removesuffix("/")
        if not ORIGIN_RE.fullmatch(value):
            problems.append(f"Dòng {number}: “{raw}” không phải nguồn hợp lệ. Ghi dạng "
                            "https://tentrang.langson.gov.vn hoặc https://*.langson.gov.vn, "
                            "không kèm đường dẫn.")
        elif value not in origins:
            origins.append(value)
    if len(origins) > MAX_ORIGINS:
        problems.append(f"Tối đa {MAX_ORIGINS} nguồn; hãy dùng mẫu có dấu * cho cả một tên miền.")
    return origins, problems


@dataclass(frozen=True)
class SiteRow:
    key: str
    visits: int
    registrations: int
    attempts: int


def site_report(contest: Contest) -> list[SiteRow]:
    """Per embedding site (the ?src= key): visits, contestants registered, attempts made."""
    visits = visits_by_site(contest)
    registrations = dict(db.session.execute(
        sa.select(Contestant.source, sa.func.count())
        .where(Contestant.contest_id == contest.id, Contestant.source.is_not(None))
        .group_by(Contestant.source)).all())
    attempts = dict(db.session.execute(
        sa.select(Attempt.source, sa.func.count())
        .join(Round, Attempt.round_id == Round.id)
        .where(Round.contest_id == contest.id, Attempt.source.is_not(None))
        .group_by(Attempt.source)).all())
    rows = [SiteRow(key, visits.get(key, 0), registrations.get(key, 0), attempts.get(key, 0))
            for key in set(visits) | set(registrations) | set(attempts)]
    return sorted(rows, key=lambda r: (-r.visits, -r.registrations, -r.attempts, r.key))
