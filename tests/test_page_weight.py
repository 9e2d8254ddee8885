"""Page weight, from real network traffic in chromium: the quiz page's first load and each
answer's round trip stay within budget, and no request leaves the portal's origin."""
import re

import pytest
from playwright.sync_api import expect

from tests.test_browser_journey import register

pytestmark = pytest.mark.browser
QUIZ_FIRST_LOAD = 60 * 1024
ANSWER_ROUND_TRIP = 5 * 1024


class Traffic:
    def __init__(self, page):
        self.requests = []
        page.on("requestfinished", lambda request: self.requests.append(request))

    def reset(self):
        self.requests.clear()

    def total(self) -> int:
        """Bytes on the wire both ways: headers plus (compressed) bodies."""
        total = 0
        for request in self.requests:
            sizes = request.sizes()
            total += sizes["requestHeadersSize"] + sizes["requestBodySize"]
            total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
        return total

    def urls(self) -> list[str]:
        return [r.url for r in self.requests]


def test_quiz_page_and_answers_within_budget(live_server, chromium):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    try:
        register(page, live_server.url, "0955000001")
        page.goto(live_server.url + "/quiz")
        page.click("text=Bắt đầu làm bài")
        page.wait_for_url(re.compile(r"/q/1$"))
        # First load of the quiz page with an empty cache: a new context, the same session.
        cookies = context.cookies()
        url = page.url
        fresh = chromium.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
        fresh.add_cookies(cookies)
        quiz = fresh.new_page()
        traffic = Traffic(quiz)
        quiz.goto(url, wait_until="networkidle")
        first_load = traffic.total()
        origins = {re.match(r"https?://[^/]+", u).group(0) for u in traffic.urls()}
        print(f"\nquiz page first load: {first_load} bytes in {len(traffic.requests)} requests")
        assert origins == {live_server.url}
        assert first_load <= QUIZ_FIRST_LOAD
        rounds = []
        for position in range(1, 6):
            traffic.reset()
            quiz.locator(".choice").nth(position % 4).click()
            expect(quiz.locator(".q-number")).to_have_text(f"Câu {position + 1}/10")
            quiz.wait_for_load_state("networkidle")
            rounds.append(traffic.total())
        print(f"answer round trips (bytes): {rounds}")
        assert max(rounds) <= ANSWER_ROUND_TRIP
        fresh.close()
    finally:
        context.close()
