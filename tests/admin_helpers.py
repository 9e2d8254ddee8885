"""Driving the moderators' view through the test client, with CSRF on."""
from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import Workbook

from portal.extensions import db
from portal.models import AuditEntry, Staff
from tests.conftest import csrf_token

PASSWORD = "mat-khau-dai-1"


def make_staff(username: str = "bantochuc", role: str = "moderator", password: str = PASSWORD) -> Staff:
    staff = db.session.scalar(sa.select(Staff).where(Staff.username == username))
    if staff is None:
        staff = Staff(username=username, role=role)
        staff.set_password(password)
        db.session.add(staff)
        db.session.commit()
    return staff


def login_staff(client, username: str = "bantochuc", role: str = "moderator", password: str = PASSWORD):
    """Create the account if needed and log in through the real form."""
    make_staff(username, role, password)
    response = client.post("/admin/login", data={"username": username, "password": password,
                                                 "csrf_token": csrf_token(client, "/admin/login")})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post(client, path: str, data: dict | None = None, token_from: str = "/admin/", **kwargs):
    """A POST carrying the CSRF token of a page the portal rendered."""
    payload = {"csrf_token": csrf_token(client, token_from), **(data or {})}
    return client.post(path, data=payload, **kwargs)


def htmx(**extra) -> dict:
    return {"HX-Request": "true", **extra}


def audits(action: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).all()


def staff_audits() -> list[AuditEntry]:
    """Entries written by staff actions, logins left out."""
    return [e for e in audits() if e.actor.startswith("staff:") and e.action != "staff.login"]


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
