"""A moderator, in a real chromium and from the browser alone, on the live demo: logs in as
the demo moderator, loads questions from a file, watches participation, marks an
organizer ineligible, finalizes a round and downloads its winners. Screenshots of each
main page go to tests/artifacts/admin-*.png."""
from __future__ import annotations

import io
import random
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser import screenshot, start_live_server

pytestmark = pytest.mark.browser

DEMO_USER, DEMO_PASSWORD = "bantochuc", "langson-2023"
NEW_QUESTIONS = (
    "round,question,A,B,C,D,answer,explanation,source\n"
    "4,Ngày Chuyển đổi số quốc gia hằng năm là ngày nào?,10/10,01/07,02/09,19/05,A,,Quyết định 505/QĐ-TTg\n"
    "4,Nghị định 13/2023/NĐ-CP quy định về nội dung nào?,Bảo vệ dữ liệu cá nhân,Giao dịch điện tử,"
    "An ninh mạng,Chữ ký số,A,,Nghị định 13/2023/NĐ-CP\n"
)
BAD_QUESTIONS = "round,question,A,B,C,D,answer\n4,Câu thiếu phương án?,a,,c,d,A\n9,Tuần không có?,a,b,c,d,E\n"


def fill_round_one(url: str) -> None:
    """Contestants and closed attempts (with their drawn items) in round 1, written into
    the live server's database the way the quiz would have left them."""
    from portal import create_app
    from portal.extensions import db
    from portal.models import AttemptItem, Contest, Question
    from tests.results_helpers import add_attempt, add_contestant

    rng = random.Random(2023)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        contest = db.session.scalar(sa.select(Contest))
        r1 = contest.round_by_number(1)
        questions = db.session.scalars(sa.select(Question).where(Question.round_id == r1.id)).all()
        units = [u.name for b in contest.blocks for u in b.units]
        names = ["Hoàng Văn Bình", "Nông Thị Hoa", "Lường Văn Dũng", "Vi Thị Lan", "Triệu Văn Hùng", "Hà Thị Mai",
                 "Lộc Văn Tuấn", "Chu Thị Thu", "Lăng Văn Sơn", "Hoàng Thị Yến", "Mông Văn Khánh", "Đinh Thị Ngọc"]
        for i in range(60):
            person = add_contestant(contest, f"{names[i % len(names)]} {i + 1}", unit=rng.choice(units[:20]),
                                    phone=f"0912{i:06d}")
            for day in rng.sample(range(7), rng.randint(1, 3)):
                drawn = rng.sample(questions, 10)
                skill = (i % 10) / 10
                picks = [q.correct_choice if rng.random() < 0.35 + skill * 0.6 else rng.choice(q.choices) for q in drawn]
                score = sum(1 for q, c in zip(drawn, picks) if c.is_correct)
                attempt = add_attempt(person, r1, score, rng.randint(90_000, 600_000), prediction=rng.randint(40, 90),
                                      day=day)
                for position, (q, c) in enumerate(zip(drawn, picks), start=1):
                    db.session.add(AttemptItem(attempt_id=attempt.id, position=position, question_id=q.id,
                                               choice_order=[x.id for x in q.choices], chosen_choice_id=c.id,
                                               answered_at=attempt.started_at + timedelta(seconds=20 * position)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def demo_2023(tmp_path_factory):
    """A live demo with the 2023 dates (all rounds over, none finalized) and round 1 played."""
    server = start_live_server(tmp_path_factory.mktemp("admin-live"))
    done = server.flask("seed-demo", "--dates", "original")
    assert done.returncode == 0, done.stderr
    fill_round_one(server.env["DATABASE_URL"])
    yield server
    server.stop()


def log_in(page, base: str) -> None:
    page.goto(base + "/admin/")
    page.wait_for_url(re.compile(r"/admin/login"))
    screenshot(page, "admin-login")
    page.fill("#username", DEMO_USER)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(base + "/admin/")


def test_a_moderator_runs_the_contest_from_the_browser(demo_2023, desktop, tmp_path):
    base, page = demo_2023.url, desktop
    log_in(page, base)

    # Watch participation: the dashboard, its charts and their tables.
    page.click("nav.tabs >> text=Toàn cuộc thi")
    expect(page.locator("#participation-title")).to_be_visible()
    expect(page.locator("text=Toàn cuộc thi: ")).to_be_visible()
    assert page.locator("svg.chart[role=img]").count() == 4
    screenshot(page, "admin-dashboard")

    # Load questions from a file: a bad file is listed row by row, a good one previewed then saved.
    page.click("header nav >> text=Ngân hàng câu hỏi")
    screenshot(page, "admin-questions")
    page.click("text=Nhập từ tệp Excel/CSV")
    page.set_input_files("#file", {"name": "loi.csv", "mimeType": "text/csv", "buffer": BAD_QUESTIONS.encode()})
    page.click("text=Kiểm tra tệp")
    expect(page.locator("text=Có 2 dòng lỗi")).to_be_visible()
    screenshot(page, "admin-import-errors")
    page.set_input_files("#file", {"name": "tuan4.csv", "mimeType": "text/csv", "buffer": NEW_QUESTIONS.encode()})
    page.click("text=Kiểm tra tệp")
    expect(page.locator("text=Tệp hợp lệ: 2 câu hỏi")).to_be_visible()
    screenshot(page, "admin-import-preview")
    page.click("text=Xác nhận nhập 2 câu hỏi")
    expect(page.locator("text=Đã nhập 2 câu hỏi")).to_be_visible()
    page.fill("#q", "quy định về nội dung nào")
    expect(page.locator("#question-results .result-count")).to_have_text("1 câu hỏi")

    page.goto(base + "/admin/questions/stats?round=1")
    expect(page.locator("table.item-stats tbody tr")).to_have_count(50)
    screenshot(page, "admin-question-stats")

    # Mark an organizer ineligible: live search, then the contestant's page.
    page.click("header nav >> text=Thí sinh")
    page.fill("#q", "nông thị hoa 14")
    expect(page.locator("#contestant-results .result-count")).to_have_text("1 thí sinh")
    screenshot(page, "admin-contestants")
    page.click("#contestant-results a >> text=Nông Thị Hoa 14")
    page.select_option("#status", "ineligible")
    page.fill("#reason", "Thành viên Tổ Thư ký cuộc thi")
    page.click("text=Lưu trạng thái")
    expect(page.locator(".flash-success")).to_contain_text("Không thuộc đối tượng dự thi")
    screenshot(page, "admin-contestant")

    # Finalize round 1 and download its winners.
    page.click("header nav >> text=Kết quả")
    screenshot(page, "admin-results")
    page.click("text=Chốt kết quả tuần 1")
    expect(page.locator(".flash-success")).to_contain_text("Đã chốt kết quả tuần 1")
    expect(page.locator("#winners-title")).to_be_visible()
    screenshot(page, "admin-round-results")
    with page.expect_download() as info:
        page.click("text=Tải danh sách đạt giải (.xlsx)")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "ket-qua-cds-langson-2023-tuan-1-dat-giai.xlsx"
    sheet = load_workbook(io.BytesIO(path.read_bytes()))["Đạt giải"]
    winners = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[3]]
    assert len(winners) == 11 and "Nông Thị Hoa 14" not in [w[3] for w in winners]

    # Settings, the rules editor (rich text, JavaScript), the audit log.
    page.click("header nav >> text=Cài đặt cuộc thi")
    screenshot(page, "admin-settings")
    page.click("nav.tabs >> text=Thể lệ")
    expect(page.locator(".rich-toolbar")).to_be_visible()
    screenshot(page, "admin-rules")
    page.click("header nav >> text=Nhật ký")
    expect(page.locator("table.audit")).to_contain_text("round.finalize")
    expect(page.locator("table.audit")).to_contain_text("contestant.status")
    screenshot(page, "admin-audit")
    page.click("header nav >> text=Đơn vị")
    screenshot(page, "admin-units")


def test_the_dashboard_and_contestants_fit_a_phone(demo_2023, phone):
    log_in(phone, demo_2023.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "admin-dashboard-phone")
    phone.goto(demo_2023.url + "/admin/contestants")
    screenshot(phone, "admin-contestants-phone")
