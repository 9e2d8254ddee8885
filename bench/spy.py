"""py-spy on the running gunicorn workers: where a request's CPU goes in the real server,
sampled from outside while wrk drives it (bench/profile.py traces the same requests
in-process instead). bench/run.py uses it in phase 5b.

Only the thread holding the GIL is sampled, so the shares are of the time the workers
spend running Python (C code that keeps the GIL, such as brotli, counts with its caller). A sample is counted for the package
of its innermost Python frame ("own" time), and for every portal function on its stack
("inclusive" time of the portal's own code)."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.stack import ROOT, STDLIB, package_of

FRAME_RE = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    here = ROOT / ".venv" / "bin" / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def short(filename: str) -> str:
    """A frame's file as a reader names it: flask/app.py, portal/contest/quiz.py."""
    for prefix in ("site-packages/", f"{ROOT}/", f"{STDLIB}/"):
        if prefix in filename:
            return filename.split(prefix, 1)[1]
    return filename


class Spy:
    """py-spy record on each worker for `seconds`, in raw (collapsed stack) format."""

    def __init__(self, pids: list[int], seconds: float, rate: int = 200):
        self.pids, self.seconds, self.rate = pids, seconds, rate
        self.stacks: Counter[str] = Counter()
        self.errors: list[str] = []

    def __enter__(self) -> "Spy":
        binary = py_spy()
        self.dir = tempfile.TemporaryDirectory(prefix="portal-spy-")
        self.procs = []
        if binary is None:
            self.errors.append("py-spy is not installed (the bench extra has it)")
            return self
        for pid in self.pids:
            out = Path(self.dir.name) / f"{pid}.txt"
            # --gil: only the thread holding the GIL, i.e. running Python. Without it, a thread
            # whose Redis or PostgreSQL reply has arrived but that waits for a core counts as
            # running in redis-py or psycopg, which on a saturated machine is most samples.
            # --nonblocking: the workers are never paused.
            command = [binary, "record", "--pid", str(pid), "--format", "raw", "--rate", str(self.rate),
                       "--duration", str(max(1, round(self.seconds))), "--gil", "--nonblocking", "--nolineno", "--full-filenames",
                       "-o", str(out)]
            self.procs.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                                text=True), out))
        return self

    def __exit__(self, *exc) -> None:
        for proc, out in self.procs:
            try:
                _, err = proc.communicate(timeout=self.seconds + 60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode != 0 or not out.exists():
                self.errors.append((err or "").strip().splitlines()[0] if err and err.strip() else
                                   f"py-spy exited {proc.returncode}")
                continue
            for line in out.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if stack and count.isdigit():
                    self.stacks[stack] += int(count)
        self.dir.cleanup()

    def report(self, top: int = 12) -> dict:
        total = sum(self.stacks.values())
        if not total:
            return {"samples": 0, "errors": self.errors[:3]}
        packages: Counter[str] = Counter()
        own: Counter[tuple[str, str]] = Counter()
        inclusive: Counter[str] = Counter()
        for stack, count in self.stacks.items():
            matches = [FRAME_RE.match(frame) for frame in stack.split(";")]
            frames = [(f"{m['name']} ({short(m['file'])})", package_of(m["file"])) for m in matches if m]
            if not frames:
                continue
            label, package = frames[-1]
            packages[package] += count
            own[(label, package)] += count
            for label in {frame for frame, package in frames if package == "portal"}:
                inclusive[label] += count

        def pct(n: int) -> float:
            return round(100 * n / total, 1)

        return {"samples": total, "rate_hz": self.rate, "errors": self.errors[:3],
                "by_package_pct": {p: pct(n) for p, n in packages.most_common() if pct(n) >= 0.5},
                "top_own": [{"function": f, "package": p, "pct": pct(n)} for (f, p), n in own.most_common(top)],
                "portal_inclusive": [{"function": f, "pct": pct(n)} for f, n in inclusive.most_common(top)]}
