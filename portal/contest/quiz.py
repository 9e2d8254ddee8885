"""Taking an attempt: start or resume, one question at a time, the prediction, review,
submit, result. Every step is a plain form and a redirect; htmx swaps fragments."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import answer_saving, clock
from portal.attribution import current_source
from portal.auth import contestant_required, current_contestant, session_contestant_id
from portal.contest.forms import AnswerForm, EmptyForm, PredictionForm
from portal.contest.views import bp
from portal.contests import portal_contest_or_404
from portal.errors import refuse
from portal.htmx import is_htmx, vary_on_htmx
from portal.models import Attempt
from portal.quiz_service import (QuizRefusal, attempt_for, eligibility, expire_if_overdue, item_at,
                                 question_with_choices, save_answer, save_prediction, start_attempt, submit)
from portal.rate_limits import hit_per_account, limit


def _own_attempt(attempt_id: int) -> tuple[Attempt, object]:
    """The contestant's attempt (404 for anyone else's), closed first if overdue."""
    contest = portal_contest_or_404()
    attempt = attempt_for(current_contestant(), attempt_id)
    if attempt is None or attempt.round.contest_id != contest.id:
        abort(404)
    expire_if_overdue(attempt, contest)
    return attempt, contest


def _timer(attempt: Attempt, contest) -> dict:
    now = clock.now()
    return {"remaining_ms": clock.remaining_ms(attempt.deadline_at, now),
            "deadline": attempt.deadline_at.isoformat(),
            "limit_ms": contest.time_limit_seconds * 1000}


def _first_unanswered(attempt: Attempt) -> int | None:
    return next((item.position for item in attempt.items if item.chosen_choice_id is None), None)


@bp.get("/quiz")
@contestant_required
def quiz_home():
    """Where a contestant sees whether they may start, and why not."""
    contest = portal_contest_or_404()
    decision = eligibility(current_contestant(), contest)
    return render_template("contest/quiz_start.html", decision=decision, form=EmptyForm())


@bp.post("/quiz/start")
@contestant_required
@limit("start", per="account")
def quiz_start():
    contest = portal_contest_or_404()
    if not EmptyForm().validate_on_submit():
        refuse(400, _("Biểu mẫu không hợp lệ."))
    result = start_attempt(current_contestant(), contest, source=current_source())
    if result.attempt is None:
        return render_template("contest/quiz_start.html", decision=result.decision, form=EmptyForm()), 409
    return redirect(url_for("contest.attempt_home", attempt_id=result.attempt.id), code=303)


@bp.get("/quiz/<int:attempt_id>")
@contestant_required
def attempt_home(attempt_id: int):
    attempt, _ = _own_attempt(attempt_id)
    if not attempt.is_open:
        return redirect(url_for("contest.attempt_result", attempt_id=attempt.id))
    position = _first_unanswered(attempt)
    if position is None:
        return redirect(url_for("contest.attempt_review", attempt_id=attempt.id))
    return redirect(url_for("contest.question", attempt_id=attempt.id, position=position))


def _question_page(attempt: Attempt, contest, position: int, status: int = 200, error: str | None = None):
    item = item_at(attempt, position)
    if item is None:
        abort(404)
    question = question_with_choices(item.question_id)
    choices = {c.id: c for c in question.choices}
    context = dict(attempt=attempt, item=item, ordered_choices=[choices[i] for i in item.choice_order],
                   total=len(attempt.items), answered=sum(1 for i in attempt.items if i.chosen_choice_id),
                   timer=_timer(attempt, contest), form=AnswerForm(), error=error)
    template = "contest/_question.html" if is_htmx() else "contest/question.html"
    response = make_response(render_template(template, **context), status)
    if is_htmx():
        response.headers["HX-Push-Url"] = url_for("contest.question", attempt_id=attempt.id, position=position)
    return vary_on_htmx(response)


@bp.get("/quiz/<int:attempt_id>/q/<int:position>")
@contestant_required
def question(attempt_id: int, position: int):
    attempt, contest = _own_attempt(attempt_id)
    if not attempt.is_open:
        return redirect(url_for("contest.attempt_result", attempt_id=attempt.id))
    return _question_page(attempt, contest, position)


def _next_step(attempt_id: int, following: int | None, asks_prediction: bool) -> str:
    """Where a contestant goes after an answer: the next unanswered question (`following`),
    else the prediction (if still to give), else the review."""
    if following is not None:
        return url_for("contest.question", attempt_id=attempt_id, position=following)
    if asks_prediction:
        return url_for("contest.prediction", attempt_id=attempt_id)
    return url_for("contest.attempt_review", attempt_id=attempt_id)


def _after_answer(attempt: Attempt, contest, position: int) -> str:
    """The first unanswered question after `position`, else the first unanswered one
    (answer_saving's statement returns the same two positions)."""
    following = next((i.position for i in attempt.items if i.position > position and i.chosen_choice_id is None),
                     _first_unanswered(attempt))
    return _next_step(attempt.id, following, contest.prediction != "none" and attempt.prediction is None)


@bp.post("/quiz/<int:attempt_id>/q/<int:position>")
def answer(attempt_id: int, position: int):
    """Save one answer (CSRF is checked for every POST before any view). The common case
    is one statement (portal/answer_saving.py); anything it does not write goes through
    the full checks below, which save it or say why not."""
    hit_per_account("answer")
    contestant_id = session_contestant_id()
    choice_id = answer_saving.parse_choice(request.form.get("choice"))
    if contestant_id is not None and choice_id is not None:
        saved = answer_saving.try_save(contestant_id, attempt_id, position, choice_id, clock.now())
        if saved is not None:
            return _after_saved(saved)
    return _answer_checked(attempt_id, position)


@contestant_required
def _answer_checked(attempt_id: int, position: int):
    attempt, contest = _own_attempt(attempt_id)
    answer_saving.remember_grace(contest)
    if not AnswerForm().validate_on_submit():
        refuse(400, _("Biểu mẫu không hợp lệ."))
    try:
        save_answer(attempt, contest, position, request.form.get("choice"))
    except QuizRefusal as refusal:
        if refusal.status == 400 and item_at(attempt, position) is not None and attempt.is_open:
            return _question_page(attempt, contest, position, status=400, error=refusal.message)
        refuse(refusal.status, refusal.message)
    target = _after_answer(attempt, contest, position)
    if is_htmx():
        # The next step as a fragment, without a second round trip.
        return _next_fragment(attempt, contest, target)
    return redirect(target, code=303)


@dataclass(frozen=True)
class _AttemptView:
    """What the question fragment reads of an attempt and an item (the ORM objects have
    the same attributes), for a fragment rendered from answer_saving's plain rows."""
    id: int
    items: list


@dataclass(frozen=True)
class _ItemView:
    position: int
    chosen_choice_id: int | None
    question: object


def _after_saved(saved: answer_saving.SavedAnswer):
    following = saved.next_after if saved.next_after is not None else saved.first_unanswered
    asks = saved.contest_prediction != "none" and not saved.prediction_given
    target = _next_step(saved.attempt_id, following, asks)
    if not is_htmx():
        return redirect(target, code=303)
    if following is None:
        return _redirect_fragment(target)
    shown = answer_saving.fragment_for(saved.attempt_id, following)
    chosen = next(i.chosen_choice_id for i in shown.items if i.position == following)
    response = make_response(render_template(
        "contest/_question.html", attempt=_AttemptView(saved.attempt_id, shown.items),
        item=_ItemView(following, chosen, SimpleNamespace(text=shown.text)), ordered_choices=shown.choices,
        total=len(shown.items), answered=sum(1 for i in shown.items if i.chosen_choice_id),
        prediction_kind=saved.contest_prediction, error=None))
    response.headers["HX-Push-Url"] = target
    return vary_on_htmx(response)


def _next_fragment(attempt: Attempt, contest, target: str):
    next_position = _position_in(target, attempt.id)
    if next_position is not None:
        return _question_page(attempt, contest, next_position)
    return _redirect_fragment(target)


def _redirect_fragment(target: str):
    response = make_response("", 204)
    response.headers["HX-Redirect"] = target
    return vary_on_htmx(response)


def _question_prefix(attempt_id: int) -> str:
    """An attempt's question URLs without the position ("/quiz/7/q/")."""
    return url_for("contest.question", attempt_id=attempt_id, position=0)[:-1]


@bp.app_template_global()
def question_urls(attempt_id: int):
    """A question's URL by position, with url_for run once: the quiz navigation links every
    question of the attempt twice (href and hx-get), on every answer's fragment."""
    prefix = _question_prefix(attempt_id)
    return lambda position: f"{prefix}{position}"


def _position_in(url: str, attempt_id: int) -> int | None:
    prefix = _question_prefix(attempt_id)
    tail = url[len(prefix):] if url.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


@bp.route("/quiz/<int:attempt_id>/prediction", methods=["GET", "POST"])
@contestant_required
def prediction(attempt_id: int):
    if request.method == "POST":
        hit_per_account("answer")  # the same counter as the answers
    attempt, contest = _own_attempt(attempt_id)
    if contest.prediction == "none":
        abort(404)
    if not attempt.is_open:
        return redirect(url_for("contest.attempt_result", attempt_id=attempt.id))
    form = PredictionForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            refuse(400, _("Biểu mẫu không hợp lệ."))
        try:
            save_prediction(attempt, contest, form.prediction.data)
        except QuizRefusal as refusal:
            if refusal.status != 400:
                refuse(refusal.status, refusal.message)
            error = refusal.message
        else:
            return redirect(url_for("contest.attempt_review", attempt_id=attempt.id), code=303)
    elif attempt.prediction is not None:
        form.prediction.data = str(attempt.prediction)
    return render_template("contest/prediction.html", attempt=attempt, form=form, error=error,
                           timer=_timer(attempt, contest), total=len(attempt.items),
                           answered=sum(1 for i in attempt.items if i.chosen_choice_id)), (400 if error else 200)


@bp.get("/quiz/<int:attempt_id>/review")
@contestant_required
def attempt_review(attempt_id: int):
    attempt, contest = _own_attempt(attempt_id)
    if not attempt.is_open:
        return redirect(url_for("contest.attempt_result", attempt_id=attempt.id))
    unanswered = [i.position for i in attempt.items if i.chosen_choice_id is None]
    return render_template("contest/review.html", attempt=attempt, unanswered=unanswered, form=EmptyForm(),
                           timer=_timer(attempt, contest), total=len(attempt.items),
                           answered=len(attempt.items) - len(unanswered))


@bp.post("/quiz/<int:attempt_id>/submit")
@contestant_required
def attempt_submit(attempt_id: int):
    attempt, contest = _own_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        refuse(400, _("Biểu mẫu không hợp lệ."))
    try:
        submit(attempt, contest)
    except QuizRefusal as refusal:
        refuse(refusal.status, refusal.message)
    flash(_("Bài thi đã được nộp."), "success")
    target = url_for("contest.attempt_result", attempt_id=attempt.id)
    if is_htmx():
        return _redirect_fragment(target)
    return redirect(target, code=303)


@bp.get("/quiz/<int:attempt_id>/result")
@contestant_required
def attempt_result(attempt_id: int):
    attempt, contest = _own_attempt(attempt_id)
    if attempt.is_open:
        return redirect(url_for("contest.attempt_home", attempt_id=attempt.id))
    # The answer key only after the round is finalized, and only if the contest publishes it.
    show_key = attempt.round.is_final and contest.publish_answer_key
    return render_template("contest/result.html", attempt=attempt, total=len(attempt.items), show_key=show_key)
