"""Saving imported questions into a contest's bank, all-or-nothing."""
from __future__ import annotations

import sqlalchemy as sa

from portal import audit
from portal.extensions import db
from portal.models import Choice, Contest, Question, Round
from portal.question_import import ImportReport, read_table, validate_table


def existing_texts(contest: Contest) -> dict[int, set[str]]:
    rows = db.session.execute(
        sa.select(Round.number, Question.text).join(Question, Question.round_id == Round.id)
        .where(Round.contest_id == contest.id))
    texts: dict[int, set[str]] = {}
    for number, text in rows:
        texts.setdefault(number, set()).add(text)
    return texts


def check_file(contest: Contest, filename: str, data: bytes, round_number: int | None = None) -> ImportReport:
    """Validate a file against the contest (rounds, letters, questions already in the bank)."""
    rows = read_table(filename, data)
    return validate_table(rows, contest.letters, [r.number for r in contest.rounds],
                          round_filter=round_number, existing=existing_texts(contest))


def save_questions(contest: Contest, report: ImportReport, actor: str, filename: str) -> int:
    """Store every question of a clean report in one transaction; returns how many."""
    if not report.ok:
        raise ValueError("refusing to save a report with errors")
    rounds = {r.number: r for r in contest.rounds}
    try:
        for parsed in report.questions:
            question = Question(round_id=rounds[parsed.round].id, text=parsed.text,
                                explanation=parsed.explanation, source=parsed.source)
            question.choices = [Choice(position=i, text=text, is_correct=(i == parsed.answer))
                                for i, text in enumerate(parsed.choices)]
            db.session.add(question)
        per_round: dict[int, int] = {}
        for parsed in report.questions:
            per_round[parsed.round] = per_round.get(parsed.round, 0) + 1
        audit.record(actor, "questions.import", contest,
                     after={"file": filename, "per_round": {str(k): v for k, v in per_round.items()}})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(report.questions)
