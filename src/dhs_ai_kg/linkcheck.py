"""Check that the IRIs the links graph names still resolve (``dhs-ai-kg links check``).

Each IRI is asked for with ``HEAD``, then with ``GET`` (its first kilobyte read) when the
server refuses ``HEAD``; redirects are followed one hop at a time (each hop is a request) and
reported. Politeness and bounds: at most ``rate`` requests per second to any one host (the
IRIs are taken round-robin across hosts, so waiting for one host does not stall the others),
``timeout`` seconds for connecting and for each read, ``total`` seconds for the whole check
(what is left then is skipped, and said so).

No network is not a broken link: when nothing answers at all and the first hosts tried all
fail to resolve or refuse the connection, the rest is skipped and the report says why;
``offline`` skips everything without a request. ``base_url`` sends every request to one
server instead (``http://127.0.0.1:PORT/`` + host + path): the tests' local server, or a
mirror; the real internet is then never contacted.
"""

from __future__ import annotations

import errno
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from http.client import HTTPException
from pathlib import Path
from typing import TextIO
from urllib.parse import urljoin, urlsplit

from . import __version__
from .engine import Engine

__all__ = [
    "BROKEN",
    "OK",
    "SKIPPED",
    "UNREACHABLE",
    "Options",
    "Progress",
    "RateLimiter",
    "Report",
    "Result",
    "check_links",
    "link_targets",
]

_TARGETS = Path(__file__).parent / "sparql" / "link-targets.rq"

OK = "ok"
BROKEN = "broken"  # an error status, too many redirects, a timeout, a failed exchange
UNREACHABLE = "unreachable"  # the host did not resolve or refused the connection
SKIPPED = "skipped"  # not asked: offline, no network, out of time, not http(s)

_REDIRECTS = {301, 302, 303, 307, 308}
_GONE = {404, 410}  # a HEAD answered with these is not retried with GET
_NO_NETWORK_AFTER = 3  # distinct unreachable hosts, with no answer at all, mean no network
_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}


@dataclass(frozen=True)
class Options:
    """How to check: per-request timeout, overall budget, per-host rate, where to send."""

    timeout: float = 10.0  # seconds to connect, and for each read
    total: float = 600.0  # seconds for the whole check; the rest is skipped
    rate: float = 1.0  # requests per second to one host, at most
    max_redirects: int = 10
    offline: bool = False
    base_url: str | None = None  # every request to <base_url><host><path> instead
    user_agent: str = f"dhs-ai-kg-linkcheck/{__version__} (+https://w3id.org/dhs-ai-kg/)"


@dataclass(frozen=True)
class Result:
    """What became of one IRI."""

    iri: str
    outcome: str  # OK, BROKEN, UNREACHABLE or SKIPPED
    status: int | None = None  # the last HTTP status received
    method: str | None = None  # the last method used (HEAD, or GET after a refused HEAD)
    redirects: tuple[tuple[int, str], ...] = ()  # (status, Location) per hop followed
    note: str = ""

    @property
    def final(self) -> str:
        """Where the redirects ended (the IRI itself when there were none)."""
        return self.redirects[-1][1] if self.redirects else self.iri


@dataclass
class Report:
    """Every IRI's result, in the order given, and why the check stopped short, if it did."""

    results: list[Result]
    no_network: str | None = None  # why the check concluded there is no network
    offline: bool = False

    def count(self, outcome: str) -> int:
        """How many results have ``outcome``."""
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def broken(self) -> list[Result]:
        """The results that failed (broken or unreachable)."""
        return [r for r in self.results if r.outcome in (BROKEN, UNREACHABLE)]

    def table(self) -> str:
        """One aligned line per IRI (outcome, status, method, IRI, note), then the totals."""
        rows = [
            [r.outcome, str(r.status or ""), r.method or "", r.iri, r.note] for r in self.results
        ]
        head = ["outcome", "status", "method", "IRI", "note"]
        widths = [max([len(head[i]), *(len(row[i]) for row in rows)]) for i in range(4)]

        def line(cells: list[str]) -> str:
            fixed = [c.ljust(w) for c, w in zip(cells[:4], widths, strict=True)]
            return "  ".join([*fixed, cells[4]]).rstrip()

        out = [line(head), line(["-" * w for w in [*widths, 4]]), *(line(r) for r in rows)]
        return "\n".join([*out, "", self.totals()]) + "\n"

    def totals(self) -> str:
        """One sentence: how many were checked, fine, redirected, broken, skipped, and why."""
        hosts = len({urlsplit(r.iri).netloc for r in self.results})
        redirected = sum(1 for r in self.results if r.outcome == OK and r.redirects)
        text = (
            f"{len(self.results)} IRIs on {hosts} hosts: {self.count(OK)} ok "
            f"({redirected} after redirects), {self.count(BROKEN)} broken, "
            f"{self.count(UNREACHABLE)} unreachable, {self.count(SKIPPED)} skipped"
        )
        if self.offline:
            text += "; offline: no request was made"
        if self.no_network:
            text += f"; not checked: {self.no_network}"
        return text + "."


def link_targets(engine: Engine) -> list[str]:
    """Every external IRI the links graph names (``sparql/link-targets.rq``), sorted."""
    text = _TARGETS.read_text(encoding="utf-8")
    return [str(row[0]) for row in engine.query(text)]


class RateLimiter:
    """At most ``rate`` requests per second to each host: :meth:`wait` before each request."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}

    def delay(self, host: str) -> float:
        """Seconds to wait before the next request to ``host``."""
        last = self._last.get(host)
        return 0.0 if last is None else max(0.0, last + self.interval - self._clock())

    def wait(self, host: str) -> None:
        """Sleep until a request to ``host`` is allowed, and count it as made now."""
        pause = self.delay(host)
        if pause > 0:
            self._sleep(pause)
        self._last[host] = self._clock()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as responses: the checker follows them itself, hop by hop."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _OutOfTime(Exception):
    """The overall time limit would pass before the next request may be made."""


def _cause(exc: BaseException) -> BaseException:
    return (
        exc.reason
        if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException)
        else exc
    )


def _describe(exc: BaseException) -> str:
    cause = _cause(exc)
    if isinstance(cause, socket.gaierror):
        return f"DNS lookup failed ({cause.strerror or cause})"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    return f"{type(cause).__name__}: {cause}"


def _unreachable(exc: BaseException) -> bool:
    cause = _cause(exc)
    return isinstance(cause, (socket.gaierror, ConnectionRefusedError)) or (
        isinstance(cause, OSError) and cause.errno in _NETWORK_ERRNOS
    )


def _timed_out(exc: BaseException) -> bool:
    return isinstance(_cause(exc), TimeoutError)


@dataclass
class _Checker:
    options: Options
    limiter: RateLimiter
    clock: Callable[[], float]
    deadline: float
    opener: urllib.request.OpenerDirector
    answered: bool = False  # some server answered something: there is a network
    unreachable_hosts: list[str] = field(default_factory=list)

    def target(self, url: str) -> str:
        """Where a request for ``url`` goes (``base_url`` rewriting, if set)."""
        base = self.options.base_url
        if base is None or url.startswith(base):
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{base.rstrip('/')}/{parts.netloc}{parts.path or '/'}{query}"

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def request(self, url: str, method: str) -> tuple[int, str | None]:
        """One request: (status, Location). Raises the transport's errors."""
        host = urlsplit(url).netloc
        if self.limiter.delay(host) >= self.remaining():
            raise _OutOfTime
        self.limiter.wait(host)
        timeout = max(0.001, min(self.options.timeout, self.remaining()))
        headers = {"User-Agent": self.options.user_agent, "Accept": "*/*"}
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                if method == "GET":
                    response.read(1024)
                self.answered = True
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            with exc:
                self.answered = True
                return exc.code, exc.headers.get("Location")

    def exchange(self, url: str) -> tuple[int, str | None, str, str]:
        """HEAD, or GET when HEAD is refused: (status, Location, method, note)."""
        status, location = self.request(url, "HEAD")
        if status >= 400 and status not in _GONE:
            refused = status
            status, location = self.request(url, "GET")
            return status, location, "GET", f"HEAD refused ({refused}), checked with GET"
        return status, location, "HEAD", ""

    def check(self, iri: str) -> Result:
        """Resolve ``iri``, following redirects."""
        if urlsplit(iri).scheme not in ("http", "https"):
            return Result(iri, SKIPPED, note="not an http(s) IRI")
        url = self.target(iri)
        hops: list[tuple[int, str]] = []
        method: str | None = None
        notes: list[str] = []
        try:
            while True:
                status, location, method, note = self.exchange(url)
                if note and note not in notes:
                    notes.append(note)
                if status not in _REDIRECTS:
                    break
                if not location:
                    return Result(
                        iri, BROKEN, status, method, tuple(hops), "redirect without Location"
                    )
                if len(hops) >= self.options.max_redirects:
                    return Result(
                        iri,
                        BROKEN,
                        status,
                        method,
                        tuple(hops),
                        f"more than {self.options.max_redirects} redirects",
                    )
                url = self.target(urljoin(url, location))
                hops.append((status, url))
        except _OutOfTime:
            return Result(iri, SKIPPED, None, method, tuple(hops), "overall time limit reached")
        except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
            return self.failure(iri, exc, method, tuple(hops))
        if hops:
            notes.append("redirected " + " → ".join(f"{s} {u}" for s, u in hops))
        outcome = OK if 200 <= status < 300 else BROKEN
        return Result(iri, outcome, status, method, tuple(hops), "; ".join(notes))

    def failure(
        self, iri: str, exc: BaseException, method: str | None, hops: tuple[tuple[int, str], ...]
    ) -> Result:
        """The result of ``iri`` whose request raised ``exc``."""
        if _timed_out(exc):
            if self.remaining() <= 0:
                return Result(iri, SKIPPED, None, method, hops, "overall time limit reached")
            note = f"timed out after {self.options.timeout:g} s"
            return Result(iri, BROKEN, None, method, hops, note)
        if _unreachable(exc):
            self.unreachable_hosts.append(urlsplit(iri).netloc)  # the IRI's, not a mirror's
            return Result(iri, UNREACHABLE, None, method, hops, _describe(exc))
        return Result(iri, BROKEN, None, method, hops, _describe(exc))

    def no_network(self) -> str | None:
        """Why there seems to be no network, or None while there may be one."""
        hosts = list(dict.fromkeys(self.unreachable_hosts))
        if self.answered or len(hosts) < _NO_NETWORK_AFTER:
            return None
        return (
            f"no network: {', '.join(hosts[:_NO_NETWORK_AFTER])} could not be reached "
            "(DNS lookup failed or connection refused) and nothing answered"
        )


def _round_robin(iris: Sequence[str]) -> list[str]:
    """``iris`` reordered to take one per host in turn (waiting for one host then overlaps
    with requests to the others)."""
    queues: dict[str, list[str]] = {}
    for iri in iris:
        queues.setdefault(urlsplit(iri).netloc, []).append(iri)
    ordered: list[str] = []
    while queues:
        for host in list(queues):
            ordered.append(queues[host].pop(0))
            if not queues[host]:
                del queues[host]
    return ordered


def check_links(
    iris: Iterable[str],
    options: Options | None = None,
    on_result: Callable[[Result, int, int], None] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Check each IRI of ``iris`` (see the module docstring); ``on_result(result, done,
    total)`` is called as each one is settled."""
    options = options or Options()
    given = list(dict.fromkeys(iris))
    total = len(given)
    if options.offline:
        results = [Result(i, SKIPPED, note="offline: not requested") for i in given]
        for done, result in enumerate(results, 1):
            if on_result:
                on_result(result, done, total)
        return Report(results, offline=True)
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if options.base_url is not None:  # a local server: no proxy in between
        handlers.append(urllib.request.ProxyHandler({}))
    checker = _Checker(
        options,
        RateLimiter(options.rate, clock, sleep),
        clock,
        clock() + options.total,
        urllib.request.build_opener(*handlers),
    )
    settled: dict[str, Result] = {}
    for done, iri in enumerate(_round_robin(given), 1):
        why = checker.no_network()
        if why is not None:
            result = Result(iri, SKIPPED, note=why.split(":", 1)[0])
        elif checker.remaining() <= 0:
            result = Result(iri, SKIPPED, note="overall time limit reached")
        else:
            result = checker.check(iri)
        settled[iri] = result
        if on_result:
            on_result(result, done, total)
    why = checker.no_network()
    if why is not None:  # the unreachable ones were not broken: there was no network
        settled = {
            i: replace(r, outcome=SKIPPED, note=f"no network ({r.note})")
            if r.outcome == UNREACHABLE
            else r
            for i, r in settled.items()
        }
    return Report([settled[i] for i in given], no_network=why)


class Progress:
    """Shows the check's progress on ``stream``: a bar redrawn in place on a terminal, one
    plain line per IRI otherwise."""

    def __init__(self, stream: TextIO, terminal: bool | None = None, width: int = 30) -> None:
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal
        self.width = width

    def __call__(self, result: Result, done: int, total: int) -> None:
        """Report one settled IRI."""
        if self.terminal:
            filled = self.width * done // max(total, 1)
            bar = "#" * filled + "-" * (self.width - filled)
            text = f"\r[{bar}] {done}/{total} {result.outcome:<11} {result.iri[:60]}"
            self.stream.write(text.ljust(120))
            if done == total:
                self.stream.write("\n")
        else:
            status = f" {result.status}" if result.status else ""
            note = f" ({result.note})" if result.note else ""
            self.stream.write(f"{done}/{total} {result.outcome}{status} {result.iri}{note}\n")
        self.stream.flush()
