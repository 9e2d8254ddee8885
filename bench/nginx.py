"""nginx in front of the portal as docs/deploy.md configures it (static files from disk,
a short proxy cache for the public cacheable endpoints), run unprivileged in a temp dir."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from bench.stack import ROOT, free_port

# The directives every proxied location shares, and those of every cached one.
PROXY = """proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;"""
CACHE = """proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout http_502 http_503;
            proxy_cache_background_update on;
            add_header X-Cache $upstream_cache_status always;"""

CONF = """
daemon off;
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ text/css css; text/javascript js; image/svg+xml svg; }}

    # One cache entry per encoding the app chose, not per browser's exact header.
    map $http_accept_encoding $portal_encoding {{
        ~*\\bbr\\b br;
        ~*\\bgzip\\b gzip;
        default "";
    }}
    proxy_cache_path {tmp}/cache levels=1:2 keys_zone=portal_public:10m max_size=200m inactive=10m
                     use_temp_path=off;
    # A visitor with a session (logged in, or mid-registration) never gets a shared page.
    # The fragment of a page (a real htmx request) or the whole page: the app decides by
    # three headers (portal/htmx.py), so the cache key does too.
    map "$http_hx_request:$http_hx_boosted:$http_hx_history_restore_request" $portal_fragment {{
        "~^true:(?!true:)[^:]*:(?!true$)" 1;
        default "";
    }}
    map $http_cookie $portal_session {{
        "~(^|;\\s*)(__Host-)?session=" 1;
        default "";
    }}

    upstream portal {{
        server 127.0.0.1:{upstream};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{
            alias {root}/static/;
            add_header Cache-Control "public, max-age=31536000, immutable";
            gzip on;
            gzip_types text/css text/javascript image/svg+xml;
        }}
        # Public, cookie-free, cacheable by their own Cache-Control (30 s, 300 s once final):
        # nginx answers them from its cache, one request per key goes to the app.
        location ~ ^/(embed/banner|embed\\.js|api/) {{
            {proxy}
            proxy_set_header Accept-Encoding $portal_encoding;
            proxy_cache portal_public;
            proxy_cache_key $request_uri|$portal_encoding;
            {cache}
        }}
        # Public pages (landing, rules, privacy, leaderboards), cached only for anonymous
        # visitors: the app marks them public only when they hold nothing per-visitor.
        location ~ ^/(rules|privacy|collective|rounds/[0-9]+/leaderboard)?$ {{
            {proxy}
            proxy_set_header Accept-Encoding $portal_encoding;
            proxy_cache portal_public;
            proxy_cache_key $request_uri|$portal_encoding|$cookie_lang|$portal_fragment;
            proxy_cache_bypass $portal_session;
            proxy_no_cache $portal_session;
            {cache}
        }}
        location / {{
            {proxy}
        }}
    }}
}}
"""


def binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class Nginx:
    def __init__(self, tmp: Path, upstream_port: int):
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = tmp / "nginx.conf"
        # Run as root, nginx's workers would become "nobody", who cannot write the cache
        # in this private temp dir; a throwaway local instance keeps our own user instead.
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(CONF.format(tmp=tmp, port=self.port, upstream=upstream_port, root=ROOT, user=user,
                                     proxy=PROXY, cache=CACHE))
        self.error_log = tmp / "error.log"
        self.process = subprocess.Popen([binary(), "-c", str(conf), "-p", str(tmp), "-e", str(self.error_log)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(self.url + "/static/css/portal.css", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)  # polling a starting process
        raise RuntimeError("nginx did not answer")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
