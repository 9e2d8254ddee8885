"""What moderators do to contestant accounts: set a status with its reason, give a
temporary password, merge or close a duplicate. Each change commits with its audit entry."""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from portal import audit, stats
from portal.extensions import db
from portal.formatting import vn_date
from portal.models import CONTESTANT_STATUSES, Attempt, Contestant, Round
from portal.results import results_changed

STATUS_LABELS = {
    "active": "Đang tham gia",
    "ineligible": "Không thuộc đối tượng dự thi",
    "disqualified": "Bị loại",
    "closed": "Đã đóng",
}
# Letters and digits that cannot be misread over the phone (no 0/o, 1/l/i).
TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMP_LENGTH = 10


class ModerationError(Exception):
    """A refused action, with a message for the moderator (Vietnamese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def set_status(contestant: Contestant, status: str, reason: str, actor: str, ip: str | None = None) -> bool:
    """Mark active, ineligible (organizers, jury...), disqualified or closed. A reason is
    required for anything but active. Returns False when nothing changed."""
    reason = (reason or "").strip()
    if status not in CONTESTANT_STATUSES:
        raise ModerationError("Trạng thái không hợp lệ.")
    if status != "active" and len(reason) < 3:
        raise ModerationError("Cần ghi lý do (ví dụ: thành viên Ban Giám khảo).")
    before = {"status": contestant.status, "status_reason": contestant.status_reason}
    after = {"status": status, "status_reason": reason}
    if before == after:
        return False
    contestant.status, contestant.status_reason = status, reason
    audit.record(actor, "contestant.status", contestant, before=before, after=after, ip=ip)
    db.session.commit()
    results_changed(contestant.contest_id)  # the status decides who is ranked and who may win
    return True


def temporary_password() -> str:
    return "".join(secrets.choice(TEMP_ALPHABET) for _ in range(TEMP_LENGTH))


def reset_password(contestant: Contestant, actor: str, ip: str | None = None) -> str:
    """A new random password, stored hashed and returned once for the moderator to pass on."""
    if contestant.anonymized_at is not None:
        raise ModerationError("Tài khoản đã được xóa dữ liệu cá nhân, không thể đặt lại mật khẩu.")
    password = temporary_password()
    contestant.set_password(password)
    audit.record(actor, "contestant.password_reset", contestant, ip=ip)
    db.session.commit()
    return password


def _merge_problems(kept: Contestant, duplicate: Contestant, attempts: list[Attempt]) -> list[str]:
    problems = []
    if kept.id == duplicate.id:
        return ["Không thể gộp một tài khoản với chính nó."]
    if kept.contest_id != duplicate.contest_id:
        return ["Hai tài khoản thuộc hai cuộc thi khác nhau."]
    if kept.status == "closed":
        problems.append("Tài khoản được giữ lại đã bị đóng.")
    if any(a.status == "in_progress" for a in attempts):
        problems.append("Tài khoản trùng đang có lượt thi dở; chờ lượt thi kết thúc rồi gộp.")
    final = sorted({a.round.number for a in attempts if a.round.is_final})
    if final:
        problems.append("Lượt thi của tài khoản trùng thuộc tuần đã chốt kết quả (tuần "
                        + ", ".join(map(str, final)) + "); cần hủy chốt trước khi gộp.")
    taken = set(db.session.execute(sa.select(Attempt.local_day, Attempt.day_seq)
                                   .where(Attempt.contestant_id == kept.id)).tuples())
    clashes = sorted({a.local_day for a in attempts if (a.local_day, a.day_seq) in taken})
    if clashes:
        problems.append("Cả hai tài khoản đều có lượt thi trong ngày " + ", ".join(vn_date(d) for d in clashes)
                        + ": gộp lại sẽ vượt quá số lượt thi mỗi ngày, nên không gộp được. "
                        "Có thể chỉ đóng tài khoản trùng, hoặc loại thí sinh nếu cố ý thi nhiều lần.")
    return problems


def merge_accounts(kept: Contestant, duplicate: Contestant, actor: str, ip: str | None = None) -> int:
    """Move the duplicate's attempts to the kept account, then close the duplicate. Refused
    (nothing written) when it would break one-attempt-per-day or touch a frozen round."""
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.contestant_id == duplicate.id)
                                  .join(Round, Round.id == Attempt.round_id).order_by(Attempt.id)).all()
    problems = _merge_problems(kept, duplicate, attempts)
    if problems:
        raise ModerationError(" ".join(problems))
    moved = [a.id for a in attempts]
    before = {"status": duplicate.status, "status_reason": duplicate.status_reason, "attempts": moved}
    db.session.execute(sa.update(Attempt).where(Attempt.contestant_id == duplicate.id)
                       .values(contestant_id=kept.id))
    stats.recount(a.round_id for a in attempts)  # two accounts may have counted as two participants
    duplicate.status = "closed"
    duplicate.status_reason = f"Tài khoản trùng, đã gộp vào tài khoản #{kept.id}."
    audit.record(actor, "contestant.merge", duplicate, before=before,
                 after={"status": "closed", "merged_into": kept.id, "attempts_moved": moved}, ip=ip)
    db.session.commit()
    results_changed(kept.contest_id)  # the kept account's best attempt may have changed
    return len(moved)
