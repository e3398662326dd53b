"""The application factory: `create_app` only wires configuration, start-up checks,
extensions, blueprints, commands and error handlers. Everything it calls lives in the
module named after the job. `archive.create_app` imports this module on first call.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import import_string

from archive import (
    api,
    auth,
    cli,
    errors,
    i18n,
    linklimits,
    security,
    services,
    startup,
    tasks,
    web,
)
from archive.auth import limits
from archive.extensions import csrf, db, migrate
from archive.web import filters

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application; `overrides` (tests) may name `CONFIG_CLASS` and any setting."""
    overrides = dict(overrides or {})
    config_class = import_string(overrides.pop("CONFIG_CLASS", "config.Config"))
    instance_dir = overrides.get("INSTANCE_DIR", config_class.INSTANCE_DIR)
    app = Flask(
        __name__,
        instance_path=str(Path(instance_dir).absolute()),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    startup.resolve_paths(app)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    configure_logging(app)
    startup.prepare_instance(app)
    startup.check_timezone(app.config["DEFAULT_TIMEZONE"])
    startup.check_database(app.config["SQLALCHEMY_DATABASE_URI"])
    startup.check_ocr_setting(app.config["OCR"])
    services.init_app(app)
    tasks.init_app(app)
    init_extensions(app)
    register_blueprints(app)
    filters.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    register_commands(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limits.init_app(app)
    linklimits.init_app(app)
    auth.init_login(app)
    i18n.init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(auth.bp)
    for blueprint in web.BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(api.bp)


def register_commands(app: Flask) -> None:
    cli.init_app(app)
