"""The demo contest (Lạng Sơn 2023): its contest file and question bank live beside this module."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from portal import clock
from portal.contest_file import parse_contest_file
from portal.contest_setup import apply_contest_spec
from portal.extensions import db
from portal.models import Contest, Question, Staff
from portal.question_bank import check_file, save_questions

HERE = Path(__file__).resolve().parent
CONTEST_FILE = HERE / "contest.toml"
QUESTIONS_DIR = HERE / "questions"


def relay_rounds(spec, instant: datetime) -> None:
    """Move the file's rounds so that round 1 is open at `instant` (weeks kept weekly)."""
    tz = spec.settings["timezone"]
    windows = clock.demo_windows(instant, len(spec.rounds), tz)
    for data, window in zip(sorted(spec.rounds, key=lambda r: r["number"]), windows):
        data["opens_at"], data["closes_at"] = window.opens_at, window.closes_at


def seed_demo(dates: str = "today", actor: str = "cli:seed-demo", activity: bool = True) -> dict:
    """Create or update the demo contest; import each round's questions once; add sample
    participation in round 1 once (when it is open now); return counts."""
    spec = parse_contest_file(CONTEST_FILE.read_text(encoding="utf-8"))
    if dates == "today":
        relay_rounds(spec, clock.now())
    contest, created = apply_contest_spec(spec, actor)
    imported = 0
    for path in sorted(QUESTIONS_DIR.glob("round*.csv")):
        number = int(path.stem.removeprefix("round"))
        rnd = contest.round_by_number(number)
        has_any = db.session.scalar(sa.select(sa.func.count()).select_from(Question).where(Question.round_id == rnd.id))
        if has_any:
            continue
        report = check_file(contest, path.name, path.read_bytes(), number)
        if not report.ok:
            raise ValueError(f"{path.name}: {report.errors[:5]}")
        imported += save_questions(contest, report, actor, path.name)
    attempts = 0
    if activity and dates == "today":
        from portal.demo.activity import add_activity

        attempts = add_activity(contest)
    return {"contest": contest, "created": created, "imported": imported, "sample_attempts": attempts}


def ensure_demo_staff(username: str, password: str) -> bool:
    """The demo's moderator login, created once and never overwritten. True while that
    account still has the demo password (so it is worth printing)."""
    staff = db.session.scalar(sa.select(Staff).where(Staff.username == username))
    if staff is None:
        staff = Staff(username=username, full_name="Ban Tổ chức (tài khoản mẫu)", role="admin")
        staff.set_password(password)
        db.session.add(staff)
        db.session.commit()
    return staff.active and staff.check_password(password)


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Contest)) == 0


__all__ = ["seed_demo", "ensure_demo_staff", "database_is_empty"]
