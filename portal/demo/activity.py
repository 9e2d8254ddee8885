"""Sample participation for the demo, so a moderator trying the portal sees a live round:
contestants with made-up names and numbers from a reserved-looking range, attempts earlier in
the open round, scored like real ones. Deterministic (fixed seed); added once."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from portal import clock, scoring, stats
from portal.drawing import draw_questions, order_choices
from portal.extensions import db
from portal.models import Attempt, AttemptItem, Choice, Contest, Contestant, Question, Unit

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Hà", "Vi", "Nông", "Lương", "Hoàng", "Lăng", "Triệu", "Chu", "Mã", "Lục"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Hải", "Bích"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hạnh", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam", "Nga",
         "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vân", "Yến", "Khánh", "Hiếu"]
PHONE_PREFIX = "0399"  # every demo number starts 0399 99x xxx: easy to spot, easy to delete


def add_activity(contest: Contest, people: int = 160, seed: int = 2023) -> int:
    """Attempts in round 1 before now; nothing if the demo already has contestants."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Contestant).where(Contestant.contest_id == contest.id)):
        return 0
    now = clock.now()
    rnd = contest.round_by_number(1)
    if rnd is None or now <= rnd.opens_at + timedelta(minutes=30):
        return 0
    rng = random.Random(seed)
    units = list(db.session.scalars(sa.select(Unit).where(Unit.contest_id == contest.id, Unit.active.is_(True))))
    pool = list(db.session.scalars(sa.select(Question.id).where(Question.round_id == rnd.id, Question.active.is_(True))))
    if len(pool) < contest.questions_per_attempt or not units:
        return 0
    choices: dict[int, list[tuple[int, bool]]] = {}
    for qid, cid, correct in db.session.execute(sa.select(Choice.question_id, Choice.id, Choice.is_correct)
                                                .where(Choice.question_id.in_(pool)).order_by(Choice.position)):
        choices.setdefault(qid, []).append((cid, correct))
    password = Contestant(password_hash="")
    password.set_password(f"demo-{rng.random()}")  # nobody can log in as a sample contestant
    span = (now - timedelta(minutes=15) - rnd.opens_at).total_seconds()
    made = 0
    for index in range(people):
        person = Contestant(
            contest_id=contest.id, phone=f"{PHONE_PREFIX}99{index:04d}", password_hash=password.password_hash,
            full_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            birth_year=rng.randint(1965, 2004), unit_id=rng.choice(units).id, consent_at=rnd.opens_at,
            consent_version="demo", public_consent=rng.random() < 0.8, public_consent_at=rnd.opens_at,
            created_at=rnd.opens_at, source=rng.choice([None, None, "so-tttt", "huyen-van-lang", "bao-lang-son"]))
        db.session.add(person)
        db.session.flush()
        skill = rng.uniform(0.45, 0.95)
        days: set = set()
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            started = rnd.opens_at + timedelta(seconds=rng.uniform(0, span))
            day = clock.local_day(started, contest.timezone)
            if day in days:
                continue
            days.add(day)
            made += _attempt(contest, rnd, person, started, day, pool, choices, skill, rng)
    db.session.flush()
    stats.recount([rnd.id])  # written directly, not closed one by one
    db.session.commit()
    return made


def _attempt(contest, rnd, person, started, day, pool, choices, skill, rng) -> int:
    drawn = draw_questions(pool, contest.questions_per_attempt, rng)
    duration_s = rng.uniform(95, contest.time_limit_seconds - 5)
    closed = started + timedelta(seconds=duration_s)
    attempt = Attempt(contestant_id=person.id, round_id=rnd.id, local_day=day, day_seq=1, started_at=started,
                      deadline_at=started + timedelta(seconds=contest.time_limit_seconds), submitted_at=closed,
                      status="submitted", prediction=rng.choice([None, rng.randint(500, 5000)]), source=person.source)
    pairs = []
    for position, qid in enumerate(drawn, start=1):
        ids = [cid for cid, _ in choices[qid]]
        right = next(cid for cid, correct in choices[qid] if correct)
        chosen = right if rng.random() < skill else rng.choice([c for c in ids if c != right])
        attempt.items.append(AttemptItem(position=position, question_id=qid, choice_order=order_choices(ids, True, rng),
                                         chosen_choice_id=chosen,
                                         answered_at=started + timedelta(seconds=duration_s * position / 11)))
        pairs.append((chosen, right))
    attempt.score = scoring.score(pairs)
    attempt.duration_ms = scoring.counted_duration_ms(started, closed, contest.time_limit_seconds)
    db.session.add(attempt)
    return 1
