"""`worker` and `serve`: run the ingest worker, or the web server and a worker together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app

from archive import tasks
from archive.extensions import db


@click.command("worker")
@click.option("-w", "--workers", type=int, default=None, help="Parallel tasks (default: config).")
@click.option(
    "--worker-type",
    type=click.Choice(["process", "thread"]),
    default="process",
    show_default=True,
    help="Processes use every core; indexing is CPU-bound Python.",
)
def worker(workers, worker_type):
    """Run a queue worker in the foreground until interrupted."""
    workers = workers or current_app.config["WORKER_THREADS"]
    engine = db.engine
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    # A worker killed between an item's commit and its indexing leaves it ready but not
    # searchable; re-indexing is idempotent, so it is done now rather than at the next sweep.
    found = tasks.recover_and_enqueue(at_start=True)
    db.session.remove()
    click.echo(
        f"worker: {workers} {worker_type}(s); re-queued {len(found.to_process)} unfinished "
        f"item(s), {len(found.to_index)} to index"
    )
    consumer = tasks.queue().create_consumer(workers=workers, worker_type=worker_type)
    consumer.run()


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("ARCHIVE_HOST", "127.0.0.1"))
@click.option("--port", type=int, default=lambda: int(os.environ.get("ARCHIVE_PORT", "5000")))
@click.option("--web-workers", type=int, default=2, show_default=True)
@click.option("--queue-workers", type=int, default=1, show_default=True)
def serve(host, port, web_workers, queue_workers):
    """Run gunicorn and a queue worker side by side; Ctrl-C stops both."""
    bin_dir = os.path.dirname(sys.executable)
    web = [
        os.path.join(bin_dir, "gunicorn"),
        "-w",
        str(web_workers),
        "-b",
        f"{host}:{port}",
        "--access-logfile",
        "-",
        "archive:create_app()",
    ]
    work = [sys.executable, "-m", "flask", "--app", "archive", "worker", "-w", str(queue_workers)]
    children = [subprocess.Popen(work), subprocess.Popen(web)]
    click.echo(f"\nWorkshop Archive is running at http://{host}:{port}/  (Ctrl-C to stop)\n")
    stop = {"now": False}

    def request_stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stop["now"] and all(child.poll() is None for child in children):
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        child.wait(timeout=30)
    sys.exit(max(child.returncode or 0 for child in children) if not stop["now"] else 0)
