"""Production gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Worker model: the portal is I/O-bound on the database (each request is a few short
queries), so threaded workers (gthread) let one process overlap those waits without the
memory of many processes. Defaults are the ones measured best on a 2-core server in
bench/ (see docs/performance.md); override with the environment."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
preload_app = False  # each worker opens its own database pool after the fork

