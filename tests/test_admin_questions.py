"""The question bank pages: import with a preview that lists every bad row before anything
is saved, confirm of exactly the previewed file, export, the template, the form."""
from __future__ import annotations

import io
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Choice, Question
from portal.question_bank import check_file
from tests.admin_helpers import audits, htmx, login_staff, post, xlsx_bytes
from tests.factories import make_contest, make_questions

HEADER = ["round", "question", "A", "B", "C", "D", "answer", "explanation", "source"]
GOOD = [
    [1, "Ngày Chuyển đổi số quốc gia là ngày nào?", "10/10", "01/01", "02/09", "19/08", "A", "", "Quyết định 505/QĐ-TTg"],
    [2, "Đề án 06 được phê duyệt bởi quyết định nào?", "749/QĐ-TTg", "06/QĐ-TTg", "942/QĐ-TTg", "411/QĐ-TTg", "B", "", ""],
]
TOKEN_RE = r'name="token" type="hidden" value="([^"]+)"'


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    """Uploads kept for confirmation go to a temporary directory, not the real instance/."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def contest(ctx, clock):
    return make_contest()


def question_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Question))


def upload(client, data: bytes, name: str = "cau-hoi.xlsx", round_number: str = ""):
    return post(client, "/admin/questions/import", {"file": (io.BytesIO(data), name), "round": round_number},
                token_from="/admin/questions/import", content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    import re

    match = re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]+)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def test_a_file_with_bad_rows_is_listed_row_by_row_and_nothing_is_saved(client, contest):
    login_staff(client)
    rows = [HEADER, GOOD[0],
            [1, "", "a", "b", "c", "d", "A", "", ""],
            [1, "Thiếu phương án?", "a", "", "c", "d", "A", "", ""],
            GOOD[1],
            [9, "Tuần không có?", "a", "b", "c", "d", "Z", "", ""],
            [1, "Ngày Chuyển đổi số quốc gia là ngày nào?", "x", "y", "z", "w", "A", "", ""]]
    response = upload(client, xlsx_bytes(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Có 4 dòng lỗi" in html and "chưa có câu hỏi nào được nhập" in html
    for row, reason in ((3, "câu hỏi trống"), (4, "thiếu phương án B"), (6, "cuộc thi không có tuần 9"),
                        (6, "đáp án phải là một chữ cái"), (7, "trùng câu hỏi ở dòng 2")):
        assert f"<th scope=\"row\">{row}</th>" in html and reason in html
    assert "Xác nhận nhập" not in html and 'name="token"' not in html
    assert question_count() == 0 and audits("questions.import") == []


def test_a_good_file_is_previewed_then_saved_on_confirm(client, contest, uploads):
    login_staff(client)
    rows = [HEADER, GOOD[0], GOOD[1], [1, "<script>alert(1)</script> là gì?", "a", "b", "c", "d", "C", "", ""]]
    response = upload(client, xlsx_bytes(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tệp hợp lệ: 3 câu hỏi" in html and "tuần 1: 2, tuần 2: 1" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert question_count() == 0  # previewed, not saved
    token, digest = hidden(html, "token"), hidden(html, "digest")
    stored = list(uploads.glob(f"{token}.*"))
    assert len(stored) == 2  # the bytes and their metadata, under the random token only
    done = post(client, "/admin/questions/import/confirm", {"token": token, "digest": digest},
                token_from="/admin/questions/import")
    assert done.status_code == 302
    assert question_count() == 3
    assert [e.after["per_round"] for e in audits("questions.import")] == [{"1": 2, "2": 1}]
    assert audits("questions.import")[0].actor == "staff:bantochuc"
    assert not list(uploads.glob(f"{token}.*"))
    again = post(client, "/admin/questions/import/confirm", {"token": token, "digest": digest},
                 token_from="/admin/questions/import")
    assert again.status_code == 302 and question_count() == 3  # a replay imports nothing


def test_confirm_accepts_only_the_previewed_file(client, contest):
    login_staff(client)
    html = upload(client, xlsx_bytes([HEADER, GOOD[0]])).get_data(as_text=True)
    token = hidden(html, "token")
    forged = post(client, "/admin/questions/import/confirm", {"token": token, "digest": "0" * 64},
                  token_from="/admin/questions/import")
    assert forged.status_code == 302 and question_count() == 0
    for bad in ("../../../etc/passwd", "..%2F..%2Fsecret_key", "a" * 10):
        response = post(client, "/admin/questions/import/confirm", {"token": bad, "digest": "0" * 64},
                        token_from="/admin/questions/import")
        assert response.status_code == 400
    assert question_count() == 0


def test_confirm_checks_the_bank_again(client, contest):
    login_staff(client)
    html = upload(client, xlsx_bytes([HEADER, GOOD[0]])).get_data(as_text=True)
    token, digest = hidden(html, "token"), hidden(html, "digest")
    db.session.add(Question(round_id=contest.rounds[0].id, text=GOOD[0][1],
                            choices=[Choice(position=i, text=t, is_correct=i == 0) for i, t in enumerate("abcd")]))
    db.session.commit()
    response = post(client, "/admin/questions/import/confirm", {"token": token, "digest": digest},
                    token_from="/admin/questions/import")
    assert response.status_code == 409
    assert "đã có trong ngân hàng" in response.get_data(as_text=True)
    assert question_count() == 1


def test_unreadable_and_oversized_files_get_a_clear_message(app, client, contest):
    login_staff(client)
    response = upload(client, b"PK\x03\x04 not really a workbook", "hong.xlsx")
    assert response.status_code == 400 and "bị hỏng" in response.get_data(as_text=True)
    response = upload(client, b"round,question\n", "cau-hoi.txt")
    assert response.status_code == 400 and "Chỉ nhận tệp .xlsx hoặc .csv" in response.get_data(as_text=True)
    # A small cap stands in for the real 5 MB one: the test client would spool 5 MB to disk.
    app.config["MAX_CONTENT_LENGTH"] = 4096
    big = b"x" * 5000
    response = upload(client, big, "lon.csv")
    assert response.status_code == 413 and "Tệp quá lớn" in response.get_data(as_text=True)
    assert question_count() == 0


def test_the_template_file_has_the_exact_header_and_an_example_that_imports(client, contest):
    login_staff(client)
    response = client.get("/admin/questions/template.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 2 and rows[1][6] == "A"
    assert check_file(contest, "mau.xlsx", response.data).ok


def test_export_reads_back_through_the_import_and_keeps_formulas_as_text(client, contest):
    make_questions(contest, 3)
    question = db.session.scalar(sa.select(Question).order_by(Question.id))
    question.text = "=HYPERLINK(\"http://evil.example\", \"bấm\")"
    db.session.commit()
    login_staff(client)
    response = client.get("/admin/questions/export?round=1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 1 + 3
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("=HYPERLINK")
    assert [c.value for c in sheet[3]][:7] == [1, "Câu hỏi 2 của tuần 1?", "Phương án A 1", "Phương án B 1",
                                               "Phương án C 1", "Phương án D 1", "B"]
    fresh = make_contest(slug="khac")
    assert check_file(fresh, "xuat.xlsx", response.data).ok
    assert len(audits("questions.export")) == 1


def form_data(contest, **overrides):
    data = {"round": str(contest.rounds[0].id), "text": "Luật Giao dịch điện tử 2023 có hiệu lực từ ngày nào?",
            "choice_A": "01/07/2023", "choice_B": "01/07/2024", "choice_C": "01/01/2024", "choice_D": "22/06/2023",
            "answer": "B", "explanation": "", "source": "Luật 20/2023/QH15", "active": "y"}
    data.update(overrides)
    return data


def test_create_edit_and_switch_off_a_question(client, contest):
    login_staff(client)
    created = post(client, "/admin/questions/new", form_data(contest), token_from="/admin/questions/new")
    assert created.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert question.correct_choice.text == "01/07/2024"
    again = post(client, "/admin/questions/new", form_data(contest, choice_D="01/07/2024"),
                 token_from="/admin/questions/new")
    assert again.status_code == 400 and "Có hai phương án trùng nhau" in again.get_data(as_text=True)
    duplicate = post(client, "/admin/questions/new", form_data(contest), token_from="/admin/questions/new")
    assert duplicate.status_code == 400 and "đã có trong ngân hàng" in duplicate.get_data(as_text=True)
    edited = post(client, f"/admin/questions/{question.id}", form_data(contest, answer="A"),
                  token_from=f"/admin/questions/{question.id}")
    assert edited.status_code == 302
    db.session.refresh(question)
    assert [c.is_correct for c in question.choices] == [True, False, False, False]
    toggled = post(client, f"/admin/questions/{question.id}/active", {"active": "0"}, headers=htmx())
    assert toggled.status_code == 200 and "HX-Request" in toggled.headers["Vary"]
    assert toggled.get_data(as_text=True).lstrip().startswith("<tr")
    db.session.refresh(question)
    assert question.active is False
    assert [e.action for e in audits() if e.actor.startswith("staff:") and e.action.startswith("question.")] == [
        "question.create", "question.update", "question.deactivate"]


def test_search_and_filters_return_a_fragment_to_htmx(client, contest):
    make_questions(contest, 60)
    login_staff(client)
    page = client.get("/admin/questions?round=2").get_data(as_text=True)
    assert "60 câu hỏi · trang 1/2" in page and "<html" in page
    fragment = client.get("/admin/questions?q=C%C3%A2u+h%E1%BB%8Fi+7+c%E1%BB%A7a&round=1", headers=htmx())
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="question-results"')
    assert "1 câu hỏi" in html and "Câu hỏi 7 của tuần 1?" in html
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/admin/questions?round=1", headers=htmx(**{"HX-Boosted": "true"}))
    assert "<html" in boosted.get_data(as_text=True)
