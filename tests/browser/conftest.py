"""A live server with a queue worker, seeded once per session, and Chromium through Playwright.

The server is werkzeug's `make_server` on 127.0.0.1 with a free port chosen by the kernel,
serving an app whose data folders are under a session tmp folder, with CSRF on. Uploads
are queued as in production and a worker thread runs the queued tasks, so the upload page
really goes queued -> processing -> ready; tests may pause the worker to watch that.
"""

from __future__ import annotations

import gc
import io
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfWriter
from werkzeug.serving import WSGIRequestHandler, make_server

from archive import accounts, tasks
from archive.catalogue import EventDetails, create_event, find_event
from archive.demo import load_demo
from archive.demo.content import EVENT as DEMO_EVENT
from archive.extensions import db
from archive.ingest import ItemFields, accept_file
from archive.pipeline import process_item
from archive.services import current_storage
from tests.conftest import PASSWORD, add_text_page, make_lasting_app
from tests.support import testdb

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1366, "height": 900}  # a common laptop
PHONE = {"width": 390, "height": 844}  # a current phone, held upright
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Screenshots are written only when asked (ARCHIVE_SCREENSHOTS=1), so that an ordinary test
# run leaves docs/screenshots/ as committed.
WRITE_SCREENSHOTS = os.environ.get("ARCHIVE_SCREENSHOTS", "") not in ("", "0")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.1 A and AA (labels, names, contrast, structure) plus the landmark rules.
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DEMO_SLUG = DEMO_EVENT["slug"]
OTHER_SLUG = "open-data-almaty-2024"
OTHER_DECK_TEXT = "Open budget portals in Central Asia"


def pytest_collection_modifyitems(config, items) -> None:
    """The development server leaves a file response unclosed when the browser drops the
    connection (a lazy image cancelled by a navigation); its ResourceWarning surfaces at
    some later test's teardown. Production serves through gunicorn: ignore it here only."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class QueueWorker(threading.Thread):
    """Runs queued tasks of the live app, like `flask worker` with one thread."""

    def __init__(self, app):
        super().__init__(name="queue-worker", daemon=True)
        self.app = app
        self.running = threading.Event()
        self.running.set()
        self.stopped = threading.Event()

    def run(self):
        with self.app.app_context():
            huey = tasks.queue()
        while not self.stopped.is_set():
            task = huey.dequeue() if self.running.is_set() else None
            if task is None:
                self.stopped.wait(0.05)
                continue
            huey.execute(task)

    def pause(self):
        self.running.clear()

    def resume(self):
        self.running.set()

    def stop(self):
        self.stopped.set()
        self.join(timeout=10)


@dataclass
class LiveServer:
    url: str
    app: object
    worker: QueueWorker
    ids: dict[str, int] = field(default_factory=dict)

    def __call__(self, path: str) -> str:
        return self.url + path


# Module scope: the server and its threads stop before other test modules run, so nothing
# they leave for the garbage collector surfaces as a warning in an unrelated test.
@pytest.fixture(scope="module")
def live_server(tmp_path_factory, request):
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}")
    if testdb.DATABASE == "postgresql":
        request.getfixturevalue("postgres_databases")  # started before the server's app
    folder = tmp_path_factory.mktemp("live")
    app, release = make_lasting_app(folder, QUEUE_IMMEDIATE=False, WTF_CSRF_ENABLED=True)
    with app.app_context():
        ids = seed()
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    serving = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    serving.start()
    worker = QueueWorker(app)
    worker.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, worker, ids)
    worker.stop()
    server.shutdown()
    serving.join(timeout=10)
    server.server_close()
    release()
    gc.collect()


def seed() -> dict[str, int]:
    """Accounts; the demo event (granted to UNDP); another event that is not granted."""
    for username, role, org in (
        ("sam", "staff", None),
        ("ada", "admin", None),
        ("rita", "researcher", None),
        ("pat", "partner", "UNDP"),
    ):
        accounts.create_user(username, PASSWORD, role, org)
    db.session.commit()
    load_demo()
    demo = find_event(DEMO_SLUG)
    accounts.add_grant(demo, accounts.find_or_create_organisation("UNDP"))
    details = EventDetails(
        title="Open data days", start_date=date(2024, 4, 16), city="Almaty", country="Kazakhstan"
    )
    other = create_event(OTHER_SLUG, details)
    db.session.commit()
    deck = make_pdf([["Open data days"], [OTHER_DECK_TEXT, "Budget transparency"]], "Open data")
    outcome = accept_file(
        current_storage(),
        io.BytesIO(deck),
        "open-budgets.pdf",
        other,
        None,
        ItemFields(title="Open budgets", speakers="Aigerim"),
    )
    db.session.commit()
    assert process_item(outcome.item.id, "seed") == "ready"
    return {"other_deck": outcome.item.id, **seed_reading(demo)}


HANDBOOK_MATCHES = (3, 10, 17, 24)  # pages of the handbook that mention "procurement"


def seed_reading(demo) -> dict[str, int]:
    """For the reading journeys: a 30-page handbook whose pages 3, 10, 17 and 24 mention
    procurement and whose page 2 is a table of contents; two decks with one title; a small
    photo whose caption credits the photographer."""
    pages = [[f"Digital services handbook, section {n}"] for n in range(1, 31)]
    pages[1] = ["Contents"] + [
        f"Section {n} . . . . . . . . . . . . . . . . {n}" for n in range(1, 16)
    ]
    for n in HANDBOOK_MATCHES:
        pages[n - 1] += [
            "Open procurement portals publish every tender",
            "and every contract award.",
        ]
    files = [
        (
            "handbook.pdf",
            make_pdf(pages, "Handbook"),
            ItemFields(title="Digital services handbook", speakers="Leyla Aliyeva"),
        ),
        (
            "keynote-day1.pdf",
            make_pdf([["Keynote, day one"]], "Keynote"),
            ItemFields(title="Keynote", speakers="Ann Lee"),
        ),
        (
            "keynote-day2.pdf",
            make_pdf([["Keynote, day two"]], "Keynote"),
            ItemFields(title="Keynote", speakers="Ann Lee"),
        ),
        (
            "coffee.jpg",
            make_photo(7, size=(320, 200)),
            ItemFields(title="Coffee break. Photo: Ann Lee"),
        ),
    ]
    ids = {}
    for name, content, fields in files:
        outcome = accept_file(current_storage(), io.BytesIO(content), name, demo, None, fields)
        db.session.commit()
        assert process_item(outcome.item.id, "seed") == "ready", name
        ids[name] = outcome.item.id
    return {"handbook": ids["handbook.pdf"], "small_photo": ids["coffee.jpg"]}


def make_pdf(pages: list[list[str]], title: str) -> bytes:
    """A small PDF whose pages show the given lines in Helvetica."""
    writer = PdfWriter()
    for lines in pages:
        add_text_page(writer, lines)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_photo(seed: int, size=(960, 640)) -> bytes:
    """A JPEG with a colour gradient and a few shapes, different for each seed."""
    width, height = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, ((seed * 70) % 256, (seed * 130 + 60) % 256, 180))
    im = Image.blend(im, tint, 0.6)
    draw = ImageDraw.Draw(im)
    for n in range(4):
        x = (seed * 97 + n * 211) % (width - 160)
        y = (seed * 53 + n * 127) % (height - 160)
        draw.ellipse((x, y, x + 150, y + 150), fill=((n * 60) % 256, 90, (seed * 40) % 256))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture(scope="module")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Console:
    """What the pages of one test wrote to the console, and their uncaught errors."""

    def __init__(self):
        self.messages: list[str] = []
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        """Errors containing `text` are expected (a status the test asks for on purpose)."""
        self.allowed.append(text)

    def attach(self, page):
        page.on("console", self.record)
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def record(self, msg) -> None:
        where = msg.location.get("url") if msg.location else ""
        self.messages.append(f"{msg.type}: {msg.text} ({where})")

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]

    def errors(self) -> list[str]:
        return [
            m
            for m in self.messages
            if m.startswith(("error", "pageerror")) and not any(a in m for a in self.allowed)
        ]


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def new_page(browser, console):
    """new_page(): a page in a fresh browser context (its own cookies), 1366x900, English;
    `locale="ru-RU"` makes the browser ask for Russian, `viewport=PHONE` a phone screen.
    Every page gets axe-core (from tests/browser/vendor) for `accessibility_problems`."""
    contexts = []

    def make(**options):
        options = {"viewport": VIEWPORT, "accept_downloads": True, "locale": "en-GB", **options}
        context = browser.new_context(**options)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert console.csp_violations() == []
    assert console.errors() == []


def sign_in(page, live_server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(live_server("/login"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server("/"))


def screenshot(page, name: str) -> None:
    """Save the visible part of the page for the README and docs, when asked to."""
    if not WRITE_SCREENSHOTS:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def accessibility_problems(page) -> list[str]:
    """axe-core's violations on the current page, one line each (rule: elements)."""
    script = """async (tags) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
        return result.violations.map(v => `${v.id} (${v.impact}): ` +
            v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(" | "));
    }"""
    return page.evaluate(script, AXE_RULES)
