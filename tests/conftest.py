"""Shared fixtures: an app with every data folder under tmp_path, clients, users, factories."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from archive import accounts, create_app
from archive.catalogue import EventDetails, create_event
from archive.extensions import db
from tests.support import postgres, testdb
from tests.support.samples import add_text_page

PASSWORD = "correct horse battery"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
_databases: testdb.TestDatabases | None = None
_apps: list = []  # apps made by the running test, closed when it ends


# Tests that touch no app database (or run on PostgreSQL already): a PostgreSQL session
# leaves them to the SQLite one.
DATABASE_FREE = (
    "tests/ingest/",
    "tests/fulltext/",
    "tests/test_architecture.py",
    "tests/test_fuzz.py",
    "tests/test_cluster.py",
)


def pytest_report_header(config) -> str:
    return f"database: {testdb.DATABASE}; search backend: {testdb.SEARCH_BACKEND}"


def pytest_collection_modifyitems(config, items) -> None:
    if testdb.DATABASE != "postgresql":
        return
    root = Path(__file__).resolve().parent.parent
    free = [i for i in items if i.path.relative_to(root).as_posix().startswith(DATABASE_FREE)]
    if free:
        config.hook.pytest_deselected(items=free)
        items[:] = [i for i in items if i not in free]


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[testdb.TestDatabases]:
    """The session's PostgreSQL server, started on first use; skips when none can run,
    unless the session is meant to run on PostgreSQL."""
    global _databases
    if _databases is None:
        if not postgres.available():
            if testdb.DATABASE == "postgresql" or testdb.SEARCH_BACKEND == "postgresql":
                pytest.exit("PostgreSQL is not installed: apt-get install postgresql", 1)
            pytest.skip("PostgreSQL is not installed")
        _databases = testdb.TestDatabases(postgres.PostgresServer().start())
    yield _databases


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres() -> Iterator[None]:
    yield
    if _databases is not None:
        _databases.server.stop()


@pytest.fixture(autouse=True)
def _session_database(request) -> Iterator[None]:
    """On a PostgreSQL session, every test's databases are dropped when it ends."""
    if testdb.DATABASE == "postgresql" or testdb.SEARCH_BACKEND == "postgresql":
        request.getfixturevalue("postgres_databases")
    yield
    while _apps:
        close_app(_apps.pop())
    if _databases is not None:
        _databases.drop_created()


def close_app(app) -> None:
    """Close what an app holds open: its search index's connections, its database pool."""
    app.extensions["archive"]["index"].close()
    with app.app_context():
        db.engine.dispose()


def database_settings(tmp_path: Path) -> dict[str, str]:
    """The database and search settings of a test app on this session's database."""
    if testdb.DATABASE == "postgresql":
        url = _databases.app_url()
    else:
        url = f"sqlite:///{tmp_path / 'archive.db'}"
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SEARCH_BACKEND": testdb.SEARCH_BACKEND}
    if testdb.SEARCH_BACKEND == "postgresql" and testdb.DATABASE != "postgresql":
        settings["SEARCH_URL"] = _databases.server.url(_databases.search_dsn().rsplit("/", 1)[1])
    return settings


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own (fresh `g` and database session), as
    in production; the test's session is expired afterwards so it reads what was written."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # read and close file responses (downloads)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


def make_app(tmp_path: Path, **overrides):
    """An app on its own folders and SQLite file; `overrides` change any setting."""
    settings = {
        "CONFIG_CLASS": "config.TestingConfig",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "INDEX_DIR": str(tmp_path / "index"),
    }
    if "SQLALCHEMY_DATABASE_URI" not in overrides:
        settings.update(database_settings(tmp_path))
    settings.update(overrides)
    app = create_app(settings)
    _apps.append(app)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
    return app


def make_lasting_app(tmp_path: Path, **overrides):
    """`make_app` for a fixture wider than one test (a module's live server): its app and
    databases are not closed and dropped when the test that made it ends, but by the
    returned `release()`."""
    made = len(_databases.created) if _databases is not None else 0
    app = make_app(tmp_path, **overrides)
    _apps.remove(app)
    names = []
    if _databases is not None:
        names = _databases.created[made:]
        del _databases.created[made:]

    def release() -> None:
        close_app(app)
        for name in names:
            _databases.server.drop_database(name)

    return app, release


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    def make(username: str, role: str = "researcher", org: str | None = None, **kw):
        user = accounts.create_user(username, PASSWORD, role, org, **kw)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_event(app):
    def make(slug: str = "baku-2023", title: str = "e-Government workshop", **fields):
        event = create_event(slug, EventDetails(title=title, **fields))
        db.session.commit()
        return event

    return make


class Auth:
    """Signs a test client in and out as a given user."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, **kw):
        return self.client.post("/login", data={"username": username, "password": password}, **kw)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login_as(client, make_user):
    """Create a user of `role` (partners get organisation ORG) and sign the client in."""

    def login(role: str, username: str | None = None, org: str | None = None):
        username = username or f"{role}-user"
        if role == "partner":
            org = org or "UNDP"
        user = make_user(username, role, org)
        response = Auth(client).login(username)
        assert response.status_code == 302, response.data[:500]
        return user

    return login


def csrf_token_from(html: bytes | str) -> str:
    """The CSRF token embedded in a rendered page."""
    text = html.decode() if isinstance(html, bytes) else html
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', text)
    if match is None:
        match = re.search(r'name="csrf-token" content="([^"]+)"', text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def add_item(cls, event, title, visibility, status, name, default_content, mime, **kw):
    """Store the content (`content=` or the default) as the original and commit an item row
    of `cls` that refers to it; other keywords set columns."""
    stored = store_bytes(kw.pop("content", default_content))
    item = cls(
        event=event,
        title=title,
        visibility=visibility,
        status=status,
        original_filename=kw.pop("original_filename", name),
        sha256=kw.pop("sha256", stored.sha256),
        size=kw.pop("size", stored.size),
        mime=mime,
        **kw,
    )
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def make_presentation(app):
    """A ready presentation row with page texts, without running the ingest pipeline."""
    counter = iter(range(1, 10_000))

    def make(event, title="Deck", pages=("page one",), visibility="shared", status="ready", **kw):
        from archive.models import Page, Presentation

        n = next(counter)
        kw["pages"] = [Page(number=i, text=t) for i, t in enumerate(pages, start=1)]
        return add_item(
            Presentation, event, title, visibility, status, f"deck-{n}.pdf",
            f"%PDF-1.4 deck {n}".encode(), "application/pdf", page_count=len(pages), **kw,
        )  # fmt: skip

    return make


@pytest.fixture
def make_photo(app):
    """A ready photo row, without running the ingest pipeline."""
    counter = iter(range(50_000, 60_000))

    def make(event, title="Photo", visibility="shared", status="ready", **kw):
        from archive.models import Photo

        n = next(counter)
        return add_item(
            Photo, event, title, visibility, status, f"photo-{n}.jpg",
            f"photo {n}".encode(), "image/jpeg", **kw,
        )  # fmt: skip

    return make


def store_bytes(content: bytes):
    """Put bytes into the app's storage as an original."""
    import io

    from archive.services import current_storage

    return current_storage().store_original(io.BytesIO(content))


def publish_files(item_id: int, names: dict[str, bytes]) -> None:
    """Give an item derived files (thumbnails, previews) without running the extractors."""
    from archive.services import current_storage

    storage = current_storage()
    with storage.staging_dir() as staged:
        for name, content in names.items():
            (staged / name).write_bytes(content)
        storage.publish_derived(item_id, staged)


# Tiny PDFs (pypdf) and photos (Pillow) made in code


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory writing a PDF whose pages show the given lines of text."""

    def make(
        pages: list[list[str]],
        name: str = "deck.pdf",
        user_password: str | None = None,
        metadata: dict[str, str] | None = None,
        outline: list[tuple[str, int]] | None = None,
    ) -> Path:
        writer = PdfWriter()
        for lines in pages:
            add_text_page(writer, lines)
        for title, page_index in outline or []:
            writer.add_outline_item(title=title, page_number=page_index)
        if metadata:
            writer.add_metadata(metadata)
        if user_password is not None:
            writer.encrypt(user_password, owner_password="owner-secret", algorithm="RC4-128")
        path = tmp_path / name
        with open(path, "wb") as fh:
            writer.write(fh)
        return path

    return make


def asymmetric_image(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """An image whose top-left corner is red and the rest blue, so orientation is visible."""
    im = Image.new("RGB", size, "blue")
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 4, size[1] // 4), fill="red")
    return im.convert(mode)


@pytest.fixture
def make_jpeg(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory writing a JPEG with optional EXIF orientation, camera (and serial),
    date (and UTC offset) and GPS."""

    def make(
        size: tuple[int, int] = (200, 100),
        name: str = "photo.jpg",
        orientation: int | None = None,
        make: str | None = None,
        model: str | None = None,
        taken: str | None = None,
        gps: bool = False,
        mode: str = "RGB",
        offset: str | None = None,
        serial: str | None = None,
    ) -> Path:
        exif = Image.Exif()
        if orientation:
            exif[0x0112] = orientation
        if make:
            exif[0x010F] = make
        if model:
            exif[0x0110] = model
        if taken:
            exif.get_ifd(0x8769)[0x9003] = taken
        if offset:
            exif.get_ifd(0x8769)[0x9011] = offset  # OffsetTimeOriginal
        if serial:
            exif.get_ifd(0x8769)[0xA431] = serial  # BodySerialNumber
        if gps:
            exif.get_ifd(0x8825).update(
                {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)}
            )
        path = tmp_path / name
        asymmetric_image(size, mode).save(path, "JPEG", exif=exif.tobytes(), quality=90)
        return path

    return make
