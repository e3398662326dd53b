"""Sign-in limits that hold exactly, whatever the number of web processes.

Every sign-in form submission is an attempt. Before its password is checked, an attempt is
admitted only if, within each limit's window, fewer attempts than the limit are counted for
its address and account pair (`LOGIN_LIMIT`), for its account from any address
(`LOGIN_ACCOUNT_LIMIT`, higher) and for its address over every account name
(`LOGIN_ADDRESS_LIMIT`, higher). An admitted attempt is recorded; a refused one is not, so
refusals never extend a lock-out. A successful sign-in removes the pair's attempts, so an
owner who mistyped starts afresh; failures stay until they are older than the window.

Counts live where every process sees them: in the application database by default (SQLite
on one machine, PostgreSQL across machines), or in Redis when `ARCHIVE_RATELIMIT_STORAGE_URL`
names one. The check and the record are one atomic step (a write transaction, or a Lua
script), so concurrent attempts cannot both slip under a limit. Counters in each process's
memory once allowed about twice the limit with two web processes.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from limits import parse
from redis import Redis
from sqlalchemy import delete, func, select, text

from archive.extensions import db
from archive.models import SignInAttempt
from archive.models.common import utcnow
from archive.startup import StartupError

logger = logging.getLogger(__name__)

KEY = "archive.signin_limits"
PG_LOCK = 0x5A1_6E1  # the advisory lock that serialises limit checks on PostgreSQL
REDIS_PREFIX = "archive:signin:"


@dataclass(frozen=True)
class Limit:
    """At most `amount` attempts in `seconds`, as configured ("10 per 15 minutes")."""

    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        item = parse(text)
        return cls(item.amount, item.get_expiry())


@dataclass(frozen=True)
class Admission:
    """The outcome of one attempt: admitted (with the id to settle it by) or refused."""

    attempt: str | None
    retry_after: int = 0  # seconds until a refused attempt may be made again

    @property
    def refused(self) -> bool:
        return self.attempt is None


def init_app(app: Flask) -> None:
    """Read the limits and the store, stopping start-up with one line if either is wrong."""
    url = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise StartupError(
            f"ARCHIVE_RATELIMIT_STORAGE_URL={url!r}: sign-in limits are kept in the database "
            "(leave it unset) or in Redis (redis://host:6379/0); per-process memory would let "
            "each web process allow the whole limit"
        )
    try:
        limits = {
            key: Limit.parse(app.config[name])
            for key, name in (
                ("pair", "LOGIN_LIMIT"),
                ("account", "LOGIN_ACCOUNT_LIMIT"),
                ("address", "LOGIN_ADDRESS_LIMIT"),
            )
        }
    except ValueError as exc:
        raise StartupError(f"sign-in limit: {exc}") from exc
    store = RedisAttempts(url) if url else DatabaseAttempts()
    app.extensions[KEY] = (store, limits)


def admit(address: str, account: str) -> Admission:
    """Record this attempt if every limit allows one more; say when to retry otherwise."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return Admission("unlimited")
    store, limits = current_app.extensions[KEY]
    admission = store.admit(address or "-", account.strip().lower()[:80], limits)
    if admission.refused:
        logger.warning("sign-in limit reached for %r from %s", account[:80], address)
    return admission


def succeeded(admission: Admission, address: str, account: str) -> None:
    """The password was right: forget this pair's attempts."""
    if current_app.config["RATELIMIT_ENABLED"]:
        store, _ = current_app.extensions[KEY]
        store.forget_pair(admission.attempt, address or "-", account.strip().lower()[:80])


class DatabaseAttempts:
    """Attempts as rows of `sign_in_attempts`, checked and added in one write transaction."""

    def admit(self, address: str, account: str, limits: dict[str, Limit]) -> Admission:
        now = utcnow()
        longest = max(limit.seconds for limit in limits.values())
        self._serialise()
        # The DELETE also takes SQLite's write lock first, so that two processes cannot both
        # count, then both insert.
        db.session.execute(
            delete(SignInAttempt).where(SignInAttempt.at < now - timedelta(seconds=longest))
        )
        keys = {
            "pair": (SignInAttempt.address == address, SignInAttempt.account == account),
            "account": (SignInAttempt.account == account,),
            "address": (SignInAttempt.address == address,),
        }
        retry = 0
        for name, limit in limits.items():
            since = now - timedelta(seconds=limit.seconds)
            count, oldest = db.session.execute(
                select(func.count(), func.min(SignInAttempt.at)).where(
                    SignInAttempt.at >= since, *keys[name]
                )
            ).one()
            if count >= limit.amount:
                wait = (oldest + timedelta(seconds=limit.seconds) - now).total_seconds()
                retry = max(retry, int(wait) + 1)
        if retry:
            db.session.commit()
            return Admission(None, retry)
        attempt = SignInAttempt(at=now, address=address, account=account)
        db.session.add(attempt)
        db.session.commit()
        return Admission(str(attempt.id))

    def forget_pair(self, attempt: str | None, address: str, account: str) -> None:
        db.session.execute(
            delete(SignInAttempt).where(
                SignInAttempt.address == address, SignInAttempt.account == account
            )
        )
        db.session.commit()

    @staticmethod
    def _serialise() -> None:
        """On PostgreSQL, one limit check at a time (released at commit)."""
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})


# Atomically: drop old entries of each key, refuse if any key is full (returning the seconds
# until its oldest entry leaves the window), else add the attempt to every key.
ADMIT_SCRIPT = """
local now, member = tonumber(ARGV[1]), ARGV[2]
local retry = 0
for i, key in ipairs(KEYS) do
  local amount, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= amount then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    retry = math.max(retry, math.ceil(tonumber(oldest[2]) + window - now))
  end
end
if retry > 0 then return retry end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[2 + 2 * i])))
end
return 0
"""


class RedisAttempts:
    """Attempts as members of sorted sets (score: time), checked and added by one script."""

    def __init__(self, url: str):
        self.redis = Redis.from_url(url)
        self.script = self.redis.register_script(ADMIT_SCRIPT)

    def admit(self, address: str, account: str, limits: dict[str, Limit]) -> Admission:
        member = uuid.uuid4().hex
        keys = [self._key(name, address, account) for name in limits]
        args: list[object] = [time.time(), member]
        for limit in limits.values():
            args += [limit.amount, limit.seconds]
        retry = int(self.script(keys=keys, args=args))
        return Admission(None, max(retry, 1)) if retry else Admission(member)

    def forget_pair(self, attempt: str | None, address: str, account: str) -> None:
        """Remove the pair's attempts from every count, as the database store does."""
        pair = self._key("pair", address, account)
        members = self.redis.zrange(pair, 0, -1)
        pipe = self.redis.pipeline()
        pipe.delete(pair)
        if members:
            for name in ("account", "address"):
                pipe.zrem(self._key(name, address, account), *members)
        pipe.execute()

    @staticmethod
    def _key(name: str, address: str, account: str) -> str:
        value = {"pair": f"{address}|{account}", "account": account, "address": address}[name]
        return f"{REDIS_PREFIX}{name}:{value}"
