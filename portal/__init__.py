"""The contest portal: create_app() builds the Flask application from small steps."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from portal import config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(config.INSTANCE),
        template_folder=str(config.ROOT / "templates"),
        static_folder=str(config.ROOT / "static"),
    )
    app.config.update(config.from_env())
    if overrides:
        app.config.update(overrides)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    # Before any route: every <int:...> of the portal is an id or a number kept in a 32-bit
    # column, so a larger one is no page (404), never a database error.
    app.url_map.converters["int"] = DatabaseInteger
    register_blueprints(app)
    register_templates(app)
    register_errors(app)
    register_cli(app)
    from portal.attribution import register_attribution
    from portal.i18n import register_i18n
    from portal.public_cache import register_public_cache
    from portal.security import register_security
    from portal.static_files import register_static_versions

    register_security(app)
    register_i18n(app)
    register_static_versions(app)
    register_attribution(app)
    register_public_cache(app)
    return app


ID_MAX = 2**31 - 1  # ids and numbers are kept in 32-bit integer columns


def at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0 to `limit`: those of fewer digits,
    then, digit by digit, those below `limit` at that digit, then `limit` itself."""
    digits = str(limit)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    below = [f"{digits[:i]}[0-{int(d) - 1}]" + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
             for i, d in enumerate(digits) if d != "0"]
    return "(?:" + "|".join(shorter + below + [digits]) + ")"


class DatabaseInteger(IntegerConverter):
    """<int:...> bounded to what a 32-bit integer column holds. The bound is in the
    pattern, so a larger number matches no route (404 whatever the method; a bound
    checked after matching makes Werkzeug answer a POST with 405)."""

    regex = at_most(ID_MAX)


def register_extensions(app: Flask) -> None:
    from portal import auth
    from portal.extensions import compress, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    auth.configure(login_manager)
    auth.keep_current_user_lazy(app)
    auth.register_staff_idle_timeout(app)
    from portal import database

    database.configure_engine(app)


def register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.api.views import bp as api_bp
    from portal.contest.views import bp as contest_bp
    from portal.embed.views import bp as embed_bp

    app.register_blueprint(contest_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(embed_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def register_templates(app: Flask) -> None:
    from portal import formatting
    from portal.htmx import is_htmx
    from portal.public_cache import cacheable_page

    from flask_babel import gettext

    for name in ("vn_date", "vn_time", "vn_number", "vn_money", "duration_text", "mask_phone", "mask_id_number"):
        app.jinja_env.filters[name] = getattr(formatting, name)
    app.jinja_env.filters["vn_datetime"] = lambda value, tz, weekday=False: formatting.vn_datetime(
        value, tz, weekday, [gettext(day) for day in formatting.WEEKDAYS])
    app.jinja_env.globals["is_htmx"] = is_htmx
    app.jinja_env.globals["cacheable_page"] = cacheable_page


def register_errors(app: Flask) -> None:
    from portal import errors

    errors.register(app)


def register_cli(app: Flask) -> None:
    from portal import cli

    cli.register(app)
