"""Short, stable names for query texts (``/q/<key>``) and the bounded store that keeps them.

A query's key is a prefix of the SHA-256 of its UTF-8 text, in lower-case base32
(:func:`share_key`): the same text always gets the same key, on every server, so a key needs no
record of who made it or when. 20 characters are 100 bits: with the store's cap of
:data:`MAX_ENTRIES` (2**17) texts, the chance that two of them share a key is about
2**34 / 2**101 = 2**-67, and a guess hits one of them with a chance of 2**17 / 2**100 = 2**-83,
so a query that was not shared cannot be found by trying keys. Lower case only: files named by
keys stay distinct on case-insensitive file systems.

:class:`ShareStore` keeps each text in one file named by its key in a folder the operator
chooses, and nothing else (no address, time, agent or cookie; the file times are set to the
epoch). It is bounded: a text longer than ``max_query_bytes`` and a store that would pass
``max_entries`` or ``max_bytes`` are refused (:class:`ShareRefused`). A write goes to a
temporary file, is flushed to disk and renamed onto its key, so a crash leaves either the
whole text or nothing under that key. Several processes may share one folder: checks and
writes hold an exclusive ``flock`` on the folder's lock file, and the totals are read from
the folder, not remembered. A text is read back only if it still hashes to its key.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "KEY_LENGTH",
    "KEY_PATTERN",
    "MAX_ENTRIES",
    "ShareRefused",
    "ShareStore",
    "WriteRate",
    "is_key",
    "share_key",
]

#: Characters of a key: 20 base32 characters are 100 bits of the SHA-256.
KEY_LENGTH = 20
KEY_PATTERN = re.compile(rf"[a-z2-7]{{{KEY_LENGTH}}}")
#: The most texts a store may be configured to hold (the bound the key length is chosen for).
MAX_ENTRIES = 2**17
_LOCK = ".lock"
_TEMP_PREFIX = ".tmp-"


def share_key(text: str) -> str:
    """The key of ``text``: the first 100 bits of its SHA-256, lower-case base32."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:KEY_LENGTH]


def is_key(candidate: str) -> bool:
    """Whether ``candidate`` is written like a key (it may still name nothing)."""
    return KEY_PATTERN.fullmatch(candidate) is not None


class ShareRefused(Exception):
    """A text the store will not keep; ``reason`` is ``too-large``, ``full``, ``collision``
    or ``rate`` (see :class:`WriteRate`)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ShareStore:
    """Query texts in ``folder``, one file per key, within the given bounds."""

    folder: Path
    max_query_bytes: int = 1024 * 1024
    max_entries: int = 10000
    max_bytes: int = 64 * 1024 * 1024
    _thread_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.max_entries <= MAX_ENTRIES:
            raise ValueError(f"max_entries must be between 1 and {MAX_ENTRIES}")
        self.folder = Path(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / _LOCK).touch(exist_ok=True)
        self._drop_temporaries()

    def get(self, key: str) -> str | None:
        """The text stored under ``key``, or None (unknown, malformed, or not the text its key
        names: a file changed on disk is never served)."""
        if not is_key(key):
            return None
        try:
            data = (self.folder / key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None
        if len(data) > self.max_query_bytes:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text if share_key(text) == key else None

    def put(self, text: str, rate: WriteRate | None = None) -> tuple[str, bool]:
        """Keep ``text``; its key, and whether it was new (a text already kept costs nothing and
        is never refused, except a different text with the same key).

        Raises:
            ShareRefused: too large, the store full, a key collision, or ``rate`` spent.
        """
        data = text.encode("utf-8")
        if len(data) > self.max_query_bytes:
            raise ShareRefused(
                "too-large",
                f"the query is {len(data)} bytes; a shared query may have at most "
                f"{self.max_query_bytes}",
            )
        key = share_key(text)
        target = self.folder / key
        with self._locked():
            try:
                existing = target.read_bytes()
            except FileNotFoundError:
                existing = None
            if existing is not None:
                if existing == data:
                    return key, False
                if self.get(key) is not None:  # a different, intact text: a real collision
                    raise ShareRefused("collision", f"another query already has the key {key}")
            count, size = self.totals()
            if count + 1 > self.max_entries or size + len(data) > self.max_bytes:
                raise ShareRefused(
                    "full",
                    f"the store of shared queries is full ({count} queries, {size} bytes; "
                    f"at most {self.max_entries} and {self.max_bytes})",
                )
            if rate is not None and not rate.take():
                raise ShareRefused("rate", "too many new shared queries just now")
            self._write(target, data)
        return key, True

    def totals(self) -> tuple[int, int]:
        """How many texts the folder holds, and their bytes."""
        count = size = 0
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if is_key(entry.name) and entry.is_file(follow_symlinks=False):
                    count += 1
                    size += entry.stat(follow_symlinks=False).st_size
        return count, size

    def _write(self, target: Path, data: bytes) -> None:
        """Write ``data`` to ``target`` whole or not at all (temporary file, fsync, rename)."""
        fd, temporary = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.utime(temporary, (0, 0))  # the store keeps no time of sharing
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)

    def _drop_temporaries(self) -> None:
        """Remove temporary files a crashed writer left (under the lock: no writer is busy)."""
        with self._locked():
            for leftover in self.folder.glob(_TEMP_PREFIX + "*"):
                leftover.unlink(missing_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold this store's lock: the threads of this process, then ``flock`` for others."""
        with self._thread_lock, (self.folder / _LOCK).open("rb") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


@dataclass
class WriteRate:
    """A token bucket: at most ``per_minute`` new texts a minute, ``burst`` at once. It counts
    writes, never who asked: nothing about a client is kept, even in memory."""

    per_minute: float = 30.0
    burst: int = 10
    _tokens: float = field(default=-1.0, repr=False)
    _updated: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self) -> bool:
        """Spend one write if the bucket holds one."""
        with self._lock:
            now = time.monotonic()
            if self._tokens < 0:
                self._tokens = float(self.burst)
            else:
                refill = (now - self._updated) * self.per_minute / 60.0
                self._tokens = min(float(self.burst), self._tokens + refill)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def retry_after(self) -> int:
        """Seconds until the next write is allowed (at least 1)."""
        with self._lock:
            missing = max(0.0, 1 - self._tokens)
        return max(1, int(missing * 60.0 / self.per_minute + 0.999))
