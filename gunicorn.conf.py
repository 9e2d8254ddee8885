"""Production gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Worker class: gthread. A request is a few short queries and a Redis call (about a third of
its time is spent waiting on them) around Python work that holds the GIL (templates, the
ORM): threads let one process overlap those waits, and a login's scrypt (about 140 ms of
CPU) runs in hashlib without the GIL, so it does not stall the other threads.

Counts (WEB_CONCURRENCY workers x GUNICORN_THREADS threads), chosen with bench/tune.py on
the 2-core machine that also runs PostgreSQL, Redis and the load generator:
- at least one process per core, because one process runs Python on one core at a time;
- 2 per core (4 on 2 cores): a worker busy rendering keeps its core, while the other
  worker on that core serves requests whose threads are waiting on the database; more
  processes only add ~100 MB each and PostgreSQL connections;
- 4 threads: enough to cover the waits; each holds at most one database connection,
  so the pool per worker is GUNICORN_THREADS (+2 slack, portal/config.py).
Measured (docs/performance.md, "gunicorn workers and threads"): the CPU each request
costs hardly moves with the counts, and the throughput differences between 2x4, 3x4,
4x4, 4x2, 6x2 and 2x8 were smaller than the swings other load caused on the shared
machine (the bare hello alone ranged from 510 to 3,315 req/s), so 4x4, the old default,
stays. Override with the environment; keep instances x workers x (threads + 2) under
PostgreSQL's max_connections."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# No periodic worker recycling by default: a recycled gthread worker drops its idle
# keep-alive connections, and a request a client (or nginx) sends on one at that moment
# fails ("connection reset"; nginx does not resend a POST), which the 2,000-contestant
# benchmark showed as a lost answer request. Worker memory stays flat under the benchmark
# (docs/performance.md); GUNICORN_MAX_REQUESTS=N turns recycling back on if that changes.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Behind nginx, which logs every request already, GUNICORN_ACCESS_LOG= (empty) turns this off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
preload_app = False  # each worker opens its own database pool after the fork

