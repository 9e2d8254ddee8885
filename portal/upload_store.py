"""Uploaded files kept between a preview and its confirmation: stored under a random token
in a server-side directory, never under a name the user supplied, and checked by digest
on the way back so the confirmed file is exactly the previewed one."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from pathlib import Path

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_AGE_SECONDS = 24 * 3600


def _paths(directory: Path, token: str) -> tuple[Path, Path]:
    if not TOKEN_RE.match(token or ""):
        raise ValueError("bad upload token")
    return directory / f"{token}.bin", directory / f"{token}.json"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save(directory: Path, data: bytes, meta: dict) -> tuple[str, str]:
    """Keep the bytes and their metadata; returns (token, sha256 hex digest)."""
    directory.mkdir(parents=True, exist_ok=True)
    purge(directory)
    token = secrets.token_urlsafe(32)
    blob, info = _paths(directory, token)
    blob.write_bytes(data)
    info.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token, digest(data)


def load(directory: Path, token: str, expected_digest: str) -> tuple[bytes, dict] | None:
    """The kept upload, or None when it is gone, expired or not the one previewed."""
    try:
        blob, info = _paths(directory, token)
        data = blob.read_bytes()
        meta = json.loads(info.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    if time.time() - blob.stat().st_mtime > MAX_AGE_SECONDS or digest(data) != expected_digest:
        return None
    return data, meta


def discard(directory: Path, token: str) -> None:
    try:
        for path in _paths(directory, token):
            path.unlink(missing_ok=True)
    except ValueError:
        pass


def purge(directory: Path, max_age: float = MAX_AGE_SECONDS) -> None:
    """Forget previews nobody confirmed."""
    cutoff = time.time() - max_age
    for path in directory.glob("*.*"):
        try:
            if path.suffix in (".bin", ".json") and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue
