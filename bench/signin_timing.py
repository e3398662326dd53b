"""Sign-in timing: an unknown name, a wrong password and a deactivated account must take
the same time, or the sign-in page tells which accounts exist.

    python bench/signin_timing.py [--rounds 30]

Signs in through the real view (test client, in-process) in interleaved rounds and prints
the median and p90 of each case, and their ratio to the wrong-password case. The reference
is a bare `check_password_hash` of the same hash, measured in the same run.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from werkzeug.security import check_password_hash  # noqa: E402

from archive import accounts  # noqa: E402
from archive.extensions import db  # noqa: E402
from tests.conftest import PASSWORD, make_app  # noqa: E402

CASES = {
    "unknown name": ("nobody-here", "wrong password!"),
    "wrong password": ("alice", "wrong password!"),
    "deactivated account": ("bob", PASSWORD),
}


def measure(rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            accounts.create_user("alice", PASSWORD, "researcher")
            bob = accounts.create_user("bob", PASSWORD, "researcher")
            accounts.set_active(bob, False)
            db.session.commit()
            pwhash = accounts.find_user("alice").password_hash
        client = app.test_client()
        times: dict[str, list[float]] = {name: [] for name in [*CASES, "check_password_hash"]}
        for _ in range(rounds):
            for name, (username, password) in CASES.items():
                started = time.perf_counter()
                status = client.post("/login", data={"username": username, "password": password})
                times[name].append(time.perf_counter() - started)
                assert status.status_code == 401, status.status_code
            started = time.perf_counter()
            check_password_hash(pwhash, "wrong password!")
            times["check_password_hash"].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    logging.getLogger("archive").setLevel(logging.ERROR)  # one warning per failed sign-in
    times = measure(parser.parse_args().rounds)
    base = statistics.median(times["wrong password"])
    print(f"{'case':<24}{'median ms':>10}{'p90 ms':>9}{'ratio':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"{name:<24}{median * 1000:>10.1f}{p90 * 1000:>9.1f}{median / base:>8.2f}")


if __name__ == "__main__":
    main()
