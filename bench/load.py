"""Load test: many signed-in users browse and search while staff upload decks through the API.

    python bench/load.py [--users 50] [--duration 60] [--uploads 20] [--think 1.0] [--keep DIR]

Starts the production stack on private folders (gunicorn -w 2 and `flask worker -w 2`, through
`tests.support.live`), seeds two events (the demo files and generated decks, imported with
`flask import`), signs every simulated user in through /login with the form's CSRF token
(researchers and partners; a partner's organisation is granted one of the two events), then
runs for --duration seconds: each user thread loops over searches (one word, phrases, OR,
prefixes, facet filters and in-query filters, second result pages), event pages, page and
photo thumbnails, the deck viewer, downloads and API item reads, pausing a random 0..2x
--think seconds between requests; meanwhile one staff thread uploads --uploads PDFs through
the API, spread over the first half of the run. Afterwards it waits until every upload is
ready and indexed and checks that each one is searchable with one document per page.

Prints throughput, latency percentiles overall, per kind of request and for searches made
while ingestion ran, counts by status, and PASS/FAIL for the targets: zero 5xx responses,
zero lost uploads, search p95 < 300 ms during ingestion. Exit status 1 if a target fails.
`--think 0` turns it into a saturation test (every user back-to-back).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.fulltext import AccessScope, SearchRequest  # noqa: E402
from archive.fulltext.whoosh import SearchIndex  # noqa: E402
from tests.support import samples  # noqa: E402
from tests.support.live import REPO, Account, EventSpec, LiveStack  # noqa: E402
from tests.support.web import WebClient  # noqa: E402

OPEN, CLOSED = "load-open", "load-closed"  # partners (UNDP) see only OPEN
EVENTS = (
    EventSpec(OPEN, "Digital government week", granted_to=("UNDP",), start="2024-05-14"),
    EventSpec(CLOSED, "Connectivity forum", start="2023-10-03"),
)
ACCOUNTS = (
    Account("staff", "staff"),
    Account("researcher-1", "researcher"),
    Account("researcher-2", "researcher"),
    Account("partner-1", "partner", org="UNDP"),
    Account("partner-2", "partner", org="UNDP"),
)
DEMO_FILES = REPO / "archive" / "demo" / "files"
SEARCH_P95_TARGET_MS = 300
PHRASES = ['"digital government"', '"open data portal"', '"mobile connectivity"']
CYRILLIC = ["правительство", "электронное", "услуги"]


@dataclass
class LoadOptions:
    users: int = 50
    duration: float = 60.0
    uploads: int = 20
    upload_pages: int = 30
    seed_decks: int = 24
    seed_pages: int = 20
    think: float = 1.0
    web_workers: int = 2
    queue_workers: int = 2
    settle_timeout: float = 180.0
    seed: int = 1
    root: Path | None = None


@dataclass
class Sample:
    kind: str
    status: int  # 0: no response (connection error or timeout)
    started: float  # seconds since the start of the run
    seconds: float


@dataclass
class Target:
    name: str
    ok: bool
    detail: str


@dataclass
class LoadReport:
    options: LoadOptions
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    upload_ids: list[int] = field(default_factory=list)
    upload_failures: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    ingest_window: tuple[float, float] = (0.0, 0.0)
    ingest_seconds: float | None = None
    seeded_pages: int = 0

    def of(self, kind: str | None = None, window: tuple[float, float] | None = None):
        return [
            s
            for s in self.samples
            if (kind is None or s.kind == kind)
            and (window is None or window[0] <= s.started <= window[1])
        ]

    @property
    def server_errors(self) -> int:
        return sum(1 for s in self.samples if s.status >= 500)

    @property
    def statuses(self) -> Counter:
        return Counter(s.status for s in self.samples)

    def targets(self) -> list[Target]:
        during = [s.seconds for s in self.of("search", self.ingest_window)]
        p95 = percentile(during, 95) * 1000 if during else float("nan")
        return [
            Target("zero 5xx responses", self.server_errors == 0, f"{self.server_errors} 5xx"),
            Target(
                "zero lost uploads",
                not self.lost and not self.upload_failures and len(self.upload_ids) > 0,
                f"{len(self.upload_ids) - len(self.lost)}/{self.options.uploads} ready and "
                f"searchable"
                + (f"; lost {self.lost}" if self.lost else "")
                + (f"; upload errors {self.upload_failures}" if self.upload_failures else ""),
            ),
            Target(
                f"search p95 < {SEARCH_P95_TARGET_MS} ms during ingestion",
                p95 < SEARCH_P95_TARGET_MS,
                f"p95 {p95:.0f} ms over {len(during)} searches",
            ),
        ]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# ---------------------------------------------------------------------------- set-up


def seed_events(stack: LiveStack, options: LoadOptions) -> None:
    """Demo files into the open event, generated decks into both, through `flask import`."""
    folders = {OPEN: stack.root / "seed" / OPEN, CLOSED: stack.root / "seed" / CLOSED}
    for folder in folders.values():
        folder.mkdir(parents=True)
    for path in DEMO_FILES.iterdir():
        (folders[OPEN] / path.name).write_bytes(path.read_bytes())
    for n in range(options.seed_decks):
        slug = OPEN if n % 2 == 0 else CLOSED
        data = samples.make_pdf(options.seed_pages, f"seeddeck{n}", seed=options.seed)
        (folders[slug] / f"seed-{n:03d}.pdf").write_bytes(data)
    for n in range(4):
        image = samples.make_image("JPEG", (1600, 1200), seed=options.seed * 100 + n)
        (folders[CLOSED] / f"photo-{n}.jpg").write_bytes(image)
    for slug, folder in folders.items():
        stack.flask("import", folder, "--event", slug, "--jobs", "2")


@dataclass
class Visible:
    """What one role may see: events, decks (id, pages) and photos."""

    events: list[str]
    event_ids: list[int]
    decks: list[tuple[int, int]]
    photos: list[int]


def discover(stack: LiveStack, username: str) -> Visible:
    """List, through the API as `username`, the items this role may open."""
    client = stack.client(username)
    visible = Visible([], [], [], [])
    for spec in EVENTS:
        response = client.request("GET", f"/api/v1/events/{spec.slug}/items")
        if response.status != 200:
            continue
        visible.events.append(spec.slug)
        for item in response.json()["items"]:
            if item["state"] != "ready":
                continue
            if item["kind"] == "presentation":
                visible.decks.append((item["id"], item["page_count"] or 1))
            else:
                visible.photos.append(item["id"])
    for slug in visible.events:
        rows = stack.query("SELECT id FROM events WHERE slug = ?", (slug,))
        visible.event_ids.append(rows[0][0])
    return visible


def sign_in_users(stack: LiveStack, count: int) -> list[tuple[WebClient, str]]:
    """`count` browser sessions, alternating researchers and partners."""
    names = [a.username for a in ACCOUNTS if a.role in ("researcher", "partner")]
    users = []
    for n in range(count):
        username = names[n % len(names)]
        users.append((stack.signed_in(username), stack.accounts[username].role))
    return users


# ---------------------------------------------------------------------------- the run


class Run:
    """Shared state of one run: the clock, the deadline, and every thread's samples."""

    def __init__(self, duration: float):
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + duration
        self.lock = threading.Lock()
        self.samples: list[Sample] = []

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def record(self, batch: list[Sample]) -> None:
        with self.lock:
            self.samples.extend(batch)

    def timed(self, kind: str, call, batch: list[Sample]):
        started = self.now()
        try:
            response = call()
        except OSError:
            batch.append(Sample(kind, 0, started, self.now() - started))
            return None
        batch.append(Sample(kind, response.status, started, response.seconds))
        return response


def search_params(rng: random.Random, visible: Visible) -> dict:
    """One of the kinds of searches people make."""
    words = samples.VOCABULARY
    choice = rng.random()
    if choice < 0.35:
        return {"q": rng.choice(words)}
    if choice < 0.50:
        return {"q": rng.choice(PHRASES)}
    if choice < 0.60:
        return {"q": f"{rng.choice(words)} {rng.choice(words)}"}
    if choice < 0.67:
        return {"q": f"{rng.choice(words)} OR {rng.choice(words)}"}
    if choice < 0.72:
        return {"q": rng.choice(words)[:4] + "*"}
    if choice < 0.77:
        return {"q": rng.choice(CYRILLIC)}
    if choice < 0.85:
        return {"q": rng.choice(words), "type": "presentation"}
    if choice < 0.92:
        return {"q": rng.choice(words), "event": str(rng.choice(visible.event_ids))}
    if choice < 0.96:
        return {"q": f"{rng.choice(words)} event:{rng.choice(visible.events)} year:2024"}
    return {"q": rng.choice(words), "page": "2"}


def one_request(run: Run, rng: random.Random, client: WebClient, visible: Visible, batch):
    """Pick and make one request of the browsing mix."""
    choice = rng.random()
    if choice < 0.40 or not visible.decks:
        params = search_params(rng, visible)
        run.timed("search", lambda: client.get("/search/", **params), batch)
    elif choice < 0.52:
        slug = rng.choice(visible.events)
        run.timed("event", lambda: client.get(f"/events/{slug}"), batch)
    elif choice < 0.72:
        item, pages = rng.choice(visible.decks)
        path = f"/items/{item}/pages/{rng.randint(1, pages)}/thumb"
        run.timed("thumbnail", lambda: client.get(path), batch)
    elif choice < 0.78 and visible.photos:
        path = f"/items/{rng.choice(visible.photos)}/photo/grid"
        run.timed("thumbnail", lambda: client.get(path), batch)
    elif choice < 0.86:
        item, pages = rng.choice(visible.decks)
        path = f"/presentations/{item}"
        run.timed("viewer", lambda: client.get(path, page=rng.randint(1, pages)), batch)
    elif choice < 0.94:
        item, _ = rng.choice(visible.decks)
        run.timed("download", lambda: client.get(f"/items/{item}/download"), batch)
    else:
        item, _ = rng.choice(visible.decks)
        run.timed("api", lambda: client.request("GET", f"/api/v1/items/{item}"), batch)


def browse(run: Run, seed: int, client: WebClient, visible: Visible, think: float) -> None:
    """One simulated user until the deadline."""
    rng = random.Random(seed)
    batch: list[Sample] = []
    time.sleep(rng.uniform(0, min(think, 1.0)))  # do not start in lock-step
    while time.perf_counter() < run.deadline:
        one_request(run, rng, client, visible, batch)
        if think:
            time.sleep(rng.uniform(0, 2 * think))
    run.record(batch)


def upload_decks(run: Run, client: WebClient, files, spread: float, report: LoadReport) -> None:
    """The staff thread: one deck per request, spread evenly over `spread` seconds."""
    batch: list[Sample] = []
    for n, (name, data) in enumerate(files):
        delay = run.t0 + n * spread / max(1, len(files)) - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        response = run.timed(
            "upload",
            lambda n=n, name=name, data=data: client.upload(
                f"/api/v1/events/{OPEN}/items", [(name, data)], {"title": f"Upload {n}"}
            ),
            batch,
        )
        if response is None or response.status != 202:
            report.upload_failures.append(f"{name}: {response.status if response else 'no reply'}")
            continue
        report.upload_ids.append(response.json()["files"][0]["item"]["id"])
    run.record(batch)


def watch_ingestion(run: Run, stack: LiveStack, report: LoadReport, stop: threading.Event):
    """Note when the last upload is ready and indexed (the end of the ingestion window)."""
    while not stop.wait(0.5):
        if len(report.upload_ids) + len(report.upload_failures) < report.options.uploads:
            continue
        if settled(stack, report.upload_ids):
            report.ingest_seconds = run.now()
            return


def settled(stack: LiveStack, ids: list[int]) -> bool:
    states = stack.item_states(ids)
    return all(states.get(i) in ("ready", "failed") for i in ids) and not stack.unindexed(ids)


def verify_uploads(stack: LiveStack, report: LoadReport, markers: dict[int, str]) -> None:
    """Every upload is ready, has its pages, and is searchable with one document per page."""
    stack.wait_for_items(report.upload_ids, report.options.settle_timeout)
    index = SearchIndex(stack.index_dir)
    everything = AccessScope(include_staff_only=True)
    pages = report.options.upload_pages
    for n, item_id in enumerate(report.upload_ids):
        (status, page_count, indexed, error) = stack.query(
            "SELECT status, page_count, indexed_at, error FROM items WHERE id = ?", (item_id,)
        )[0]
        (rows,) = stack.query("SELECT count(*) FROM pages WHERE item_id = ?", (item_id,))[0]
        hits = index.search(SearchRequest(markers[n], scope=everything)).total_hits
        if status != "ready" or indexed is None or page_count != pages or rows != pages:
            reason = f"; error: {error}" if error else ""
            report.lost.append(
                f"item {item_id}: {status}, {rows} page rows, indexed {indexed}{reason}"
            )
        elif hits != pages:
            report.lost.append(f"item {item_id}: {hits} index documents for {pages} pages")
    index.close()


def run_load(options: LoadOptions, say=print) -> LoadReport:
    """Start the stack, seed it, run the users and the uploader, verify; return the report."""
    report = LoadReport(options)
    with tempfile.TemporaryDirectory(prefix="archive-load-") as scratch:
        root = options.root or Path(scratch)
        settings = {"EXTRACT_TIMEOUT_S": "120"}
        started = time.perf_counter()
        with LiveStack(root, ACCOUNTS, EVENTS, options.web_workers, options.queue_workers,
                       settings) as stack:  # fmt: skip
            say(f"stack up at {stack.url} in {time.perf_counter() - started:.0f} s; seeding")
            seed_events(stack, options)
            (report.seeded_pages,) = stack.query("SELECT count(*) FROM pages")[0]
            roles = {"researcher": discover(stack, "researcher-1")}
            roles["partner"] = discover(stack, "partner-1")
            users = sign_in_users(stack, options.users)
            markers = {n: f"zqxupload{n:03d}" for n in range(options.uploads)}
            files = [
                (f"upload-{n:03d}.pdf", samples.make_pdf(options.upload_pages, markers[n]))
                for n in range(options.uploads)
            ]
            say(
                f"seeded {report.seeded_pages} pages; {len(users)} users signed in; running "
                f"{options.duration:.0f} s with {options.uploads} uploads"
            )
            run_threads(stack, options, report, users, roles, files)
            verify_uploads(stack, report, markers)
    return report


def run_threads(stack, options: LoadOptions, report: LoadReport, users, roles, files) -> None:
    run = Run(options.duration)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=browse, args=(run, options.seed * 1000 + n, client, roles[role], options.think)
        )
        for n, (client, role) in enumerate(users)
    ]
    uploader = stack.client("staff", timeout=120)
    threads.append(
        threading.Thread(
            target=upload_decks, args=(run, uploader, files, options.duration / 2, report)
        )
    )
    watcher = threading.Thread(target=watch_ingestion, args=(run, stack, report, stop))
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join()
    report.elapsed = run.now()
    stop.set()
    watcher.join()
    report.samples = run.samples
    end = report.ingest_seconds if report.ingest_seconds is not None else report.elapsed
    report.ingest_window = (0.0, min(end, report.elapsed))


# ---------------------------------------------------------------------------- output


def print_report(report: LoadReport, say=print) -> None:
    o = report.options
    measured = [s for s in report.samples if s.kind != "upload"]
    say(
        f"\n{o.users} users, think 0..{2 * o.think:g} s, {report.elapsed:.1f} s, "
        f"{o.web_workers} web + {o.queue_workers} queue workers; index {report.seeded_pages} "
        f"seeded pages + {o.uploads} x {o.upload_pages}-page uploads"
    )
    say(
        f"requests: {len(measured)} ({len(measured) / report.elapsed:.1f} req/s), "
        f"uploads: {len(report.of('upload'))}"
    )
    say(f"{'kind':<22}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    kinds = sorted({s.kind for s in report.samples})
    rows = [("all (without uploads)", measured)] + [(k, report.of(k)) for k in kinds]
    rows.append(("search during ingest", report.of("search", report.ingest_window)))
    for name, chosen in rows:
        times = [s.seconds * 1000 for s in chosen]
        if times:
            say(
                f"{name:<22}{len(times):>7}{percentile(times, 50):>9.0f}"
                f"{percentile(times, 95):>9.0f}{percentile(times, 99):>9.0f}{max(times):>9.0f}"
            )
    window = report.ingest_window
    say(
        f"ingestion window: {window[0]:.1f}-{window[1]:.1f} s"
        + ("" if report.ingest_seconds is not None else " (not settled before the end)")
    )
    by_kind = defaultdict(Counter)
    for s in report.samples:
        by_kind[s.kind][s.status] += 1
    say("status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items())))
    errors = {k: {st: n for st, n in c.items() if st not in (200, 202)} for k, c in by_kind.items()}
    errors = {k: v for k, v in errors.items() if v}
    say(f"errors by kind and status (0 = no response): {errors or 'none'}")
    say(f"5xx responses: {report.server_errors}")
    for lost in report.lost:
        say(f"not ready: {lost}")
    for target in report.targets():
        say(f"{'PASS' if target.ok else 'FAIL'}  {target.name}: {target.detail}")


def parse_args() -> LoadOptions:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    d = LoadOptions()
    parser.add_argument("--users", type=int, default=d.users)
    parser.add_argument("--duration", type=float, default=d.duration, help="seconds")
    parser.add_argument("--uploads", type=int, default=d.uploads)
    parser.add_argument("--upload-pages", type=int, default=d.upload_pages)
    parser.add_argument("--seed-decks", type=int, default=d.seed_decks)
    parser.add_argument("--seed-pages", type=int, default=d.seed_pages)
    parser.add_argument("--think", type=float, default=d.think, help="mean pause, seconds")
    parser.add_argument("--web-workers", type=int, default=d.web_workers)
    parser.add_argument("--queue-workers", type=int, default=d.queue_workers)
    parser.add_argument("--seed", type=int, default=d.seed, help="random seed")
    parser.add_argument("--keep", type=Path, help="keep the stack's folders here")
    args = parser.parse_args()
    values = {k: v for k, v in vars(args).items() if k != "keep"}
    return LoadOptions(**values, root=args.keep)


def main() -> int:
    report = run_load(parse_args())
    print_report(report)
    return 0 if all(t.ok for t in report.targets()) else 1


if __name__ == "__main__":
    sys.exit(main())
