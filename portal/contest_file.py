"""Contest files (TOML): parse and validate into plain values, then create or update a
contest from them in one transaction. Validation reports every problem with its key."""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3

from portal.clock import local_to_utc

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")
ORIGIN_RE = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:\d{1,5})?$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

SCALARS: dict[str, tuple[type, Any]] = {
    # key: (type, default)
    "title": (str, None),
    "organizer": (str, ""),
    "summary": (str, ""),
    "rules_html": (str, ""),
    "timezone": (str, "Asia/Ho_Chi_Minh"),
    "questions_per_attempt": (int, 10),
    "choices_per_question": (int, 4),
    "time_limit_seconds": (int, 600),
    "grace_seconds": (int, 15),
    "attempts_per_day": (int, 1),
    "prediction": (str, "people"),
    "prediction_max": (int, 10_000_000),
    "shuffle_choices": (bool, True),
    "prizes_in_several_rounds": (bool, True),
    "collective_criterion": (str, "participants"),
    "publish_answer_key": (bool, False),
    "ask_id_number": (bool, False),
    "ask_email": (bool, False),
    "retention_days": (int, 365),
}
KNOWN_TOP = set(SCALARS) | {"slug", "tiebreak", "embed_origins", "rounds", "prizes", "blocks", "units"}
RANGES = {
    "questions_per_attempt": (1, 200),
    "choices_per_question": (2, 6),
    "time_limit_seconds": (10, 24 * 3600),
    "grace_seconds": (0, 600),
    "attempts_per_day": (1, 100),
    "prediction_max": (1, 10**12),
    "retention_days": (1, 10 * 365),
}
RICH_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h2", "h3", "h4",
             "a", "blockquote", "table", "thead", "tbody", "tr", "th", "td"}


def sanitize_html(html: str) -> str:
    """Rich text from moderators or files: a small allow-list, links made safe."""
    return nh3.clean(html, tags=RICH_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def origin_allowed(origin: str, patterns: list[str]) -> bool:
    """An exact origin against the contest's list; '*.' matches one or more labels."""
    for pattern in patterns:
        if "*." in pattern:
            scheme, rest = pattern.split("://", 1)
            if origin.startswith(scheme + "://") and fnmatch.fnmatchcase(
                    origin[len(scheme) + 3:], rest) and "/" not in origin[len(scheme) + 3:]:
                return True
        elif origin == pattern:
            return True
    return False


@dataclass
class ContestSpec:
    """A validated contest file: plain values only."""

    slug: str
    settings: dict[str, Any]
    tiebreak: list[str]
    embed_origins: list[str]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    prizes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)


class ContestFileError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_contest_file(text: str) -> ContestSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContestFileError([f"TOML: {exc}"]) from exc
    return validate_contest(data)


def _typed(problems: list[str], key: str, value: Any, kind: type) -> Any:
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append(f"{key}: phải là số nguyên (must be an integer)")
        return None
    if kind is not int and not isinstance(value, kind):
        problems.append(f"{key}: phải là kiểu {kind.__name__} (must be {kind.__name__})")
        return None
    return value


def _local_time(problems: list[str], key: str, value: Any, tz: str | None) -> datetime | None:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            problems.append(f"{key}: ghi giờ địa phương, không kèm múi giờ (local time, no offset)")
            return None
        naive = value
    elif isinstance(value, str):
        try:
            naive = datetime.fromisoformat(value)
        except ValueError:
            problems.append(f"{key}: không phải thời điểm dạng 2023-07-03T08:00 (not a local date-time)")
            return None
        if naive.tzinfo is not None:
            problems.append(f"{key}: ghi giờ địa phương, không kèm múi giờ (local time, no offset)")
            return None
    else:
        problems.append(f"{key}: thiếu hoặc sai kiểu (missing or not a date-time)")
        return None
    return local_to_utc(naive, tz) if tz else None


def _check_scalars(data: dict, problems: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, (kind, default) in SCALARS.items():
        if key not in data:
            if default is None:
                problems.append(f"{key}: bắt buộc (required)")
            settings[key] = default
            continue
        value = _typed(problems, key, data[key], kind)
        if value is None:
            continue
        if key in RANGES and not RANGES[key][0] <= value <= RANGES[key][1]:
            problems.append(f"{key}: phải trong khoảng {RANGES[key][0]}–{RANGES[key][1]}")
        settings[key] = value.strip() if isinstance(value, str) else value
    if settings.get("title") is not None and not settings["title"]:
        problems.append("title: không được để trống (empty)")
    if settings.get("prediction") not in ("people", "attempts", "none"):
        problems.append("prediction: phải là people, attempts hoặc none")
    if settings.get("collective_criterion") not in ("participants", "rate"):
        problems.append("collective_criterion: phải là participants hoặc rate")
    tz = settings.get("timezone")
    try:
        ZoneInfo(tz) if isinstance(tz, str) and tz else None
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: múi giờ không tồn tại: {tz}")
        settings["timezone"] = None
    settings["rules_html"] = sanitize_html(settings.get("rules_html") or "")
    return settings


def _check_lists(data: dict, problems: list[str]) -> tuple[list[str], list[str]]:
    tiebreak = data.get("tiebreak", ["score", "duration", "prediction"])
    if (not isinstance(tiebreak, list) or not tiebreak or tiebreak[0] != "score"
            or len(set(tiebreak)) != len(tiebreak)
            or any(t not in ("score", "duration", "prediction") for t in tiebreak)):
        problems.append('tiebreak: danh sách bắt đầu bằng "score", lấy từ score, duration, prediction, không lặp')
        tiebreak = ["score", "duration", "prediction"]
    origins = data.get("embed_origins", [])
    if not isinstance(origins, list):
        problems.append("embed_origins: phải là danh sách (must be a list)")
        origins = []
    for i, origin in enumerate(origins):
        if not isinstance(origin, str) or not ORIGIN_RE.fullmatch(origin):
            problems.append(f"embed_origins[{i}]: không phải nguồn hợp lệ như https://*.langson.gov.vn")
    return tiebreak, [o for o in origins if isinstance(o, str)]


def _check_rounds(data: dict, tz: str | None, problems: list[str]) -> list[dict]:
    rounds = data.get("rounds")
    if not isinstance(rounds, list) or not rounds:
        problems.append("rounds: cần ít nhất một tuần thi ([[rounds]])")
        return []
    out, seen = [], set()
    for i, entry in enumerate(rounds):
        key = f"rounds[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{key}: phải là bảng [[rounds]]")
            continue
        for extra in sorted(set(entry) - {"number", "title", "opens_at", "closes_at"}):
            problems.append(f"{key}.{extra}: khóa không được hỗ trợ (unknown key)")
        number = _typed(problems, f"{key}.number", entry.get("number"), int)
        if number is not None and number <= 0:
            problems.append(f"{key}.number: phải lớn hơn 0")
        if number in seen:
            problems.append(f"{key}.number: trùng số tuần {number}")
        seen.add(number)
        opens = _local_time(problems, f"{key}.opens_at", entry.get("opens_at"), tz)
        closes = _local_time(problems, f"{key}.closes_at", entry.get("closes_at"), tz)
        if opens and closes and closes <= opens:
            problems.append(f"{key}.closes_at: phải sau opens_at")
        title = entry.get("title", "")
        if not isinstance(title, str):
            problems.append(f"{key}.title: phải là chuỗi")
            title = ""
        out.append({"number": number, "title": title.strip(), "opens_at": opens, "closes_at": closes})
    windows = sorted((r for r in out if r["opens_at"] and r["closes_at"]), key=lambda r: r["opens_at"])
    for before, after in zip(windows, windows[1:]):
        if after["opens_at"] < before["closes_at"]:
            problems.append(f"rounds: tuần {before['number']} và tuần {after['number']} chồng lấn thời gian")
    return out


def _check_named_list(problems: list[str], key: str, items: Any, fields: dict[str, type]) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(f"{key}: phải là danh sách bảng [[{key}]]")
        return []
    out = []
    for i, entry in enumerate(items):
        path = f"{key}[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{path}: phải là bảng")
            continue
        for extra in sorted(set(entry) - set(fields)):
            problems.append(f"{path}.{extra}: khóa không được hỗ trợ (unknown key)")
        row = {}
        for name, kind in fields.items():
            optional = name in ("headcount", "parent", "position")
            if name not in entry:
                if not optional:
                    problems.append(f"{path}.{name}: bắt buộc (required)")
                row[name] = None
                continue
            value = _typed(problems, f"{path}.{name}", entry[name], kind)
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    problems.append(f"{path}.{name}: không được để trống")
            if isinstance(value, int) and value < 0:
                problems.append(f"{path}.{name}: không được âm")
            row[name] = value
        out.append(row)
    return out


def validate_contest(data: dict) -> ContestSpec:
    problems: list[str] = []
    for extra in sorted(set(data) - KNOWN_TOP):
        problems.append(f"{extra}: khóa không được hỗ trợ (unknown key)")
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        problems.append("slug: bắt buộc, chữ thường không dấu, số và dấu gạch ngang")
    settings = _check_scalars(data, problems)
    tiebreak, origins = _check_lists(data, problems)
    # With a bad time zone the file is refused anyway; UTC still lets the rounds be checked.
    rounds = _check_rounds(data, settings.get("timezone") or "UTC", problems)

    prizes_raw = data.get("prizes", {})
    if not isinstance(prizes_raw, dict):
        problems.append("prizes: phải là bảng [prizes]")
        prizes_raw = {}
    for extra in sorted(set(prizes_raw) - {"individual", "collective"}):
        problems.append(f"prizes.{extra}: chỉ có prizes.individual và prizes.collective")
    tier_fields = {"name": str, "count": int, "amount": int}
    prizes = {kind: _check_named_list(problems, f"prizes.{kind}", prizes_raw.get(kind), tier_fields)
              for kind in ("individual", "collective")}
    for kind, tiers in prizes.items():
        for i, tier in enumerate(tiers):
            if tier["count"] is not None and tier["count"] < 1:
                problems.append(f"prizes.{kind}[{i}].count: phải ít nhất là 1")

    blocks = _check_named_list(problems, "blocks", data.get("blocks"), {"key": str, "name": str})
    block_keys = [b["key"] for b in blocks]
    for i, key in enumerate(block_keys):
        if key and not KEY_RE.fullmatch(key):
            problems.append(f"blocks[{i}].key: chỉ gồm chữ thường, số, - và _")
    for key in sorted({k for k in block_keys if k and block_keys.count(k) > 1}):
        problems.append(f"blocks: khóa khối '{key}' bị trùng")
    units = _check_named_list(problems, "units", data.get("units"),
                              {"block": str, "name": str, "headcount": int, "parent": str})
    names = [u["name"] for u in units]
    for i, unit in enumerate(units):
        if unit["block"] and unit["block"] not in block_keys:
            problems.append(f"units[{i}].block: không có khối '{unit['block']}' trong [[blocks]]")
        if unit["parent"] and unit["parent"] not in names:
            problems.append(f"units[{i}].parent: không có đơn vị '{unit['parent']}'")
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append(f"units: tên đơn vị '{name}' bị trùng")

    if problems:
        raise ContestFileError(problems)
    return ContestSpec(slug=slug, settings=settings, tiebreak=tiebreak, embed_origins=origins,
                       rounds=rounds, prizes=prizes, blocks=blocks, units=units)
