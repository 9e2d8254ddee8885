"""The demo contest: seeded from the repo's files, round 1 open today, idempotent."""
import csv
from collections import Counter

import sqlalchemy as sa

from portal.demo import QUESTIONS_DIR
from portal.extensions import db
from portal.models import Block, Choice, Contest, Question, Round, Staff, Unit


def counts():
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Contest, Round, Question, Choice, Block, Unit, Staff)}


def test_seed_twice_creates_everything_once(runner, ctx, clock):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "bantochuc" in first.output
    after_first = counts()
    assert after_first == {"Contest": 1, "Round": 4, "Question": 200, "Choice": 800, "Block": 2,
                           "Unit": after_first["Unit"], "Staff": 1}
    assert after_first["Unit"] >= 11 + 30
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first


def test_round_one_is_open_now_or_on_the_original_dates(runner, ctx, clock):
    from portal.contests import round_status

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    contest = db.session.scalar(sa.select(Contest))
    status = round_status(contest, clock.current)
    assert status.state == "open" and status.round.number == 1
    assert runner.invoke(args=["seed-demo", "--dates", "original"]).exit_code == 0
    db.session.expire_all()
    first = db.session.scalar(sa.select(Round).where(Round.number == 1))
    assert first.opens_at.isoformat() == "2023-07-03T01:00:00+00:00"


def test_demo_bank_files_are_complete_and_sourced():
    for number in (1, 2, 3, 4):
        with open(QUESTIONS_DIR / f"round{number}.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 50
        assert all(row["source"].strip() for row in rows), f"round {number} has a question without source"
        letters = Counter(row["answer"] for row in rows)
        assert set(letters) == set("ABCD") and max(letters.values()) <= 16


def test_sample_participation_is_added_once_and_scored_like_real_attempts(runner, ctx, clock):
    from portal.models import Attempt, AttemptItem, Contestant
    from portal.scoring import score

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    attempts = db.session.scalars(sa.select(Attempt)).all()
    people = db.session.scalar(sa.select(sa.func.count()).select_from(Contestant))
    assert people == 160 and len(attempts) >= people
    assert all(a.started_at < clock.current and a.status == "submitted" for a in attempts)
    sample = attempts[0]
    pairs = [(i.chosen_choice_id, next(c.id for c in i.question.choices if c.is_correct)) for i in sample.items]
    assert sample.score == score(pairs) and len(sample.items) == 10
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == len(attempts)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttemptItem)) == 10 * len(attempts)
