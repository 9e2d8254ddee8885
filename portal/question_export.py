"""Question banks as .xlsx: the export (columns the import reads back) and the template
file moderators fill in. Pure: rows in, workbook bytes out."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from portal.question_import import OPTIONAL, expected_columns

EXAMPLE_ROUND = 1
EXAMPLE = {
    "question": "Ngày Chuyển đổi số quốc gia là ngày nào trong năm?",
    "choices": ["Ngày 10 tháng 10", "Ngày 2 tháng 9", "Ngày 1 tháng 7", "Ngày 26 tháng 3",
                "Ngày 19 tháng 5", "Ngày 20 tháng 11"],
    "answer": 0,
    "explanation": "Quyết định 505/QĐ-TTg ngày 22/04/2022 lấy ngày 10 tháng 10 hằng năm là Ngày Chuyển đổi số quốc gia.",
    "source": "Quyết định 505/QĐ-TTg ngày 22/04/2022 của Thủ tướng Chính phủ",
}


@dataclass(frozen=True)
class BankRow:
    round: int
    text: str
    choices: list[str]
    answer: int | None  # index of the correct choice
    explanation: str = ""
    source: str = ""


def header(letters: str) -> list[str]:
    return [*expected_columns(letters), *OPTIONAL]


def _text_cell(sheet, row: int, column: int, value) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        # openpyxl stores "=..." as a formula; a question that starts with "=" stays text.
        cell.data_type = "s"
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _workbook(letters: str, rows: Iterable[BankRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Câu hỏi"
    names = header(letters)
    for column, name in enumerate(names, start=1):
        sheet.cell(row=1, column=column, value=name).font = Font(bold=True)
    widths = {"round": 8, "question": 60, "answer": 9, "explanation": 50, "source": 40}
    for column, name in enumerate(names, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = widths.get(name, 28)
    sheet.freeze_panes = "A2"
    for number, item in enumerate(rows, start=2):
        answer = letters[item.answer] if item.answer is not None and item.answer < len(letters) else ""
        values = [item.round, item.text, *(item.choices + [""] * len(letters))[: len(letters)],
                  answer, item.explanation, item.source]
        for column, value in enumerate(values, start=1):
            _text_cell(sheet, number, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bank_workbook(letters: str, rows: Iterable[BankRow]) -> bytes:
    """The bank in the import's own columns, so an edited export can be imported again."""
    return _workbook(letters, rows)


def template_workbook(letters: str) -> bytes:
    """The header and one example row."""
    example = BankRow(EXAMPLE_ROUND, EXAMPLE["question"], EXAMPLE["choices"][: len(letters)],
                      EXAMPLE["answer"], EXAMPLE["explanation"], EXAMPLE["source"])
    return _workbook(letters, [example])
