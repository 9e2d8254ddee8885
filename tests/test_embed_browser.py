"""The banner embedded for real: a host page on another origin (another port on 127.0.0.1)
pastes the snippet from embed/sample-host.html; a moderator allows that origin on the
"Mã nhúng" page; chromium shows, sizes and resizes the banners, and the button opens the
portal in a new tab with the site credited."""
from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, ROOT, free_port, screenshot

pytestmark = pytest.mark.browser

SAMPLE_PORTAL = "http://127.0.0.1:5000"
STAFF = ("kiemthu-nhung", "mat-khau-kiem-thu-1")
SIZES = {"728x90": (728, 90), "300x250": (300, 250), "320x100": (320, 100)}
ROGUE = """<!doctype html><meta charset="utf-8"><script>
parent.postMessage({type: "contest-banner:height", height: 555}, "*");
</script>"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test output is not the place for access logs
        pass


class HostSite:
    """A static site on its own port: a different origin from the portal."""

    def __init__(self, folder: Path):
        self.port = free_port()
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.origin = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def host_folder(tmp_path: Path, portal_url: str) -> Path:
    sample = (ROOT / "embed" / "sample-host.html").read_text(encoding="utf-8")
    assert SAMPLE_PORTAL in sample
    (tmp_path / "sample-host.html").write_text(sample.replace(SAMPLE_PORTAL, portal_url), encoding="utf-8")
    (tmp_path / "rogue.html").write_text(ROGUE, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def staff(live_server):
    done = live_server.flask("create-admin", STAFF[0], "--password", STAFF[1], "--role", "moderator")
    assert done.returncode == 0, done.stderr
    return STAFF


@pytest.fixture(scope="module")
def host(live_server, tmp_path_factory):
    site = HostSite(host_folder(tmp_path_factory.mktemp("host"), live_server.url))
    yield site
    site.stop()


@pytest.fixture(scope="module")
def stranger(live_server, tmp_path_factory):
    """A site nobody allowed."""
    site = HostSite(host_folder(tmp_path_factory.mktemp("stranger"), live_server.url))
    yield site
    site.stop()


def log_in(page, live_server, staff) -> None:
    page.goto(live_server.url + "/admin/login")
    page.fill("#username", staff[0])
    page.fill("#password", staff[1])
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")


@pytest.fixture(scope="module")
def allowed_host(host, live_server, staff, chromium):
    """The moderator adds the host's origin on the "Mã nhúng" page, as they would."""
    context = chromium.new_context(locale="vi-VN")
    page = context.new_page()
    log_in(page, live_server, staff)
    page.goto(live_server.url + "/admin/embed")
    box = page.locator("textarea#origins")
    box.fill(box.input_value() + "\n" + host.origin)
    page.get_by_role("button", name="Lưu danh sách").click()
    page.wait_for_url(live_server.url + "/admin/embed")
    assert "Đã lưu" in page.locator(".flash").inner_text()
    assert host.origin in page.locator("textarea#origins").input_value()
    context.close()
    return host


def banner_frame(page, slot: str):
    """The iframe the loader put right after the slot's script tag, once its banner is up."""
    iframe = page.locator(f"#slot-{slot} script + iframe")
    iframe.scroll_into_view_if_needed()
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector("[data-banner]")
    return iframe, frame


def wait_for_height(page, slot: str, height: int) -> None:
    page.wait_for_function(
        "([slot, h]) => { const f = document.querySelector(`#slot-${slot} iframe`);"
        " return f && Math.round(f.getBoundingClientRect().height) === h; }", arg=[slot, height])


def screenshot_with_frames(page, name: str) -> None:
    """Chromium paints cross-origin frames only inside the viewport: make the viewport as
    tall as the page, let every frame paint, then take the full-page picture."""
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": page.evaluate("document.documentElement.scrollHeight")})
    for frame in page.frames:
        frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    screenshot(page, name)


def test_moderator_page_previews_and_copies_the_snippet(allowed_host, live_server, staff, desktop):
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(desktop, live_server, staff)
    desktop.goto(live_server.url + "/admin/embed?size=728x90&theme=red&site=so-noi-vu")
    preview = desktop.locator(".embed-preview iframe")
    preview.scroll_into_view_if_needed()
    frame = preview.element_handle().content_frame()
    frame.wait_for_selector("[data-banner].size-728x90.theme-red")
    box = preview.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (728, 90)
    snippet = desktop.locator("#snippet").input_value()
    assert f'<script async src="{live_server.url}/embed.js" data-size="728x90" data-theme="red" data-src="so-noi-vu"' in snippet
    desktop.get_by_role("button", name="Sao chép mã nhúng").click()
    # A function, not an expression string: the page's CSP forbids eval, which Playwright
    # would need for a bare expression.
    desktop.wait_for_function("() => document.getElementById('copy-status').textContent.length > 0")
    assert desktop.locator("#copy-status").inner_text() == "Đã sao chép mã nhúng."
    assert desktop.evaluate("navigator.clipboard.readText()") == snippet
    screenshot(desktop, "embed-admin")


def test_banners_appear_at_their_sizes_on_another_sites_page(allowed_host, desktop):
    desktop.goto(allowed_host.origin + "/sample-host.html")
    for slot, (width, height) in SIZES.items():
        iframe, frame = banner_frame(desktop, slot)
        assert iframe.get_attribute("title") == "Banner Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn"
        assert set(iframe.get_attribute("sandbox").split()) == {
            "allow-scripts", "allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox"}
        wait_for_height(desktop, slot, height)
        box = iframe.bounding_box()
        assert (round(box["width"]), round(box["height"])) == (width, height), slot
        # The countdown runs (days, then hh:mm:ss) and participants are shown.
        frame.wait_for_function("() => /\\d{2}:\\d{2}:\\d{2}$/.test(document.querySelector('.b-count').textContent)")
        assert frame.locator(".b-label[data-live]").inner_text() == "Còn lại"
        assert re.fullmatch(r"[\d.]+", frame.locator(".b-num").inner_text())
        assert frame.locator("a.b-cta").get_attribute("href") == "/?src=so-noi-vu"
        iframe.screenshot(path=str(ARTIFACTS / f"embed-banner-{slot}.png"))
    screenshot_with_frames(desktop, "embed-host-desktop")


def test_responsive_banner_follows_the_host_width(allowed_host, desktop):
    desktop.goto(allowed_host.origin + "/sample-host.html")
    iframe, frame = banner_frame(desktop, "responsive")

    def reported() -> int:
        return frame.evaluate("Math.ceil(document.querySelector('[data-banner]').getBoundingClientRect().height)")

    wide = reported()
    wait_for_height(desktop, "responsive", wide)
    assert iframe.bounding_box()["width"] > 900
    iframe.screenshot(path=str(ARTIFACTS / "embed-banner-responsive-wide.png"))
    desktop.set_viewport_size({"width": 400, "height": 900})
    frame.wait_for_function(f"() => document.querySelector('[data-banner]').getBoundingClientRect().height > {wide}")
    narrow = reported()
    wait_for_height(desktop, "responsive", narrow)
    assert narrow > wide
    iframe.screenshot(path=str(ARTIFACTS / "embed-banner-responsive-narrow.png"))
    # No scrollbar inside the frame: the loader gave it the whole banner.
    assert frame.evaluate("document.documentElement.scrollHeight <= innerHeight")


def test_on_a_phone_wide_banners_shrink_and_grow_taller(allowed_host, phone):
    phone.goto(allowed_host.origin + "/sample-host.html")
    iframe, frame = banner_frame(phone, "728x90")
    phone.wait_for_function("() => document.querySelector('#slot-728x90 iframe').getBoundingClientRect().height > 90")
    box = iframe.bounding_box()
    assert box["width"] <= 360 - 16
    assert round(box["height"]) == frame.evaluate(
        "Math.ceil(document.querySelector('[data-banner]').getBoundingClientRect().height)")
    for slot in ("300x250", "320x100", "responsive"):
        banner_frame(phone, slot)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot_with_frames(phone, "embed-host-phone")


def test_button_opens_the_portal_in_a_new_tab_and_credits_the_site(allowed_host, live_server, staff, desktop):
    desktop.goto(allowed_host.origin + "/sample-host.html")
    iframe, frame = banner_frame(desktop, "300x250")
    banner_url = frame.url
    with desktop.context.expect_page() as opened:
        frame.get_by_role("link", name=re.compile("Tham gia thi")).click()
    portal = opened.value
    portal.wait_for_load_state()
    assert portal.url == live_server.url + "/?src=so-noi-vu"
    assert "chuyển đổi số" in portal.locator("h1").inner_text()
    # Neither the host page nor the frame moved.
    assert desktop.url == allowed_host.origin + "/sample-host.html"
    assert frame.url == banner_url
    portal.close()

    log_in(desktop, live_server, staff)
    desktop.goto(live_server.url + "/admin/embed")
    row = desktop.locator("tr", has=desktop.locator("code", has_text=re.compile("^so-noi-vu$")))
    assert int(row.locator("td").first.inner_text()) >= 1


def test_loader_takes_height_only_from_its_banner_at_the_portal_origin(allowed_host, desktop):
    desktop.goto(allowed_host.origin + "/sample-host.html")
    banner_frame(desktop, "300x250")
    wait_for_height(desktop, "300x250", 250)
    # The host page itself and a frame of the host's origin both claim a height.
    desktop.evaluate("""() => new Promise(resolve => {
        window.postMessage({type: "contest-banner:height", height: 777}, "*");
        const rogue = document.createElement("iframe");
        rogue.src = "/rogue.html";
        rogue.addEventListener("load", resolve);
        document.body.append(rogue);
    })""")
    # Messages to one window are delivered in order: once this marker arrives, so have they.
    desktop.evaluate("""() => new Promise(resolve => {
        addEventListener("message", e => { if (e.data === "marker") resolve(); });
        postMessage("marker", location.origin);
    })""")
    heights = desktop.evaluate("[...document.querySelectorAll('.slot iframe')].map(f => f.style.height)")
    assert "777px" not in heights and "555px" not in heights
    assert desktop.locator("#slot-300x250 iframe").evaluate("f => f.style.height") == "250px"


def test_banner_reports_only_to_the_origin_the_portal_accepted(allowed_host, live_server, desktop):
    """Two banners framed by the host: one told the host's true origin, one told another
    allowed origin (the demo's http://localhost:8800). Only the first is heard."""
    desktop.goto(allowed_host.origin + "/sample-host.html")
    heard = desktop.evaluate("""async ([portal, trueOrigin]) => {
        const heard = [];
        addEventListener("message", e => {
            if (e.data && e.data.type === "contest-banner:height") heard.push(e.source.name);
        });
        const frames = [["true", trueOrigin], ["other", "http://localhost:8800"]].map(([name, origin]) => {
            const f = document.createElement("iframe");
            f.name = name;
            f.src = portal + "/embed/banner?size=responsive&origin=" + encodeURIComponent(origin);
            document.body.append(f);
            return new Promise(resolve => f.addEventListener("load", resolve));
        });
        await Promise.all(frames);
        return heard;
    }""", [live_server.url, allowed_host.origin])
    for name in ("true", "other"):
        frame = desktop.frame(name=name)
        frame.wait_for_selector("[data-banner]")
        # Two animation frames: the banner's ResizeObserver has fired and posted by then.
        frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    desktop.evaluate("""() => new Promise(resolve => {
        addEventListener("message", e => { if (e.data === "marker") resolve(); });
        postMessage("marker", location.origin);
    })""")
    assert desktop.frame(name="other").locator("[data-banner]").get_attribute("data-parent-origin") == \
        "http://localhost:8800"
    assert "other" not in heard


def test_a_site_that_is_not_allowed_cannot_frame_the_banner(stranger, desktop):
    refusals = []
    desktop.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
    with desktop.expect_console_message(lambda message: "frame-ancestors" in message.text):
        desktop.goto(stranger.origin + "/sample-host.html")
        desktop.locator("#slot-300x250 iframe").scroll_into_view_if_needed()
    frame = desktop.locator("#slot-300x250 iframe").element_handle().content_frame()
    assert frame.locator("[data-banner]").count() == 0
    assert refusals
