"""Deploy configuration, read from the environment (contest settings live in the database)."""
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in instance/ so restarts keep sessions."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'portal.db'}"
    # Heroku-style URLs name the old driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _rate_limits() -> dict:
    """RATELIMIT_<NAME> from the environment (e.g. RATELIMIT_LOGIN="30 per minute")."""
    from portal.rate_limits import DEFAULTS

    return {f"RATELIMIT_{name.upper()}": os.environ[f"RATELIMIT_{name.upper()}"]
            for name in DEFAULTS if os.environ.get(f"RATELIMIT_{name.upper()}")}


def from_env() -> dict:
    """The whole configuration as a dict; create_app(overrides) may replace any key."""
    url = database_url()
    redis_url = os.environ.get("REDIS_URL") or None
    production = os.environ.get("PORTAL_ENV", "development") == "production"
    # A "SELECT 1" before every request's first query is a round trip on every request.
    # Without it, a database restart costs each pooled connection one failed request
    # (SQLAlchemy then replaces the pool); DB_PRE_PING=1 trades that for the round trip.
    engine_options = {"pool_pre_ping": _bool("DB_PRE_PING", False)}
    if url.startswith("postgresql"):
        # A gthread worker runs GUNICORN_THREADS requests at once and each holds at most
        # one connection, so that many (plus a little slack for CLI-style code paths) is
        # all a worker can use; more would only eat into PostgreSQL's max_connections,
        # which several instances share (docs/deploy.md has the arithmetic).
        threads = os.environ.get("GUNICORN_THREADS", "4")
        engine_options.update(
            pool_size=int(os.environ.get("DB_POOL_SIZE", threads)),
            max_overflow=int(os.environ.get("DB_MAX_OVERFLOW", "2")),
            pool_recycle=1800,
        )
    return _rate_limits() | {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "REDIS_URL": redis_url,
        "PRODUCTION": production,
        # The contest served at "/" (slug); empty means the most recently created one.
        "CONTEST_SLUG": os.environ.get("CONTEST_SLUG", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "WTF_CSRF_SSL_STRICT": production,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # X-RateLimit-* headers would cost a second Redis call on every limited request
        # (the answer route among them); the limited routes are forms, not an API.
        "RATELIMIT_HEADERS_ENABLED": False,
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", ""),
        # Uploads waiting for a moderator's confirmation; a folder shared by all instances.
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", ""),
        "STAFF_IDLE_MINUTES": int(os.environ.get("STAFF_IDLE_MINUTES", "30")),
        # How many reverse proxies (nginx, a load balancer) stand in front: their
        # X-Forwarded-* headers are trusted that many hops deep, so rate limits see clients.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # Compressed in the app so a portal without a proxy is still light on a phone;
        # behind nginx, its own gzip may take over (COMPRESS_REGISTER=0).
        "COMPRESS_REGISTER": _bool("COMPRESS_REGISTER", True),
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 600,
        "COMPRESS_BR_LEVEL": 5,
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "image/svg+xml"],
    }
