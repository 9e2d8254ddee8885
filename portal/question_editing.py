"""Creating, editing and switching off single questions of the bank (the admin form), with
the same rules as the import: every choice filled, no two alike, exactly one correct."""
from __future__ import annotations

import sqlalchemy as sa

from portal import audit
from portal.extensions import db
from portal.models import AttemptItem, Choice, Contest, Question, Round


class QuestionError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def times_drawn(question: Question) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AttemptItem)
                             .where(AttemptItem.question_id == question.id)) or 0


def snapshot(question: Question) -> dict:
    correct = question.correct_choice
    return {"round_id": question.round_id, "text": question.text, "choices": [c.text for c in question.choices],
            "answer": correct.position if correct else None, "explanation": question.explanation,
            "source": question.source, "active": question.active}


def _duplicate(round_id: int, text: str, question_id: int | None) -> bool:
    query = sa.select(Question.id, Question.text).where(Question.round_id == round_id)
    wanted = text.casefold()
    return any(t.casefold() == wanted and qid != question_id for qid, t in db.session.execute(query))


def save_question(contest: Contest, question: Question | None, round_: Round, text: str, choices: list[str],
                  answer: int, explanation: str, source: str, active: bool, actor: str,
                  ip: str | None = None) -> Question:
    """Create (question None) or update; raises QuestionError(field, message)."""
    if round_.contest_id != contest.id:
        raise QuestionError("round", "Tuần thi không thuộc cuộc thi này.")
    if len(choices) != contest.choices_per_question or not 0 <= answer < len(choices):
        raise QuestionError("answer", "Đáp án không hợp lệ.")
    if _duplicate(round_.id, text, question.id if question else None):
        raise QuestionError("text", "Câu hỏi này đã có trong ngân hàng của tuần.")
    created = question is None
    if not created and len(question.choices) != len(choices):
        raise QuestionError("answer", "Câu hỏi này có số phương án khác với cài đặt hiện tại của cuộc thi.")
    before = None if created else snapshot(question)
    if not created and question.round_id != round_.id and times_drawn(question):
        raise QuestionError("round", "Câu hỏi đã được rút vào lượt thi nên không chuyển sang tuần khác được.")
    if created:
        question = Question(round_id=round_.id, text=text)
        question.choices = [Choice(position=i, text=t, is_correct=False) for i, t in enumerate(choices)]
        db.session.add(question)
    question.round_id, question.text = round_.id, text
    question.explanation, question.source, question.active = explanation, source, active
    for choice in question.choices:
        choice.text = choices[choice.position]
        choice.is_correct = False
    # The database allows one correct choice per question: clear first, then mark.
    db.session.flush()
    question.choices[answer].is_correct = True
    db.session.flush()
    after = snapshot(question)
    if after != before:
        audit.record(actor, "question.create" if created else "question.update", question,
                     before=before, after=after, ip=ip)
    db.session.commit()
    return question


def set_active(question: Question, active: bool, actor: str, ip: str | None = None) -> bool:
    if question.active == active:
        return False
    question.active = active
    audit.record(actor, "question.activate" if active else "question.deactivate", question,
                 before={"active": not active}, after={"active": active}, ip=ip)
    db.session.commit()
    return True
