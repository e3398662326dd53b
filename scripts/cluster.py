"""A local two-node cluster (see scripts/cluster.sh): start it, load the demo, print the
URLs and the demo sign-in, and stop everything on Ctrl-C."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import Cluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the cluster's data in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="workshop-archive-cluster-"))
    print(f"starting PostgreSQL, Redis and two nodes in {root} ...", flush=True)
    with Cluster(root, postgres_root=root / "postgres" if args.keep else None) as cluster:
        first = cluster.nodes[0]
        print(first.flask("demo"), flush=True)
        for name, node in zip("AB", cluster.nodes, strict=True):
            print(f"node {name}: {node.url}/   (instance {node.instance_dir})")
        print(f"shared: database {cluster.postgres.url('archive')}, queue {cluster.redis.url}, "
              f"uploads {cluster.shared / 'uploads'}")  # fmt: skip
        print("Ctrl-C stops the cluster.", flush=True)
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        try:
            while not stop["now"]:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        print("stopping ...", flush=True)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
