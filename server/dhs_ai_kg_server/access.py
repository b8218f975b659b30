"""The access log and request ids, shared by the app (edge.py) and the front's replayed answers.

One JSON line per request on the ``dhs_ai_kg.access`` logger: time, request id, method, path
(with the query string as sent), status, bytes, duration in ms, pid.
"""

from __future__ import annotations

import json
import logging
import os
import random
from datetime import UTC, datetime

access_log = logging.getLogger("dhs_ai_kg.access")


def new_request_id() -> str:
    """A fresh request id: 64 random bits in hex (unique enough for a log, and cheap)."""
    return f"{random.getrandbits(64):016x}"


def log_access(
    request_id: str, method: str, path: str, status: int, size: int, seconds: float
) -> None:
    """Write one access line (nothing when the logger is off)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    line = json.dumps(
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "method": method,
            "path": path,
            "status": status,
            "bytes": size,
            "duration_ms": round(seconds * 1000, 2),
            "pid": os.getpid(),
        }
    )
    # a record made directly: Logger.info would walk the stack for the caller on every request
    access_log.handle(
        access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, (), None)
    )
