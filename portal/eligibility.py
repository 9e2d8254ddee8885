"""May this contestant start an attempt now? One pure function every view asks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from portal.clock import start_of_next_local_day, to_local


@dataclass(frozen=True)
class Situation:
    """Plain facts about a contestant and the contest at one instant."""

    now: datetime
    timezone: str
    round_state: str                 # open | upcoming | closed | none
    round_number: int | None
    round_opens_at: datetime | None
    round_closes_at: datetime | None
    contestant_status: str           # active | ineligible | disqualified | closed
    status_reason: str
    attempts_today: int
    attempts_per_day: int
    has_open_attempt: bool
    pool_size: int
    questions_per_attempt: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str                        # ok | resume | no_round | not_open | ... (stable, for tests and logs)
    message: str                     # shown to the contestant (Vietnamese, or translated)
    next_possible_at: datetime | None = None

    @property
    def resumes(self) -> bool:
        return self.code == "resume"


def _same(text: str) -> str:
    return text


def _when(instant: datetime, tz: str, _: Callable[[str], str]) -> str:
    return to_local(instant, tz).strftime(_("%H:%M ngày %d/%m/%Y"))


def decide(s: Situation, _: Callable[[str], str] = _same) -> Decision:
    """The rules, in the order a contestant should hear them. `_` translates a message
    (identity by default, so the rules stay free of any framework)."""
    if s.contestant_status == "ineligible":
        reason = f" ({s.status_reason})" if s.status_reason else ""
        return Decision(False, "ineligible", _("Bạn thuộc diện không được dự thi theo thể lệ%(reason)s. "
                                              "Nếu có nhầm lẫn, vui lòng liên hệ Ban Tổ chức.") % {"reason": reason})
    if s.contestant_status == "disqualified":
        reason = f": {s.status_reason}" if s.status_reason else ""
        return Decision(False, "disqualified",
                        _("Tài khoản của bạn đã bị Ban Tổ chức loại khỏi cuộc thi%(reason)s.") % {"reason": reason})
    if s.contestant_status != "active":
        return Decision(False, "closed", _("Tài khoản này đã đóng."))
    if s.has_open_attempt:
        # An attempt started before the round closed may be finished within its own limit.
        return Decision(True, "resume", _("Bạn đang có một lượt thi dở dang; tiếp tục lượt đó."))
    if s.round_state == "none":
        return Decision(False, "no_round", _("Cuộc thi chưa có lịch thi."))
    if s.round_state == "upcoming":
        return Decision(False, "not_open", _("Tuần thi thứ %(n)s chưa mở. Bạn có thể thi từ %(when)s.") % {
            "n": s.round_number, "when": _when(s.round_opens_at, s.timezone, _)}, s.round_opens_at)
    if s.round_state == "closed":
        return Decision(False, "contest_over", _("Cuộc thi đã kết thúc; không còn tuần thi nào mở."))
    if s.pool_size < s.questions_per_attempt:
        return Decision(False, "pool_too_small", _("Ngân hàng câu hỏi của tuần chưa sẵn sàng. Vui lòng quay lại sau."))
    if s.attempts_today >= s.attempts_per_day:
        next_day = start_of_next_local_day(s.now, s.timezone)
        if s.round_closes_at is not None and next_day >= s.round_closes_at:
            return Decision(False, "daily_limit_round_end",
                            _("Hôm nay bạn đã thi đủ %(n)s lượt, và tuần thi thứ %(r)s đóng lúc %(when)s. "
                              "Hẹn bạn ở tuần thi tiếp theo.") % {
                                "n": s.attempts_per_day, "r": s.round_number,
                                "when": _when(s.round_closes_at, s.timezone, _)})
        return Decision(False, "daily_limit",
                        _("Hôm nay bạn đã thi đủ %(n)s lượt. Lượt tiếp theo có thể bắt đầu từ %(when)s.") % {
                            "n": s.attempts_per_day, "when": _when(next_day, s.timezone, _)}, next_day)
    return Decision(True, "ok", _("Bạn có thể bắt đầu lượt thi."))
