"""Units in the admin view: headcounts and registrations, editing, and the import of a
unit list with a preview of every bad row; staff accounts, managed by admins only."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Staff, Unit
from portal.unit_import import validate_units
from tests.admin_helpers import audits, login_staff, post, xlsx_bytes
from tests.factories import make_contest
from tests.results_helpers import add_contestant

BLOCKS = {"province": "province", "district": "district", "khối huyện, thành phố": "district"}


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    """Uploads kept for confirmation go to a temporary directory, not the real instance/."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def contest(ctx, clock):
    return make_contest()


def test_validate_units_reports_every_bad_row():
    rows = [["block", "name", "headcount", "parent"],
            ["district", "Huyện Chi Lăng", 950, ""],
            ["Khối huyện, thành phố", "Xã Quang Lang", "1.234", "Huyện Chi Lăng"],
            ["nowhere", "Sở Y tế", "", ""],
            ["province", "", "", ""],
            ["province", "Sở Tài chính", "nhiều", ""],
            ["district", "huyện chi lăng", "", ""],
            ["province", "Phòng A", "", "Không có"],
            [],
            ["province", "Sở Xây dựng", "", "Sở Thông tin và Truyền thông"]]
    report = validate_units(rows, BLOCKS, {"Sở Thông tin và Truyền thông"})
    assert [u.name for u in report.units] == ["Huyện Chi Lăng", "Xã Quang Lang", "Phòng A", "Sở Xây dựng"]
    assert report.units[1].headcount == 1234 and report.units[1].block_key == "district"
    errors = dict(report.errors)
    assert "không có khối “nowhere”" in errors[4]
    assert "tên đơn vị trống" in errors[5]
    assert "headcount phải là số người" in errors[6]
    assert "trùng tên đơn vị ở dòng 2" in errors[7]
    assert "không có đơn vị cấp trên “Không có”" in errors[8]
    assert not report.ok
    header = validate_units([["khoi", "ten"]], BLOCKS, set())
    assert "thiếu cột block, name" in header.errors[0][1]


def test_units_list_shows_headcounts_and_registrations(client, contest):
    for _ in range(3):
        add_contestant(contest, unit="Sở Thông tin và Truyền thông")
    db.session.commit()
    login_staff(client)
    html = client.get("/admin/units").get_data(as_text=True)
    row = re.search(r"Sở Thông tin và Truyền thông</a>.*?</tr>", html, re.S).group(0)
    assert ">80<" in row and ">3<" in row and "3,8%" in row
    filtered = client.get("/admin/units?q=h%E1%BB%AFu").get_data(as_text=True)
    assert "1 đơn vị" in filtered and "Huyện Hữu Lũng" in filtered


def test_unit_import_previews_then_saves(client, contest):
    login_staff(client)
    bad = xlsx_bytes([["block", "name", "headcount"], ["district", "Huyện Chi Lăng", 950], ["mars", "Sở Y tế", ""]])
    response = post(client, "/admin/units/import", {"file": (io.BytesIO(bad), "don-vi.xlsx")},
                    token_from="/admin/units/import", content_type="multipart/form-data")
    assert response.status_code == 400 and "không có khối “mars”" in response.get_data(as_text=True)
    good = xlsx_bytes([["block", "name", "headcount"], ["district", "Huyện Chi Lăng", 950],
                       ["province", "Sở Thông tin và Truyền thông", 85]])
    html = post(client, "/admin/units/import", {"file": (io.BytesIO(good), "don-vi.xlsx")},
                token_from="/admin/units/import", content_type="multipart/form-data").get_data(as_text=True)
    assert "Tệp hợp lệ: 2 đơn vị" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 3  # nothing yet
    token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html).group(1)
    digest = re.search(r'id="digest" name="digest" type="hidden" value="([^"]+)"', html).group(1)
    post(client, "/admin/units/import/confirm", {"token": token, "digest": digest}, token_from="/admin/units/import")
    names = dict(db.session.execute(sa.select(Unit.name, Unit.headcount)).all())
    assert names["Huyện Chi Lăng"] == 950 and names["Sở Thông tin và Truyền thông"] == 85
    entry, = audits("units.import")
    assert entry.after == {"file": "don-vi.xlsx", "created": 1, "updated": 1}


def test_unit_names_stay_unique(client, contest):
    login_staff(client)
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == "Huyện Hữu Lũng"))
    response = post(client, "/admin/units/new", {"name": "Huyện Hữu Lũng", "block": str(unit.block_id), "parent": "0"},
                    token_from="/admin/units/new")
    assert response.status_code == 400 and "Đã có đơn vị cùng tên" in response.get_data(as_text=True)


def test_admins_manage_staff_accounts_with_guard_rails(client, contest):
    login_staff(client, "quantri", role="admin")
    me = db.session.scalar(sa.select(Staff).where(Staff.username == "quantri"))
    created = post(client, "/admin/staff/new", {"username": "bantochuc2", "full_name": "Ban Tổ chức 2",
                                                "role": "moderator", "password": "mat-khau-rat-dai"},
                   token_from="/admin/staff/new")
    assert created.status_code == 302
    other = db.session.scalar(sa.select(Staff).where(Staff.username == "bantochuc2"))
    assert other.check_password("mat-khau-rat-dai") and other.role == "moderator"
    short = post(client, "/admin/staff/new", {"username": "x", "role": "moderator", "password": "ngan"},
                 token_from="/admin/staff/new")
    assert short.status_code == 400 and "Ít nhất 10 ký tự" in short.get_data(as_text=True)
    self_demote = post(client, f"/admin/staff/{me.id}", {"full_name": "", "role": "moderator", "active": "y"},
                       token_from=f"/admin/staff/{me.id}")
    assert self_demote.status_code == 400 and "Không tự đổi vai trò" in self_demote.get_data(as_text=True)
    reset = post(client, f"/admin/staff/{other.id}/password", token_from=f"/admin/staff/{other.id}")
    password = re.search(r'<p class="password-value"><code>([a-z0-9]+)</code></p>', reset.get_data(as_text=True)).group(1)
    db.session.refresh(other)
    assert other.check_password(password) and reset.headers["Cache-Control"] == "no-store"
    locked = post(client, f"/admin/staff/{other.id}", {"full_name": "", "role": "moderator"},
                  token_from=f"/admin/staff/{other.id}")
    assert locked.status_code == 302
    db.session.refresh(other)
    assert other.active is False
    assert [e.action for e in audits() if e.action.startswith("staff.") and e.action != "staff.login"] == [
        "staff.create", "staff.password_reset", "staff.update"]
