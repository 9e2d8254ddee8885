"""Question files (.xlsx or UTF-8 .csv): read, validate every row, and report every bad row.
Pure functions: plain values in, plain values out; the caller decides what to save."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Iterable

REQUIRED = ["round", "question"]
OPTIONAL = ["explanation", "source"]
MAX_ROWS = 5000
MAX_QUESTION = 1000
MAX_CHOICE = 400
MAX_NOTE = 2000
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ParsedQuestion:
    row: int
    round: int
    text: str
    choices: list[str]
    answer: int  # index into choices
    explanation: str = ""
    source: str = ""


@dataclass
class ImportReport:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.questions)


class UnreadableFile(Exception):
    """The file as a whole cannot be read (type, encoding, corruption)."""


def expected_columns(letters: str) -> list[str]:
    return ["round", "question", *letters, "answer"]


def clean_text(value: object) -> str:
    """Cell values as NFC text; numbers as written; None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").strip()
    return text


def read_table(filename: str, data: bytes) -> list[list[object]]:
    """All rows of the first sheet (xlsx) or of the CSV, header first. Never evaluates a
    formula: a formula cell is returned as FormulaCell so validation can refuse it."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".xlsx":
        return _read_xlsx(data)
    raise UnreadableFile("Chỉ nhận tệp .xlsx hoặc .csv (UTF-8).")


def _read_csv(data: bytes) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("Tệp CSV không phải mã UTF-8.") from exc
    if "\x00" in text:
        raise UnreadableFile("Tệp CSV chứa ký tự nhị phân.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


class FormulaCell(str):
    """A cell holding a formula (refused, never evaluated)."""


def _read_xlsx(data: bytes) -> list[list[object]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile("Tệp .xlsx bị hỏng hoặc không đúng định dạng.") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for count, row in enumerate(sheet.iter_rows(), start=1):
            if count > MAX_ROWS + 1:
                break
            rows.append([FormulaCell(c.value) if c.data_type == "f" else c.value for c in row])
        return rows
    finally:
        workbook.close()


def _check_header(header: list[object], letters: str) -> tuple[dict[str, int], list[str]]:
    def column_name(cell: object) -> str:
        text = clean_text(cell)
        return text.upper() if len(text) == 1 and text.upper() in letters else text.lower()

    names = [column_name(h) for h in header]
    while names and not names[-1]:
        names.pop()
    expected = expected_columns(letters)
    allowed = set(expected) | set(OPTIONAL)
    problems = []
    missing = [c for c in expected if c not in names]
    unknown = [n for n in names if n not in allowed]
    doubled = sorted({n for n in names if n and names.count(n) > 1})
    if missing:
        problems.append("thiếu cột " + ", ".join(missing))
    if unknown:
        problems.append("cột không hợp lệ: " + ", ".join(n or "(trống)" for n in unknown))
    if doubled:
        problems.append("cột bị lặp: " + ", ".join(doubled))
    if problems:
        problems.append("cần đúng các cột: " + ", ".join(expected) + " (tùy chọn: explanation, source)")
    return {n: i for i, n in enumerate(names)}, problems


def _cell(row: list[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return None
    return row[index]


def _parse_row(number: int, row: list[object], columns: dict[str, int], letters: str,
               round_filter: int | None, rounds: set[int]) -> tuple[ParsedQuestion | None, list[str]]:
    reasons = []
    raw = {name: _cell(row, i) for name, i in columns.items()}
    for name, value in raw.items():
        if isinstance(value, FormulaCell):
            reasons.append(f"ô {name} chứa công thức (không được phép)")
    values = {name: clean_text(v) for name, v in raw.items()}
    for name, value in values.items():
        if CONTROL_RE.search(value):
            reasons.append(f"ô {name} chứa ký tự điều khiển")
    round_text = values.get("round", "")
    round_number = None
    if not round_text and round_filter is not None:
        round_number = round_filter
    elif not re.fullmatch(r"\d{1,3}", round_text):
        reasons.append("cột round phải là số tuần")
    else:
        round_number = int(round_text)
        if round_filter is not None and round_number != round_filter:
            reasons.append(f"câu hỏi của tuần {round_number}, không phải tuần {round_filter}")
        elif round_number not in rounds:
            reasons.append(f"cuộc thi không có tuần {round_number}")
    text = values.get("question", "")
    if not text:
        reasons.append("câu hỏi trống")
    elif len(text) > MAX_QUESTION:
        reasons.append(f"câu hỏi dài quá {MAX_QUESTION} ký tự")
    choices = [values.get(letter, "") for letter in letters]
    for letter, choice in zip(letters, choices):
        if not choice:
            reasons.append(f"thiếu phương án {letter}")
        elif len(choice) > MAX_CHOICE:
            reasons.append(f"phương án {letter} dài quá {MAX_CHOICE} ký tự")
    filled = [c.casefold() for c in choices if c]
    if len(set(filled)) != len(filled):
        reasons.append("có hai phương án trùng nhau")
    answer = values.get("answer", "").upper()
    if len(answer) != 1 or answer not in letters:
        reasons.append(f"đáp án phải là một chữ cái {', '.join(letters)} (nhận được “{values.get('answer', '')}”)")
    for name in OPTIONAL:
        if len(values.get(name, "")) > MAX_NOTE:
            reasons.append(f"cột {name} dài quá {MAX_NOTE} ký tự")
    if reasons:
        return None, reasons
    return ParsedQuestion(row=number, round=round_number, text=text, choices=choices,
                          answer=letters.index(answer), explanation=values.get("explanation", ""),
                          source=values.get("source", "")), []


def validate_table(rows: list[list[object]], letters: str, rounds: Iterable[int],
                   round_filter: int | None = None,
                   existing: dict[int, set[str]] | None = None) -> ImportReport:
    """Every row checked; rows are numbered as in a spreadsheet (header = row 1).
    `existing` maps round number to the question texts already in its bank."""
    report = ImportReport()
    if not rows:
        report.errors.append((1, "tệp trống"))
        return report
    columns, problems = _check_header(rows[0], letters)
    if problems:
        report.errors.extend((1, p) for p in problems)
        return report
    if len(rows) - 1 > MAX_ROWS:
        report.errors.append((MAX_ROWS + 2, f"quá {MAX_ROWS} dòng"))
        return report
    rounds = set(rounds)
    seen: dict[tuple[int, str], int] = {}
    known = {rnd: {t.casefold() for t in texts} for rnd, texts in (existing or {}).items()}
    for number, row in enumerate(rows[1:], start=2):
        if all(clean_text(v) == "" for v in row):
            continue  # blank lines between blocks of questions are harmless
        parsed, reasons = _parse_row(number, row, columns, letters, round_filter, rounds)
        if parsed:
            key = (parsed.round, parsed.text.casefold())
            if key in seen:
                reasons.append(f"trùng câu hỏi ở dòng {seen[key]} (cùng tuần)")
            elif key[1] in known.get(parsed.round, set()):
                reasons.append("câu hỏi này đã có trong ngân hàng của tuần")
            seen.setdefault(key, number)
        if reasons:
            report.errors.append((number, "; ".join(reasons)))
        elif parsed:
            report.questions.append(parsed)
    if not report.questions and not report.errors:
        report.errors.append((2, "tệp không có câu hỏi nào"))
    return report
