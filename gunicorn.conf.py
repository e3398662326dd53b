"""Gunicorn settings: `flask serve` uses them, and gunicorn reads this file by itself when
started from the repository root (as the README's production command is)."""


def post_worker_init(worker):
    """Open the search index and read its columns before the first request: at 100,000
    pages the first search in a fresh process takes about 0.8 s, which no user should wait
    for. A failure here is logged and left to the first request."""
    from archive.services import warm_up

    try:
        with worker.wsgi.app_context():
            warm_up()
    except Exception:  # noqa: BLE001 (a cold cache is not a reason to refuse to start)
        worker.log.exception("search warm-up failed")
