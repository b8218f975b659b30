"""Run the app under gunicorn, programmatically (never Flask's development server).

The app (and so the dataset) is created once in the master before forking
(``preload_app``): a broken data file stops start-up before any worker exists, and workers
share the loaded store copy-on-write. Each worker forks its own query process
(execution.py), killed and replaced when a query overruns QUERY_TIMEOUT; gunicorn's own
``timeout`` is only a backstop, set well above it. SIGTERM is a graceful shutdown: workers
finish the request in hand (up to ``graceful_timeout``), then exit; the master exits 0.

Logs go to stderr: gunicorn's own lines, and one JSON line per request from the app
(``dhs_ai_kg.access``; gunicorn's access log is off so each request is logged once).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .metrics import worker_exited

#: Settings newer gunicorn versions have; skipped where absent.
OPTIONAL = frozenset({"control_socket_disable"})


class Server(BaseApplication):
    """A gunicorn application serving one ready Flask app."""

    def __init__(self, app: Flask, options: Mapping[str, object]) -> None:
        self.application = app
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        """Copy our options into gunicorn's settings."""
        assert self.cfg is not None
        for key, value in self.options.items():
            if key in OPTIONAL and key not in self.cfg.settings:
                continue  # a setting this gunicorn version does not have
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The WSGI app."""
        return self.application


def _log_access_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("dhs_ai_kg.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False
    server_log = logging.getLogger("dhs_ai_kg_server")
    if not server_log.handlers:
        errors = logging.StreamHandler(sys.stderr)
        errors.setFormatter(
            logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(message)s")
        )
        server_log.addHandler(errors)
        server_log.setLevel(logging.INFO)


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    timeout: int | None = None,
    app_config: Mapping[str, object] | None = None,
) -> None:
    """Serve the packaged dataset on ``host:port`` with gunicorn until SIGTERM/SIGINT.

    ``timeout`` is gunicorn's worker timeout (default: twice QUERY_TIMEOUT plus 10 s).
    """
    metrics_dir: str | None = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # before prometheus_client loads
        metrics_dir = tempfile.mkdtemp(prefix="dhs-ai-kg-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    _log_access_to_stderr()
    from . import dumps
    from .app import create_app

    app = create_app(app_config)
    dumps.warm(app)  # once, in the master: every worker serves the same bytes and checksums
    query_timeout = float(app.config.get("QUERY_TIMEOUT") or 0)
    owner = os.getpid()

    def child_exit(_server: Any, worker: Any) -> None:
        worker_exited(worker.pid)

    def on_exit(_server: Any) -> None:
        if metrics_dir and os.getpid() == owner:
            shutil.rmtree(metrics_dir, ignore_errors=True)

    options: dict[str, object] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "timeout": timeout or int(query_timeout * 2 + 10),
        "graceful_timeout": max(30, int(query_timeout) + 5),
        "preload_app": True,
        "accesslog": None,
        "errorlog": "-",
        "proc_name": "dhs-ai-kg",
        "child_exit": child_exit,
        "on_exit": on_exit,
        # gunicorn 25+'s control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl),
        # shared by every server the user runs; we do not use it.
        "control_socket_disable": True,
    }
    Server(app, options).run()
