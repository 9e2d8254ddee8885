"""Browser-test fixtures: a live portal (its own process, its own database seeded with the
demo, built by `flask db upgrade`) and Debian's chromium driven by Playwright."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)  # polling a starting process, not waiting on test behaviour
    raise RuntimeError(f"{url} did not answer in {timeout}s")


class LiveServer:
    def __init__(self, url: str, env: dict, process: subprocess.Popen, log):
        self.url, self.env, self.process, self.log = url, env, process, log

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run a CLI command against the live server's database."""
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=120)


def start_live_server(tmp_dir: Path, extra_env: dict | None = None, database_url: str | None = None,
                      gunicorn_workers: int = 0, prepare: bool = True, activity: bool = True) -> LiveServer:
    """Migrate, seed the demo and serve: Flask's server, or gunicorn with N workers. A second
    instance on a database another one prepared passes prepare=False (seeding twice would
    add to the demo, not leave it as it is)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url or f"sqlite:///{tmp_dir / 'live.db'}",
               SECRET_KEY="live-test", RATELIMIT_ENABLED="false", FLASK_DEBUG="0")
    env.update(extra_env or {})  # may override the defaults above (e.g. turn rate limits on)
    env.pop("TEST_DATABASE_URL", None)
    seed = ["seed-demo"] if activity else ["seed-demo", "--no-activity"]  # sample participants or none
    for args in (["db", "upgrade"], seed) if prepare else ():
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    log = open(tmp_dir / "server.log", "wb")
    if gunicorn_workers:
        command = [sys.executable, "-m", "gunicorn", "--workers", str(gunicorn_workers), "--threads", "4",
                   "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "wsgi:app"]
    else:
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port), "--no-reload"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(url, env, process, log)
    try:
        wait_until_up(url + "/", process)
    except RuntimeError:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    require_or_skip(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "Python Playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A 360×740 phone-sized page."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                   is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
