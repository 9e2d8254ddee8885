"""Question files: .csv (with or without BOM) and .xlsx; all-or-nothing; every bad row named."""
import csv
import io

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from portal.extensions import db
from portal.models import Choice, Question
from portal.question_import import read_table, validate_table
from tests.factories import make_contest

HEADER = ["round", "question", "A", "B", "C", "D", "answer", "explanation", "source"]
GOOD = [
    ["1", "Ngày Chuyển đổi số quốc gia là ngày nào?", "10/10", "01/01", "02/09", "19/08", "A",
     "Quyết định 505/QĐ-TTg.", "Quyết định 505/QĐ-TTg ngày 22/04/2022"],
    ["1", "Chương trình Chuyển đổi số quốc gia được phê duyệt bởi quyết định nào?",
     "Quyết định 942/QĐ-TTg", "Quyết định 749/QĐ-TTg", "Quyết định 411/QĐ-TTg", "Quyết định 06/QĐ-TTg", "b", "", ""],
]


def csv_bytes(rows, bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def check(rows, **kwargs):
    return validate_table(rows, "ABCD", [1, 2], **kwargs)


def test_good_rows_in_csv_with_and_without_bom_and_in_xlsx():
    for name, data in (("q.csv", csv_bytes([HEADER, *GOOD])), ("q.csv", csv_bytes([HEADER, *GOOD], bom=True)),
                       ("q.xlsx", xlsx_bytes([HEADER, *GOOD]))):
        report = check(read_table(name, data))
        assert report.ok, report.errors
        assert [q.answer for q in report.questions] == [0, 1]
        assert report.questions[0].text == "Ngày Chuyển đổi số quốc gia là ngày nào?"
        assert report.questions[0].source.startswith("Quyết định 505")


def test_each_reason_is_reported_with_its_row_number():
    rows = [HEADER,
            GOOD[0],
            ["1", "", "a", "b", "c", "d", "A", "", ""],                 # 3: empty question
            ["1", "Câu thiếu phương án?", "a", "", "c", "d", "A", "", ""],  # 4: missing B
            ["1", "Đáp án sai?", "a", "b", "c", "d", "E", "", ""],       # 5: answer out of range
            ["1", "Đáp án là số?", "a", "b", "c", "d", "1", "", ""],      # 6: answer not a letter
            GOOD[0],                                                  # 7: duplicate of row 2
            ["9", "Tuần không có?", "a", "b", "c", "d", "A", "", ""],     # 8: no such round
            ["1", "Hai phương án trùng?", "a", "a", "c", "d", "A", "", ""],  # 9
            ]
    report = check(rows)
    assert not report.ok
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "câu hỏi trống" in reasons[3]
    assert "thiếu phương án B" in reasons[4]
    assert "đáp án phải là một chữ cái" in reasons[5] and "E" in reasons[5]
    assert "đáp án phải là một chữ cái" in reasons[6]
    assert "trùng câu hỏi ở dòng 2" in reasons[7]
    assert "không có tuần 9" in reasons[8]
    assert "trùng nhau" in reasons[9]


def test_wrong_column_set_is_refused_at_the_header():
    report = check([["round", "question", "A", "B", "C", "answer", "note"], GOOD[0][:6]])
    assert not report.ok
    assert report.errors[0][0] == 1
    text = " ".join(r for _, r in report.errors)
    assert "thiếu cột D" in text and "note" in text


def test_formulas_are_refused_not_evaluated():
    rows = [HEADER, ["1", "=1+1", "a", "b", "c", "d", "A", "", ""]]
    report = check(read_table("q.xlsx", xlsx_bytes(rows)))
    assert not report.ok
    assert "công thức" in report.errors[0][1]


def test_duplicates_of_questions_already_in_the_bank():
    report = check([HEADER, GOOD[0]], existing={1: {GOOD[0][1].upper()}})
    assert not report.ok and "đã có trong ngân hàng" in report.errors[0][1]


def test_round_option_fills_blank_round_and_refuses_others():
    rows = [HEADER, ["", *GOOD[0][1:]], ["2", *GOOD[1][1:]]]
    report = check(rows, round_filter=1)
    assert [r for r, _ in report.errors] == [3]
    assert report.questions[0].round == 1


def test_cli_import_is_all_or_nothing_and_stores_one_correct_choice(runner, ctx, tmp_path):
    make_contest()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, GOOD[0], ["1", "Câu lỗi?", "a", "b", "c", "", "A", "", ""]]))
    result = runner.invoke(args=["questions", "import", str(bad), "--contest", "thu-nghiem"])
    assert result.exit_code == 1
    assert "dòng 3" in result.output and "thiếu phương án D" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0

    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes([HEADER, *GOOD]))
    result = runner.invoke(args=["questions", "import", str(good), "--contest", "thu-nghiem", "--round", "1"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 2
    correct = db.session.execute(sa.select(Choice.question_id, sa.func.count()).where(Choice.is_correct)
                                 .group_by(Choice.question_id)).all()
    assert [n for _, n in correct] == [1, 1]
    # The same file again: every row is already in the bank, nothing changes.
    result = runner.invoke(args=["questions", "import", str(good), "--contest", "thu-nghiem"])
    assert result.exit_code == 1 and "đã có trong ngân hàng" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 2


def test_unreadable_files(runner, ctx, tmp_path):
    make_contest()
    for name, data in (("q.csv", "round,question\n1,Câu?\n".encode("utf-16")), ("q.xlsx", b"not a zip"),
                       ("q.txt", b"round,question")):
        path = tmp_path / name
        path.write_bytes(data)
        result = runner.invoke(args=["questions", "import", str(path), "--contest", "thu-nghiem"])
        assert result.exit_code == 1, name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell, min_size=0, max_size=10), max_size=8))
def test_importer_never_crashes_and_never_accepts_a_row_it_also_rejects(rows):
    report = check([HEADER, *rows])
    accepted = {q.row for q in report.questions}
    rejected = {r for r, _ in report.errors}
    assert not accepted & rejected
    for q in report.questions:
        assert q.text and all(q.choices) and 0 <= q.answer < 4
