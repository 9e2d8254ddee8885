"""Telling real htmx fragment requests from full-page loads."""
from flask import Response, request


def is_htmx() -> bool:
    """A fragment is wanted only for a real htmx request, not a boosted one or a history
    restore (those need the whole page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true"
            and request.headers.get("HX-Boosted") != "true")


# Every header is_htmx() reads: a cache (the browser's, nginx) must tell apart the
# fragment and the whole page of one URL by all of them, not by HX-Request alone (htmx
# sends HX-Request on a history restore too, and wants the whole page back).
FRAGMENT_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


def vary_on_htmx(response: Response) -> Response:
    response.vary.update(FRAGMENT_HEADERS)
    return response
