"""Vietnamese formats for dates, times, durations, money and masked personal data."""
from __future__ import annotations

from datetime import date, datetime

from portal.clock import to_local

def N_(text: str) -> str:
    """Marks a string for the translation catalog; translated where it is shown."""
    return text


WEEKDAYS = [N_("Thứ Hai"), N_("Thứ Ba"), N_("Thứ Tư"), N_("Thứ Năm"), N_("Thứ Sáu"), N_("Thứ Bảy"), N_("Chủ nhật")]


def vn_date(value: date | datetime, tz: str | None = None) -> str:
    if isinstance(value, datetime) and tz:
        value = to_local(value, tz)
    return value.strftime("%d/%m/%Y")


def vn_time(value: datetime, tz: str) -> str:
    return to_local(value, tz).strftime("%H:%M")


def vn_datetime(value: datetime, tz: str, weekday: bool = False, names: list[str] = WEEKDAYS) -> str:
    """08:00, 03/07/2023 (or 08:00, Thứ Hai 03/07/2023): Vietnamese formats in every language."""
    local = to_local(value, tz)
    if not weekday:
        return local.strftime("%H:%M, %d/%m/%Y")
    return f"{local.strftime('%H:%M')}, {names[local.weekday()]} {local.strftime('%d/%m/%Y')}"


def vn_number(value: int | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", ".")


def vn_money(value: int | None) -> str:
    return "—" if value is None else f"{vn_number(value)} đ"


def duration_text(ms: int | None) -> str:
    """Counted duration as mm:ss.s (tenths truncated, never rounded up)."""
    if ms is None:
        return "—"
    minutes, rest = divmod(int(ms), 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{minutes:02d}:{seconds:02d}.{millis // 100}"


def mask_phone(phone: str | None) -> str:
    """0912345678 -> 091****678: enough to recognise oneself, not to call."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return "*" * (len(value) - 4) + value[-4:]
