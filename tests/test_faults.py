"""No acknowledged answer is ever lost: many contestants answer against gunicorn +
PostgreSQL while a worker is killed with SIGKILL and PostgreSQL is restarted; afterwards
every answer that got a success response is in the database, and no attempt is doubled."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.browser import start_live_server
from tests.conftest import require_or_skip
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CONTESTANTS = 48
TOKEN_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CHOICE_RE = re.compile(r'name="choice" value="(\d+)"')


def restart_postgresql() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True, timeout=120)


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


class Journal:
    """What the clients were told: acknowledged answers and submissions."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: dict[tuple[int, int], int] = {}
        self.done = 0
        self.failures = 0
        self.thresholds = {120: threading.Event(), 300: threading.Event()}

    def ack(self, attempt: int, position: int, choice: int) -> None:
        with self.lock:
            self.acked[(attempt, position)] = choice
            self.done += 1
            for mark, event in self.thresholds.items():
                if self.done >= mark:
                    event.set()


def with_retries(call, ok, journal, attempts=200):
    """Retry through faults: a killed worker or a restarting database fails some requests."""
    for _ in range(attempts):
        try:
            response = call()
        except requests.RequestException:
            response = None
        if response is not None and ok(response):
            return response
        with journal.lock:
            journal.failures += 1
        time.sleep(0.05)  # back-off between retries of a failed request
    raise AssertionError("request kept failing")


def contestant(server, index: int, journal: Journal) -> None:
    session = requests.Session()
    base = server.url
    html = with_retries(lambda: session.get(base + "/register", timeout=10), lambda r: r.status_code == 200, journal).text
    unit = re.search(r'<option value="(\d+)"', html).group(1)
    csrf = TOKEN_RE.search(html).group(1)
    phone = f"09{index:08d}"
    registered = with_retries(lambda: session.post(base + "/register", timeout=10, allow_redirects=False, data={
        "full_name": "Vi Văn Bình", "phone": phone, "password": "mat-khau-1", "password2": "mat-khau-1",
        "birth_year": "1980", "unit_id": unit, "consent": "y", "csrf_token": csrf}),
        lambda r: r.status_code == 302 or (r.status_code == 422 and "đã được đăng ký" in r.text), journal)
    if registered.status_code != 302:
        # An earlier try registered but its answer was lost in a fault: log in instead.
        with_retries(lambda: session.post(base + "/login", data={"phone": phone, "password": "mat-khau-1",
                                                                 "csrf_token": csrf}, allow_redirects=False, timeout=10),
                     lambda r: r.status_code == 302, journal)
    csrf = TOKEN_RE.search(with_retries(lambda: session.get(base + "/quiz", timeout=10, allow_redirects=False),
                                        lambda r: r.status_code == 200, journal).text).group(1)
    start = with_retries(lambda: session.post(base + "/quiz/start", data={"csrf_token": csrf},
                                              allow_redirects=False, timeout=10), lambda r: r.status_code == 303, journal)
    attempt = int(re.search(r"/quiz/(\d+)", start.headers["Location"]).group(1))
    for position in range(1, 11):
        page = with_retries(lambda: session.get(f"{base}/quiz/{attempt}/q/{position}", timeout=10),
                            lambda r: r.status_code == 200, journal)
        choice = int(CHOICE_RE.findall(page.text)[(index + position) % 4])
        with_retries(lambda: session.post(f"{base}/quiz/{attempt}/q/{position}", allow_redirects=False, timeout=10,
                                          data={"choice": choice, "csrf_token": csrf}),
                     lambda r: r.status_code == 303, journal)
        journal.ack(attempt, position, choice)
    with_retries(lambda: session.post(f"{base}/quiz/{attempt}/submit", data={"csrf_token": csrf},
                                      allow_redirects=False, timeout=10),
                 lambda r: r.status_code == 303 or (r.status_code == 409 and "đã được nộp" in r.text), journal)


def test_no_acknowledged_answer_is_lost_under_faults(tmp_path):
    require_or_skip(shutil.which("pg_ctlcluster") is not None and os.geteuid() == 0,
                    "restarting PostgreSQL needs pg_ctlcluster and root")
    with fresh_database("portal_faults") as url:
        server = start_live_server(tmp_path, database_url=url, gunicorn_workers=3, activity=False)
        journal = Journal()
        try:
            with ThreadPoolExecutor(max_workers=16) as pool:
                futures = [pool.submit(contestant, server, i, journal) for i in range(CONTESTANTS)]
                assert journal.thresholds[120].wait(timeout=120)
                killed = worker_pids(server.process.pid)[0]
                os.kill(killed, signal.SIGKILL)
                assert journal.thresholds[300].wait(timeout=120)
                restart_postgresql()
                for future in futures:
                    future.result(timeout=300)
        finally:
            server.stop()
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                stored = {(a, p): c for a, p, c in conn.execute(sa.text(
                    "SELECT attempt_id, position, chosen_choice_id FROM attempt_item"))}
                per_person = conn.execute(sa.text(
                    "SELECT count(*), count(DISTINCT contestant_id), "
                    "sum(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END) FROM attempt")).one()
        finally:
            engine.dispose()
        lost = [key for key, choice in journal.acked.items() if stored.get(key) != choice]
        print(f"\nfault test: {CONTESTANTS} contestants, {len(journal.acked)} acknowledged answers, "
              f"{journal.failures} failed requests retried, faults: SIGKILL worker {killed}, PostgreSQL restart; "
              f"lost answers: {len(lost)}")
        assert len(journal.acked) == CONTESTANTS * 10
        assert lost == []
        assert tuple(per_person) == (CONTESTANTS, CONTESTANTS, CONTESTANTS)
