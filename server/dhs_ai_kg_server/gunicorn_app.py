"""Run the app under gunicorn, programmatically (never Flask's development server).

The app (and so the dataset) is created once in the master before forking
(``preload_app``): a broken data file stops start-up before any worker exists, and workers
share the loaded store copy-on-write. gunicorn's ``timeout`` kills and replaces a worker stuck
in a query (pyoxigraph cannot be interrupted from Python); SIGTERM is a graceful shutdown.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from gunicorn.app.base import BaseApplication


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
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The WSGI app."""
        return self.application


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    timeout: int = 30,
    app_config: Mapping[str, object] | None = None,
) -> None:
    """Serve the packaged dataset on ``host:port`` with gunicorn until SIGTERM/SIGINT."""
    from .app import create_app

    app = create_app(app_config)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": True,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "dhs-ai-kg",
    }
    Server(app, options).run()
