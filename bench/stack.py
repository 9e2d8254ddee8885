"""The real stack for the benchmark: PostgreSQL and Redis (started if they are not up),
a database per run, and gunicorn processes on the production config."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STDLIB = sysconfig.get_paths()["stdlib"]


def package_of(filename: str) -> str:
    """The package a profiled or sampled function belongs to, by its file's full path
    (bench/profile.py and bench/spy.py): an installed package's name, "portal" for the
    portal and its templates, "bench", "stdlib", or "C builtins" for cProfile's."""
    if filename.startswith("~") or filename == "{built-in}" or not filename:
        return "C builtins"
    if filename.startswith("<"):  # "<frozen importlib._bootstrap>", "<string>": not a path
        return "stdlib" if filename.startswith("<frozen") else "other"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        name = parts[parts.index("site-packages") + 1]
        return name.removesuffix(".py").split(".")[0]
    try:
        relative = path.resolve().relative_to(ROOT)
        return relative.parts[0] if relative.parts[0] in ("portal", "bench") else "portal"
    except ValueError:
        pass
    if filename.startswith(STDLIB):
        return "stdlib"
    return "other"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_services(pg_base: str, redis_url: str) -> None:
    """Start the local PostgreSQL cluster and Redis the way .ci/run does, if they are down."""
    if subprocess.run(["pg_isready", "-d", f"{pg_base}/postgres"], capture_output=True).returncode != 0:
        clusters = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
        if clusters and shutil.which("pg_ctlcluster"):
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[0], "main", "start"], check=False)
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.RedisError:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                        "--save", "", "--appendonly", "no"], check=False)
        time.sleep(0.5)  # redis-server daemonizes before it accepts connections
        client.ping()


def create_database(pg_base: str, name: str) -> str:
    with psycopg.connect(f"{pg_base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_base}/{name}"


def drop_database(pg_base: str, name: str) -> None:
    with psycopg.connect(f"{pg_base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Gunicorn:
    """gunicorn -c gunicorn.conf.py APP on a free port, its output in a log file."""

    def __init__(self, app: str, env: dict, log: Path, workers: int | None = None, threads: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env, GUNICORN_BIND=f"127.0.0.1:{self.port}")
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        if threads:
            self.env["GUNICORN_THREADS"] = str(threads)
        self.log = open(log, "ab")
        self.process = subprocess.Popen([PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", app], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_up(self, path: str = "/", timeout: float = 60) -> "Gunicorn":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5):
                    pass
                return self
            except OSError:
                time.sleep(0.2)  # polling a starting server
        raise RuntimeError(f"{self.url} did not answer in {timeout}s")

    def warm(self, path: str, count: int = 200) -> None:
        """Every worker imports lazily and opens its pool on first use: pay that before measuring."""
        for _ in range(count):
            try:
                with urllib.request.urlopen(self.url + path, timeout=10):
                    pass
            except OSError:
                pass

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (MB): flat across the phases means no leak that
        periodic worker recycling would have to hide."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            sizes.append(round(kb / 1024, 1))
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
