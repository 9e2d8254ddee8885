"""The live demo opens in a real chromium on a phone-sized screen."""
import pytest

from tests.browser import screenshot

pytestmark = pytest.mark.browser


def test_landing_on_a_phone(live_server, phone):
    phone.goto(live_server.url + "/")
    assert "chuyển đổi số" in phone.locator("h1").inner_text()
    assert phone.locator(".round-status .eyebrow").text_content().strip() == "Đang diễn ra"
    # Nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "landing-phone")
