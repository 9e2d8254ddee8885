"""Đơn vị: units with their headcounts and registrations, editing a unit or a block, and
importing a unit list (.xlsx/.csv) with a preview of every bad row."""
from __future__ import annotations

from pathlib import PurePath

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for

from portal import audit, upload_store
from portal.admin.forms import (BlockForm, ConfirmUploadForm, UnitFilterForm, UnitForm, UploadForm,
                                options)
from portal.admin.views import (actor, arg_int, bp, client_ip, confirmed_upload, no_contest, page_or_fragment,
                                upload_dir)
from portal.contests import portal_contest
from portal.extensions import db
from portal.models import Block, Contest, Contestant, Unit
from portal.question_import import UnreadableFile, read_table
from portal.unit_import import UnitReport, validate_units

PAGE_SIZE = 50



def _state(unit: Unit) -> dict:
    return {"name": unit.name, "block_id": unit.block_id, "parent_id": unit.parent_id,
            "headcount": unit.headcount, "active": unit.active}


@bp.get("/units")
def units():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = UnitFilterForm(request.args)
    form.block.choices = options([("", "Tất cả các khối")] + [(str(b.id), b.name) for b in contest.blocks])
    form.validate()
    query = sa.select(Unit).where(Unit.contest_id == contest.id)
    if form.block.data and form.block.data.isdigit():
        query = query.where(Unit.block_id == int(form.block.data))
    if form.q.data:
        query = query.where(Unit.name.ilike(f"%{form.q.data}%"))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = arg_int("page", 1)
    items = db.session.scalars(query.order_by(Unit.block_id, Unit.position, Unit.name)
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    registered = dict(db.session.execute(
        sa.select(Contestant.unit_id, sa.func.count()).where(Contestant.unit_id.in_([u.id for u in items]))
        .group_by(Contestant.unit_id)).all()) if items else {}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    blocks = {b.id: b for b in contest.blocks}
    return page_or_fragment("admin/units.html", "admin/_unit_results.html", form=form, items=items, total=total,
                            page=page, pages=max(1, -(-total // PAGE_SIZE)), registered=registered, args=args,
                            blocks=blocks)


def _unit_or_404(contest: Contest, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.contest_id != contest.id:
        abort(404)
    return unit


def _unit_form(contest: Contest, unit: Unit | None) -> UnitForm:
    data = _state(unit) | {"block": unit.block_id, "parent": unit.parent_id or 0} if unit else {}
    form = UnitForm(data=data)
    form.block.choices = options([(b.id, b.name) for b in contest.blocks])
    others = db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.contest_id == contest.id)
                                .order_by(Unit.name)).all()
    form.parent.choices = options([(0, "(Không có)")] + [(uid, name) for uid, name in others if not unit or uid != unit.id])
    return form


@bp.route("/units/new", methods=["GET", "POST"], defaults={"unit_id": None})
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int | None):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    unit = _unit_or_404(contest, unit_id) if unit_id is not None else None
    form = _unit_form(contest, unit)
    if form.validate_on_submit():
        clash = db.session.scalar(sa.select(Unit.id).where(Unit.contest_id == contest.id, Unit.name == form.name.data))
        if clash is not None and (unit is None or clash != unit.id):
            form.name.errors = [*form.name.errors, "Đã có đơn vị cùng tên."]
        else:
            created = unit is None
            before = None if created else _state(unit)
            if unit is None:
                last = db.session.scalar(sa.select(sa.func.max(Unit.position)).where(Unit.contest_id == contest.id))
                unit = Unit(contest_id=contest.id, position=(last or 0) + 1)
            unit.name, unit.block_id, unit.headcount = form.name.data, form.block.data, form.headcount.data
            unit.parent_id, unit.active = form.parent.data or None, form.active.data
            db.session.add(unit)
            db.session.flush()
            if _state(unit) != before:
                audit.record(actor(), "unit.create" if created else "unit.update", unit, before=before,
                             after=_state(unit), ip=client_ip())
            db.session.commit()
            flash(f"Đã lưu đơn vị {unit.name}.", "success")
            return redirect(url_for("admin.units"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/unit_form.html", form=form, unit=unit), status


@bp.route("/blocks/new", methods=["GET", "POST"], defaults={"block_id": None})
@bp.route("/blocks/<int:block_id>", methods=["GET", "POST"])
def block_edit(block_id: int | None):
    contest = portal_contest()
    if contest is None:
        return no_contest()
    block = db.session.get(Block, block_id) if block_id is not None else None
    if block_id is not None and (block is None or block.contest_id != contest.id):
        abort(404)
    form = BlockForm(data={"key": block.key, "name": block.name} if block else {})
    if block is not None:
        form.key.data = block.key  # a block's key is its identity in contest files: fixed
    if form.validate_on_submit():
        if block is None and any(b.key == form.key.data for b in contest.blocks):
            form.key.errors = [*form.key.errors, "Đã có khối với mã này."]
        else:
            created = block is None
            before = None if created else {"key": block.key, "name": block.name}
            block = block or Block(key=form.key.data, position=len(contest.blocks))
            block.name = form.name.data
            if created:
                contest.blocks.append(block)
            db.session.flush()
            after = {"key": block.key, "name": block.name}
            if after != before:
                audit.record(actor(), "block.create" if created else "block.update", block, before=before,
                             after=after, ip=client_ip())
            db.session.commit()
            flash(f"Đã lưu khối {block.name}.", "success")
            return redirect(url_for("admin.units"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/block_form.html", form=form, block=block), status


# --- import ------------------------------------------------------------------------------

def _check(contest: Contest, filename: str, data: bytes) -> UnitReport:
    blocks = {}
    for b in contest.blocks:
        blocks[b.key.casefold()] = b.key
        blocks[b.name.casefold()] = b.key
    existing = set(db.session.scalars(sa.select(Unit.name).where(Unit.contest_id == contest.id)))
    return validate_units(read_table(filename, data), blocks, existing)


def _save(contest: Contest, report: UnitReport, filename: str) -> tuple[int, int]:
    """Create or update every unit of a clean report, all in one transaction."""
    blocks = {b.key: b for b in contest.blocks}
    held = {u.name: u for u in db.session.scalars(sa.select(Unit).where(Unit.contest_id == contest.id))}
    created = updated = 0
    start = len(held)
    for offset, row in enumerate(report.units):
        unit = held.get(row.name)
        if unit is None:
            unit = Unit(contest_id=contest.id, name=row.name, position=start + offset)
            db.session.add(unit)
            held[row.name] = unit
            created += 1
        else:
            updated += 1
        unit.block_id, unit.headcount, unit.active = blocks[row.block_key].id, row.headcount, True
    db.session.flush()
    for row in report.units:
        if row.parent:
            held[row.name].parent_id = held[row.parent].id
    audit.record(actor(), "units.import", contest, after={"file": filename, "created": created, "updated": updated},
                 ip=client_ip())
    db.session.commit()
    return created, updated


def _preview(form, report, filename, token=None, digest=None, status=200):
    confirm = ConfirmUploadForm(data={"token": token, "digest": digest}) if token else None
    return render_template("admin/unit_import.html", form=form, report=report, filename=filename,
                           confirm=confirm), status


@bp.route("/units/import", methods=["GET", "POST"])
def units_import():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    form = UploadForm()
    if not form.validate_on_submit():
        return _preview(form, None, "", status=400 if form.is_submitted() else 200)
    filename = PurePath(form.file.data.filename or "").name[:200]
    data = form.file.data.read()
    try:
        report = _check(contest, filename, data)
    except UnreadableFile as exc:
        form.file.errors = [*form.file.errors, str(exc)]
        return _preview(form, None, filename, status=400)
    if not report.ok:
        return _preview(form, report, filename, status=400)
    token, digest = upload_store.save(upload_dir(), data, {"contest_id": contest.id, "filename": filename,
                                                           "kind": "units"})
    return _preview(form, report, filename, token, digest)


@bp.post("/units/import/confirm")
def units_import_confirm():
    contest = portal_contest()
    if contest is None:
        return no_contest()
    kept = confirmed_upload(contest, "units")
    if kept is None:
        return redirect(url_for("admin.units_import"))
    data, meta, token = kept
    report = _check(contest, meta["filename"], data)
    if not report.ok:
        return _preview(UploadForm(), report, meta["filename"], status=409)
    created, updated = _save(contest, report, meta["filename"])
    upload_store.discard(upload_dir(), token)
    flash(f"Đã nhập tệp {meta['filename']}: thêm {created} đơn vị, cập nhật {updated} đơn vị.", "success")
    return redirect(url_for("admin.units"))
