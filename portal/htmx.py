"""Telling real htmx fragment requests from full-page loads."""
from flask import Response, request


def is_htmx() -> bool:
    """A fragment is wanted only for a real htmx request, not a boosted one or a history
    restore (those need the whole page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true"
            and request.headers.get("HX-Boosted") != "true")


def vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
