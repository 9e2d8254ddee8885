"""The public pages render the contest's real data in Vietnamese, safely."""
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Contest
from tests.conftest import csrf_token
from tests.factories import make_contest


def test_landing_without_contest_explains_what_to_do(client):
    html = client.get("/").get_data(as_text=True)
    assert "Chưa có cuộc thi nào" in html


def test_landing_shows_current_round_and_window_in_vietnamese(client, ctx, clock):
    make_contest()
    html = client.get("/").get_data(as_text=True)
    assert "Cuộc thi thử nghiệm" in html
    assert "Đang diễn ra" in html
    assert "08:00, Thứ Hai 03/07/2023" in html
    assert "17:00, Chủ nhật 09/07/2023" in html
    assert "10 câu hỏi" in html and "10 phút" in html
    assert 'href="/rules"' in html


def test_between_rounds_the_next_round_is_announced(client, ctx, clock):
    from datetime import UTC, datetime

    make_contest()
    clock.set(datetime(2023, 7, 9, 11, 0, tzinfo=UTC))  # Sunday 18:00 local
    html = client.get("/").get_data(as_text=True)
    assert "Sắp mở" in html and "08:00, Thứ Hai 10/07/2023" in html


def test_rules_page_shows_prizes_in_vietnamese_money_and_sanitized_html(client, ctx, clock):
    contest = make_contest()
    contest.rules_html = "<p>Thể lệ chi tiết</p>"
    contest.title = "<script>alert(1)</script> Cuộc thi"
    db.session.commit()
    html = client.get("/rules").get_data(as_text=True)
    assert "<p>Thể lệ chi tiết</p>" in html
    assert "3.000.000 đ" in html and "2.000.000 đ" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_page_sends_strict_headers(client, ctx, clock):
    make_contest()
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_unknown_pages_get_a_vietnamese_404(client):
    response = client.get("/khong-co")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_api_stats_reports_the_current_round(client, ctx, clock):
    make_contest()
    body = client.get("/api/v1/contests/thu-nghiem/stats").get_json()
    assert body["state"] == "open"
    assert body["round"]["number"] == 1
    assert body["round"]["participants"] == 0
    assert client.get("/api/v1/contests/nope/stats").status_code == 404


def test_admin_requires_staff_and_staff_can_log_in_with_csrf(client, ctx, clock):
    from tests.conftest import csrf_token
    from portal.models import Staff

    make_contest()
    assert client.get("/admin/").status_code == 302
    staff = Staff(username="bantochuc", role="admin")
    staff.set_password("mat-khau-dai-1")
    db.session.add(staff)
    db.session.commit()
    no_token = client.post("/admin/login", data={"username": "bantochuc", "password": "mat-khau-dai-1"})
    assert no_token.status_code == 400
    token = csrf_token(client, "/admin/login")
    wrong = client.post("/admin/login", data={"username": "bantochuc", "password": "sai", "csrf_token": token})
    assert wrong.status_code == 401 and "không đúng" in wrong.get_data(as_text=True)
    ok = client.post("/admin/login", data={"username": "bantochuc", "password": "mat-khau-dai-1",
                                           "csrf_token": token})
    assert ok.status_code == 302
    html = client.get("/admin/").get_data(as_text=True)
    assert "Bảng điều khiển" in html and "Cuộc thi thử nghiệm" in html
    assert db.session.scalar(sa.select(Contest.slug)) == "thu-nghiem"


def test_published_announcements_on_the_landing_page(client, ctx, clock):
    from datetime import timedelta

    from portal.models import Announcement

    contest = make_contest()
    db.session.add_all([
        Announcement(contest_id=contest.id, title="Kết quả tuần 1 đã công bố", body_html="<p>Xem bảng xếp hạng.</p>",
                     published_at=clock.current - timedelta(hours=1)),
        Announcement(contest_id=contest.id, title="Bản nháp chưa đăng", body_html="<p>nháp</p>"),
    ])
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Kết quả tuần 1 đã công bố" in html and "<p>Xem bảng xếp hạng.</p>" in html
    assert "Bản nháp chưa đăng" not in html


def test_admin_pages_stay_vietnamese_when_english_is_chosen(client, ctx, clock):
    make_contest()
    client.get("/lang", query_string={"lang": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/admin/login").get_data(as_text=True)
