"""The audit log: one function every change of data by staff or by the system goes through."""
from __future__ import annotations

from typing import Any

from portal.extensions import db
from portal.models import AuditEntry


def record(actor: str, action: str, target: Any = None, *, before: dict | None = None,
           after: dict | None = None, ip: str | None = None) -> AuditEntry:
    """Add an entry to the current transaction (committed with the change it describes)."""
    target_type, target_id = "", ""
    if target is not None:
        target_type = type(target).__name__.lower()
        target_id = str(getattr(target, "id", "") or "")
    entry = AuditEntry(actor=actor, action=action, target_type=target_type, target_id=target_id,
                       before=before, after=after, ip=ip)
    db.session.add(entry)
    return entry
