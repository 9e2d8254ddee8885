"""Static files with a content version in their URL (?v=<hash>), so they can be cached for a
year and still change the moment a file does."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request

ONE_YEAR = 365 * 24 * 3600


def register_static_versions(app: Flask) -> None:
    root = Path(app.static_folder)
    versions: dict[str, tuple[float, str]] = {}

    def version(filename: str) -> str | None:
        path = root / filename
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        cached = versions.get(filename)
        if cached and cached[0] == mtime:
            return cached[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        versions[filename] = (mtime, digest)
        return digest

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            v = version(values["filename"])
            if v:
                values["v"] = v

    @app.after_request
    def cache_versioned(response):
        if request.endpoint == "static" and response.status_code == 200:
            wanted = request.args.get("v")
            if wanted and wanted == version(request.view_args.get("filename", "")):
                response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
            else:
                response.headers["Cache-Control"] = "public, max-age=300"
        return response
