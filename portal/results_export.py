"""The official results files (Excel, Vietnamese headers): a round's frozen ranking and
its winners, the collective ranking and winners per block. Rows are streamed from the
database into openpyxl's write-only workbook, so a 100,000-row round never sits in memory."""
from __future__ import annotations

import unicodedata
from typing import IO, Iterable

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from portal import clock, ranking, results
from portal.extensions import db
from portal.formatting import duration_text, vn_datetime
from portal.models import Attempt, Block, Contest, Contestant, RankingEntry, Round, Unit

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_BATCH = 2000
MONEY_FORMAT = "#,##0"
MONEY_COLUMN = frozenset({15})

RANKING_HEADERS = ["Hạng", "Mã thí sinh", "Họ và tên", "Đơn vị", "Khối", "Số điện thoại", "Số câu đúng",
                   "Thời gian làm bài (ms)", "Thời gian làm bài", "Dự đoán", "Sai số dự đoán",
                   "Thời điểm nộp bài", "Mã lượt thi", "Xét giải", "Giải", "Trị giá (đồng)"]
WINNER_HEADERS = ["Hạng", "Giải", "Trị giá (đồng)", "Họ và tên", "Đơn vị", "Khối", "Số điện thoại",
                  "Mã thí sinh", "Số câu đúng", "Thời gian làm bài", "Sai số dự đoán"]
COLLECTIVE_HEADERS = ["Khối", "Hạng", "Đơn vị", "Số người tham gia", "Số lượt thi", "Số người của đơn vị",
                      "Tỷ lệ tham gia (%)", "Giải", "Trị giá (đồng)"]


class ExportError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def round_filename(round_: Round) -> str:
    return f"ket-qua-{round_.contest.slug}-tuan-{round_.number}.xlsx"


def collective_filename(contest: Contest) -> str:
    return f"ket-qua-tap-the-{contest.slug}.xlsx"


def _clean(value: str) -> str:
    """NFC text without the control characters an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", unicodedata.normalize("NFC", value))


class _Sheet:
    """A write-only sheet with a bold header row; text always stays text, so a name
    like "=HYPERLINK(…)" can never become a formula in the moderators' Excel."""

    def __init__(self, workbook: Workbook, title: str, headers: list[str], widths: Iterable[int] = ()):
        self.ws = workbook.create_sheet(title)
        for index, width in enumerate(widths):
            self.ws.column_dimensions[chr(ord("A") + index)].width = width
        self.ws.freeze_panes = "A2"
        self.rows = 0
        self.ws.append([self._cell(h, bold=True) for h in headers])

    def _cell(self, value, bold: bool = False, money: bool = False):
        if isinstance(value, str):
            value = _clean(value)
        if not (bold or (money and value is not None) or (isinstance(value, str) and value.startswith("="))):
            return value  # a plain value: openpyxl types it itself, and faster
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
        if money and value is not None:
            cell.number_format = MONEY_FORMAT
        return cell

    def append(self, values: list, money_columns: Iterable[int] = ()) -> None:
        self.ws.append([self._cell(v, money=i in money_columns) for i, v in enumerate(values)])
        self.rows += 1


def _info_sheet(workbook: Workbook, pairs: list[tuple[str, object]]) -> None:
    sheet = _Sheet(workbook, "Thông tin", ["Mục", "Giá trị"], widths=(28, 90))
    for key, value in pairs:
        sheet.append([key, "" if value is None else value])


def _name_and_phone(row) -> tuple[str, str]:
    if row.anonymized_at is not None:
        return f"Thí sinh #{row.contestant_id}", ""
    return row.full_name, row.phone


def _frozen_rows(round_: Round, winners_only: bool):
    query = (sa.select(RankingEntry.rank, RankingEntry.contestant_id, RankingEntry.attempt_id, RankingEntry.score,
                       RankingEntry.duration_ms, RankingEntry.prediction, RankingEntry.prediction_error,
                       RankingEntry.eligible, RankingEntry.prize_name, RankingEntry.prize_amount,
                       Contestant.full_name, Contestant.phone, Contestant.anonymized_at,
                       Unit.name.label("unit_name"), Block.name.label("block_name"),
                       Attempt.submitted_at)
             .join(Contestant, Contestant.id == RankingEntry.contestant_id)
             .join(Unit, Unit.id == Contestant.unit_id).join(Block, Block.id == Unit.block_id)
             .join(Attempt, Attempt.id == RankingEntry.attempt_id)
             .where(RankingEntry.round_id == round_.id).order_by(RankingEntry.rank))
    if winners_only:
        query = query.where(RankingEntry.prize_name.is_not(None))
    return db.session.execute(query.execution_options(yield_per=STREAM_BATCH))


def export_round(round_: Round, dest: str | IO[bytes], winners_only: bool = False) -> int:
    """Write the round's official results to dest (a path or a binary file); returns the
    number of ranking rows written. Only a finalized round has official results."""
    if not round_.is_final:
        raise ExportError(f"Tuần {round_.number} chưa chốt kết quả: chưa có kết quả chính thức để xuất.")
    contest, tz = round_.contest, round_.contest.timezone
    workbook = Workbook(write_only=True)
    written = 0
    if not winners_only:
        sheet = _Sheet(workbook, "Bảng xếp hạng", RANKING_HEADERS,
                       widths=(7, 11, 28, 32, 26, 13, 11, 12, 11, 11, 11, 19, 11, 9, 18, 14))
        for row in _frozen_rows(round_, winners_only=False):
            name, phone = _name_and_phone(row)
            sheet.append([row.rank, row.contestant_id, name, row.unit_name, row.block_name, phone, row.score,
                          row.duration_ms, duration_text(row.duration_ms), row.prediction, row.prediction_error,
                          clock.to_local(row.submitted_at, tz).strftime("%d/%m/%Y %H:%M:%S") if row.submitted_at else "",
                          row.attempt_id, "Có" if row.eligible else "Không", row.prize_name or "",
                          row.prize_amount], money_columns=MONEY_COLUMN)
        written = sheet.rows
    winners = _Sheet(workbook, "Đạt giải", WINNER_HEADERS, widths=(7, 18, 14, 28, 32, 26, 13, 11, 11, 11, 11))
    total = 0
    for row in _frozen_rows(round_, winners_only=True):
        name, phone = _name_and_phone(row)
        winners.append([row.rank, row.prize_name, row.prize_amount, name, row.unit_name, row.block_name, phone,
                        row.contestant_id, row.score, duration_text(row.duration_ms), row.prediction_error],
                       money_columns=(2,))
        total += row.prize_amount or 0
    winners.append(["", "Tổng cộng", total], money_columns=(2,))
    written = written or winners.rows - 1
    _info_sheet(workbook, [
        ("Cuộc thi", contest.title),
        ("Tuần thi", f"{round_.title or 'Tuần ' + str(round_.number)} ({round_.number})"),
        ("Thời gian", f"{vn_datetime(round_.opens_at, tz)} – {vn_datetime(round_.closes_at, tz)}"),
        ("Tổng số lượt thi" if contest.prediction == "attempts" else "Số người tham gia", round_.participants_final),
        ("Chốt kết quả lúc", vn_datetime(round_.finalized_at, tz)),
        ("Người chốt", round_.finalized_by),
        ("Mã kiểm tra (SHA-256)", round_.ranking_checksum),
        ("Cách kiểm tra", checksum_explanation(contest.slug, round_.number, round_.participants_final)),
    ])
    workbook.save(dest)
    return written


def checksum_explanation(slug: str, number: int, participants: int | None) -> str:
    header = next(ranking.checksum_lines(slug, number, participants, []))
    return ("SHA-256 (UTF-8) của văn bản gồm dòng đầu \"" + header.strip() + "\" và mỗi dòng của bảng xếp hạng "
            "theo thứ tự hạng: Hạng|Mã thí sinh|Mã lượt thi|Số câu đúng|Thời gian (ms)|Dự đoán|Sai số|"
            "Xét giải (1/0)|Giải|Trị giá, ô trống để trống, mỗi dòng kết thúc bằng xuống dòng.")


def export_collective(contest: Contest, dest: str | IO[bytes]) -> int:
    """Write the collective ranking and winners per block; returns the rows written.
    Before the last round is finalized the file says it is provisional and has no prizes."""
    standings = results.collective_standings(contest)
    workbook = Workbook(write_only=True)
    sheet = _Sheet(workbook, "Xếp hạng tập thể", COLLECTIVE_HEADERS, widths=(28, 7, 36, 12, 12, 12, 12, 18, 14))
    winners = _Sheet(workbook, "Đạt giải tập thể", COLLECTIVE_HEADERS, widths=(28, 7, 36, 12, 12, 12, 12, 18, 14))
    for block in standings["blocks"]:
        for row in block["rows"]:
            values = [block["name"], row["rank"], row["unit"], row["participants"], row["attempts"],
                      row["headcount"], row["rate"], row["prize"] or "", row["prize_amount"]]
            sheet.append(values, money_columns=(8,))
            if row["prize"]:
                winners.append(values, money_columns=(8,))
    criterion = {"participants": "số người tham gia", "rate": "tỷ lệ tham gia"}[standings["criterion"]]
    _info_sheet(workbook, [
        ("Cuộc thi", contest.title),
        ("Kết quả", "Chính thức (đã chốt tuần thi cuối)" if standings["final"] else
         "Tạm thời: giải tập thể được xét sau khi chốt kết quả tuần thi cuối cùng"),
        ("Tiêu chí xếp hạng", f"{criterion}; bằng nhau thì xét tổng số lượt thi, rồi điểm bình quân lượt thi tốt nhất"),
        ("Ngày xuất", vn_datetime(clock.now(), contest.timezone)),
    ])
    workbook.save(dest)
    return sheet.rows


def read_ranking_checksum(path_or_file, slug: str, number: int, participants: int | None) -> str:
    """Recompute the checksum from an exported file's ranking sheet (to verify a
    published list against the one stored at finalizing)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path_or_file, read_only=True)
    try:
        rows = workbook["Bảng xếp hạng"].iter_rows(values_only=True)
        # Columns by their header, so a file whose columns were reordered still verifies.
        col = {name: i for i, name in enumerate(next(rows, ()))}

        def value(row, name):
            v = row[col[name]] if col[name] < len(row) else None  # read-only mode trims empty cells
            return None if v in (None, "") else v

        checksum_rows = (ranking.ChecksumRow(
            rank=value(r, "Hạng"), contestant_id=value(r, "Mã thí sinh"), attempt_id=value(r, "Mã lượt thi"),
            score=value(r, "Số câu đúng"), duration_ms=value(r, "Thời gian làm bài (ms)"),
            prediction=value(r, "Dự đoán"), prediction_error=value(r, "Sai số dự đoán"),
            eligible=value(r, "Xét giải") == "Có", prize_name=value(r, "Giải"), prize_amount=value(r, "Trị giá (đồng)"))
            for r in rows if r and r[0] is not None)
        return ranking.ranking_checksum(slug, number, participants, checksum_rows)
    finally:
        workbook.close()

