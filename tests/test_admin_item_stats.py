"""Per-question statistics on a hand-built round: times drawn, % correct, each choice's
share, the discrimination index (upper vs lower 27 %) and the flags, computed by the pure
module and by the database, which must agree to the last digit."""
from __future__ import annotations

import pytest

from portal import item_stats, question_stats
from portal.extensions import db
from portal.item_stats import AnsweredItem, ScoredAttempt, group_size, split_groups
from portal.models import AttemptItem, Choice, Question
from tests.admin_helpers import login_staff
from tests.factories import make_contest
from tests.results_helpers import add_attempt, add_contestant, round_no

# Ten closed attempts. Ties sit on both group edges: a2, a3, a4 all scored 9 (the upper
# group takes a1, a2, a3: ties go to the lower id) and a7..a10 all scored 2 (the lower
# group takes a8, a9, a10).
SCORES = [10, 9, 9, 9, 6, 5, 2, 2, 2, 2]
# question -> {attempt number: chosen letter or None}; a question absent from an attempt
# was not drawn in it. Correct: Q1 A, Q2 B, Q3 C (Q4 is never drawn).
ANSWERS = {
    "Q1": {1: "A", 2: "A", 3: "A", 4: "A", 5: "A", 6: "B", 7: None, 8: "B", 9: "C", 10: "D"},
    "Q2": {1: "A", 2: "A", 3: "A", 4: "A", 6: "B", 8: "B", 9: "B"},
    "Q3": {3: "C", 5: "C", 7: "C", 10: "C"},
}
CORRECT = {"Q1": "A", "Q2": "B", "Q3": "C", "Q4": "D"}


def test_group_size_is_27_percent_rounded_and_never_overlaps():
    assert [group_size(n) for n in (0, 1, 2, 3, 4, 10, 100, 1000)] == [0, 0, 1, 1, 1, 3, 27, 270]


def test_split_groups_breaks_ties_by_attempt_id():
    attempts = [ScoredAttempt(i, s) for i, s in enumerate(SCORES, start=1)]
    upper, lower = split_groups(reversed(attempts))  # input order does not matter
    assert upper == {1, 2, 3} and lower == {8, 9, 10}


def plain_data():
    """The hand-built round as plain values: choice ids are question*10 + letter index."""
    letter_id = {q: {letter: n * 10 + i for i, letter in enumerate("ABCD")} for n, q in enumerate(CORRECT, start=1)}
    attempts = [ScoredAttempt(i, s) for i, s in enumerate(SCORES, start=1)]
    items = [AnsweredItem(a, n, None if letter is None else letter_id[q][letter])
             for n, q in enumerate(CORRECT, start=1) for a, letter in ANSWERS.get(q, {}).items()]
    correct = {n: letter_id[q][CORRECT[q]] for n, q in enumerate(CORRECT, start=1)}
    return attempts, items, correct, letter_id


def check_expected(stats, qid, choice_id):
    q1, q2, q3 = stats[qid("Q1")], stats[qid("Q2")], stats[qid("Q3")]
    assert (q1.drawn, q1.correct, q1.p_correct) == (10, 5, 0.5)
    assert q1.choice_shares == {choice_id("Q1", "A"): 0.5, choice_id("Q1", "B"): 0.2,
                                choice_id("Q1", "C"): 0.1, choice_id("Q1", "D"): 0.1}
    assert q1.unanswered_share == pytest.approx(0.1)
    assert (q1.p_upper, q1.p_lower, q1.discrimination) == (1.0, 0.0, 1.0)
    assert q1.flags == ()
    # Q2: the strong group picks A, the weak one B (the keyed answer): a broken key.
    assert (q2.drawn, q2.correct) == (7, 3)
    assert q2.p_correct == pytest.approx(3 / 7)
    assert (q2.p_upper, q2.p_lower, q2.discrimination) == (0.0, 1.0, -1.0)
    assert q2.flags == ("negative", "distractor")
    # Q3: everybody right: too easy and discriminates nothing.
    assert (q3.drawn, q3.correct, q3.p_correct, q3.discrimination) == (4, 4, 1.0, 0.0)
    assert q3.flags == ("weak", "easy")
    assert qid("Q4") not in stats


def test_pure_statistics_on_the_hand_built_round():
    attempts, items, correct, letter_id = plain_data()
    stats = item_stats.item_statistics(attempts, items, correct, min_sample=1)
    qid = {q: n for n, q in enumerate(CORRECT, start=1)}.__getitem__
    check_expected(stats, qid, lambda q, letter: letter_id[q][letter])


def test_no_flags_below_the_minimum_sample():
    attempts, items, correct, _ = plain_data()
    stats = item_stats.item_statistics(attempts, items, correct)
    assert all(s.flags == () for s in stats.values())


def build_round(contest):
    """The same round in the database, plus attempts that must not count."""
    r1, r2 = round_no(contest, 1), round_no(contest, 2)
    questions = {}
    for q, right in CORRECT.items():
        question = Question(round_id=r1.id, text=f"Câu {q}")
        question.choices = [Choice(position=i, text=f"{q}-{letter}", is_correct=letter == right)
                            for i, letter in enumerate("ABCD")]
        db.session.add(question)
        questions[q] = question
    db.session.flush()
    attempts = {}
    for number, score in enumerate(SCORES, start=1):
        attempts[number] = add_attempt(add_contestant(contest, f"Thí sinh {number}"), r1, score)
    for q, answers in ANSWERS.items():
        for number, letter in answers.items():
            chosen = None if letter is None else questions[q].choices["ABCD".index(letter)].id
            db.session.add(AttemptItem(attempt_id=attempts[number].id, question_id=questions[q].id,
                                       position=len(attempts[number].items) + 1, choice_order=[],
                                       chosen_choice_id=chosen))
            db.session.flush()
            db.session.refresh(attempts[number])
    # Neither an attempt still in progress nor another round's attempt counts.
    running = add_attempt(add_contestant(contest, "Đang thi"), r1, None, status="in_progress")
    other = add_attempt(add_contestant(contest, "Tuần khác"), r2, 10)
    for attempt in (running, other):
        db.session.add(AttemptItem(attempt_id=attempt.id, question_id=questions["Q4"].id, position=1,
                                   choice_order=[], chosen_choice_id=questions["Q4"].choices[0].id))
    db.session.commit()
    return r1, questions


def test_database_statistics_match_the_hand_computed_ones(ctx, clock):
    contest = make_contest()
    r1, questions = build_round(contest)
    stats = question_stats.round_item_stats(r1, min_sample=1)
    assert (stats.attempts, stats.group_size) == (10, 3)
    check_expected(stats.items, lambda q: questions[q].id,
                   lambda q, letter: questions[q].choices["ABCD".index(letter)].id)
    # The cached (JSON) form reads back the same.
    assert question_stats.from_plain(question_stats.as_plain(stats)) == stats


def test_the_statistics_page_lists_every_question_worst_first(client, ctx, clock):
    contest = make_contest()
    _, questions = build_round(contest)
    login_staff(client)
    html = client.get("/admin/questions/stats?round=1").get_data(as_text=True)
    assert "10 lượt thi đã nộp" in html and "mỗi nhóm 3 lượt" in html
    for text in ("Câu Q1", "Câu Q2", "Câu Q3", "Câu Q4"):
        assert text in html
    assert html.index("Câu Q2") < html.index("Câu Q1")  # negative D first
    assert "-1,00" in html and "1,00" in html and "50%" in html
