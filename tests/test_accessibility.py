"""Every main contestant page, on a phone, at 320 px and at 200% zoom: no axe violations
(WCAG 2.0/2.1 A and AA), tap targets of at least 44×44 px, no sideways scrolling; the quiz
works from the keyboard alone with a visible focus."""
import re

import pytest
from playwright.sync_api import expect

from tests.a11y import check_page
from tests.browser import screenshot
from tests.test_browser_journey import register

pytestmark = pytest.mark.browser


def visit_all(page, base: str, phone: str, tag: str) -> list[str]:
    problems = []
    for path, name in (("/", "landing"), ("/rules", "rules"), ("/register", "register"), ("/login", "login"),
                       ("/privacy", "privacy")):
        page.goto(base + path)
        problems += check_page(page, f"{tag}-{name}")
    register(page, base, phone)
    page.goto(base + "/quiz")
    problems += check_page(page, f"{tag}-quiz-start")
    page.click("text=Bắt đầu làm bài")
    page.wait_for_url(re.compile(r"/q/1$"))
    problems += check_page(page, f"{tag}-question")
    page.locator(".choice").first.click()
    expect(page.locator(".q-number")).to_have_text("Câu 2/10")
    problems += check_page(page, f"{tag}-question-after-answer")
    attempt = re.search(r"/quiz/(\d+)/", page.url).group(1)
    page.goto(f"{base}/quiz/{attempt}/prediction")
    problems += check_page(page, f"{tag}-prediction")
    page.goto(f"{base}/quiz/{attempt}/review")
    problems += check_page(page, f"{tag}-review")
    page.click("text=Xác nhận nộp bài")
    page.wait_for_url(re.compile(r"/result$"))
    problems += check_page(page, f"{tag}-result")
    for path, name in (("/me/attempts", "my-attempts"), ("/me", "account")):
        page.goto(base + path)
        problems += check_page(page, f"{tag}-{name}")
    page.goto(base + "/khong-co-trang-nay")
    problems += check_page(page, f"{tag}-404")
    return problems


def test_phone_pages_pass_axe_and_tap_targets(live_server, phone):
    assert visit_all(phone, live_server.url, "0966000001", "phone") == []


def test_320px_wide_screen(live_server, chromium):
    context = chromium.new_context(viewport={"width": 320, "height": 640}, locale="vi-VN")
    try:
        assert visit_all(context.new_page(), live_server.url, "0966000002", "w320") == []
    finally:
        context.close()


def test_200_percent_zoom(live_server, chromium):
    # A 1280 px desktop at 200% zoom lays out like a 640 CSS px viewport at twice the pixels.
    context = chromium.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2, locale="vi-VN")
    try:
        page = context.new_page()
        problems = visit_all(page, live_server.url, "0966000003", "zoom200")
        screenshot(page, "zoom200-account")
        assert problems == []
    finally:
        context.close()


def test_quiz_by_keyboard_alone_with_visible_focus(live_server, chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    try:
        register(page, live_server.url, "0966000004")
        page.goto(live_server.url + "/quiz")
        start = page.locator("button", has_text="Bắt đầu làm bài")
        start.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/q/1$"))
        # Tab from the top of the page until a choice has the focus.
        page.locator("body").focus()
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.name") == "choice":
                break
        assert page.evaluate("document.activeElement.name") == "choice"
        outline = page.evaluate("getComputedStyle(document.activeElement.closest('label')).outlineStyle")
        assert outline != "none"  # the whole choice shows the focus ring
        page.keyboard.press("ArrowDown")  # moves to and selects the next choice: saved at once
        expect(page.locator(".q-number")).to_have_text("Câu 2/10")
        screenshot(page, "keyboard-question")
        # The answer key is nowhere in the page the browser holds.
        assert "is_correct" not in page.content()
    finally:
        context.close()


def test_countdown_is_announced_politely_not_every_second(live_server, phone):
    register(phone, live_server.url, "0966000005")
    phone.goto(live_server.url + "/quiz")
    phone.click("text=Bắt đầu làm bài")
    phone.wait_for_url(re.compile(r"/q/1$"))
    live = phone.locator("#timer-announce")
    assert live.get_attribute("aria-live") == "polite"
    assert phone.locator("#timer").get_attribute("aria-live") in (None, "off")
    assert live.text_content() == ""  # nothing said with ten minutes to go


def test_public_results_and_banner_pass_axe(live_server, phone):
    from tests.a11y import axe_violations

    problems = []
    for path, name in (("/rounds/1/leaderboard", "leaderboard"), ("/collective", "collective")):
        phone.goto(live_server.url + path)
        problems += check_page(phone, name)
    for size in ("300x250", "728x90", "320x100", "responsive"):
        phone.goto(f"{live_server.url}/embed/banner?size={size}")
        problems += [f"banner {size}: axe {v['id']} at {v['nodes']}" for v in axe_violations(phone)]
    assert problems == []


def test_admin_pages_pass_axe(live_server, desktop):
    from tests.a11y import axe_violations

    desktop.goto(live_server.url + "/admin/login")
    problems = [f"admin-login: axe {v['id']} at {v['nodes']}" for v in axe_violations(desktop)]
    desktop.fill("#username", "bantochuc")
    desktop.fill("#password", "langson-2023")
    desktop.click("form button[type=submit]")
    desktop.wait_for_url(re.compile(r"/admin/?$"))
    for path in ("/admin/", "/admin/settings", "/admin/questions", "/admin/questions/import", "/admin/questions/stats",
                 "/admin/contestants", "/admin/results", "/admin/results/1", "/admin/units", "/admin/audit",
                 "/admin/embed", "/admin/privacy-requests", "/admin/staff"):
        desktop.goto(live_server.url + path)
        problems += [f"{path}: axe {v['id']} ({v['help']}) at {v['nodes']}" for v in axe_violations(desktop)]
    screenshot(desktop, "admin-dashboard-desktop")
    assert problems == []
