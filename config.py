"""Configuration: working defaults for one machine, each overridable by an environment variable.

Every setting that an operator may change is read from an `ARCHIVE_*` variable here, and
listed in the README (a test checks that). Paths default to folders beside this file;
the database defaults to SQLite in the Flask instance folder (set by the app factory,
because the instance path is only known there).
"""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"ARCHIVE_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


class Config:
    """Production defaults; the same values serve the one-command demo."""

    # None means: generated on first start and kept in the instance folder (mode 600).
    SECRET_KEY = _env("SECRET_KEY")
    # None means: sqlite:///<instance>/archive.db
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    INSTANCE_DIR = _env("INSTANCE_DIR", str(ROOT / "instance"))
    UPLOAD_DIR = _env("UPLOAD_DIR", str(ROOT / "uploads"))
    INDEX_DIR = _env("INDEX_DIR", str(ROOT / "index"))
    # whoosh: an embedded index in INDEX_DIR (one machine). postgresql: the index lives in
    # PostgreSQL (SEARCH_URL, else the database), shared by every machine.
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "whoosh")
    SEARCH_URL = _env("SEARCH_URL")

    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 200)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024
    MAX_IMAGE_PIXELS = _env_int("MAX_IMAGE_PIXELS", 100_000_000)
    MAX_PDF_PAGES = _env_int("MAX_PDF_PAGES", 2000)
    EXTRACT_TIMEOUT_S = _env_int("EXTRACT_TIMEOUT_S", 300)
    EXTRACT_MEMORY_MB = _env_int("EXTRACT_MEMORY_MB", 1536)

    # The time zone of a new event (an IANA name such as Asia/Baku); each event keeps its
    # own, in which its programme is entered and shown and its photos are placed.
    DEFAULT_TIMEZONE = _env("DEFAULT_TIMEZONE", "UTC")

    # None means: huey's SQLite storage in the instance folder. redis://host:6379/0 switches
    # to Redis so that several worker machines share one queue.
    # Text recognition (Tesseract) of scanned pages, unreadable text layers and photos of
    # slides: "auto" runs it after an item is ready, at a lower priority; "off" never does.
    OCR = _env("OCR", "auto")
    # Tesseract languages when neither the item nor its event names one, e.g. "eng+rus".
    OCR_LANGUAGES = _env("OCR_LANGUAGES", "eng+rus")
    OCR_DPI = _env_int("OCR_DPI", 300)
    OCR_PAGE_TIMEOUT_S = _env_int("OCR_PAGE_TIMEOUT_S", 60)
    # The tesseract program (a path, or a name looked up on PATH).
    OCR_TESSERACT = _env("OCR_TESSERACT", "tesseract")

    QUEUE_URL = _env("QUEUE_URL")
    # Run tasks in the calling process instead of a worker (tests, single-shot scripts).
    QUEUE_IMMEDIATE = _env_bool("QUEUE_IMMEDIATE", False)
    WORKER_THREADS = _env_int("WORKER_THREADS", 1)
    # A worker renews its claim on the item it processes every third of this; an item whose
    # claim ran out (its worker was killed, or its machine died) is taken up by another.
    WORKER_LEASE_S = _env_int("WORKER_LEASE_S", 60)

    # None means: sign-in attempts are counted in the application database, which every web
    # process (and, on PostgreSQL, every machine) shares; redis://host:6379/0 counts in Redis.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URL")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # Sign-in attempts per address and account pair; per account (from any address) and per
    # address (over every account name) the limits are higher, so that an attack on one
    # account cannot lock its owner out from everywhere.
    LOGIN_LIMIT = _env("LOGIN_LIMIT", "10 per 15 minutes")
    LOGIN_ACCOUNT_LIMIT = _env("LOGIN_ACCOUNT_LIMIT", "50 per 15 minutes")
    LOGIN_ADDRESS_LIMIT = _env("LOGIN_ADDRESS_LIMIT", "100 per 15 minutes")
    # A sign-in without "keep me signed in" ends after this many hours; with it, after
    # REMEMBER_DAYS (at most 30). Signing out ends it at once, on every copy of its cookies.
    SESSION_HOURS = _env_int("SESSION_HOURS", 12)
    REMEMBER_DAYS = min(_env_int("REMEMBER_DAYS", 30), 30)
    REMEMBER_COOKIE_DURATION = timedelta(days=REMEMBER_DAYS)

    SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers we trust.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    # Share links: how long by default and at most, how many items, and how many wrong
    # tokens (per address) and wrong link passwords (per address and per link) are allowed.
    SHARE_DEFAULT_DAYS = _env_int("SHARE_DEFAULT_DAYS", 30)
    SHARE_MAX_DAYS = _env_int("SHARE_MAX_DAYS", 90)
    SHARE_MAX_ITEMS = _env_int("SHARE_MAX_ITEMS", 500)
    SHARE_GUESS_LIMIT = _env("SHARE_GUESS_LIMIT", "20 per 10 minutes")
    SHARE_PASSWORD_LIMIT = _env("SHARE_PASSWORD_LIMIT", "10 per 15 minutes")
    # The most items one partner bundle (one ZIP) may hold.
    BUNDLE_MAX_ITEMS = _env_int("BUNDLE_MAX_ITEMS", 1000)
    # Who to ask for access or help (an e-mail address or a name), shown on "not found" pages.
    CONTACT = _env("CONTACT", "")

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


class TestingConfig(Config):
    """Used by the test suite; each test points the data folders at its own tmp_path."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    QUEUE_IMMEDIATE = True
    EXTRACT_TIMEOUT_S = 60
    OCR = "off"  # the tests of text recognition switch it on
