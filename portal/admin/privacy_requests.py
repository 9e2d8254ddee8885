"""Contestants' requests to delete their personal data: listed for moderators, closed by
anonymizing the person (attempts stay, identity goes)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for

from portal.admin.forms import EmptyForm
from portal.admin.views import actor, bp
from portal.extensions import db
from portal.models import Contestant, DataRequest
from portal.privacy import close_request


@bp.get("/privacy-requests")
def privacy_requests():
    rows = db.session.execute(
        sa.select(DataRequest, Contestant).join(Contestant, Contestant.id == DataRequest.contestant_id)
        .order_by(DataRequest.closed_at.is_not(None), DataRequest.created_at.desc()).limit(200)).all()
    return render_template("admin/privacy_requests.html", rows=rows, form=EmptyForm())


@bp.post("/privacy-requests/<int:request_id>/close")
def close_privacy_request(request_id: int):
    data_request = db.session.get(DataRequest, request_id)
    if data_request is None:
        return redirect(url_for("admin.privacy_requests"))
    if EmptyForm().validate_on_submit() and data_request.closed_at is None:
        close_request(data_request, actor(), note=(request.form.get("note") or "")[:500])
        flash("Đã xóa dữ liệu cá nhân của thí sinh (ẩn danh hóa) và đóng yêu cầu.", "success")
    return redirect(url_for("admin.privacy_requests"), code=303)
