"""Scale-out benchmark: search throughput and ingest pages/s with one node and with two.

    python bench/cluster.py [--decks 24] [--pages 20] [--users 8] [--duration 30]

For each size (1 node, then 2), starts the cluster of `tests.support.cluster` (PostgreSQL
for the database and the search index, Redis for the queue; each node a gunicorn with 2
workers and a queue worker with 1 process, sharing the upload folder), then:

- ingest: uploads --decks generated PDFs of --pages pages through the API, spread over the
  nodes, and times until every one is ready and indexed: pages per second;
- search: --users signed-in researchers, spread over the nodes, search back to back for
  --duration seconds: requests per second, p50/p95, and errors (any non-200 or no answer).

Prints both sizes side by side with the ratio; targets: 0 errors, ingest with two nodes at
least 1.7x one. On one machine the nodes share its cores: two nodes can only do better than
one where one node leaves cores idle (here: one extraction process per node).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import samples  # noqa: E402
from tests.support.cluster import Cluster  # noqa: E402

WORDS = samples.VOCABULARY


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0
    )


def ingest(cluster: Cluster, args) -> tuple[float, int]:
    """Upload the decks round-robin over the nodes; (pages/s until all indexed, errors)."""
    files = [samples.make_pdf(args.pages, f"zqxbench{n:04d}", seed=n) for n in range(args.decks)]
    clients = [node.client("staff", timeout=120) for node in cluster.nodes]
    ids, errors = [], 0
    started = time.perf_counter()
    for n, data in enumerate(files):
        response = clients[n % len(clients)].upload(
            "/api/v1/events/live/items", [(f"d{n}.pdf", data)]
        )
        if response.status != 202:
            errors += 1
            continue
        ids.append(response.json()["files"][0]["item"]["id"])
    states = cluster.nodes[0].wait_for_items(ids, timeout=args.timeout)
    seconds = time.perf_counter() - started
    errors += sum(1 for i in ids if states.get(i) != "ready")
    return args.decks * args.pages / seconds, errors


def search_load(cluster: Cluster, args) -> tuple[float, list[float], int]:
    """Researchers searching back to back on every node; (req/s, latencies ms, errors)."""
    users = [
        cluster.nodes[n % len(cluster.nodes)].signed_in("researcher") for n in range(args.users)
    ]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + args.duration

    def user(client, seed):
        rng = random.Random(seed)
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            query = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
            try:
                response = client.get("/search/", q=query)
                mine.append(response.seconds * 1000)
                failed += response.status != 200
            except OSError:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=user, args=(c, n)) for n, c in enumerate(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies, errors[0]


def run(nodes: int, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="archive-cluster-bench-") as root:
        with Cluster(Path(root), nodes=nodes, queue_workers=1) as cluster:
            print(f"{nodes} node(s) up; ingesting {args.decks} x {args.pages} pages", flush=True)
            rate, ingest_errors = ingest(cluster, args)
            print(f"{nodes} node(s): searching for {args.duration:.0f} s", flush=True)
            throughput, latencies, search_errors = search_load(cluster, args)
    return {
        "ingest": rate,
        "throughput": throughput,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "errors": ingest_errors + search_errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decks", type=int, default=24)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for ingest")
    args = parser.parse_args()
    one, two = run(1, args), run(2, args)
    print(f"\n{'':28}{'1 node':>12}{'2 nodes':>12}{'ratio':>8}")
    for key, label in (("ingest", "ingest, pages/s"), ("throughput", "search, requests/s")):
        ratio = two[key] / one[key] if one[key] else float("nan")
        print(f"{label:28}{one[key]:>12.1f}{two[key]:>12.1f}{ratio:>8.2f}")
    for key, label in (("p50", "search p50, ms"), ("p95", "search p95, ms"), ("errors", "errors")):
        print(f"{label:28}{one[key]:>12.0f}{two[key]:>12.0f}")
    ok = one["errors"] == two["errors"] == 0 and two["ingest"] >= 1.7 * one["ingest"]
    print(f"{'PASS' if ok else 'FAIL'}  0 errors, ingest with two nodes >= 1.7x one")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
