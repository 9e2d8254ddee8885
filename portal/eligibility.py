"""May this contestant start an attempt now? One pure function every view asks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    message: str                     # Vietnamese, shown to the contestant
    next_possible_at: datetime | None = None

    @property
    def resumes(self) -> bool:
        return self.code == "resume"


def _when(instant: datetime, tz: str) -> str:
    return to_local(instant, tz).strftime("%H:%M ngày %d/%m/%Y")


def decide(s: Situation) -> Decision:
    """The rules, in the order a contestant should hear them."""
    if s.contestant_status == "ineligible":
        reason = f" ({s.status_reason})" if s.status_reason else ""
        return Decision(False, "ineligible", "Bạn thuộc diện không được dự thi theo thể lệ"
                        f"{reason}. Nếu có nhầm lẫn, vui lòng liên hệ Ban Tổ chức.")
    if s.contestant_status == "disqualified":
        reason = f": {s.status_reason}" if s.status_reason else ""
        return Decision(False, "disqualified", f"Tài khoản của bạn đã bị Ban Tổ chức loại khỏi cuộc thi{reason}.")
    if s.contestant_status != "active":
        return Decision(False, "closed", "Tài khoản này đã đóng.")
    if s.has_open_attempt:
        # An attempt started before the round closed may be finished within its own limit.
        return Decision(True, "resume", "Bạn đang có một lượt thi dở dang; tiếp tục lượt đó.")
    if s.round_state == "none":
        return Decision(False, "no_round", "Cuộc thi chưa có lịch thi.")
    if s.round_state == "upcoming":
        return Decision(False, "not_open", f"Tuần thi thứ {s.round_number} chưa mở. Bạn có thể thi từ "
                        f"{_when(s.round_opens_at, s.timezone)}.", s.round_opens_at)
    if s.round_state == "closed":
        return Decision(False, "contest_over", "Cuộc thi đã kết thúc; không còn tuần thi nào mở.")
    if s.pool_size < s.questions_per_attempt:
        return Decision(False, "pool_too_small", "Ngân hàng câu hỏi của tuần chưa sẵn sàng. Vui lòng quay lại sau.")
    if s.attempts_today >= s.attempts_per_day:
        next_day = start_of_next_local_day(s.now, s.timezone)
        if s.round_closes_at is not None and next_day >= s.round_closes_at:
            return Decision(False, "daily_limit_round_end",
                            f"Hôm nay bạn đã thi đủ {s.attempts_per_day} lượt, và tuần thi thứ {s.round_number} "
                            f"đóng lúc {_when(s.round_closes_at, s.timezone)}. Hẹn bạn ở tuần thi tiếp theo.")
        return Decision(False, "daily_limit",
                        f"Hôm nay bạn đã thi đủ {s.attempts_per_day} lượt. Lượt tiếp theo có thể bắt đầu từ "
                        f"{_when(next_day, s.timezone)}.", next_day)
    return Decision(True, "ok", "Bạn có thể bắt đầu lượt thi.")
