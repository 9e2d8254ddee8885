"""The official Excel files and the results commands."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal import results, results_export
from portal.extensions import db
from portal.models import AuditEntry, Round
from tests.factories import make_contest
from tests.results_helpers import AFTER_ROUND_1, AFTER_ROUND_2, add_attempt, add_contestant, round_no


@pytest.fixture
def contest(ctx, clock):
    contest = make_contest()
    r1 = round_no(contest, 1)
    people = [add_contestant(contest, "Nguyễn Thị Ánh Tuyết", phone="0912345678"),
              add_contestant(contest, '=HYPERLINK("http://x","bấm")', phone="0987654321"),
              add_contestant(contest, "Lê Văn\x07 Chuông", phone="0911222333", unit="Huyện Hữu Lũng"),
              add_contestant(contest, "Hoàng Đã Xóa", phone="0900000000", anonymized=True)]
    for i, person in enumerate(people):
        add_attempt(person, r1, 10 - i, 120_000 + i * 1000, 4 if i != 2 else None)
    add_attempt(people[0], round_no(contest, 2), 10, 100_000, 1)
    db.session.commit()
    return contest


def sheet_rows(workbook, title):
    return [list(r) for r in workbook[title].iter_rows(values_only=True)]


def test_round_export_is_refused_before_finalizing(contest):
    with pytest.raises(results_export.ExportError, match="chưa chốt"):
        results_export.export_round(round_no(contest, 1), io.BytesIO())


def test_round_export_has_ranking_winners_and_a_verifiable_checksum(contest, clock):
    r1 = round_no(contest, 1)
    clock.set(AFTER_ROUND_1)
    results.finalize_round(r1, "cli")
    out = io.BytesIO()
    assert results_export.export_round(r1, out) == 4
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["Bảng xếp hạng", "Đạt giải", "Thông tin"]
    ranking_rows = sheet_rows(workbook, "Bảng xếp hạng")
    assert ranking_rows[0] == results_export.RANKING_HEADERS
    first = dict(zip(ranking_rows[0], ranking_rows[1]))
    assert first["Họ và tên"] == "Nguyễn Thị Ánh Tuyết" and first["Số điện thoại"] == "0912345678"
    assert first["Giải"] == "Giải Nhất" and first["Trị giá (đồng)"] == 3_000_000 and first["Sai số dự đoán"] == 0
    assert first["Thời gian làm bài"] == "02:00.0" and first["Xét giải"] == "Có"
    formula = workbook["Bảng xếp hạng"]["C3"]
    assert formula.value == '=HYPERLINK("http://x","bấm")' and formula.data_type == "s"
    assert ranking_rows[3][2] == "Lê Văn Chuông"  # the control character is dropped
    assert ranking_rows[4][2].startswith("Thí sinh #") and ranking_rows[4][5] is None
    assert ranking_rows[4][13] == "Không"  # anonymized: no prize
    winners = sheet_rows(workbook, "Đạt giải")
    assert [(w[1], w[2]) for w in winners[1:]] == [("Giải Nhất", 3_000_000), ("Giải Nhì", 2_000_000),
                                                  ("Giải Nhì", 2_000_000), ("Tổng cộng", 7_000_000)]
    assert workbook["Đạt giải"]["C2"].number_format == "#,##0"
    info = dict(sheet_rows(workbook, "Thông tin")[1:])
    assert info["Mã kiểm tra (SHA-256)"] == r1.ranking_checksum and info["Số người tham gia"] == 4
    out.seek(0)
    assert results_export.read_ranking_checksum(out, "thu-nghiem", 1, 4) == r1.ranking_checksum


def test_winners_only_export(contest, clock):
    r1 = round_no(contest, 1)
    clock.set(AFTER_ROUND_1)
    results.finalize_round(r1, "cli")
    out = io.BytesIO()
    assert results_export.export_round(r1, out, winners_only=True) == 3
    assert load_workbook(io.BytesIO(out.getvalue())).sheetnames == ["Đạt giải", "Thông tin"]


def test_collective_export_provisional_then_final(contest, clock):
    out = io.BytesIO()
    assert results_export.export_collective(contest, out) == 3
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert sheet_rows(workbook, "Xếp hạng tập thể")[0] == results_export.COLLECTIVE_HEADERS
    assert sheet_rows(workbook, "Đạt giải tập thể")[1:] == []
    assert dict(sheet_rows(workbook, "Thông tin")[1:])["Kết quả"].startswith("Tạm thời")
    clock.set(AFTER_ROUND_2)
    for number in (1, 2):
        results.finalize_round(round_no(contest, number), "cli")
    out = io.BytesIO()
    results_export.export_collective(contest, out)
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    winners = sheet_rows(workbook, "Đạt giải tập thể")[1:]
    assert [(w[0], w[2], w[7], w[8]) for w in winners] == [
        ("Khối cơ quan cấp tỉnh", "Sở Thông tin và Truyền thông", "Giải Nhất", 5_000_000),
        ("Khối huyện, thành phố", "Huyện Hữu Lũng", "Giải Nhất", 5_000_000)]
    province = sheet_rows(workbook, "Xếp hạng tập thể")[1]
    assert province[3:7] == [3, 4, 80, 3.75]  # the anonymized account still took part


def test_commands_finalize_export_verify_and_unfinalize(contest, clock, runner, tmp_path):
    refused = runner.invoke(args=["round", "finalize", "--contest", "thu-nghiem", "1"])
    assert refused.exit_code != 0 and "chưa kết thúc" in refused.output
    clock.set(AFTER_ROUND_1)
    done = runner.invoke(args=["round", "finalize", "--contest", "thu-nghiem", "1"])
    assert done.exit_code == 0, done.output
    assert "Đã chốt kết quả tuần 1" in done.output and "Giải Nhất: Nguyễn Thị Ánh Tuyết" in done.output
    assert "3.000.000 đ" in done.output
    again = runner.invoke(args=["round", "finalize", "--contest", "thu-nghiem", "1"])
    assert again.exit_code == 0 and "đã được chốt trước đó" in again.output
    db.session.expire_all()
    r1 = db.session.scalar(sa.select(Round).where(Round.number == 1))
    assert r1.finalized_by.startswith("cli")
    file = tmp_path / "tuan1.xlsx"
    exported = runner.invoke(args=["results", "export", "--contest", "thu-nghiem", "--round", "1", str(file)])
    assert exported.exit_code == 0, exported.output
    assert load_workbook(file)["Bảng xếp hạng"]["C2"].value == "Nguyễn Thị Ánh Tuyết"
    verified = runner.invoke(args=["round", "verify", "--contest", "thu-nghiem", "1", str(file)])
    assert verified.exit_code == 0 and verified.output.count("khớp") == 2 and "KHÔNG" not in verified.output
    collective = tmp_path / "tap-the.xlsx"
    assert runner.invoke(args=["results", "export", "--contest", "thu-nghiem", "--collective",
                               str(collective)]).exit_code == 0
    assert collective.exists()
    both = runner.invoke(args=["results", "export", "--contest", "thu-nghiem", str(file)])
    assert both.exit_code != 0
    not_final = runner.invoke(args=["results", "export", "--contest", "thu-nghiem", "--round", "2", str(file)])
    assert not_final.exit_code != 0 and "chưa chốt" in not_final.output
    assert runner.invoke(args=["round", "unfinalize", "--contest", "thu-nghiem", "1"]).exit_code != 0
    undone = runner.invoke(args=["round", "unfinalize", "--contest", "thu-nghiem", "--reason",
                                 "Khiếu nại của thí sinh", "1"])
    assert undone.exit_code == 0, undone.output
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["round.finalize", "round.unfinalize"]
    assert runner.invoke(args=["round", "finalize", "--contest", "khong-co", "1"]).exit_code != 0
    assert runner.invoke(args=["round", "finalize", "--contest", "thu-nghiem", "5"]).exit_code != 0


def test_a_changed_file_does_not_verify(contest, clock, runner, tmp_path):
    clock.set(AFTER_ROUND_1)
    results.finalize_round(round_no(contest, 1), "cli")
    file = tmp_path / "tuan1.xlsx"
    results_export.export_round(round_no(contest, 1), file)
    workbook = load_workbook(file)
    workbook["Bảng xếp hạng"]["O3"] = "Giải Nhất"  # someone promotes the runner-up
    workbook.save(file)
    verified = runner.invoke(args=["round", "verify", "--contest", "thu-nghiem", "1", str(file)])
    assert verified.exit_code == 1 and "KHÔNG khớp" in verified.output
