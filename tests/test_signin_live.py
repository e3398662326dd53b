"""Sign-in limits measured on real servers: the default start command (`flask serve`: gunicorn
with two workers) and the README's production command (`gunicorn -w 4`). With counters in
each process's memory, 15 wrong passwords followed by the right one signed in 3 times out
of 5 on the default command; the limit must hold exactly."""

from __future__ import annotations

import pytest

from tests.support.live import Account, LiveStack
from tests.support.web import WebClient

pytestmark = pytest.mark.slow

LIMITS = {
    "LOGIN_LIMIT": "10 per 15 minutes",
    "LOGIN_ACCOUNT_LIMIT": "50 per 15 minutes",
    "LOGIN_ADDRESS_LIMIT": "100 per 15 minutes",
}
ALICE = Account("alice", "researcher")


def attempts(stack: LiveStack) -> list[int]:
    """15 wrong passwords, then the right one, each from a fresh connection (and so from
    whichever worker takes it)."""
    answers = [WebClient(stack.url).login("alice", "wrong password").status for _ in range(15)]
    answers.append(WebClient(stack.url).login("alice", stack.accounts["alice"].password).status)
    return answers


def test_the_limit_holds_with_the_default_start_command(tmp_path):
    stack = LiveStack(tmp_path, accounts=[ALICE], events=(), settings=LIMITS)
    try:
        stack.prepare()
        stack.start_serve()
        assert attempts(stack) == [401] * 10 + [429] * 6
    finally:
        stack.stop()


def test_the_limit_holds_with_the_production_command(tmp_path):
    stack = LiveStack(tmp_path, accounts=[ALICE], events=(), web_workers=4, settings=LIMITS)
    try:
        stack.prepare()
        stack.start_web()
        assert attempts(stack) == [401] * 10 + [429] * 6
    finally:
        stack.stop()
