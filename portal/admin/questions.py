"""Ngân hàng câu hỏi: the bank per round with search and filters, one question's form,
switching a question off, import with a preview of every bad row, export, the template
file, and per-question statistics."""
from __future__ import annotations

import io
from pathlib import PurePath

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm import selectinload

from portal import audit, cache, clock, item_stats, question_stats, upload_store
from portal.admin.forms import (ConfirmUploadForm, EmptyForm, QuestionFilterForm, QuestionImportForm, options,
                                question_form_class)
from portal.admin.views import (actor, arg_int, bp, client_ip, confirmed_upload, no_contest, page_or_fragment,
                                upload_dir)
from portal.auth import safe_next
from portal.contests import portal_contest
from portal.extensions import db
from portal.htmx import is_htmx, vary_on_htmx
from portal.models import Contest, Question, Round
from portal.question_bank import check_file, save_questions
from portal.question_editing import QuestionError, save_question, set_active, times_drawn
from portal.question_export import BankRow, bank_workbook, template_workbook
from portal.question_import import UnreadableFile

PAGE_SIZE = 50
PREVIEW_ROWS = 100
STATS_TTL = 300  # seconds: statistics of a busy round are recomputed at most every 5 minutes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



def _round_choices(contest: Contest, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(r.number), f"Tuần {r.number}") for r in contest.rounds]


def _question_or_404(contest: Contest, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or db.session.get(Round, question.round_id).contest_id != contest.id:
        abort(404)
    return question


def _filtered(contest: Contest, form: QuestionFilterForm) -> sa.Select:
    query = sa.select(Question).join(Round, Round.id == Question.round_id).where(Round.contest_id == contest.id)
    if form.round.data:
        query = query.where(Round.number == int(form.round.data))
    if form.state.data == "active":
        query = query.where(Question.active.is_(True))
    elif form.state.data == "inactive":
        query = query.where(Question.active.is_(False))
    if form.q.data:
        query = query.where(Question.text.ilike(f"%{form.q.data}%"))
    return query


def _filter_form(contest: Contest) -> QuestionFilterForm:
    form = QuestionFilterForm(request.args)
    form.round.choices = options(_round_choices(contest, "Tất cả các tuần"))
    if not form.validate():
        form = QuestionFilterForm(formdata=None)
        form.round.choices = options(_round_choices(contest, "Tất cả các tuần"))
    return form


@bp.get("/questions")
def questions():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = _filter_form(contest)
    query = _filtered(contest, form)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = arg_int("page", 1)
    items = db.session.scalars(query.options(selectinload(Question.choices))
                               .order_by(Round.number, Question.id)
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    numbers = {r.id: r.number for r in contest.rounds}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    context = dict(form=form, items=items, total=total, page=page, numbers=numbers, args=args,
                   pages=max(1, -(-total // PAGE_SIZE)), toggle_form=EmptyForm())
    return page_or_fragment("admin/questions.html", "admin/_question_results.html", **context)


def _form_for(contest: Contest, question: Question | None):
    form_class = question_form_class(contest.letters)
    if question is not None and request.method == "GET":
        correct = question.correct_choice
        data = {"round": question.round_id, "text": question.text, "explanation": question.explanation,
                "source": question.source, "active": question.active,
                "answer": contest.letters[correct.position] if correct else None}
        data.update({f"choice_{contest.letters[c.position]}": c.text for c in question.choices
                     if c.position < len(contest.letters)})
        form = form_class(data=data)
    else:
        form = form_class()
        if question is None and request.method == "GET" and arg_int("round"):
            round_ = contest.round_by_number(arg_int("round"))
            form.round.data = round_.id if round_ else None
    form.round.choices = options([(r.id, f"Tuần {r.number}") for r in contest.rounds])
    return form


@bp.route("/questions/new", methods=["GET", "POST"], defaults={"question_id": None})
@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def question_edit(question_id: int | None):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    question = _question_or_404(contest, question_id) if question_id is not None else None
    form = _form_for(contest, question)
    if form.validate_on_submit():
        letters = contest.letters
        try:
            saved = save_question(contest, question, db.session.get(Round, form.round.data), form.text.data,
                                  [form[f"choice_{letter}"].data for letter in letters],
                                  letters.index(form.answer.data), form.explanation.data or "",
                                  form.source.data or "", form.active.data, actor(), client_ip())
        except QuestionError as exc:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
        else:
            flash("Đã lưu câu hỏi.", "success")
            number = db.session.get(Round, saved.round_id).number
            return redirect(url_for("admin.questions", round=number))
    status = 400 if form.is_submitted() else 200
    drawn = times_drawn(question) if question is not None else 0
    return render_template("admin/question_form.html", form=form, question=question, drawn=drawn), status


@bp.post("/questions/<int:question_id>/active")
def question_toggle(question_id: int):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    question = _question_or_404(contest, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if set_active(question, active, actor(), client_ip()) and not is_htmx():
        flash("Đã bật câu hỏi." if active else "Đã tắt câu hỏi: câu này không còn được rút vào lượt thi mới.", "success")
    if is_htmx():
        numbers = {r.id: r.number for r in contest.rounds}
        return vary_on_htmx(make_response(render_template(
            "admin/_question_row.html", item=question, numbers=numbers, toggle_form=EmptyForm(),
            back=request.form.get("next", ""))))
    return vary_on_htmx(redirect(safe_next(request.form.get("next"), url_for("admin.questions"))))


# --- import ------------------------------------------------------------------------------

def _import_form(contest: Contest) -> QuestionImportForm:
    form = QuestionImportForm()
    form.round.choices = options(_round_choices(contest, "Theo cột round trong tệp"))
    return form


def _per_round(report) -> dict[int, int]:
    counts: dict[int, int] = {}
    for q in report.questions:
        counts[q.round] = counts.get(q.round, 0) + 1
    return dict(sorted(counts.items()))


def _render_preview(form, report, filename: str, token: str | None = None, digest: str | None = None,
                    status: int = 200):
    confirm = ConfirmUploadForm(data={"token": token, "digest": digest}) if token else None
    return render_template("admin/question_import.html", form=form, report=report, filename=filename,
                           per_round=_per_round(report) if report else {}, confirm=confirm,
                           preview_rows=PREVIEW_ROWS), status


@bp.route("/questions/import", methods=["GET", "POST"])
def questions_import():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = _import_form(contest)
    if not form.validate_on_submit():
        return _render_preview(form, None, "", status=400 if form.is_submitted() else 200)
    upload = form.file.data
    filename = PurePath(upload.filename or "").name[:200]
    data = upload.read()
    round_number = int(form.round.data) if form.round.data else None
    try:
        report = check_file(contest, filename, data, round_number)
    except UnreadableFile as exc:
        form.file.errors = [*form.file.errors, str(exc)]
        return _render_preview(form, None, filename, status=400)
    if not report.ok:
        return _render_preview(form, report, filename, status=400)
    token, digest = upload_store.save(upload_dir(), data, {
        "contest_id": contest.id, "filename": filename, "round": round_number, "kind": "questions"})
    return _render_preview(form, report, filename, token, digest)


@bp.post("/questions/import/confirm")
def questions_import_confirm():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    kept = confirmed_upload(contest, "questions")
    if kept is None:
        return redirect(url_for("admin.questions_import"))
    data, meta, token = kept
    # Checked again: the bank may have changed since the preview.
    report = check_file(contest, meta["filename"], data, meta.get("round"))
    if not report.ok:
        return _render_preview(_import_form(contest), report, meta["filename"], status=409)
    count = save_questions(contest, report, actor(), meta["filename"])
    upload_store.discard(upload_dir(), token)
    flash(f"Đã nhập {count} câu hỏi từ tệp {meta['filename']}.", "success")
    return redirect(url_for("admin.questions"))


# --- export, template ----------------------------------------------------------------------

@bp.get("/questions/export")
def questions_export():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = _filter_form(contest)
    query = _filtered(contest, form).add_columns(Round.number).options(selectinload(Question.choices))
    rows = []
    for question, number in db.session.execute(query.order_by(Round.number, Question.id)):
        correct = question.correct_choice
        rows.append(BankRow(number, question.text, [c.text for c in question.choices],
                            correct.position if correct else None, question.explanation, question.source))
    # The file holds the answer key: who took it, and when, is worth knowing.
    audit.record(actor(), "questions.export", contest,
                 after={"round": form.round.data or None, "state": form.state.data or None,
                        "search": form.q.data or None, "questions": len(rows)}, ip=client_ip())
    db.session.commit()
    suffix = f"-tuan-{form.round.data}" if form.round.data else ""
    return send_file(io.BytesIO(bank_workbook(contest.letters, rows)), mimetype=XLSX, as_attachment=True,
                     download_name=f"ngan-hang-cau-hoi-{contest.slug}{suffix}.xlsx")


@bp.get("/questions/template.xlsx")
def questions_template():
    contest = portal_contest()
    letters = contest.letters if contest is not None else "ABCD"
    return send_file(io.BytesIO(template_workbook(letters)), mimetype=XLSX, as_attachment=True,
                     download_name="mau-ngan-hang-cau-hoi.xlsx")


# --- statistics ----------------------------------------------------------------------------

def _stats(round_: Round) -> question_stats.RoundItemStats:
    key = f"admin:item-stats:{round_.id}"
    plain = cache.get_or_set(key, lambda: question_stats.as_plain(question_stats.round_item_stats(round_)),
                             STATS_TTL)
    return question_stats.from_plain(plain)


@bp.get("/questions/stats")
def questions_stats():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    number = arg_int("round")
    round_ = contest.round_by_number(number) if number else None
    if round_ is None:
        opened = [r for r in contest.rounds if r.opens_at <= clock.now()]
        round_ = opened[-1] if opened else (contest.rounds[0] if contest.rounds else None)
    if round_ is None:
        abort(404)
    stats = _stats(round_)
    items = db.session.scalars(sa.select(Question).where(Question.round_id == round_.id)
                               .options(selectinload(Question.choices)).order_by(Question.id)).all()

    def order(question: Question) -> tuple:
        s = stats.items.get(question.id)
        if s is None:
            return (2, 0.0, question.id)
        d = s.discrimination if s.discrimination is not None else 9.0
        return (0 if s.flags else 1, d, question.id)

    return render_template("admin/question_stats.html", round=round_, stats=stats,
                           items=sorted(items, key=order), flag_text=item_stats.FLAG_TEXT,
                           min_sample=item_stats.MIN_SAMPLE)
