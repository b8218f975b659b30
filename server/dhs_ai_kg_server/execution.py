"""Run one user query under the app's limits; /sparql and /queries/<name> both call :func:`execute`.

The request side happens here — format negotiation (both kinds decided up front: the query's
form is known only once it is parsed) and the limits from the app's config — and the rest in
the core: :func:`dhs_ai_kg.execution.run_job` (guard, parse, evaluate, row cap, byte cap,
serialize), run in the app's :class:`dhs_ai_kg.pool.QueryPool` (``QUERY_ISOLATION =
"process"``, the default: killable, memory-bounded) or in this process (``"inline"``: tests
and tools, no timeout). The core's typed errors are mapped to statuses by errors.py.

SPARQL Update is not offered: the dataset is read-only by construction (decision 5).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, g
from rdflib.term import Identifier

from dhs_ai_kg.engine import (
    CONSTRUCT_FORMATS,
    RESULTS_FORMATS,
    Engine,
    OutputFormat,
    UpdateRefused,
)
from dhs_ai_kg.execution import Answer, Choice, FormatUnavailable, Job, run_job
from dhs_ai_kg.sparql_guard import scan

from .errors import NoAcceptableFormat, UnknownFormat
from .negotiation import choose
from .state import state

__all__ = ["Answer", "current_engine", "execute", "pick_format", "refuse_update"]


def current_engine() -> Engine:
    """The engine of the running app (its one pyoxigraph store)."""
    return state().engine


def pick_format(
    formats: Mapping[str, OutputFormat], accept: str | None, format_name: str | None
) -> OutputFormat:
    """``format_name`` (a name or media type) if given, else the best match for ``accept``."""
    if format_name:
        wanted = format_name.strip().lower()
        for fmt in formats.values():
            if wanted == fmt.name or wanted in fmt.media_types:
                return fmt
        if wanted == "json" and "jsonld" in formats:
            return formats["jsonld"]
        raise UnknownFormat(wanted, list(formats))
    chosen = choose(accept, dict(formats))
    if chosen is None:
        raise NoAcceptableFormat([f.media_type for f in formats.values()])
    return chosen


def _choice(accept: str | None, format_name: str | None) -> Choice:
    picked: list[OutputFormat | FormatUnavailable] = []
    for formats in (RESULTS_FORMATS, CONSTRUCT_FORMATS):
        try:
            picked.append(pick_format(formats, accept, format_name))
        except NoAcceptableFormat as exc:
            picked.append(FormatUnavailable(str(exc.description), exc.media_types))
        except UnknownFormat as exc:
            picked.append(FormatUnavailable(str(exc.description)))
    return Choice(picked[0], picked[1])


def execute(
    text: str,
    *,
    accept: str | None = None,
    format_name: str | None = None,
    bindings: Mapping[str, Identifier] | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Answer:
    """Answer one query under QUERY_TIMEOUT, MAX_ROWS, MAX_ANSWER_BYTES, SERVICE_ALLOWLIST.

    Raises the core's QueryError family (errors.py maps each), NoAcceptableFormat (406) or
    UnknownFormat (400).
    """
    config = current_app.config
    max_rows = config.get("MAX_ROWS")
    max_bytes = config.get("MAX_ANSWER_BYTES")
    g.result_limit = max_rows
    job = Job(
        text,
        _choice(accept, format_name),
        dict(bindings) if bindings else None,
        tuple(default_graphs) if default_graphs else None,
        tuple(named_graphs) if named_graphs else None,
        int(max_rows) if max_rows is not None else None,
        int(max_bytes) if max_bytes is not None else None,
        tuple(config.get("SERVICE_ALLOWLIST") or ()),
    )
    current = state()
    key = current.answers.key(job)
    if key is not None and (kept := current.answers.get(key)) is not None:
        return kept
    if config.get("QUERY_ISOLATION", "process") == "inline":
        answer = run_job(current.engine, job)
    else:
        timeout = config.get("QUERY_TIMEOUT")
        answer = current.pool().run(job, float(timeout) if timeout else None)
    if key is not None:
        current.answers.put(key, answer)
    return answer


def calls_out(text: str) -> bool:
    """Whether answering ``text`` may call a ``SERVICE`` (an allowlist is set and the query
    names one): its answer depends on another server, so no cache may keep it."""
    return bool(current_app.config.get("SERVICE_ALLOWLIST")) and bool(scan(text).outbound)


def refuse_update() -> UpdateRefused:
    """The 403 for any update: the dataset is read-only (the text is not even scanned)."""
    return UpdateRefused("SPARQL Update is not supported: this dataset is read-only")
