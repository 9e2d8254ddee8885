"""Vietnamese mobile numbers: accepted as 0xxxxxxxxx, +84xxxxxxxxx or 84xxxxxxxxx (with
spaces, dots or dashes), stored as 0xxxxxxxxx."""
from __future__ import annotations

import re

MOBILE_RE = re.compile(r"^0[35789]\d{8}$")
SEPARATORS_RE = re.compile(r"[\s.\-()]")


def normalize_phone(raw: str | None) -> str | None:
    """The stored form of a mobile number, or None when it is not one."""
    if raw is None:
        return None
    text = SEPARATORS_RE.sub("", raw.strip())
    if len(text) > 20:
        return None
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    return text if MOBILE_RE.match(text) else None
